"""A gunicorn gthread worker that accepts a connection only while one of its threads is free.

Every gthread worker polls the shared listening socket and whichever wakes first accepts, so
a burst of new keep-alive connections (a proxy's pool, a benchmark) can land on one worker:
measured with ``ss`` on 2 cores, all 8 of wrk's connections on one of 4 workers, which then
decides on one core while the others idle (720 decisions/s against 1,300-1,900 when spread).
A decision is CPU work under one process's GIL, so a worker whose threads are all busy stops
listening and leaves new connections to the others. Connections it holds are still served;
when every worker is busy, a new connection waits in the listen backlog for a free thread.

It also reads each request completely on the main thread's poller before a thread sees it:
a client that stalls inside its headers or body (by accident or on purpose) holds no thread,
and is closed after ``READ_TIMEOUT`` seconds. Without this, four quiet connections took every
thread of the default 2 workers x 2 threads and /healthz timed out (tests/test_slow_clients.py).

It relies on gthread's ``set_accept_enabled``, ``enqueue_req``, ``finish_request`` and
``murder_pending`` (gunicorn 27, pinned in pyproject.toml): every request goes through
``enqueue_req`` once and comes back through ``finish_request`` once, on the main thread.
"""

from __future__ import annotations

import io
import re
import selectors
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

WORKER_CLASS = f"{__name__}.BalancedThreadWorker"

READ_TIMEOUT = 15.0  # seconds a client has to send a whole request
READ_CHUNK = 64 * 1024
# Past this much buffered, the request goes to a thread as it is: the parser refuses oversized
# headers and the app refuses an oversized body (413) without reading it.
BUFFER_LIMIT = 1024 * 1024
_HEADER_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_STREAMED = re.compile(rb"\r\ntransfer-encoding:", re.IGNORECASE)


def request_complete(buffer: bytes | bytearray) -> bool:
    """Whether ``buffer`` holds a whole request: its headers and the body they announce.

    A chunked body streams on to the thread once the headers are in (its end is not
    announced); an announced body over ``BUFFER_LIMIT`` goes on for the app to refuse.
    """
    end = buffer.find(_HEADER_END)
    if end < 0:
        return len(buffer) >= BUFFER_LIMIT
    head = bytes(buffer[:end])
    if _STREAMED.search(head):
        return True
    found = _LENGTH.search(head)
    length = int(found.group(1)) if found else 0
    return length >= BUFFER_LIMIT or len(buffer) - (end + len(_HEADER_END)) >= length


class BalancedThreadWorker(ThreadWorker):
    """gthread, listening for new connections only while a thread is free."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the pool and not finished
        self.reading: deque[Any] = deque()  # connections still sending their request

    def has_free_thread(self) -> bool:
        return self.in_flight < int(self.cfg.threads)

    def set_accept_enabled(self, enabled: bool) -> None:
        # The run loop asks to accept whenever it is under worker_connections; it listens
        # only if a thread is free as well, and asks again after every event.
        super().set_accept_enabled(enabled and self.has_free_thread())

    def enqueue_req(self, conn: Any) -> None:
        """Hand a connection to a thread once its request is all here; read it first."""
        if self._reads_ahead(conn) and not request_complete(getattr(conn, "gk_buffer", b"")):
            self._read_ahead(conn)
            return
        self._dispatch(conn)

    def _reads_ahead(self, conn: Any) -> bool:
        # TLS and HTTP/2 prior knowledge read on the thread, as gthread does.
        return not (self.cfg.is_ssl or conn.is_http2
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def _read_ahead(self, conn: Any) -> None:
        if not hasattr(conn, "gk_buffer"):
            conn.gk_buffer = bytearray()
        conn.gk_deadline = time.monotonic() + READ_TIMEOUT
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        self.reading.append(conn)
        self._readable(conn, conn.sock)  # what came with the connection is often all of it

    def _readable(self, conn: Any, _sock: Any) -> None:
        try:
            data = conn.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before its request was complete
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.gk_buffer += data
        if request_complete(conn.gk_buffer):
            self._stop_reading(conn)
            self._dispatch(conn)

    def _stop_reading(self, conn: Any) -> None:
        self.poller.unregister(conn.sock)
        self.reading.remove(conn)

    def _dispatch(self, conn: Any) -> None:
        buffered = bytes(getattr(conn, "gk_buffer", b""))
        if buffered:
            conn.init()  # the HTTP/1 parser (the thread's init() is then a no-op)
            unreader = conn.parser.unreader  # what it held comes first, then what was read
            held = unreader.buf.getvalue()
            unreader.buf = io.BytesIO()
            unreader.buf.write(held + buffered)
            conn.gk_buffer = bytearray()
            conn.data_ready = True
        self.in_flight += 1
        if not self.has_free_thread():
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def murder_pending(self) -> None:
        """Also close connections that did not send a whole request in time."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.reading if c.gk_deadline <= now]:
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
