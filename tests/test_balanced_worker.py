"""The serve worker listens for new connections only while one of its threads is free.

A real gunicorn worker of ``serve``'s class, with serve's options, a real listening socket and
the real app: a client connects and asks for /healthz while the test turns the worker's event
loop by hand, so every step is observed without timing. (Distribution over processes under
load is measured by bench/decisions.py, not asserted here.)
"""

from __future__ import annotations

import os
import selectors
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from gunicorn.glogging import Logger

from gatekeeper.cli import balanced_worker, serve
from gatekeeper.cli.balanced_worker import BalancedThreadWorker, request_complete


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


def make_worker(app: Flask, threads: int, listener: socket.socket) -> BalancedThreadWorker:
    """Set up as ``init_process`` and the start of ``run`` do (pool, poller, queue, app)."""
    server = serve._gunicorn_app(app, serve.gunicorn_options("127.0.0.1", 0, 1, threads))
    worker = BalancedThreadWorker(0, os.getpid(), [listener], server, 30, server.cfg,
                                  Logger(server.cfg))
    worker.tpool = worker.get_thread_pool()
    worker.poller = selectors.DefaultSelector()
    worker.method_queue.init()
    worker.poller.register(worker.method_queue.fileno(), selectors.EVENT_READ,
                           worker.method_queue.run_callbacks)
    worker.load_wsgi()
    return worker


def listening(worker: BalancedThreadWorker, listener: socket.socket) -> bool:
    return any(key.fileobj is listener for key in worker.poller.get_map().values())


def turn_until_idle(worker: BalancedThreadWorker, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while worker.in_flight and time.monotonic() < deadline:
        worker.wait_for_and_dispatch_events(0.1)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_worker_with_no_free_thread_stops_listening_until_one_is_free(
    app: Flask, listener: socket.socket, threads: int
) -> None:
    worker = make_worker(app, threads, listener)
    client = socket.create_connection(listener.getsockname(), timeout=20)
    try:
        worker.set_accept_enabled(True)
        assert listening(worker, listener)

        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: gatekeeper\r\n\r\n")
        worker.wait_for_and_dispatch_events(5)  # accepts and hands the request to a thread
        assert worker.nr_conns == 1 and worker.in_flight == 1
        # One thread busy: a second thread still takes connections; a single one does not,
        # not even when the run loop asks to accept again.
        worker.set_accept_enabled(True)
        assert listening(worker, listener) is (threads > 1)

        turn_until_idle(worker)
        assert worker.in_flight == 0
        assert client.recv(64).startswith(b"HTTP/1.1 200")
        worker.set_accept_enabled(True)  # what the run loop does after every event
        assert listening(worker, listener)
        assert worker.nr_conns == 1  # the connection is kept alive, not closed
    finally:
        client.close()
        worker.murder_keepalived(force=True)
        worker.tpool.shutdown()
        worker.poller.close()
        worker.method_queue.close()
        worker.tmp.close()


@pytest.mark.parametrize(("raw", "complete"), [
    (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n{\"a", False),
    (b"POST / HTTP/1.1\r\ncontent-length: 4\r\n\r\n{\"a}", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", True),  # the app answers 413
])
def test_a_request_is_complete_with_its_headers_and_announced_body(raw: bytes,
                                                                   complete: bool) -> None:
    assert request_complete(raw) is complete


def test_a_client_that_stalls_holds_no_thread_and_is_closed_after_the_read_timeout(
    app: Flask, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(balanced_worker, "READ_TIMEOUT", 0.3)
    worker = make_worker(app, 1, listener)
    client = socket.create_connection(listener.getsockname(), timeout=20)
    try:
        worker.set_accept_enabled(True)
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: gatekeeper\r\n")  # and then nothing
        worker.wait_for_and_dispatch_events(5)
        assert worker.nr_conns == 1 and worker.in_flight == 0 and len(worker.reading) == 1
        worker.set_accept_enabled(True)
        assert listening(worker, listener)  # its one thread is still free for others
        time.sleep(0.4)
        worker.murder_pending()
        assert worker.nr_conns == 0 and not worker.reading
        assert client.recv(64) == b""  # closed by the server
    finally:
        client.close()
        worker.tpool.shutdown()
        worker.poller.close()
        worker.method_queue.close()
        worker.tmp.close()
