#!/usr/bin/env bash
# The test command behind `make test`: system packages, services, linters, pytest. Services always stop.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
VENV="${VIGIE_VENV:-.venv}"  # another venv (e.g. a worktree sharing one): VIGIE_VENV=path
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
  bash "$root/scripts/es-node.sh" stop "$state/es" || true
  if [ -f "$state/pg.stop" ]; then bash "$state/pg.stop" || true; fi
  rm -rf "$state"
}
# Cleanup on exit only; a signal exits (then cleans up): a run interrupted must never carry on.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Elasticsearch: a real node on 127.0.0.1 for the search contract suite.
# A service that does not start stops the run here, non-zero, with the reason (never a quiet skip).
fail() {
  echo "test.sh: FAILED: $*" >&2
  exit 1
}
if es_url=$(bash scripts/es-node.sh start "$state/es"); then
  export VIGIE_TEST_ELASTICSEARCH_URL="$es_url"
  echo "test.sh: Elasticsearch up at $es_url" >&2
else
  fail "Elasticsearch did not start (reason above); fix it, or run one area without it:" \
       "pytest -m 'not elasticsearch' (see docs/testing.md)"
fi

# --- PostgreSQL: a throwaway cluster on 127.0.0.1 (scripts/pg-node.sh).
printf 'bash %q stop %q\n' "$root/scripts/pg-node.sh" "$state/pg" > "$state/pg.stop"
if pg_url=$(bash scripts/pg-node.sh start "$state/pg"); then
  export VIGIE_TEST_POSTGRES_URL="$pg_url"
  echo "test.sh: PostgreSQL up at $pg_url" >&2
else
  fail "PostgreSQL did not start (reason above); fix it, or run one area without it:" \
       "pytest -m 'not postgres' (see docs/testing.md)"
fi

$VENV/bin/ruff check .
$VENV/bin/ruff format --check .
$VENV/bin/mypy
$VENV/bin/python -m pytest "$@"
