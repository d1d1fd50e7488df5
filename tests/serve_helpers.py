"""`gatekeeper serve` and the CLI as subprocesses, for the tests that need a real server: a free
port, start and wait until it answers, stop gracefully or kill its process group, and a client
that retries a submission with its Idempotency-Key until it is acknowledged."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    """``python -m gatekeeper ARGS`` with ``env``; fails the test unless it succeeds; stdout."""
    done = subprocess.run([sys.executable, "-m", "gatekeeper", *args], input=stdin,
                          env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, f"gatekeeper {' '.join(args)}: {done.stderr}{done.stdout}"
    return done.stdout


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path,
                  path: str = "/healthz", seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gatekeeper serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + path, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gatekeeper serve did not answer within {seconds:g} s:\n{log.read_text()}")


class ServeProcess:
    """``python -m gatekeeper serve --port PORT ARGS`` in its own process group (the gunicorn
    master and its workers), its output in ``folder/<name>.log``."""

    def __init__(self, env: Mapping[str, str], folder: Path, *args: str,
                 name: str = "serve", port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gatekeeper", "serve", "--port", str(self.port), *args],
                env=dict(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait(self, path: str = "/healthz") -> ServeProcess:
        wait_until_up(self.base, self.proc, self.log, path)
        return self

    def signal(self, sig: int) -> None:
        """``sig`` to the server's own process group only."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL, master and workers at once: a crash, nothing finishes."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM (SIGKILL if it is still there after ``timeout``); the exit code."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


@contextmanager
def serving(env: Mapping[str, str], folder: Path, *args: str,
            port: int | None = None) -> Iterator[str]:
    """``python -m gatekeeper serve ARGS`` on ``port`` (default: a free one) until the block
    ends; its base URL. The server runs in its own process group and is stopped with SIGTERM
    (SIGKILL late)."""
    server = ServeProcess(env, folder, *args, port=port)
    try:
        server.wait()
        yield server.base
    finally:
        server.stop()


def submit_until_acknowledged(base: str, body: bytes, key: str,
                              headers: Mapping[str, str] | None = None,
                              seconds: float = 120) -> str:
    """POST with an Idempotency-Key until a 201 (or its replay) comes back: the client of a
    service that may be killed at any moment. Returns the request id."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{base}/v1/access-requests", data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key,
                     **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 201:
                    return str(json.loads(response.read())["id"])
        except (OSError, urllib.error.HTTPError, http.client.HTTPException):
            # killed mid-request or mid-answer (IncompleteRead), not up yet, or a 502/503:
            # retry with the same key
            pass
        time.sleep(0.05)
    raise AssertionError(f"submission {key} was never acknowledged")
