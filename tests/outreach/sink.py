#!/usr/bin/env python3
"""Receivers for the outbox tests, written by others than us: a real SMTP server (aiosmtpd) and
an HTTP endpoint that checks Standard Webhooks signatures with the `standardwebhooks` library.

  sink.py smtp [--fail-first N]
  sink.py http (--secret whsec_... | --secret-file PATH) [--fail-first N]

Prints `PORT <n>` once listening, then one JSON line per message received (stdout), until
killed. `--fail-first N` refuses the first N deliveries (SMTP 451, HTTP 503). `--secret-file`
holds one secret a line, read on every request (a test writes it once the server has made the
secret); each request reports which of them verify its signature.
"""
import argparse
import email
import email.policy
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
received = 0


def emit(record):
    with lock:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def should_fail(limit):
    global received
    with lock:
        received += 1
        return received <= limit


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp(args):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if should_fail(args.fail_first):
                return "451 4.3.0 try again later"
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            plain = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            emit({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "from": str(msg["From"]),
                "to": str(msg["To"]),
                "subject": str(msg["Subject"]),
                "message_id": str(msg["Message-ID"]),
                "text": plain.get_content() if plain else None,
                "html": html.get_content() if html else None,
                "raw": envelope.content.decode("utf-8", "replace"),
            })
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"PORT {port}", flush=True)
    while True:
        time.sleep(3600)


def http(args):
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    def secrets():
        if args.secret_file:
            try:
                with open(args.secret_file) as f:
                    return [line.strip() for line in f if line.strip()]
            except FileNotFoundError:
                return []
        return [args.secret]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified_by = []
            for i, secret in enumerate(secrets()):
                try:
                    Webhook(secret).verify(body, headers)
                    verified_by.append(i)
                except WebhookVerificationError:
                    pass
            if should_fail(args.fail_first):
                self.send_response(503)
                self.end_headers()
                return
            emit({
                "verified": bool(verified_by),
                "verified_by": verified_by,
                "webhook_id": headers.get("webhook-id"),
                "body": json.loads(body or b"null"),
            })
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["smtp", "http"])
    p.add_argument("--secret")
    p.add_argument("--secret-file")
    p.add_argument("--fail-first", type=int, default=0)
    args = p.parse_args()
    smtp(args) if args.kind == "smtp" else http(args)


if __name__ == "__main__":
    main()
