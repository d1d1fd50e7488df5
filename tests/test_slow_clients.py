"""Slow and idle clients cannot starve `gatekeeper serve`: 200 connections that stall in
their headers or their body hold no worker thread, and /healthz and a real decision keep
answering at once. A real server on a free port, real sockets, bounded in count and time."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import serving

ROOT = Path(__file__).resolve().parent.parent
SLOW = 200


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(GATEKEEPER_INSTANCE_PATH=str(tmp_path), GATEKEEPER_DEV="1",
               GATEKEEPER_DATABASE_URL=f"sqlite:///{tmp_path / 'slow.db'}",
               GATEKEEPER_AUTH="off", GATEKEEPER_LOG_LEVEL="WARNING")
    with serving(env, tmp_path, "--workers", "1", "--threads", "2") as base:
        yield base


def _stall(base: str, n: int) -> list[socket.socket]:
    """Connections that send part of a request and then go quiet: half stop inside their
    headers, half promise a body and send only a little of it."""
    port = int(base.rsplit(":", 1)[1])
    held = []
    for i in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 2:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
        else:
            sock.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: slow\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"a\"")
        held.append(sock)
    return held


def _timed(request: urllib.request.Request | str) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        status = response.status
        response.read()
    return status, time.monotonic() - started


def test_stalled_connections_do_not_starve_the_service(served: str) -> None:
    example = json.loads((ROOT / "examples" / "requests" /
                          "02_read_only_troubleshooting_acme.json").read_text())
    decision = urllib.request.Request(
        f"{served}/v1/decisions", data=json.dumps(example["request"]).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    held = _stall(served, SLOW)
    try:
        time.sleep(0.5)  # every stalled connection has been accepted and has sent its part
        probes = [_timed(f"{served}/healthz") for _ in range(10)]
        decided = [_timed(decision) for _ in range(5)]
    finally:
        for sock in held:
            sock.close()
    assert all(status == 200 for status, _ in probes + decided)
    assert max(seconds for _, seconds in probes) < 1.0, probes
    assert max(seconds for _, seconds in decided) < 2.0, decided


@pytest.mark.parametrize("mebibytes", [4, 16, 64])
def test_a_body_far_over_the_limit_gets_the_413_problem_not_a_reset(served: str,
                                                                   mebibytes: int) -> None:
    """urllib writes the whole body before it reads: it must find the 413 problem waiting,
    not a broken pipe (from about 4 MiB the connection used to be dropped)."""
    body = b'{"a": "' + b"x" * (mebibytes * 1024 * 1024) + b'"}'
    request = urllib.request.Request(f"{served}/v1/decisions", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(refused.value.read())
    assert problem["code"] == "request_entity_too_large"
    assert problem["instance"] == "/v1/decisions"
    assert urllib.request.urlopen(f"{served}/healthz", timeout=5).status == 200


def test_slow_uploads_of_huge_bodies_hold_no_thread(served: str) -> None:
    """Connections that announce a 1 GiB body and trickle it get their 413 at once, and
    meanwhile every thread stays free for others."""
    port = int(served.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(8):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: slow\r\nContent-Type: "
                         b"application/json\r\nContent-Length: 1073741824\r\n\r\n{\"a\": \"")
            held.append(sock)
        answers = [sock.recv(4096) for sock in held]
        probes = [_timed(f"{served}/healthz") for _ in range(5)]
    finally:
        for sock in held:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 413") for answer in answers), answers[0][:80]
    assert all(b"Connection: close" in answer for answer in answers)
    assert all(status == 200 for status, _ in probes)
    assert max(seconds for _, seconds in probes) < 1.0, probes
