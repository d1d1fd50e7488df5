"""Real local receivers for the notification tests: an SMTP server (aiosmtpd) and an HTTP
server (http.server in a thread) that record what they get and answer as told."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SECRET_KEY = b"0123456789abcdef0123456789abcdef"
WHSEC = "whsec_" + base64.b64encode(SECRET_KEY).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mail:
    to: list[str]
    subject: str
    message_id: str
    body: str


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address in self.sink.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        body = msg.get_payload(decode=True) or b""
        with self.sink.lock:
            self.sink.encrypted.append(session.ssl is not None)
            self.sink.mails.append(Mail(list(envelope.rcpt_tos), str(msg["Subject"]),
                                        str(msg["X-Gatekeeper-Message-Id"]), body.decode()))
        return "250 Message accepted for delivery"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (openssl, Debian's), for a STARTTLS server."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class SmtpSink:
    """aiosmtpd on a free port; ``login`` makes it require that user and password, ``tls``
    (a certificate and key) makes it require STARTTLS before anything else."""

    def __init__(self, login: tuple[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.mails: list[Mail] = []
        self.refuse: set[str] = set()
        self.encrypted: list[bool] = []  # per mail: whether it came over TLS
        self.lock = threading.Lock()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if login:
            def check(server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and \
                    (data.login.decode(), data.password.decode()) == login
                return AuthResult(success=ok)
            kwargs = {"authenticator": check, "auth_required": True,
                      "auth_require_tls": tls is not None}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **kwargs)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class InBackground:
    """An ``http.server`` answering from a daemon thread while the ``with`` block runs."""

    if TYPE_CHECKING:  # set by the subclass (not a dataclass field of it)
        server: ThreadingHTTPServer

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class HttpSink(InBackground):
    """A threaded HTTP server: records every POST; ``status[path]`` is a list of answers
    given in turn (the last repeats), ``delay`` seconds before answering."""

    hits: list[Hit] = field(default_factory=list)
    status: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink.lock:
                    sink.hits.append(Hit(self.path, {k.lower(): v for k, v in
                                                     self.headers.items()}, body))
                    answers = sink.status.get(self.path, [200])
                    code = answers.pop(0) if len(answers) > 1 else answers[0]
                if sink.delay:
                    time.sleep(sink.delay)
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]



def verify(hit: Hit, key: bytes = SECRET_KEY) -> bool:
    """Check a Standard Webhooks signature as a receiver would (written from the spec)."""
    msg_id, ts = hit.headers["webhook-id"], hit.headers["webhook-timestamp"]
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + hit.body,
                                         hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in hit.headers["webhook-signature"].split()
             if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


def point_policies_at(src: Any, dst: Any, http: HttpSink) -> None:
    """Copy a policy folder, pointing every webhook and chat URL of the customers at
    ``http`` (path /<customer>/<contact>/<kind>)."""
    import shutil

    import yaml

    shutil.copytree(src, dst)
    data_file = dst / "customers" / "data.yaml"
    customers = yaml.safe_load(data_file.read_text())
    for cid, customer in customers.items():
        for role, contact in customer["contacts"].items():
            if "webhook" in contact:
                contact["webhook"]["url"] = http.url(f"/{cid}/{role}/webhook")
            if "chat" in contact:
                contact["chat"]["url"] = http.url(f"/{cid}/{role}/{contact['chat']['kind']}")
    data_file.write_text(yaml.safe_dump(customers, sort_keys=False))
