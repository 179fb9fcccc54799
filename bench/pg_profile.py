#!/usr/bin/env python3
"""Where a PostgreSQL scenario spends the database's time, per request.

Seeds a PostgreSQL database once (kept between runs in bench/out/pgprof, so before/after
comparisons use the same data), starts the release server on it, resets pg_stat_statements,
runs one wrk scenario and prints, per HTTP request: each statement's calls, execution and
planning time, rows and buffers, plus transactions and WAL bytes.

    python3 bench/pg_profile.py worklist --connections 4
    python3 bench/pg_profile.py get_intake --connections 16 --binary /path/to/other/intake-api
    python3 bench/pg_profile.py --reseed worklist       # drop the kept database and seed again

Needs `shared_preload_libraries = 'pg_stat_statements'` in the server (restart), and for the
planning column `pg_stat_statements.track_planning = on`.
"""

import argparse
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the benchmark's own helpers: psql, wrk, seeding inputs)

DIR = os.path.join(run.OUT, "pgprof")
DB = "intake_pgprof"


def seed(args):
    run.psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    os.makedirs(DIR, exist_ok=True)
    secret = "pgprof-" + os.urandom(24).hex()
    with open(f"{DIR}/secret", "w") as f:
        f.write(secret)
    # The data key the kept database is sealed with: every later run must start with it.
    with open(f"{DIR}/data_keys", "w") as f:
        f.write(run.DATA_KEYS)
    run.psql(f"CREATE DATABASE {DB}")
    env = {**os.environ, **server_env(args, secret)}
    run.sh([args.seed_binary, "seed", "--intakes", str(args.intakes), "--drafts", str(args.drafts), "--courses",
            str(args.courses), "--out", f"{DIR}/seed.json", "--fixtures", f"{run.ROOT}/tests/fixtures"], env=env)
    with open(f"{DIR}/seed.json") as f:
        run.prepare_inputs(DIR, json.load(f))
    run.psql("VACUUM ANALYZE", run.db_url(DB))


def data_keys():
    with open(f"{DIR}/data_keys") as f:
        return f.read()


def server_env(args, secret):
    return {"APP_ENV": "production", "JWT_SECRET": secret, "DATA_KEYS": data_keys(), "DATABASE_URL": run.db_url(DB), "BIND_ADDR": "127.0.0.1:18802",
            "RUST_LOG": "warn", "LOG_FORMAT": "json", "DB_POOL_SIZE": str(args.pool), "BENCH_DIR": DIR,
            "JWT_TTL_SECONDS": "86400", "REQUIRE_STAFF_MFA": "false"}


STATS = """
SELECT calls, total_exec_time, total_plan_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,
       wal_bytes, regexp_replace(query, '\\s+', ' ', 'g')
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '{db}')
ORDER BY total_exec_time + total_plan_time DESC LIMIT {n}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", help="a wrk script of bench/lua (get_intake, worklist, courses, ...)")
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--pool", type=int, default=4)
    p.add_argument("--binary", default=f"{run.ROOT}/target/release/intake-api")
    p.add_argument("--seed-binary", default=f"{run.ROOT}/target/release/intake-seed")
    p.add_argument("--intakes", type=int, default=100_000)
    p.add_argument("--drafts", type=int, default=40_000)
    p.add_argument("--courses", type=int, default=20_000)
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args()
    os.chdir(run.ROOT)
    run.ensure_tools()
    if run.psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'").strip() == "0":
        run.psql("CREATE EXTENSION pg_stat_statements")
    if args.reseed or not os.path.exists(f"{DIR}/secret") or not os.path.exists(f"{DIR}/data_keys") or \
            run.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'").strip() == "0":
        seed(args)
    secret = open(f"{DIR}/secret").read()
    env = server_env(args, secret)
    log = open(f"{DIR}/server.log", "w")
    server = subprocess.Popen([args.binary], env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        run.wait_http("http://127.0.0.1:18802/ready")
        # Warm the caches and the pool, then measure from a clean slate.
        run.wrk(args.scenario, 18802, 3, args.connections, min(2, args.connections), env)
        run.psql("SELECT pg_stat_statements_reset()")
        before, cpu_before = db_counters(), busy_ticks()
        r = run.wrk(args.scenario, 18802, args.duration, args.connections, min(2, args.connections), env)
        after, cpu_after = db_counters(), busy_ticks()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    n = r["requests"]
    lat = r["latency_us"]
    print(f"{args.scenario}, {args.connections} connections, {args.duration} s: {r['rps']:.0f} req/s, "
          f"p50 {lat['p50'] / 1000:.2f} ms, p99 {lat['p99'] / 1000:.2f} ms, errors {r['errors_total']}")
    commits = after[0] - before[0]
    wal = after[1] - before[1]
    cpu_us = (cpu_after - cpu_before) / os.sysconf("SC_CLK_TCK") * 1e6
    print(f"per request: {commits / n:.2f} transactions committed, {wal / n:.0f} WAL bytes, "
          f"{cpu_us / n:.0f} µs of the machine's CPU (server, database and wrk; steal excluded)")
    print()
    print("calls/req  exec ms/call  plan ms/call  db ms/req  rows/call  blks hit/call  read/call  dirtied/call  WAL B/call  statement")
    rows = run.psql(STATS.format(db=DB, n=args.top)).splitlines()
    for line in rows:
        calls, exec_ms, plan_ms, nrows, hit, read, dirtied, walb, query = line.split("|", 8)
        calls = int(calls)
        exec_ms, plan_ms = float(exec_ms), float(plan_ms)
        print(f"{calls / n:9.2f}  {exec_ms / calls:12.3f}  {plan_ms / calls:12.3f}  {(exec_ms + plan_ms) / n:9.3f}  "
              f"{int(nrows) / calls:9.1f}  {int(hit) / calls:13.1f}  {int(read) / calls:9.1f}  {int(dirtied) / calls:12.1f}  "
              f"{float(walb) / calls:10.0f}  {query[:160]}")


def busy_ticks():
    """CPU time the machine spent busy (user, nice, system, irq, softirq), in clock ticks: a cost
    per request that holds when the host steals time, unlike the request rate."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(fields[0:3]) + fields[5] + fields[6]


def db_counters():
    out = run.psql(f"SELECT xact_commit, pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_database WHERE datname = '{DB}'")
    commits, wal = out.strip().split("|")
    return int(commits), float(wal)


if __name__ == "__main__":
    main()
