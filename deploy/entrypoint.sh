#!/bin/sh
# Entry point of the Vigie image: check the settings that must not keep their defaults, seed the model
# volume with the shipped models, then run `vigie ARGS` (default: serve on 0.0.0.0:8000) as PID 1.
# Works as a plain process too: `deploy/entrypoint.sh serve --host 127.0.0.1 --port 8000`.
set -eu
VIGIE_BIN="${VIGIE_BIN:-vigie}"
APP_DIR="$(cd "$(dirname "$0")/.." && pwd)"

if [ "$#" -eq 0 ]; then
  set -- serve --host 0.0.0.0 --port 8000
fi

if [ "$1" = "serve" ] && [ "${VIGIE_SECRET_KEY:-dev-insecure-change-me}" = "dev-insecure-change-me" ] \
   && [ "${VIGIE_ALLOW_INSECURE:-0}" != "1" ]; then
  echo "entrypoint: VIGIE_SECRET_KEY is unset or the development default;" \
       "set it to a long random value (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')" >&2
  exit 64
fi

# Retrained models live on a volume; on first start it receives the models shipped in the image.
if [ -n "${VIGIE_MODEL_DIR:-}" ] && [ -d "$APP_DIR/models" ]; then
  mkdir -p "$VIGIE_MODEL_DIR"
  if [ -z "$(ls -A "$VIGIE_MODEL_DIR" 2>/dev/null)" ]; then
    cp -R "$APP_DIR/models/." "$VIGIE_MODEL_DIR/"
    echo "entrypoint: seeded $VIGIE_MODEL_DIR with the shipped models" >&2
  fi
fi

exec "$VIGIE_BIN" "$@"
