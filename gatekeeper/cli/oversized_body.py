"""The app's own answer to a request whose announced body is over its limit, rendered from the
request's headers alone, so the serve worker can answer without reading the body.

A client that sends a large body before it reads (most HTTP libraries do) sees a reset
instead of the 413 when the server closes with the body unread. The worker therefore asks
the app for its answer with an empty body, sends it with ``Connection: close``, and drops
what the client still sends (``balanced_worker``).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote_to_bytes

from werkzeug.test import run_wsgi_app

# Headers that describe the body or the connection: the app sees the announced length and
# an empty stream; the worker writes its own framing.
_FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def announced_length(head: bytes) -> int | None:
    """The ``Content-Length`` in a request head (None if absent or not a number)."""
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


def _environ(head: bytes, client: Any) -> dict[str, Any]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, protocol = [*lines[0].split(" ", 2), "", ""][:3]
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path or "/").decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "gatekeeper",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": protocol or "HTTP/1.1",
        "REMOTE_ADDR": client[0] if isinstance(client, tuple) and client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(announced_length(head) or 0),
    }
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if not sep or key in _FRAMING:
            continue
        if key == "content-type":
            environ["CONTENT_TYPE"] = value.strip()
        elif key == "host":
            environ["HTTP_HOST"] = value.strip()
            environ["SERVER_NAME"] = value.strip().rsplit(":", 1)[0] or "gatekeeper"
        else:
            environ["HTTP_" + key.upper().replace("-", "_")] = value.strip()
    return environ


def refusal(app: Any, head: bytes, client: Any) -> bytes:
    """The app's whole HTTP/1.1 answer to ``head`` with its body unread, closing the
    connection. Flask refuses a ``Content-Length`` over ``MAX_CONTENT_LENGTH`` before reading,
    so this is the same 413 problem (or 401, 404 …) a thread would have sent."""
    app_iter, status, headers = run_wsgi_app(app, _environ(head, client))
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name}: {value}" for name, value in headers.items()
              if name.lower() not in _FRAMING]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
