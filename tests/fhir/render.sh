#!/usr/bin/env bash
# Renders every Questionnaire the server publishes in LHC-Forms (lforms, the NLM's SDC renderer)
# in headless Chromium and checks that every item appears (tests/fhir/render/render.mjs). Every
# instrument is enabled, the licensed ones included, so that all of them are rendered.
#
# Needs Node 20+ with npm, and Chromium (/usr/bin/chromium: Debian's `chromium` package).
# usage: tests/fhir/render.sh [path/to/intake-api]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/debug/intake-api}")
PORT=${RENDER_PORT:-18733}
LFORMS_VERSION=40.1.3
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cd tests/fhir/render
npm ci --no-audit --no-fund --loglevel=error
# lforms ships its built renderer in the package; its build dependencies are not needed, so
# the package itself is fetched (npm checks it against the registry's integrity hash).
if [ ! -f ".lforms/$LFORMS_VERSION/package/dist/lforms/webcomponent/main.js" ]; then
  rm -rf ".lforms/$LFORMS_VERSION" && mkdir -p ".lforms/$LFORMS_VERSION"
  npm pack "lforms@$LFORMS_VERSION" --pack-destination ".lforms/$LFORMS_VERSION" --loglevel=error >/dev/null
  tar -xzf ".lforms/$LFORMS_VERSION/lforms-$LFORMS_VERSION.tgz" -C ".lforms/$LFORMS_VERSION"
fi

export APP_ENV=test JWT_SECRET="render-secret-$(date +%s)-0123456789abcdef" \
  DATA_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  DATABASE_URL="sqlite://$WORK/render.db" BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn LOG_FORMAT=json \
  INSTRUMENTS_ENABLED=phq9,gad7,pc_ptsd5,pcl5,asq,pain_nrs,peg,fm2016,crps_budapest,dn4,cssrs_screen,pgic,ketamine_side_effects
"$BIN" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

INTAKE_API_URL="http://127.0.0.1:$PORT" LFORMS_DIR=".lforms/$LFORMS_VERSION/package/dist/lforms" node render.mjs
