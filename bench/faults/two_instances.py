#!/usr/bin/env python3
"""Two server processes on one PostgreSQL, no proxy: concurrent conflicting PATCHes with the same
If-Match, and idempotent submits and creates with the same key, spread over both instances →
exactly one winner per version, one record per idempotency key. Each round also reads intakes
and worklist pages on both instances while the other round's writes append to the audit chain
(each instance's audit writer appends where it left the chain, or after whoever appended since):
every read answers 200 and `intake-api audit verify` finds the chain intact at the end.

    python3 bench/faults/two_instances.py [--rounds 20] [--bin-dir target/release]
"""
import argparse
import json
import subprocess
import sys
import tempfile
import threading
import uuid

from common import Client, Database, Server, binary, fixture_sections, seed


def parallel(calls):
    out = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i, fn):
        barrier.wait()
        out[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--writers", type=int, default=20)
    p.add_argument("--bin-dir")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="two-")
    db = Database("postgres", work)
    servers = []
    try:
        data = seed(args.bin_dir, db.url, work, intakes=100, drafts=args.rounds * 2 + 10)
        servers = [Server(args.bin_dir, db.url, port, work) for port in (18870, 18871)]
        for s in servers:
            s.start()
        token = data["clinician_token"]
        sections = fixture_sections()
        clients = lambda: [Client(servers[i % 2].port, token) for i in range(args.writers)]
        problems = []
        drafts = iter(data["draft_ids"])
        patch_rounds = submit_rounds = create_rounds = reads = 0
        submitted = data["submitted_ids"]
        for r in range(args.rounds):
            # Reads on both instances at once with creates: two audit writers and the creates'
            # transactions all append to one chain.
            cs = clients()
            calls = []
            for i, c in enumerate(cs):
                if i % 4 == 3:
                    calls.append(lambda c=c: c.request("POST", "/api/v1/intakes", {"patient_id": data["patient_ids"][-1], "sections": {}}))
                elif i % 4 == 2:
                    calls.append(lambda c=c: c.request("GET", "/api/v1/intakes?status=submitted&limit=5"))
                else:
                    calls.append(lambda c=c, i=i: c.request("GET", f"/api/v1/intakes/{submitted[(r * args.writers + i) % len(submitted)]}"))
            statuses = [s for s, _, _, _ in parallel(calls)]
            if any(s not in (200, 201) for s in statuses):
                problems.append(f"read round {r}: statuses {sorted(statuses)}")
            reads += sum(1 for i in range(len(cs)) if i % 4 != 3)
            # Conflicting PATCHes on one version.
            draft = next(drafts)
            version = Client(servers[0].port, token).request("GET", f"/api/v1/intakes/{draft}")[2]["version"]
            cs = clients()
            results = parallel([lambda c=c, i=i: c.request("PATCH", f"/api/v1/intakes/{draft}",
                                                           {"sections": {"logistics": {**sections["logistics"], "goals": {"domains": ["improve_sleep"], "concerns": f"writer {i}"}}}},
                                                           {"if-match": f'"{version}"'}) for i, c in enumerate(cs)])
            statuses = sorted(s for s, _, _, _ in results)
            winners = [i for i, (s, _, _, _) in enumerate(results) if s == 200]
            if len(winners) != 1 or any(s not in (200, 412) for s in statuses):
                problems.append(f"patch round {r}: statuses {statuses}")
            else:
                stored = Client(servers[1].port, token).request("GET", f"/api/v1/intakes/{draft}")[2]
                if stored["version"] != version + 1 or stored["sections"]["logistics"]["goals"]["concerns"] != f"writer {winners[0]}":
                    problems.append(f"patch round {r}: stored state is not the winner's")
            patch_rounds += 1
            # Idempotent submits with one key across both instances.
            draft = next(drafts)
            key = str(uuid.uuid4())
            results = parallel([lambda c=c: c.request("POST", f"/api/v1/intakes/{draft}/submit", None, {"idempotency-key": key}) for c in clients()])
            bodies = {json.dumps(b, sort_keys=True) for s, _, b, _ in results if s == 200}
            subs = Client(servers[0].port, token).request("GET", f"/api/v1/intakes/{draft}/submissions")[2]
            if len(bodies) != 1 or any(s != 200 for s, _, _, _ in results) or len(subs) != 1:
                problems.append(f"submit round {r}: statuses {sorted(s for s, _, _, _ in results)}, {len(bodies)} distinct bodies, {len(subs)} submissions")
            submit_rounds += 1
            # Idempotent creates with one key.
            key = str(uuid.uuid4())
            pid = data["patient_ids"][r]
            results = parallel([lambda c=c: c.request("POST", "/api/v1/intakes", {"patient_id": pid, "sections": {}}, {"idempotency-key": key}) for c in clients()])
            ids = {b["id"] for s, _, b, _ in results if s == 201}
            if len(ids) != 1 or any(s != 201 for s, _, _, _ in results):
                problems.append(f"create round {r}: statuses {sorted(s for s, _, _, _ in results)}, {len(ids)} distinct intakes")
            n = db.query(f"SELECT COUNT(*) FROM idempotency_keys WHERE key = '{key}'")[0][0]
            if n != "1":
                problems.append(f"create round {r}: {n} key rows")
            create_rounds += 1
        verify = subprocess.run([binary("intake-api", args.bin_dir and f"{args.bin_dir}/intake-api"), "audit", "verify"],
                                env=servers[0].env, capture_output=True, text=True)
        try:
            report = json.loads(verify.stdout)
        except ValueError:
            report = {"intact": False, "problem": verify.stderr.strip()[-300:]}
        if verify.returncode != 0 or not report.get("intact"):
            problems.append(f"audit chain: {report}")
        result = {"patch_rounds": patch_rounds, "submit_rounds": submit_rounds, "create_rounds": create_rounds,
                  "reads": reads, "writers_per_round": args.writers, "requests": 4 * args.rounds * args.writers,
                  "audit_events_verified": report.get("events"), "audit_chain_intact": report.get("intact"),
                  "problems": problems}
        print(json.dumps(result, indent=2))
        sys.exit(1 if problems else 0)
    finally:
        for s in servers:
            s.stop()
        db.drop()


if __name__ == "__main__":
    main()
