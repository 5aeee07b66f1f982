"""A webhook receiver for Meshport's notification tests: it verifies every request's Standard Webhooks signature
with the official `standardwebhooks` library (not Meshport's code) and behaves as a healthy, flaky or failing
receiver would, keeping what it saw for the test to read.

    python webhook_receiver.py --secret old=whsec_... --secret new=whsec_...

It prints `port N` once listening on 127.0.0.1. Requests:

    POST /<secret>/ok/<name>      verify with that secret; 2xx, deduplicating by webhook-id as a receiver should
    POST /<secret>/flaky/<name>   503 for the first two attempts of each webhook-id, then as `ok`
    POST /<secret>/down/<name>    500 until POST /heal/<name>, then as `ok`
    POST /unsigned/ok/<name>      no signature expected (Slack and Teams incoming webhooks); 2xx
    POST /redirect/<host>/<path>  307 to http://<host>:<this port>/<path>
    POST /heal/<name>             heals a `down` receiver
    GET  /requests                every request seen, as JSON
"""

import argparse
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

lock = threading.Lock()
seen = []
attempts = Counter()
accepted = set()
healed = set()
secrets = {}


class Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/requests":
            return self.answer(404)
        with lock:
            body = json.dumps(seen).encode()
        self.answer(200, body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = self.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "redirect":
            with lock:
                seen.append({"path": self.path, "status": 307})
            self.send_response(307)
            port = self.server.server_address[1]
            self.send_header("Location", f"http://{parts[1]}:{port}/" + "/".join(parts[2:]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if len(parts) == 2 and parts[0] == "heal":
            with lock:
                healed.add(parts[1])
            return self.answer(200)
        if len(parts) != 3 or (parts[0] not in secrets and parts[0] != "unsigned") \
                or parts[1] not in ("ok", "flaky", "down"):
            return self.answer(404)
        secret, behaviour, name = parts
        record = {
            "path": self.path,
            "webhook_id": self.headers.get("webhook-id"),
            "webhook_timestamp": self.headers.get("webhook-timestamp"),
            "content_type": self.headers.get("Content-Type"),
        }
        if secret == "unsigned":
            record["event"] = json.loads(body)
            record["verified"] = True
        else:
            try:
                record["event"] = Webhook(secrets[secret]).verify(body, dict(self.headers.items()))
                record["verified"] = True
            except WebhookVerificationError as error:
                record["verified"] = False
                record["error"] = str(error)
        with lock:
            key = (self.path, record["webhook_id"])
            attempts[key] += 1
            if not record["verified"]:
                status = 401
            elif behaviour == "flaky" and attempts[key] <= 2:
                status = 503
            elif behaviour == "down" and name not in healed:
                status = 500
            else:
                # Idempotency as receivers are told to do it: a webhook-id already taken is answered 200, not
                # acted on again.
                record["duplicate"] = key in accepted
                accepted.add(key)
                status = 200
            record["status"] = status
            seen.append(record)
        self.answer(status, b"receiver is down" if status == 500 else b"")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", action="append", default=[], help="NAME=whsec_...")
    args = parser.parse_args()
    for item in args.secret:
        name, _, value = item.partition("=")
        secrets[name] = value
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
