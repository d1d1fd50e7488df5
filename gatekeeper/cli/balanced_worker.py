"""A gunicorn gthread worker that accepts a connection only while one of its threads is free.

Every gthread worker polls the shared listening socket and whichever wakes first accepts, so
a burst of new keep-alive connections (a proxy's pool, a benchmark) can land on one worker:
measured with ``ss`` on 2 cores, all 8 of wrk's connections on one of 4 workers, which then
decides on one core while the others idle (720 decisions/s against 1,300-1,900 when spread).
A decision is CPU work under one process's GIL, so a worker whose threads are all busy stops
listening and leaves new connections to the others. Connections it holds are still served;
when every worker is busy, a new connection waits in the listen backlog for a free thread.

Free threads alone do not spread keep-alive connections: they are accepted in a burst, before
any of them asks for anything, so every thread looks free. Measured with ``ss`` (2 workers x 2
threads, 8 wrk connections, 6 runs): all 8 on one worker in 2 runs (421-463 decisions/s),
4 + 4 or 2 + 6 in the others (783-1,084/s). So a worker of several also holds at most its
*share* of connections, one per thread to begin with, and leaves the rest to the others. A
connection that no other worker takes within ``HANDOFF_SECONDS`` raises the share by another
connection per thread, so every connection is served; the share falls as connections close.

It also reads each request completely on the main thread's poller before a thread sees it:
a client that stalls inside its headers or body (by accident or on purpose) holds no thread,
and is closed after ``READ_TIMEOUT`` seconds. Without this, four quiet connections took every
thread of the default 2 workers x 2 threads and /healthz timed out (tests/test_slow_clients.py).

A body announced over the app's ``MAX_CONTENT_LENGTH`` is not read at all: the app answers
from the headers on a thread (``oversized_body``), the worker sends that answer with
``Connection: close`` and drops what the client still sends until the announced length or
``READ_TIMEOUT``, then closes. A client that writes its whole body before reading (urllib,
requests) gets the 413 instead of a reset; no thread waits on the upload.

It relies on gthread's ``set_accept_enabled``, ``enqueue_req``, ``finish_request`` and
``murder_pending`` (gunicorn 27, pinned in pyproject.toml): every request goes through
``enqueue_req`` once and comes back through ``finish_request`` once, on the main thread.
"""

from __future__ import annotations

import contextlib
import io
import re
import select
import selectors
import signal
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

from gatekeeper.cli.oversized_body import announced_length, refusal

WORKER_CLASS = f"{__name__}.BalancedThreadWorker"

READ_TIMEOUT = 15.0  # seconds a client has to send a whole request
# How long a new connection waits for a worker under its share before one at its share takes it.
HANDOFF_SECONDS = 0.05
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


def _receive(conn: Any) -> bytes | None:
    """What a non-blocking client socket has for us: None if nothing yet, b"" at its end."""
    try:
        return bytes(conn.sock.recv(READ_CHUNK))
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


class BalancedThreadWorker(ThreadWorker):
    """gthread, listening for new connections only while a thread is free and it holds
    less than its share of connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the pool and not finished
        self.reading: deque[Any] = deque()  # connections still sending their request
        self.listeners_closed = False
        self.share = 1  # connections held, per thread, before new ones are left to the others
        self.backlog_since: float | None = None  # when a held-back worker saw one waiting

    def init_signals(self) -> None:
        super().init_signals()
        # SIGHUP is a policy reload (cli/serve_ops.py); until post_worker_init installs it, a
        # SIGHUP must not end the worker (its default action).
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def has_free_thread(self) -> bool:
        return self.in_flight < int(self.cfg.threads)

    def under_share(self) -> bool:
        """Whether this worker may take another connection: it is the only worker, or it
        holds fewer than its share (which falls back as its connections close)."""
        if int(self.cfg.workers) <= 1:
            return True
        threads = int(self.cfg.threads)
        self.share = max(1, min(self.share, self.nr_conns // threads + 1))
        return self.nr_conns < self.share * threads

    def accept(self, listener: Any) -> None:
        super().accept(listener)
        if not self.under_share():  # the poller would hand it the next one in a burst
            super().set_accept_enabled(False)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Held back by its share alone, look at the backlog every half handoff: a
        connection no other worker took within ``HANDOFF_SECONDS`` raises the share."""
        if self.alive and not self._accepting and self.has_free_thread():
            timeout = min(timeout, HANDOFF_SECONDS / 2)
            self._watch_backlog()
        super().wait_for_and_dispatch_events(timeout)

    def _watch_backlog(self) -> None:
        try:
            waiting = bool(select.select(self.sockets, [], [], 0)[0])
        except (OSError, ValueError):  # a listener closed meanwhile
            waiting = False
        now = time.monotonic()
        if not waiting:
            self.backlog_since = None
        elif self.backlog_since is None:
            self.backlog_since = now
        elif now - self.backlog_since >= HANDOFF_SECONDS:
            self.share += 1
            self.backlog_since = None
            self.set_accept_enabled(self.nr_conns < self.worker_connections)  # gthread's cap

    def set_accept_enabled(self, enabled: bool) -> None:
        if not self.alive:  # stopping: never listen again
            if not self.listeners_closed:
                self._close_listeners()
            return
        # The run loop asks to accept whenever it is under worker_connections; it listens
        # only if a thread is free and it is under its share as well, and asks again after
        # every event.
        super().set_accept_enabled(enabled and self.has_free_thread() and self.under_share())

    def _close_listeners(self) -> None:
        """On SIGTERM: take the connections already waiting in the listen backlog (they are
        served like the others), then close this worker's listening sockets. gthread keeps
        them open until the worker exits, so connections queued meanwhile were reset after
        their client (or a balancer) had sent its request: a 502 for a proxy that cannot
        resend a POST. Closed (the master closed its own copy first), new connections are
        refused at once and a balancer sends them to another instance."""
        self.listeners_closed = True
        super().set_accept_enabled(False)
        for listener in self.sockets:
            with contextlib.suppress(OSError, ValueError):
                listener.setblocking(False)
                while select.select([listener], [], [], 0)[0]:
                    taken = self.nr_conns
                    self.accept(listener)
                    if self.nr_conns == taken:
                        break  # another worker took it
            with contextlib.suppress(OSError):
                listener.close()

    def enqueue_req(self, conn: Any) -> None:
        """Hand a connection to a thread once its request is all here; read it first."""
        if self._reads_ahead(conn) and not request_complete(getattr(conn, "gk_buffer", b"")):
            self._read_ahead(conn)
            return
        self._dispatch(conn)

    def _reads_ahead(self, conn: Any) -> bool:
        # TLS and HTTP/2 prior knowledge read on the thread, as gthread does; so does a
        # keep-alive connection whose parser already holds the start of its next request.
        if conn.initialized and conn.parser is not None and conn.parser.unreader.buf.tell():
            return False
        return not (self.cfg.is_ssl or conn.is_http2
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def _oversized_head(self, buffer: bytes | bytearray) -> bytes | None:
        """The request's head when its headers are in and announce a body over the app's
        limit (a chunked body is left to the app, which stops reading at the limit)."""
        config = getattr(self.wsgi, "config", None)
        limit = config.get("MAX_CONTENT_LENGTH") if config is not None else None
        end = buffer.find(_HEADER_END)
        if not limit or end < 0:
            return None
        head = bytes(buffer[:end])
        length = announced_length(head)
        if length is None or length <= int(limit) or _STREAMED.search(head):
            return None
        return head

    def _read_ahead(self, conn: Any) -> None:
        if not hasattr(conn, "gk_buffer"):
            conn.gk_buffer = bytearray()
        conn.gk_deadline = time.monotonic() + READ_TIMEOUT
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        self.reading.append(conn)
        self._readable(conn, conn.sock)  # what came with the connection is often all of it

    def _readable(self, conn: Any, _sock: Any) -> None:
        data = _receive(conn)
        if data is None:
            return
        if not data:  # the client went away before its request was complete
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.gk_buffer += data
        head = self._oversized_head(conn.gk_buffer)
        if head is not None:
            self._refuse(conn, head)
        elif request_complete(conn.gk_buffer):
            self._stop_reading(conn)
            self._dispatch(conn)

    def _refuse(self, conn: Any, head: bytes) -> None:
        """Have a thread ask the app for its answer from the headers, and meanwhile drop the
        body as it arrives; the connection closes once both are done (``_discarded``)."""
        received = len(conn.gk_buffer) - len(head) - len(_HEADER_END)
        conn.gk_left = (announced_length(head) or 0) - received
        conn.gk_buffer = bytearray()
        conn.gk_answer = None
        conn.gk_deadline = time.monotonic() + READ_TIMEOUT
        self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self._discard, conn))
        self.in_flight += 1
        if not self.has_free_thread():
            super().set_accept_enabled(False)
        future = self.tpool.submit(refusal, self.wsgi, head, conn.client)
        future.add_done_callback(
            lambda fs: self.method_queue.defer(self._answered, conn, fs))

    def _answered(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        if conn not in self.reading:
            return  # the client went away or ran out of time: nothing to answer
        try:
            conn.gk_answer = fs.result()
        except Exception:  # the app failed to render: close rather than guess
            conn.gk_left = 0
            conn.gk_answer = b""
        self._finish_refusal(conn)

    def _discard(self, conn: Any, _sock: Any) -> None:
        data = _receive(conn)
        if data is None:
            return
        conn.gk_left = conn.gk_left - len(data) if data else 0
        if conn.gk_left <= 0 and conn.gk_answer is None:
            self._unregister(conn)  # all read (or the client stopped): wait for the answer
        self._finish_refusal(conn)

    def _finish_refusal(self, conn: Any) -> None:
        """Send the answer as soon as it is ready (a client waiting on ``Expect:
        100-continue`` then stops), and close once the announced body is read, the client
        stopped sending, or the read timeout passed (``murder_pending``)."""
        if conn.gk_answer is None:
            return
        if conn.gk_answer:
            try:
                conn.sock.sendall(conn.gk_answer)  # small: fits the socket's send buffer
            except OSError:
                conn.gk_left = 0
            conn.gk_answer = b""
        if conn.gk_left > 0:
            return
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close(graceful=True)

    def _stop_reading(self, conn: Any) -> None:
        self._unregister(conn)
        self.reading.remove(conn)

    def _unregister(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):  # already off the poller
            self.poller.unregister(conn.sock)

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
