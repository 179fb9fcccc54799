"""Helpers for the fault scripts: servers, a small HTTP client, seeding, database queries."""
import base64
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SECRET = "faults-" + os.urandom(24).hex()
DATA_KEYS = "k1:" + base64.b64encode(os.urandom(32)).decode()


def binary(name, override=None):
    path = override or os.path.join(ROOT, "target", "release", name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: run `cargo build --release --bins` (or pass --bin-dir)")
    return path


def psql(sql, url=PG_ADMIN):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, text=True, capture_output=True).stdout


def pg_url(name, host_port="127.0.0.1:5432"):
    user = PG_ADMIN.split("//", 1)[1].split("@", 1)[0]
    return f"postgres://{user}@{host_port}/{name}"


class Database:
    """A fresh database for one run: a SQLite file or a PostgreSQL database."""

    def __init__(self, backend, workdir):
        self.backend = backend
        if backend == "sqlite":
            self.path = os.path.join(workdir, "intake.db")
            self.url = f"sqlite://{self.path}"
        else:
            self.name = f"intake_faults_{os.getpid()}_{int(time.time() * 1000)}"
            psql(f"CREATE DATABASE {self.name}")
            self.url = pg_url(self.name)

    def query(self, sql):
        """Rows as lists of strings."""
        if self.backend == "sqlite":
            con = sqlite3.connect(self.path)
            try:
                return [[str(c) if c is not None else "" for c in row] for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = psql(sql, self.url)
        return [line.split("|") for line in out.splitlines() if line]

    def drop(self):
        if self.backend == "postgres":
            psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Server:
    def __init__(self, bin_dir, db_url, port, workdir, extra_env=None):
        self.port = port
        self.env = {**os.environ, "APP_ENV": "production", "JWT_SECRET": SECRET, "DATA_KEYS": DATA_KEYS,
                    "DATABASE_URL": db_url, "BIND_ADDR": f"127.0.0.1:{port}", "RUST_LOG": "warn", "LOG_FORMAT": "json",
                    # The seeded clinician has no second factor (production requires one by default).
                    "REQUIRE_STAFF_MFA": "false", **(extra_env or {})}
        self.bin = binary("intake-api", bin_dir and os.path.join(bin_dir, "intake-api"))
        self.log = open(os.path.join(workdir, f"server-{port}.log"), "a")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.bin], env=self.env, stdout=self.log, stderr=self.log)
        end = time.time() + 30
        while time.time() < end:
            try:
                status, _, _, _ = Client(self.port).request("GET", "/health")
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)


class Client:
    """One keep-alive connection."""

    def __init__(self, port, token=None, timeout=15):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        h = {"accept": "application/json"}
        if self.token:
            h["authorization"] = f"Bearer {self.token}"
        if body is not None:
            h["content-type"] = "application/json"
            body = json.dumps(body)
        h.update(headers or {})
        started = time.monotonic()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=h)
                res = self.conn.getresponse()
                data = res.read()
                elapsed = time.monotonic() - started
                try:
                    parsed = json.loads(data) if data else None
                except ValueError:
                    parsed = data.decode(errors="replace")
                return res.status, {k.lower(): v for k, v in res.getheaders()}, parsed, elapsed
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def seed(bin_dir, db_url, workdir, intakes=500, drafts=3000, patients=200):
    out = os.path.join(workdir, "seed.json")
    # The seeded clinician token must outlive the scenario (access tokens default to 15 min).
    env = {**os.environ, "APP_ENV": "production", "JWT_SECRET": SECRET, "DATA_KEYS": DATA_KEYS, "DATABASE_URL": db_url,
           "JWT_TTL_SECONDS": "86400"}
    subprocess.run([binary("intake-seed", bin_dir and os.path.join(bin_dir, "intake-seed")), "seed", "--intakes", str(intakes),
                    "--drafts", str(drafts), "--patients", str(patients), "--out", out,
                    "--fixtures", os.path.join(ROOT, "tests", "fixtures")], check=True, env=env, capture_output=True)
    with open(out) as f:
        return json.load(f)


def fixture_sections(name="fibromyalgia"):
    """A fixture's sections as a clinician's phone intake (the scripts act as a clinician)."""
    with open(os.path.join(ROOT, "tests", "fixtures", f"{name}.json")) as f:
        sections = json.load(f)["sections"]
    sections["consent"]["signer_role"] = "staff_on_behalf"
    return sections
