#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster on 127.0.0.1 for the test suite.
#   scripts/pg-node.sh start STATE_DIR   -> prints postgresql+psycopg://vigie@127.0.0.1:PORT/vigie
#   scripts/pg-node.sh stop STATE_DIR
# Uses Debian's binaries (/usr/lib/postgresql/*/bin); installs `postgresql` with apt-get if missing.
# The cluster trusts local TCP connections from 127.0.0.1 only: it is for tests, never for data.
set -euo pipefail
cmd="${1:?usage: pg-node.sh start|stop STATE_DIR}"
state="${2:?usage: pg-node.sh start|stop STATE_DIR}"

find_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$bin" ] && [ "$(id -u)" = "0" ]; then
    echo "pg-node: installing postgresql from Debian" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg-node: PostgreSQL binaries not found under /usr/lib/postgresql/*/bin;" \
         "install them with: apt-get install postgresql" >&2
    return 1
  fi
  echo "$bin"
}

start() {
  local bin port runner=()
  bin=$(find_bin)
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  if [ "$(id -u)" = "0" ]; then
    # initdb refuses to run as root: the cluster belongs to the `postgres` user Debian creates.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown -R postgres "$state"
    chmod 755 "$state"
    runner=(runuser -u postgres --)
  fi
  if [ ! -f "$state/data/PG_VERSION" ]; then
    "${runner[@]}" "$bin/initdb" -D "$state/data" -U vigie -A trust -E UTF8 --locale=C.UTF-8 \
      >"$state/initdb.log" 2>&1 || { echo "pg-node: initdb failed; see $state/initdb.log" >&2; tail -20 "$state/initdb.log" >&2; return 1; }
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # fsync off: a test cluster trades durability for speed; the socket lives in the state dir.
  "${runner[@]}" "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $state -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { echo "pg-node: server did not start; see $state/server.log" >&2; tail -20 "$state/server.log" >&2; return 1; }
  echo "$port" >"$state/port"
  # pg_ctl -w waited for readiness; create the database the URL names.
  "${runner[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U vigie -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname='vigie'" | grep -q 1 \
    || "${runner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U vigie vigie
  echo "postgresql+psycopg://vigie@127.0.0.1:$port/vigie"
}

stop() {
  [ -f "$state/data/postmaster.pid" ] || return 0
  local bin runner=()
  bin=$(find_bin)
  [ "$(id -u)" = "0" ] && runner=(runuser -u postgres --)
  "${runner[@]}" "$bin/pg_ctl" -D "$state/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: pg-node.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
