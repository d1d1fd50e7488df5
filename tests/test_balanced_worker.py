"""The serve worker listens for new connections only while one of its threads is free.

A real gunicorn worker of ``serve``'s class, with serve's options, a real listening socket and
the real app: a client connects and asks for /healthz while the test turns the worker's event
loop by hand, so every step is observed without timing. Then a real ``serve`` with two workers
and connections opened at once, as a benchmark or a proxy's pool opens them: each worker must
hold half. (Throughput under load is measured by bench/decisions.py, not asserted here.)
"""

from __future__ import annotations

import os
import selectors
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from gunicorn.glogging import Logger

from gatekeeper.cli import balanced_worker, serve
from gatekeeper.cli.balanced_worker import BalancedThreadWorker, request_complete
from tests.serve_helpers import serving


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


def make_worker(app: Flask, threads: int, listener: socket.socket,
                workers: int = 1) -> BalancedThreadWorker:
    """Set up as ``init_process`` and the start of ``run`` do (pool, poller, queue, app)."""
    server = serve._gunicorn_app(app, serve.gunicorn_options("127.0.0.1", 0, workers, threads))
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


def close_worker(worker: BalancedThreadWorker) -> None:
    worker.murder_keepalived(force=True)
    worker.tpool.shutdown()
    worker.poller.close()
    worker.method_queue.close()
    worker.tmp.close()


def turn(worker: BalancedThreadWorker, times: int) -> None:
    """The run loop's steps: ask to accept, then wait for events (each accepts at most one)."""
    for _ in range(times):
        worker.set_accept_enabled(True)
        worker.wait_for_and_dispatch_events(0.05)


@pytest.mark.parametrize("workers", [1, 2])
def test_one_of_several_workers_holds_its_share_and_takes_more_only_when_no_other_does(
    app: Flask, listener: socket.socket, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(balanced_worker, "HANDOFF_SECONDS", 60.0)  # the others have time
    worker = make_worker(app, 2, listener, workers=workers)
    clients = [socket.create_connection(listener.getsockname(), timeout=20) for _ in range(3)]
    try:
        turn(worker, 6)  # three idle connections wait: every thread stays free
        assert worker.in_flight == 0
        if workers == 1:  # the only worker takes every connection at once
            assert worker.nr_conns == 3
            return
        assert worker.nr_conns == 2  # one a thread; the third is left to the other worker
        assert not listening(worker, listener)
        # Nobody else takes it: after the handoff time this worker's share grows.
        monkeypatch.setattr(balanced_worker, "HANDOFF_SECONDS", 0.05)
        deadline = time.monotonic() + 5
        while worker.nr_conns < 3 and time.monotonic() < deadline:
            turn(worker, 1)
        assert worker.nr_conns == 3 and worker.share == 2
        # Connections that close give the share back.
        for client in clients:
            client.close()
        deadline = time.monotonic() + 5
        while worker.nr_conns and time.monotonic() < deadline:
            turn(worker, 1)
        assert worker.nr_conns == 0 and worker.under_share() and worker.share == 1
    finally:
        for client in clients:
            client.close()
        close_worker(worker)


def workers_holding(server_port: int, client_ports: set[int]) -> Counter[int]:
    """How many of the server's ends of the connections from ``client_ports`` each process
    holds: Linux's socket table gives their inodes, /proc/<pid>/fd who holds them."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
            if local == server_port and remote in client_ports:
                inodes.add(f"socket:[{fields[9]}]")
    held: Counter[int] = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:  # gone, or not ours to read
            continue
        held[int(pid)] += sum(link in inodes for link in links)
    return +held


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_keep_alive_connections_opened_at_once_are_spread_over_the_workers(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(GATEKEEPER_INSTANCE_PATH=str(tmp_path), GATEKEEPER_DEV="1",
               GATEKEEPER_DATABASE_URL=f"sqlite:///{tmp_path / 'spread.db'}",
               GATEKEEPER_AUTH="off", GATEKEEPER_LOG_LEVEL="WARNING")
    with serving(env, tmp_path, "--workers", "2", "--threads", "2") as base:
        port = int(base.rsplit(":", 1)[1])
        # The first worker answers while the second may still build its engines, and then
        # rightly takes every connection: wait (bounded) until both have held some.
        deadline = time.monotonic() + 20
        while len(connect_eight(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(3):  # without the share, an idle server gave one worker all 8
            held = connect_eight(port)
            assert sorted(held.values()) == [4, 4], held


def connect_eight(port: int) -> Counter[int]:
    """Open 8 connections at once, ask /healthz on each, and say which process holds each."""
    clients = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(8)]
    try:
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: gatekeeper\r\n\r\n")
        for client in clients:
            assert client.recv(64).startswith(b"HTTP/1.1 200")
        return workers_holding(port, {c.getsockname()[1] for c in clients})
    finally:
        for client in clients:
            client.close()
