"""The demo's mail and webhook catcher: what Meshport's notifications look like when they arrive. aiosmtpd receives
every email (any sender, any recipient), and an HTTP server receives webhooks at /webhooks/<name>, verifying each
Standard Webhooks signature with the official `standardwebhooks` library (not Meshport's code). A small read-only
page lists what arrived, every text escaped; /messages gives the same as JSON.

    python catcher.py --smtp-port 2525 --http-port 8025 --secret whsec_...

A port of 0 takes a free one. It prints `smtp N http M` once both listen on 127.0.0.1. Only the newest
MAX_KEPT emails and webhooks are kept, in memory.
"""

import argparse
import html
import json
import socket
import threading
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_KEPT = 200
MAX_BODY = 1024 * 1024

lock = threading.Lock()
mails = []
webhooks = []
secrets = []


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def keep(items, item):
    with lock:
        items.append(item)
        del items[:-MAX_KEPT]


class Mailbox:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        text = message.get_body(preferencelist=("plain",))
        keep(mails, {
            "received_at": now(),
            "from": str(message.get("From", envelope.mail_from)),
            "to": list(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "text": text.get_content() if text is not None else "",
            "html": message.get_body(preferencelist=("html",)) is not None,
        })
        return "250 Message accepted for delivery"


def verify(body, headers):
    """The event if some secret verifies the signature, else None and why not."""
    error = "no secret to verify with"
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers), None
        except WebhookVerificationError as e:
            error = str(e)
    return None, error


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Meshport demo catcher</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2rem; }}
th, td {{ text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }}
pre {{ white-space: pre-wrap; margin: 0; max-height: 12rem; overflow: auto; }}
.yes {{ color: #116329; }} .no {{ color: #b42318; font-weight: bold; }}
</style></head><body>
<h1>Meshport demo catcher</h1>
<p>What Meshport's notifications sent to the demo teams, newest first (this page reloads every 5 s;
<a href="/messages">JSON</a>).</p>
<h2>Emails ({mail_count})</h2>
<table><tr><th>Received</th><th>To</th><th>Subject</th><th>Text</th></tr>{mail_rows}</table>
<h2>Webhooks ({webhook_count})</h2>
<table><tr><th>Received</th><th>Receiver</th><th>Signature</th><th>Event</th></tr>{webhook_rows}</table>
</body></html>
"""


def page():
    e = html.escape
    with lock:
        kept_mails, kept_webhooks = list(mails), list(webhooks)
    mail_rows = "".join(
        f"<tr><td>{e(m['received_at'])}</td><td>{e(', '.join(m['to']))}</td><td>{e(m['subject'])}</td>"
        f"<td><pre>{e(m['text'])}</pre></td></tr>" for m in reversed(kept_mails))
    webhook_rows = "".join(
        f"<tr><td>{e(w['received_at'])}</td><td>{e(w['name'])}</td>"
        + (f"<td class=\"yes\">verified</td>" if w["verified"]
           else f"<td class=\"no\">NOT verified: {e(w['error'] or '')}</td>")
        + f"<td><pre>{e(json.dumps(w['event'], indent=2, ensure_ascii=False))}</pre></td></tr>"
        for w in reversed(kept_webhooks))
    return PAGE.format(mail_count=len(kept_mails), mail_rows=mail_rows, webhook_count=len(kept_webhooks),
                       webhook_rows=webhook_rows)


class Catcher(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="text/plain; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # The page runs no script and loads nothing: only its own inline style.
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            return self.answer(200, page().encode(), "text/html; charset=utf-8")
        if self.path == "/messages":
            with lock:
                body = json.dumps({"mails": mails, "webhooks": webhooks}).encode()
            return self.answer(200, body, "application/json")
        self.answer(404, b"not found")

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "webhooks" or not parts[1]:
            return self.answer(404, b"not found")
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_BODY:
            return self.answer(413, b"too large")
        body = self.rfile.read(length)
        event, error = verify(body, dict(self.headers.items()))
        if event is None:
            try:
                event = json.loads(body)
            except ValueError:
                event = body.decode("utf-8", "replace")
        keep(webhooks, {
            "received_at": now(),
            "name": parts[1],
            "webhook_id": self.headers.get("webhook-id"),
            "verified": error is None,
            "error": error,
            "event": event,
        })
        # An unverified webhook is refused, as a receiver should: Meshport then retries it.
        self.answer(204 if error is None else 401)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, default=2525)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--secret", action="append", default=[], help="whsec_... a webhook may be signed with")
    args = parser.parse_args()
    secrets.extend(args.secret)
    # aiosmtpd's controller checks it is up by connecting to its port, so it needs a real one, not 0.
    smtp_port = args.smtp_port or free_port()
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer(("127.0.0.1", args.http_port), Catcher)
    print(f"smtp {smtp_port} http {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
