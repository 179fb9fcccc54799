#!/usr/bin/env python3
"""Sign-in latency and the audit rows of the disclosure paths (issue 12), against one binary.

usage: python3 bench/auth_paths.py [--bin target/release/intake-api] [--runs 30]

Starts the server on a fresh SQLite database (APP_ENV=production, JSON logs), then:
  * latency: POST /auth/token (`--runs` sign-ins, one connection, keep-alive) and, when the
    binary has it, POST /auth/refresh (`--runs` refreshes, each with the token the previous one
    returned); median, p90 and min of the wall time per request, in ms;
  * audit rows: how many rows `audit_events` gains for each disclosure path of issue 12, point 3
    (an Idempotency-Key replay of POST /intakes, GET /users?role=patient, a staff submit refused
    with 422), counted in the database file.
Works against older builds too (paths they lack are reported as such), to give before/after.
"""
import argparse
import base64
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAFF_PASSWORD = "bench staff passphrase 42"
PATIENT_PASSWORD = "bench patient passphrase 42"


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, token=None, headers=None):
        h = {"content-type": "application/json"}
        if token:
            h["authorization"] = f"Bearer {token}"
        h.update(headers or {})
        start = time.perf_counter()
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=h)
        res = self.conn.getresponse()
        data = res.read()
        elapsed = (time.perf_counter() - start) * 1000
        return res.status, (json.loads(data) if data else None), elapsed


def stats(samples):
    s = sorted(samples)
    return {"median_ms": round(statistics.median(s), 2), "p90_ms": round(s[int(len(s) * 0.9) - 1], 2),
            "min_ms": round(s[0], 2), "n": len(s)}


def audit_rows(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM audit_events").fetchone()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "intake-api"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--port", type=int, default=18790)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="auth-paths-")
    db = os.path.join(work, "intake.db")
    env = {**os.environ, "APP_ENV": "production", "JWT_SECRET": "bench-" + os.urandom(24).hex(),
           "DATA_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
           "DATABASE_URL": f"sqlite://{db}", "BIND_ADDR": f"127.0.0.1:{args.port}", "RUST_LOG": "warn",
           "LOG_FORMAT": "json", "REQUIRE_STAFF_MFA": "false"}
    for role, email in (("admin", "admin@bench.test"), ("clinician", "dr@bench.test")):
        subprocess.run([args.bin, "create-user", "--role", role, "--email", email], input=STAFF_PASSWORD + "\n",
                       text=True, check=True, env=env, capture_output=True)
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([args.bin], env=env, stdout=log, stderr=log)
    try:
        c = Client(args.port)
        for _ in range(100):
            try:
                if c.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                c = Client(args.port)
                time.sleep(0.1)
        result = {"binary": args.bin}

        # Sign-in and refresh latency.
        logins, refreshes = [], []
        body = {"email": "dr@bench.test", "password": STAFF_PASSWORD}
        status, tokens, _ = c.call("POST", "/api/v1/auth/token", body)  # warm-up
        assert status == 200, (status, tokens)
        for _ in range(args.runs):
            status, tokens, ms = c.call("POST", "/api/v1/auth/token", body)
            assert status == 200, (status, tokens)
            logins.append(ms)
        result["login"] = stats(logins)
        if tokens.get("refresh_token"):
            for _ in range(args.runs):
                status, tokens, ms = c.call("POST", "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
                assert status == 200, (status, tokens)
                refreshes.append(ms)
            result["refresh"] = stats(refreshes)
        else:
            result["refresh"] = "not in this build"

        # Audit rows of the disclosure paths.
        admin = c.call("POST", "/api/v1/auth/token", {"email": "admin@bench.test", "password": STAFF_PASSWORD})[1]["access_token"]
        clinician = c.call("POST", "/api/v1/auth/token", body)[1]["access_token"]
        status, reg, _ = c.call("POST", "/api/v1/auth/register", {"email": "pat@bench.test", "password": PATIENT_PASSWORD})
        assert status == 201, (status, reg)
        patient = reg["access_token"]
        with open(os.path.join(ROOT, "tests", "fixtures", "fibromyalgia.json")) as f:
            fixture = json.load(f)
        status, profile, _ = c.call("POST", "/api/v1/patients", fixture["profile"], patient)
        assert status == 201, (status, profile)
        rows = {}
        key = {"Idempotency-Key": "bench-replay-1"}
        status, _, _ = c.call("POST", "/api/v1/intakes", {"sections": {}}, patient, key)
        assert status == 201, status
        before = audit_rows(db)
        status, _, _ = c.call("POST", "/api/v1/intakes", {"sections": {}}, patient, key)
        rows["create_replayed"] = {"status": status, "audit_rows": audit_rows(db) - before}
        before = audit_rows(db)
        status, page, _ = c.call("GET", "/api/v1/users?role=patient", None, admin)
        rows["list_patient_users"] = {"status": status, "items": len(page["items"]), "audit_rows": audit_rows(db) - before}
        status, draft, _ = c.call("POST", "/api/v1/intakes", {"patient_id": profile["id"]}, clinician)
        assert status == 201, (status, draft)
        before = audit_rows(db)
        status, _, _ = c.call("POST", f"/api/v1/intakes/{draft['id']}/submit", None, clinician)
        rows["refused_staff_submit"] = {"status": status, "audit_rows": audit_rows(db) - before}
        result["disclosure_audit_rows"] = rows
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
