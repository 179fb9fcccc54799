#!/usr/bin/env python3
"""Crash safety: a write load, SIGKILL at a random moment, restart, and check that every write
that got a 2xx is present and intact and that nothing is half-written. 20 rounds per backend.

    python3 bench/faults/crash.py [--rounds 20] [--backends sqlite,postgres] [--bin-dir target/release]
"""
import argparse
import json
import queue
import random
import sys
import tempfile
import threading
import time

from common import Client, Database, Server, fixture_sections, seed

SENT_LOCK = threading.Lock()

STAFF_CHECKS = [
    # (description, SQL returning offending rows)
    ("submitted intakes without their submission rows",
     "SELECT i.id FROM intakes i WHERE i.submission_count <> (SELECT COUNT(*) FROM intake_submissions s WHERE s.intake_id = i.id)"),
    ("non-draft intakes without scores or assessment",
     "SELECT id FROM intakes WHERE status <> 'draft' AND (scores IS NULL OR assessment IS NULL OR submitted_at IS NULL)"),
    ("worklist rows for never-submitted intakes",
     "SELECT DISTINCT f.intake_id FROM intake_flags f JOIN intakes i ON i.id = f.intake_id WHERE i.submission_count = 0"),
    ("idempotency keys left in flight", "SELECT key FROM idempotency_keys WHERE status = 0"),
]


def load(port, token, drafts, patient_ids, sections, stop, acked, sent):
    """Half submits of seeded drafts (with idempotency keys), half new intakes, until stopped."""
    c = Client(port, token, timeout=10)
    while not stop.is_set():
        draft = None
        if random.random() < 0.5:
            try:
                draft = drafts.get_nowait()
            except queue.Empty:
                pass
        with SENT_LOCK:
            sent[0] += 1
        try:
            if draft:
                status, _, body, _ = c.request("POST", f"/api/v1/intakes/{draft}/submit",
                                               headers={"idempotency-key": f"crash-{draft}"})
                if 200 <= status < 300:
                    acked.append(("submit", draft, body))
            else:
                pid = random.choice(patient_ids)
                status, _, body, _ = c.request("POST", "/api/v1/intakes", {"patient_id": pid, "sections": sections})
                if status == 201:
                    acked.append(("create", body["id"], body))
        except Exception:
            # The server died under us: expected. The request may or may not have committed;
            # only acknowledged ones are checked.
            c = Client(port, token, timeout=10)
            time.sleep(0.01)


def run(backend, rounds, bin_dir):
    work = tempfile.mkdtemp(prefix=f"crash-{backend}-")
    db = Database(backend, work)
    port = 18850 if backend == "sqlite" else 18851
    try:
        data = seed(bin_dir, db.url, work, drafts=8000)
        token = data["clinician_token"]
        drafts = queue.Queue()
        for d in data["draft_ids"]:
            drafts.put(d)
        sections = fixture_sections()
        server = Server(bin_dir, db.url, port, work)
        all_acked, sent, problems = [], [0], []
        for r in range(rounds):
            server.start()
            stop = threading.Event()
            acked = []
            threads = [threading.Thread(target=load, args=(port, token, drafts, data["patient_ids"], sections, stop, acked, sent)) for _ in range(8)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.3, 2.0))
            server.kill()
            stop.set()
            for t in threads:
                t.join()
            all_acked.extend(acked)
            # Restart and check every acknowledged write.
            server.start()
            c = Client(port, token)
            for kind, ident, body in acked:
                status, _, got, _ = c.request("GET", f"/api/v1/intakes/{ident}")
                if status != 200:
                    problems.append(f"round {r}: acknowledged {kind} {ident} missing ({status})")
                    continue
                if got["sections"] != body["sections"]:
                    problems.append(f"round {r}: {kind} {ident} sections differ from what was acknowledged")
                if kind == "submit" and (got["status"] != "submitted" or got["submission_count"] < 1 or got["scores"] != body["scores"]):
                    problems.append(f"round {r}: submitted {ident} came back as {got['status']} with {got['submission_count']} submissions")
                action = "intake.submit" if kind == "submit" else "intake.create"
                if not db.query(f"SELECT id FROM audit_events WHERE resource_id = '{ident}' AND action = '{action}'"):
                    problems.append(f"round {r}: acknowledged {kind} {ident} has no audit event")
            for what, sql in STAFF_CHECKS:
                rows = db.query(sql)
                if rows:
                    problems.append(f"round {r}: {what}: {rows[:3]}")
            server.stop()
            print(f"[{backend}] round {r + 1}/{rounds}: killed after {len(acked)} acknowledged writes; all checked", flush=True)
        result = {"backend": backend, "rounds": rounds, "requests_sent": sent[0], "acknowledged_checked": len(all_acked),
                  "lost_or_damaged": len(problems), "problems": problems[:20]}
        print(json.dumps(result), flush=True)
        return result
    finally:
        db.drop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--bin-dir")
    args = p.parse_args()
    results = [run(b, args.rounds, args.bin_dir) for b in args.backends.split(",")]
    sys.exit(1 if any(r["lost_or_damaged"] for r in results) else 0)


if __name__ == "__main__":
    main()
