#!/usr/bin/env bash
# The test command behind `make test`: system packages, services, linters, pytest. Services always stop.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
export HF_HUB_OFFLINE=1

# --- system packages the suite drives (Debian): a browser for the UI tests, PostgreSQL for storage.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]} from Debian" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

state=$(mktemp -d /tmp/vigie-test.XXXXXX)
chmod 755 "$state"
cleanup() {
  bash scripts/es-node.sh stop "$state/es" || true
  if [ -f "$state/pg.stop" ]; then bash "$state/pg.stop" || true; fi
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

# --- Elasticsearch: a real node on 127.0.0.1 for the search contract suite.
if es_url=$(bash scripts/es-node.sh start "$state/es"); then
  export VIGIE_TEST_ELASTICSEARCH_URL="$es_url"
  echo "test.sh: Elasticsearch up at $es_url" >&2
else
  echo "test.sh: Elasticsearch could not start; its tests will fail under CI" >&2
fi

# --- PostgreSQL: a throwaway cluster on 127.0.0.1 (set by scripts/pg-node.sh when present).
if [ -f scripts/pg-node.sh ]; then
  if pg_url=$(bash scripts/pg-node.sh start "$state/pg"); then
    export VIGIE_TEST_POSTGRES_URL="$pg_url"
    printf 'bash scripts/pg-node.sh stop %q\n' "$state/pg" > "$state/pg.stop"
    echo "test.sh: PostgreSQL up at $pg_url" >&2
  else
    echo "test.sh: PostgreSQL could not start; its tests will fail under CI" >&2
  fi
fi

$VENV/bin/ruff check .
$VENV/bin/ruff format --check .
$VENV/bin/mypy
$VENV/bin/python -m pytest "$@"
