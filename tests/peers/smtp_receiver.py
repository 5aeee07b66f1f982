"""A mail server for Meshport's notification tests: aiosmtpd (not Meshport's code) receives each message, and
Python's email package parses it; each message is written as JSON (envelope, decoded headers, every MIME part) to
`<out>/<n>.json` for the test to read.

    python smtp_receiver.py --out DIR [--login USER:PASSWORD]

It prints `port N` once listening on 127.0.0.1. With --login, AUTH is required (over plain SMTP, as a local relay).
"""

import argparse
import json
import os
import socket
import threading
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out):
        self.out = out
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({"content_type": part.get_content_type(), "charset": part.get_content_charset(),
                          "body": part.get_content()})
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name: str(value) for name, value in message.items()},
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        with self.lock:
            self.count += 1
            path = os.path.join(self.out, f"{self.count}.json")
        with open(path + ".tmp", "w") as file:
            json.dump(record, file)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--login", help="USER:PASSWORD that AUTH must present")
    args = parser.parse_args()
    options = {}
    if args.login:
        user, _, password = args.login.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            # handled=False: aiosmtpd itself answers a refusal with 535.
            return AuthResult(success=ok, handled=False)

        options = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    # aiosmtpd's controller checks it is up by connecting to its port, so it needs a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(args.out), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"port {port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
