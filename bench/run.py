#!/usr/bin/env python3
"""Benchmarks the release build on SQLite and PostgreSQL and writes bench/RESULTS.md.

    python3 bench/run.py [--duration 15] [--connections 16] [--intakes 100000] [--skip-build]

For each backend: a fresh database, 100k seeded intakes, the server started as in production
(APP_ENV=production, JSON logs at info), then wrk (a second process, loopback) drives:
  1 GET /health (the framework's own limit), 2 GET an intake (auth + read + audited),
  3 a full intake as its three requests: a create with every section, a patch of every
  section, a submit; 4 a worklist page with two filters; 5 80% reads / 20% writes; 6 a check-in
  answered; 7 the course list with one filter (20k courses, about 100k check-ins).
Baselines measured in the same run: SQLite's durable commit rate with the service's pragmas
(intake-seed commit-rate), pgbench with a one-insert script at the same client count.
"""
import argparse
import base64
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
# PostgreSQL runs on this host, so the server reaches it as a same-host deployment would: over
# its Unix socket (no TCP, and no TLS, which libpq's default sslmode=prefer otherwise negotiates
# even on loopback). A remote database is reached over TCP with TLS; bench/NOTES.md has both.
PG_SOCKET = "/var/run/postgresql"
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL") or (
    f"postgres://postgres@/postgres?host={PG_SOCKET}" if os.path.exists(f"{PG_SOCKET}/.s.PGSQL.5432")
    else "postgres://postgres@127.0.0.1:5432/postgres")


def memory_mb():
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("MemTotal:")) // 1024


# PostgreSQL settings the run applies (ALTER SYSTEM, then a reload, or a restart for
# shared_buffers; put back afterwards): what the README's deployment notes recommend beyond
# Debian's defaults. At 1 GB of WAL the write scenarios set off a checkpoint every 10-30 s, and
# the reads that follow them log whole index pages again; with 128 MB of buffers the audit
# writer's backend evicts and writes dirty pages itself (bench/NOTES.md, issue 17).
MEMORY_MB = memory_mb()
PG_SETTINGS = {"shared_buffers": f"{MEMORY_MB // 4}MB", "effective_cache_size": f"{MEMORY_MB * 3 // 4}MB",
               "max_wal_size": "4GB"}
# BENCH_JWT_SECRET lets a later manual session reuse the seeded database and token in bench/out.
SECRET = os.environ.get("BENCH_JWT_SECRET") or "bench-" + os.urandom(24).hex()
# The data key the seeded database is sealed with (BENCH_DATA_KEYS to reuse one).
DATA_KEYS = os.environ.get("BENCH_DATA_KEYS") or "k1:" + base64.b64encode(os.urandom(32)).decode()


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, text=True, capture_output=True, **kw).stdout


def ensure_tools():
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    if not shutil.which("pgbench"):
        sys.exit("pgbench not found (Debian package postgresql-client)")


def build():
    t = time.time()
    subprocess.run(["cargo", "build", "--release", "--locked", "--bins"], cwd=ROOT, check=True)
    return time.time() - t


def psql(sql, url=PG_ADMIN):
    return sh(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])


def db_url(name):
    """PG_ADMIN with its database replaced by `name` (its query, e.g. `?host=/var/run/postgresql`, kept)."""
    u = urllib.parse.urlsplit(PG_ADMIN)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, f"/{name}", u.query, ""))


def proc_stats(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
    return cpu, rss, hwm


def rss_by_mapping(pid):
    """Resident MB per kind of mapping (anonymous memory, the SQLite files, the binary), largest first."""
    totals, name = {}, "[anon]"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", parts[0]):
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif parts[0] == "Rss:":
                totals[name] = totals.get(name, 0) + int(parts[1])
    return {k: round(v / 1024, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v >= 1024}


def wait_http(url, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def wrk(script, port, duration, connections, threads, env):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "-s", f"bench/lua/{script}.lua",
           f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, cwd=ROOT, check=True, text=True, capture_output=True, env={**os.environ, **env}).stdout
    line = next(l for l in out.splitlines() if l.startswith("JSON:"))
    r = json.loads(line[5:])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors_total"] = sum(r["errors"].values())
    return r


def prepare_inputs(bench_dir, seed):
    with open(os.path.join(ROOT, "tests", "fixtures", "fibromyalgia.json")) as f:
        fx = json.load(f)
    # A clinician fills these in for the patient (phone intake): the attestation is staff_on_behalf.
    fx["sections"]["consent"]["signer_role"] = "staff_on_behalf"
    with open(os.path.join(bench_dir, "token.txt"), "w") as f:
        f.write(seed["clinician_token"])
    with open(os.path.join(bench_dir, "submitted_ids.txt"), "w") as f:
        f.write("\n".join(seed["submitted_ids"]) + "\n")
    drafts = seed["draft_ids"]
    with open(os.path.join(bench_dir, "patch_ids.txt"), "w") as f:
        f.write("\n".join(drafts[:2000]) + "\n")
    with open(os.path.join(bench_dir, "submit_ids.txt"), "w") as f:
        f.write("\n".join(drafts[2000:]) + "\n")
    with open(os.path.join(bench_dir, "patch_body.json"), "w") as f:
        json.dump({"sections": fx["sections"]}, f, ensure_ascii=False)
    with open(os.path.join(bench_dir, "checkin_ids.txt"), "w") as f:
        f.write("\n".join(seed["checkin_ids"]) + "\n")
    phq9 = {str(i): v for i, v in enumerate([2, 2, 1, 1, 1, 1, 0, 0, 0], start=1)}
    side = {k: 0 for k in ["nausea", "vomiting", "dizziness", "headache", "drowsiness", "blurred_vision", "feeling_unreal",
                           "anxiety", "hallucinations", "bladder", "blood_in_urine", "other"]}
    side["nausea"] = 1
    with open(os.path.join(bench_dir, "checkin_body.json"), "w") as f:
        json.dump({"screenings": {"phq9": phq9, "pain_nrs": {"now": 5, "average": 5, "worst": 7},
                                  "peg": {"pain": 5, "enjoyment": 4, "activity": 4}, "ketamine_side_effects": side}}, f)
    with open(os.path.join(bench_dir, "create_bodies.jsonl"), "w") as f:
        for pid in seed["patient_ids"][:200]:
            f.write(json.dumps({"patient_id": pid, "sections": fx["sections"]}, ensure_ascii=False) + "\n")
    with open(os.path.join(bench_dir, "invite_bodies.jsonl"), "w") as f:
        for pid in seed["patient_ids"][:2000]:
            f.write(json.dumps({"patient_id": pid, "purpose": "intake", "channel": "sms"}) + "\n")


# (key, wrk script, title, connections: None = --connections)
SCENARIOS = [
    ("health", "health", "1. GET /health (framework limit)", None),
    ("get_intake", "get_intake", "2. GET /intakes/{id}, clinician (auth + read + audit)", None),
    ("create", "create", "3a. POST /intakes, every section", None),
    ("patch", "patch", "3b. PATCH /intakes/{id}, every section", None),
    ("submit", "submit", "3c. POST /intakes/{id}/submit", None),
    ("worklist", "worklist", "4. GET /intakes worklist, two filters, 100k intakes", None),
    ("worklist_c4", "worklist", "4'. the same worklist pages at 4 connections", 4),
    ("mix", "mix", "5. 80% reads / 20% writes", None),
    ("checkin_submit", "checkin_submit", "6. POST /checkins/{id}/submit (4 instruments)", None),
    ("courses_c4", "courses", "7. GET /courses, one filter, 20k courses, at 4 connections", 4),
    ("invite", "invite", "8. POST /invitations by SMS (invitation + outbox message, worker delivering)", None),
]

SMS_SECRET = "whsec_YmVuY2gtc21zLWdhdGV3YXktc2lnbmluZy1rZXktMDEyMzQ1"


def start_sms_gateway(bench_dir):
    """The SMS gateway the outbox delivers to: tests/outreach/sink.py (Python, verifying each
    signature with the standardwebhooks package); one JSON line per message in sms.jsonl."""
    out = open(f"{bench_dir}/sms.jsonl", "w")
    proc = subprocess.Popen([sys.executable, f"{ROOT}/tests/outreach/sink.py", "http", "--secret", SMS_SECRET],
                            stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(100):
        with open(f"{bench_dir}/sms.jsonl") as f:
            first = f.readline()
        if first.startswith("PORT "):
            return proc, int(first.split()[1])
        time.sleep(0.1)
    raise RuntimeError("the SMS gateway sink did not start (python3 -m pip install -r .ci/requirements.txt)")


def outbox_rate(bench_dir, env, gateway, workers, messages=2000):
    """intake-seed outbox-rate: messages/s the delivery worker(s) hand to the gateway."""
    cpu0, _, _ = proc_stats(gateway.pid)
    t0 = time.time()
    out = sh([f"{ROOT}/target/release/intake-seed", "outbox-rate", "--messages", str(messages), "--workers", str(workers)],
             env={**os.environ, **env})
    r = json.loads(out.strip().splitlines()[-1])
    cpu1, _, _ = proc_stats(gateway.pid)
    r["gateway_cpu_percent"] = 100 * (cpu1 - cpu0) / (time.time() - t0)
    print(f"[outbox] {workers} worker(s): {r['per_second']:.0f} messages/s ({r['sent']} sent, {r['failed']} failed), "
          f"gateway CPU {r['gateway_cpu_percent']:.0f}%", flush=True)
    return r


@contextlib.contextmanager
def pg_settings(settings):
    """Apply `settings` to the host's PostgreSQL for the run, then put back what was there."""
    before = {}
    for name in settings:
        row = psql(f"SELECT setting FROM pg_file_settings WHERE name = '{name}' AND applied "
                   "AND sourcefile LIKE '%postgresql.auto.conf'").strip()
        before[name] = row or None
        psql(f"ALTER SYSTEM SET {name} = '{settings[name]}'")
    apply_pg_settings()
    try:
        yield
    finally:
        for name, value in before.items():
            psql(f"ALTER SYSTEM RESET {name}" if value is None else f"ALTER SYSTEM SET {name} = '{value}'")
        apply_pg_settings()


def apply_pg_settings():
    """Reload; restart (Debian's pg_ctlcluster) when a changed setting needs it. pg_file_settings
    reads the files when asked, so it tells at once (a reload is asynchronous; pending_restart
    would only show once the server had processed it)."""
    psql("SELECT pg_reload_conf()")
    if psql("SELECT count(*) FROM pg_file_settings WHERE error = 'setting could not be applied'").strip() == "0":
        return
    version = psql("SHOW server_version_num").strip()[:2]
    print(f"[postgres] restarting cluster {version}/main for shared_buffers", flush=True)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    for _ in range(60):
        try:
            psql("SELECT 1")
            return
        except subprocess.CalledProcessError:
            time.sleep(0.5)
    sys.exit("PostgreSQL did not come back after the restart")


def run_backend(backend, args):
    bench_dir = os.path.join(OUT, backend)
    shutil.rmtree(bench_dir, ignore_errors=True)
    os.makedirs(bench_dir)
    port = 18800 if backend == "sqlite" else 18801
    if backend == "sqlite":
        url = f"sqlite://{bench_dir}/intake.db"
    else:
        name = f"intake_bench_{int(time.time())}"
        psql(f"CREATE DATABASE {name}")
        url = db_url(name)
    env = {"APP_ENV": "production", "JWT_SECRET": SECRET, "DATA_KEYS": DATA_KEYS, "DATABASE_URL": url, "BIND_ADDR": f"127.0.0.1:{port}",
           "RUST_LOG": "info", "LOG_FORMAT": "json", "DB_POOL_SIZE": str(args.pool), "BENCH_DIR": bench_dir,
           "BENCH_THREADS": str(args.threads),
           # The seeded clinician token must outlive a whole run (access tokens default to 15 min),
           # and the seeded clinician has no second factor (production requires one by default).
           "JWT_TTL_SECONDS": "86400", "REQUIRE_STAFF_MFA": "false"}
    gateway, gateway_port = start_sms_gateway(bench_dir)
    env.update({"SMS_WEBHOOK_URL": f"http://127.0.0.1:{gateway_port}/sms", "SMS_WEBHOOK_SECRET": SMS_SECRET,
                "CLINIC_NAME": "Bench Clinic", "OUTBOX_POLL_MS": "200"})
    result = {"backend": backend, "scenarios": {}}
    t = time.time()
    sh([f"{ROOT}/target/release/intake-seed", "seed", "--intakes", str(args.intakes), "--drafts", str(args.drafts),
        "--courses", str(args.courses), "--out", f"{bench_dir}/seed.json", "--fixtures", f"{ROOT}/tests/fixtures"], env={**os.environ, **env})
    result["seed_seconds"] = time.time() - t
    with open(f"{bench_dir}/seed.json") as f:
        seed = json.load(f)
    prepare_inputs(bench_dir, seed)

    # Baseline: the database's own durable write rate.
    if backend == "sqlite":
        out = sh([f"{ROOT}/target/release/intake-seed", "commit-rate", "--seconds", "5"],
                 env={**os.environ, "DATABASE_URL": f"sqlite://{bench_dir}/commit-rate.db"})
        result["baseline"] = {"name": "durable single-row commits/s (one writer, synchronous=FULL, WAL)",
                              "value": json.loads(out)["commits_per_second"]}
    else:
        scratch = f"intake_pgbench_{int(time.time())}"
        psql(f"CREATE DATABASE {scratch}")
        psql("CREATE TABLE bench_commit (id text, payload text)", db_url(scratch))
        with open(f"{bench_dir}/insert.sql", "w") as f:
            f.write("INSERT INTO bench_commit VALUES (md5(random()::text), repeat('x', 8192));\n")
        out = sh(["pgbench", "-n", "-c", str(args.connections), "-j", "2", "-T", "10", "-f", f"{bench_dir}/insert.sql",
                  db_url(scratch)])
        tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
        psql(f"DROP DATABASE {scratch} WITH (FORCE)")
        result["baseline"] = {"name": f"pgbench one-insert transactions/s at {args.connections} clients", "value": tps}

    # The outbox's delivery rate, before the server starts (its worker would share the messages).
    if "outbox" not in args.skip:
        result["outbox"] = [outbox_rate(bench_dir, env, gateway, w) for w in ((1,) if backend == "sqlite" else (1, 2))]

    log = open(f"{bench_dir}/server.log", "w")
    server = subprocess.Popen([f"{ROOT}/target/release/intake-api"], env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        wait_http(f"http://127.0.0.1:{port}/ready")
        for key, script, title, conns in SCENARIOS:
            if key in args.skip:
                continue
            # Each submit answers a record once. The seed has 38,000 drafts to submit but only one open
            # check-in per active course (about 5,600): at 1,200 answers/s a 10 s run ran out and
            # measured the 409s of answered ones, so check-ins get 5 s.
            duration = {"submit": min(args.duration, 10), "checkin_submit": min(args.duration, 5)}.get(key, args.duration)
            perf = None
            if key in args.perf:
                # Samples the server's call stacks while wrk runs; the report lands next to the raw output.
                perf = subprocess.Popen(["perf", "record", "-F", "199", "--call-graph", "dwarf,8192", "-p", str(server.pid), "-o",
                                         f"{bench_dir}/perf-{key}.data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
            cpu0, _, _ = proc_stats(server.pid)
            t0 = time.time()
            r = wrk(script, port, duration, conns or args.connections, min(args.threads, conns or args.connections), env)
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait()
                report_perf(f"{bench_dir}/perf-{key}")
            r["connections"] = conns or args.connections
            cpu1, rss, _ = proc_stats(server.pid)
            r["cpu_percent"] = 100 * (cpu1 - cpu0) / (time.time() - t0)
            r["rss_mb"] = rss
            r["rss_by_mapping_mb"] = rss_by_mapping(server.pid)
            r["title"] = title
            result["scenarios"][key] = r
            print(f"[{backend}] {title}: {r['rps']:.0f} req/s, p50 {r['latency_us']['p50']/1000:.2f} ms, "
                  f"p99 {r['latency_us']['p99']/1000:.2f} ms, errors {r['errors_total']}, cpu {r['cpu_percent']:.0f}%, rss {rss} MB",
                  flush=True)
        _, _, hwm = proc_stats(server.pid)
        result["peak_rss_mb"] = hwm
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
        gateway.kill()
        if backend == "postgres":
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return result


def report_perf(prefix):
    """Flat (self time) and inclusive profiles as text, for reading without perf installed."""
    for name, extra in (("self", ["--no-children"]), ("inclusive", ["--children"])):
        out = sh(["perf", "report", "-i", f"{prefix}.data", "--stdio", "--sort", "symbol", "-g", "none",
                  "--percent-limit", "0.5", *extra])
        with open(f"{prefix}-{name}.txt", "w") as f:
            f.write(out)
    print(f"profile: {prefix}-self.txt, {prefix}-inclusive.txt", flush=True)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = int(open("/proc/meminfo").read().split()[1]) // 1024 // 1024
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "kernel": platform.release(),
        "rustc": sh(["rustc", "--version"]).strip(), "wrk": sh("wrk -v 2>&1 | head -1 || true").strip(),
        "postgres": psql("SHOW server_version").strip(),
    }


def results_path(args):
    """Only a full run (every scenario, both backends, no profiler attached) replaces bench/RESULTS.md."""
    full = not args.skip and not args.perf and set(args.backends.split(",")) == {"sqlite", "postgres"}
    return os.path.join(ROOT, "bench", "RESULTS.md") if full else os.path.join(OUT, "RESULTS.partial.md")


def verdict(ok):
    return "met" if ok else "**missed**"


def report(results, args, m, build_seconds):
    lines = ["# Benchmark results", "",
             f"Generated by `python3 bench/run.py` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
             "## Machine and versions", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores; {m['memory_gib']} GiB RAM; Linux {m['kernel']}",
             f"- {m['rustc']}; {m['wrk']}; PostgreSQL {m['postgres']} (same machine); SQLite bundled with libsqlite3-sys",
             "- PostgreSQL settings: Debian's defaults (work_mem 4 MB, synchronous_commit on) except "
             + ", ".join(f"{k} = {v}" for k, v in PG_SETTINGS.items())
             + " (the README's deployment notes: a quarter and three quarters of the memory, a few GB of WAL; "
             "set by run.py for the run and put back after); reached over its Unix socket",
             f"- Server: release build, APP_ENV=production, JSON logs at info, {os.cpu_count()} HTTP workers, DB_POOL_SIZE={args.pool}",
             f"- Load: wrk, {args.threads} threads, {args.connections} connections, {args.duration} s per scenario "
             f"(submit: {min(args.duration, 10)} s, check-in submit: {min(args.duration, 5)} s), loopback; the load generator shares the 2 cores with the server "
             "(and PostgreSQL)", "",
             f"Seeded: {args.intakes} intakes (the four fixtures in rotation; 60% submitted, 15% in review, "
             f"10% approved, 5% declined, 5% needs_info, 5% draft) plus {args.drafts} complete drafts, 20,000 patients; "
             f"{args.courses} treatment courses on the approved intakes (4 sessions and 4–7 check-ins each). "
             f"Build took {build_seconds:.0f} s.", ""]
    for r in results:
        lines += [f"## {r['backend']}", "",
                  f"Baseline: {r['baseline']['name']}: **{r['baseline']['value']:.0f}**. Seeding took {r['seed_seconds']:.0f} s. "
                  f"Peak RSS of the server over the whole run: **{r['peak_rss_mb']} MB**.", "",
                  "| scenario | conns | req/s | p50 ms | p99 ms | max ms | errors | server CPU |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for key, _, _, _ in SCENARIOS:
            s = r["scenarios"].get(key)
            if not s:
                continue
            lat = s["latency_us"]
            lines.append(f"| {s['title']} | {s['connections']} | {s['rps']:.0f} | {lat['p50']/1000:.2f} | {lat['p99']/1000:.2f} | "
                         f"{lat['max']/1000:.1f} | {s['errors_total']} | {s['cpu_percent']:.0f}% |")
        sc = r["scenarios"]
        lines += ["", "Targets:", ""]
        if "health" in sc and "get_intake" in sc:
            ratio = sc["get_intake"]["rps"] / sc["health"]["rps"]
            lines.append(f"- (a) scenario 2 / scenario 1 = {ratio:.0%} (target ≥ 40%): {verdict(ratio >= 0.40)}")
        if "submit" in sc:
            ratio = sc["submit"]["rps"] / r["baseline"]["value"]
            if r["backend"] == "sqlite":
                lines.append(f"- (b) submits/s / durable commit rate = {ratio:.0%} (target ≥ 70%): {verdict(ratio >= 0.70)}")
            else:
                p99 = sc["submit"]["latency_us"]["p99"] / 1000
                lines.append(f"- (c) submits/s / pgbench = {ratio:.0%} (target ≥ 25%), submit p99 {p99:.1f} ms (target < 50 ms): "
                             f"{verdict(ratio >= 0.25 and p99 < 50)}")
        if {"create", "patch", "submit"} <= set(sc):
            flows = 1 / sum(1 / sc[k]["rps"] for k in ("create", "patch", "submit"))
            lines.append(f"- full intakes (create + patch + submit, one after another): {flows:.0f}/s")
        for key in ("worklist", "worklist_c4"):
            if key in sc:
                p99 = sc[key]["latency_us"]["p99"] / 1000
                lines.append(f"- (d) worklist p99 = {p99:.1f} ms at {args.intakes} intakes, {sc[key]['connections']} connections "
                             f"(target < 20 ms): {verdict(p99 < 20)}")
        if "checkin_submit" in sc and "submit" in sc:
            ratio = sc["checkin_submit"]["rps"] / sc["submit"]["rps"]
            lines.append(f"- (f) check-in submits/s / intake submits/s = {ratio:.0%} (target ≥ 80%): {verdict(ratio >= 0.80)}")
        if "courses_c4" in sc:
            p99 = sc["courses_c4"]["latency_us"]["p99"] / 1000
            lines.append(f"- (g) course list p99 = {p99:.1f} ms at {args.courses} courses, 4 connections (target < 20 ms): "
                         f"{verdict(p99 < 20)}")
        if "create" in sc and "invite" in sc:
            c50, i50 = sc["create"]["latency_us"]["p50"] / 1000, sc["invite"]["latency_us"]["p50"] / 1000
            lines.append(f"- (h) an invitation by SMS: {sc['invite']['rps']:.0f}/s, p50 {i50:.2f} ms, against 3a's draft with every "
                         f"section {sc['create']['rps']:.0f}/s, p50 {c50:.2f} ms")
        for o in r.get("outbox", []):
            lines.append(f"- (i) outbox delivery, {o['workers']} worker(s) on separate pools: **{o['per_second']:.0f} messages/s** "
                         f"to the local SMS gateway ({o['sent']} of {o['messages']} sent, {o['failed']} failed; the Python "
                         f"gateway at {o['gateway_cpu_percent']:.0f}% CPU)")
        lines.append(f"- (e) peak RSS = {r['peak_rss_mb']} MB (target < 100 MB): {verdict(r['peak_rss_mb'] < 100)}")
        lines.append("")
    lines += ["## How to reproduce", "", "```sh", "python3 bench/run.py            # both backends, ~15 minutes after the build", "```", "",
              "Raw wrk output and server logs are left in `bench/out/` (not committed). What these numbers mean, "
              "the profiling behind them and why some targets are missed: `bench/NOTES.md`."]
    with open(results_path(args), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"machine": m, "results": results}, f, indent=2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--intakes", type=int, default=100_000)
    p.add_argument("--drafts", type=int, default=40_000)
    p.add_argument("--courses", type=int, default=20_000)
    # The server's own default: twice the cores.
    p.add_argument("--pool", type=int, default=min(max(2 * (os.cpu_count() or 1), 2), 32))
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--skip", default="", help="comma-separated scenarios to skip")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--perf", default="", help="comma-separated scenarios to profile with `perf record`")
    args = p.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    args.perf = set(filter(None, args.perf.split(",")))
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)
    ensure_tools()
    build_seconds = 0 if args.skip_build else build()
    m = machine()
    with pg_settings(PG_SETTINGS):
        results = [run_backend(b, args) for b in args.backends.split(",")]
    report(results, args, m, build_seconds)
    print(open(results_path(args)).read())


if __name__ == "__main__":
    main()
