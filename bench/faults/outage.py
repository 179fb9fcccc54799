#!/usr/bin/env python3
"""PostgreSQL outage under load, through a TCP proxy we can cut: requests fail fast with a 503
problem (nothing hangs past DB_TIMEOUT_MS), /ready says so, and service resumes by itself when
the database is back, with no acknowledged write lost.

    python3 bench/faults/outage.py [--down 8] [--bin-dir target/release]
"""
import argparse
import json
import socket
import sys
import tempfile
import threading
import time

from common import Client, Database, Server, fixture_sections, pg_url, seed

TIMEOUT_MS = 2000


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        self.port = None
        self.up = threading.Event()
        self.conns = []
        self.lock = threading.Lock()
        self.listener = None
        self.start()

    def start(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        self.up.set()
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while self.up.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.up.clear()
        # close() alone does not wake a thread blocked in accept() on Linux; shutdown() does.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.conns = []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--down", type=float, default=8.0, help="seconds the database stays unreachable")
    p.add_argument("--bin-dir")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="outage-")
    db = Database("postgres", work)
    proxy = Proxy()
    try:
        data = seed(args.bin_dir, db.url, work, intakes=300, drafts=2000)
        url = pg_url(db.name, f"127.0.0.1:{proxy.port}")
        server = Server(args.bin_dir, url, 18860, work, {"DB_TIMEOUT_MS": str(TIMEOUT_MS), "DB_POOL_SIZE": "8"})
        server.start()
        token, sections = data["clinician_token"], fixture_sections()
        phase = ["before"]
        stats = {k: {"ok": 0, "503": 0, "other": [], "max_s": 0.0} for k in ("before", "down", "after")}
        acked = []
        stop = threading.Event()
        drafts = iter(data["draft_ids"])
        lock = threading.Lock()

        def worker(n):
            c = Client(server.port, token, timeout=30)
            while not stop.is_set():
                try:
                    if n % 2:
                        status, headers, body, secs = c.request("GET", f"/api/v1/intakes/{data['submitted_ids'][0]}")
                    else:
                        with lock:
                            draft = next(drafts)
                        status, headers, body, secs = c.request("POST", f"/api/v1/intakes/{draft}/submit")
                        if status == 200:
                            acked.append((draft, body))
                except StopIteration:
                    return
                s = stats[phase[0]]
                s["max_s"] = max(s["max_s"], secs)
                if 200 <= status < 300:
                    s["ok"] += 1
                elif status == 503 and headers.get("content-type") == "application/problem+json" and body["type"] == "/problems/unavailable":
                    s["503"] += 1
                else:
                    s["other"].append(status)
                time.sleep(0.005)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        time.sleep(3)
        phase[0] = "down"
        cut_at = time.monotonic()
        proxy.cut()
        ready_down = None
        while time.monotonic() - cut_at < args.down:
            status, _, body, secs = Client(server.port, timeout=10).request("GET", "/ready")
            if status == 503 and ready_down is None:
                ready_down = time.monotonic() - cut_at
            time.sleep(0.2)
        phase[0] = "after"
        proxy.start()
        back_at = time.monotonic()
        recovered = None
        while time.monotonic() - back_at < 30:
            status, _, _, _ = Client(server.port, timeout=10).request("GET", "/ready")
            if status == 200:
                recovered = time.monotonic() - back_at
                break
            time.sleep(0.1)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join()
        # No acknowledged write lost.
        c = Client(server.port, token)
        lost = [d for d, body in acked if c.request("GET", f"/api/v1/intakes/{d}")[2].get("submission_count", 0) < 1]
        server.stop()
        result = {
            "requests": {k: {"2xx": v["ok"], "503_problem": v["503"], "other": len(v["other"]), "max_latency_s": round(v["max_s"], 3)} for k, v in stats.items()},
            "ready_503_after_s": ready_down and round(ready_down, 2),
            "recovered_after_s": recovered and round(recovered, 2),
            "acknowledged_writes": len(acked),
            "lost": len(lost),
            "db_timeout_ms": TIMEOUT_MS,
        }
        print(json.dumps(result, indent=2))
        ok = (not lost and not stats["down"]["other"] and stats["down"]["503"] > 0 and stats["down"]["max_s"] < TIMEOUT_MS / 1000 + 1.5
              and ready_down is not None and ready_down < 2.5 and recovered is not None and stats["after"]["ok"] > 0)
        sys.exit(0 if ok else 1)
    finally:
        proxy.cut()
        db.drop()


if __name__ == "__main__":
    main()
