#!/usr/bin/env bash
# Fuzzes the live server from the published contract (openapi/openapi.json) with schemathesis:
# every operation, signed in as an administrator and as a patient, a bounded number of examples
# each. Fails on any 5xx and on any response that does not match its documented status code,
# content type, headers or schema.
#
# usage: tests/fuzz/schemathesis.sh [path/to/intake-api] [max-examples]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/intake-api}
EXAMPLES=${2:-${FUZZ_MAX_EXAMPLES:-25}}
PORT=${FUZZ_PORT:-18731}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

export APP_ENV=test JWT_SECRET="fuzz-secret-$(date +%s)-0123456789abcdefghij" \
  DATA_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  DATABASE_URL="sqlite://$WORK/fuzz.db" BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn LOG_FORMAT=json
echo "long fuzzing passphrase 42" | "$BIN" create-user --role admin --email boss@fuzz.test >/dev/null
"$BIN" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

token() { # email password
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ADMIN=$(token boss@fuzz.test "long fuzzing passphrase 42")
# A patient with a profile and a draft, so that patient routes have something to act on.
curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"pat@fuzz.test","password":"patient fuzzing passphrase"}' >/dev/null
PATIENT=$(token pat@fuzz.test "patient fuzzing passphrase")
python3 - "$PORT" "$PATIENT" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
f = json.load(open("tests/fixtures/fibromyalgia.json"))
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))
call("/api/v1/patients", f["profile"])
call("/api/v1/intakes", {"sections": f["sections"]})
PY

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
# Operations that can end the session of the token the fuzzer signs with (schemathesis feeds
# ids from one response into the next request, its own session's included) run last, on their own.
ENDING=(--name 'POST /api/v1/auth/logout' --name 'POST /api/v1/auth/password'
        --name 'DELETE /api/v1/auth/sessions/{id}' --name 'DELETE /api/v1/users/{id}/sessions')
fuzz() { # token, then selection options
  local token=$1; shift
  schemathesis run openapi/openapi.json --url "http://127.0.0.1:$PORT" -H "Authorization: Bearer $token" "$@" \
    --checks "$CHECKS" --max-examples "$EXAMPLES" --no-color --seed 20261127 || status=1
}
for who in ADMIN PATIENT; do
  echo "== schemathesis as ${who,,} ($EXAMPLES examples per operation)"
  fuzz "${!who}" "${ENDING[@]/#--name/--exclude-name}"
done
for who in ADMIN PATIENT; do
  echo "== schemathesis as ${who,,}: operations that end sessions"
  fuzz "${!who}" "${ENDING[@]/#--name/--include-name}"
done
# actix-http logs a request it cannot parse (e.g. a control character in a header value) at
# ERROR under its own target and answers 400 before any of our code runs; everything else
# logged at ERROR is ours and fails the run.
if grep '"level":"ERROR"' "$WORK/server.log" | grep -v '"target":"actix_http::h1::dispatcher"' >"$WORK/errors"; then
  echo "server logged errors:"; head -20 "$WORK/errors"; status=1
fi
exit $status
