"""Local servers for the operations tests: a bundle server answering ``If-None-Match``, and
helpers to build a bundle archive from a folder."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.notify_servers import InBackground


def tar_gz(folder: Path) -> bytes:
    """The folder's files as a ``.tar.gz`` bundle (paths relative to the folder)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=path.relative_to(folder).as_posix())
    return out.getvalue()


@dataclass
class BundleServer(InBackground):
    """Serves ``body`` at any path with a strong ETag; ``304`` when ``If-None-Match`` names
    it. ``requests`` lists (If-None-Match sent, status answered)."""

    body: bytes = b""
    requests: list[tuple[str | None, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with served.lock:
                    body = served.body
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                asked = self.headers.get("If-None-Match")
                status = 304 if asked == etag else 200
                with served.lock:
                    served.requests.append((asked, status))
                self.send_response(status)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
                self.end_headers()
                if status == 200:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bundles/gatekeeper.tar.gz"

    def serve(self, body: bytes) -> None:
        with self.lock:
            self.body = body

