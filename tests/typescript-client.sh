#!/usr/bin/env bash
# The TypeScript client (clients/typescript) against a live server: installs it from its lock
# file, checks that its generated types match openapi/openapi.json, compiles it with
# `tsc --strict` and runs its flow test against the binary on a fresh SQLite database.
#
# usage: tests/typescript-client.sh [path/to/intake-api]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/debug/intake-api}")
PORT=${TS_CLIENT_PORT:-18732}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cd clients/typescript
npm ci --no-audit --no-fund --loglevel=error
# The committed types are what `npm run generate` makes of the committed spec.
cp src/schema.d.ts "$WORK/schema.d.ts"
npm run --silent generate >/dev/null
if ! diff -q "$WORK/schema.d.ts" src/schema.d.ts >/dev/null; then
  echo "clients/typescript/src/schema.d.ts is stale: run 'npm run generate' in clients/typescript" >&2
  exit 1
fi

export APP_ENV=test JWT_SECRET="ts-client-secret-$(date +%s)-0123456789abcdef" \
  DATA_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  DATABASE_URL="sqlite://$WORK/client.db" BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn LOG_FORMAT=json
"$BIN" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

INTAKE_API_URL="http://127.0.0.1:$PORT" npm test
