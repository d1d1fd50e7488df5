"""Graceful stop: SIGTERM to `gatekeeper serve` (its master only, as Kubernetes and systemd's
KillMode=mixed send it) during a burst of submissions. It stops accepting, finishes what it
holds (uploads still arriving included) within GATEKEEPER_GRACEFUL_TIMEOUT_SECONDS, and exits
0. No request is half-finished: each got a full answer and is in the ledger (a replay of its
Idempotency-Key gives the same answer), or got a connection error and is not in it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatekeeper.ledger import open_ledger
from tests.serve_helpers import ROOT, ServeProcess, cli

pytestmark = pytest.mark.slow

BODY = json.dumps(json.loads((ROOT / "examples" / "requests" /
                              "02_read_only_troubleshooting_acme.json").read_text())["request"]
                  ).encode()
GRACE = 10
CLIENTS, SLOW = 6, 3
SUBJECT = "local-engineer"


@dataclass
class Outcome:
    key: str
    status: int | None = None  # None: a connection error, no answer
    request_id: str | None = None
    answered_at: float = 0.0


def _post(port: int, key: str, pause: threading.Event | None = None) -> Outcome:
    """One submission; with ``pause``, half the body is sent, then the rest once it is set."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    outcome = Outcome(key)
    try:
        conn.putrequest("POST", "/v1/access-requests")
        for name, value in (("Content-Type", "application/json"), ("Idempotency-Key", key),
                            ("Content-Length", str(len(BODY)))):
            conn.putheader(name, value)
        conn.endheaders()
        half = len(BODY) // 2
        conn.send(BODY[:half])
        if pause is not None:
            pause.wait(30)
        conn.send(BODY[half:])
        response = conn.getresponse()
        body = response.read()
        outcome.status = response.status
        outcome.answered_at = time.monotonic()
        if response.status == 201:
            outcome.request_id = json.loads(body)["id"]  # a whole JSON answer, or it fails
    except (OSError, http.client.HTTPException):
        outcome.status = None
    finally:
        conn.close()
    return outcome


def test_sigterm_during_a_burst_leaves_no_half_finished_request(db_url: str,
                                                                tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(PYTHONPATH=str(ROOT), GATEKEEPER_DATABASE_URL=db_url, GATEKEEPER_DEV="1",
               GATEKEEPER_AUTH="off", GATEKEEPER_INSTANCE_PATH=str(tmp_path),
               GATEKEEPER_ENGINE_CHECK_REQUESTS="0", GATEKEEPER_LOG_LEVEL="WARNING",
               GATEKEEPER_GRACEFUL_TIMEOUT_SECONDS=str(GRACE))
    cli(env, "db", "upgrade")
    server = ServeProcess(env, tmp_path, "--workers", "2", "--threads", "2").wait("/readyz")
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    finish_uploads = threading.Event()

    def client(c: int) -> None:
        n = 0
        while True:
            outcome = _post(server.port, f"fast-{c}-{n}")
            with lock:
                outcomes.append(outcome)
            if outcome.status is None:
                return  # the server is going away: this client stops
            n += 1

    def slow(i: int) -> None:
        outcome = _post(server.port, f"slow-{i}", finish_uploads)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    threads += [threading.Thread(target=slow, args=(i,)) for i in range(SLOW)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(o.status == 201 for o in outcomes) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    sent = time.monotonic()
    os.kill(server.proc.pid, signal.SIGTERM)  # the gunicorn master only
    time.sleep(0.5)
    finish_uploads.set()  # three uploads still arriving when the stop began
    code = server.proc.wait(timeout=GRACE + 15)
    stopped = time.monotonic() - sent
    for t in threads:
        t.join(timeout=30)

    slow_ones = [o for o in outcomes if o.key.startswith("slow-")]
    assert len(slow_ones) == SLOW
    assert all(o.status == 201 and o.request_id for o in slow_ones), slow_ones
    assert all(o.status in (201, None) for o in outcomes), [o for o in outcomes
                                                             if o.status not in (201, None)]
    after = [o for o in outcomes if o.status == 201 and o.answered_at > sent]
    refused = [o for o in outcomes if o.status is None]
    assert code == 0 and stopped < GRACE, (code, stopped)

    # Whatever happened, the ledger agrees with what the clients heard.
    ledger = open_ledger(db_url)
    try:
        stored = {o.key: ledger.find_response(SUBJECT, o.key) for o in outcomes}
        count = ledger.count()
    finally:
        ledger.close()
    answered = [o for o in outcomes if o.status == 201]
    assert all(stored[o.key] is not None and stored[o.key].request_id == o.request_id
               for o in answered)
    half_finished = [o.key for o in refused if stored[o.key] is not None]
    assert half_finished == []
    assert count == len(answered)
    # ... and a replay through a new server gives every client the same answer again.
    again = ServeProcess(env, tmp_path, "--workers", "1", "--threads", "2",
                         name="serve-again").wait("/readyz")
    try:
        replays = [_post(again.port, o.key) for o in answered[:10] + slow_ones]
    finally:
        again.stop()
    ids = {o.key: o.request_id for o in answered}
    assert all(r.status == 201 and r.request_id == ids[r.key] for r in replays), replays
    print(f"\nSIGTERM after {len(answered) - len(after)} answers: {len(after)} more answered "
          f"after it ({SLOW} slow uploads included), {len(refused)} connection errors, "
          f"0 half-finished; exited {code} in {stopped:.2f} s")
