"""kill -9 during a burst, on SQLite and PostgreSQL: ``gatekeeper dispatch`` is SIGKILLed again
and again while requests are written, and ``gatekeeper serve`` (dispatcher thread included) is
SIGKILLed while clients submit. Every message the outbox holds is received (0 lost),
and a message received twice is a retry carrying its one id."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatekeeper.ledger import NewRequest, SqlLedger, open_ledger
from gatekeeper.ledger.outbox_sql import SqlOutbox
from tests.conftest import POLICIES
from tests.notify_servers import WHSEC, HttpSink, SmtpSink, free_port, point_policies_at
from tests.serve_helpers import submit_until_acknowledged
from tests.test_ledger_contract import make_record

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 60
# Each request (full admin, a security issue for Globex) sends four messages: e-mail and a
# signed webhook to the security contact, e-mail and a Teams card to the approvers.
PER_REQUEST = 4
KILLS = 3

pytestmark = pytest.mark.slow


@pytest.fixture
def crash_ledger(db_url: str) -> Iterator[tuple[str, SqlLedger]]:
    ledger = open_ledger(db_url, auto_upgrade=True)
    yield db_url, ledger
    ledger.close()


def received(smtp: SmtpSink, http: HttpSink) -> list[str]:
    with smtp.lock:
        mails = [m.message_id for m in smtp.mails]
    with http.lock:
        hooks = [h.headers["webhook-id"] for h in http.hits]
    return mails + hooks


def test_no_message_is_lost_when_the_dispatcher_is_killed(
        crash_ledger: tuple[str, SqlLedger], tmp_path: Path) -> None:
    url, ledger = crash_ledger
    outbox = SqlOutbox(ledger.db)
    with SmtpSink() as smtp, HttpSink() as http:
        point_policies_at(POLICIES, tmp_path / "policies", http)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GATEKEEPER_DATABASE_URL": url,
               "GATEKEEPER_POLICIES": str(tmp_path / "policies"),
               "GATEKEEPER_SMTP_URL": smtp.url, "GATEKEEPER_WEBHOOK_SECRETS": f"globex={WHSEC}",
               "GATEKEEPER_OUTBOX_LEASE_SECONDS": "1", "GATEKEEPER_OUTBOX_RETRY_SECONDS": "0.05",
               "GATEKEEPER_OUTBOX_POLL_SECONDS": "0.05", "GATEKEEPER_OUTBOX_MAX_ATTEMPTS": "1000",
               "GATEKEEPER_LOG_LEVEL": "WARNING"}

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-m", "gatekeeper", "dispatch"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        written: list[str] = []

        def write() -> None:
            for _ in range(REQUESTS):
                record = make_record(at=datetime.now(UTC), customer="globex",
                                     state="awaiting_approval")
                ledger.create(NewRequest(record))
                written.append(record.id)
                time.sleep(0.03)

        writer = threading.Thread(target=write)
        proc = start()
        writer.start()
        kills = 0
        try:
            rand = random.Random(19)
            while kills < KILLS:
                before = len(received(smtp, http))
                deadline = time.monotonic() + 30
                while len(received(smtp, http)) == before and time.monotonic() < deadline:
                    time.sleep(0.01)  # kill while it is delivering
                time.sleep(rand.uniform(0, 0.2))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                proc = start()
            writer.join()
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                counts = outbox.counts()
                done = counts.get("message", {}).get("sent", 0) == PER_REQUEST * REQUESTS
                if done and not any(by.get("pending") for by in counts.values()):
                    break
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        time.sleep(0.2)  # a delivery the SIGTERM let finish
        messages = outbox.find(kind="message", limit=1000)
        got = received(smtp, http)

    assert len(written) == REQUESTS and kills == KILLS
    assert len(messages) == PER_REQUEST * REQUESTS, outbox.counts()
    assert all(m.state == "sent" for m in messages), outbox.counts()
    ids = {m.id for m in messages}
    lost = ids - set(got)
    unknown = set(got) - ids
    duplicates = sum(n - 1 for n in Counter(got).values())
    print(f"\n{ledger.db.url.get_backend_name()}: {len(ids)} messages, {len(got)} received, "
          f"{len(lost)} lost, {duplicates} duplicate(s), {kills} kills")
    assert lost == set() and unknown == set()


SUBMISSIONS = 30
SERVE_KILLS = 2


def test_no_message_is_lost_when_serve_is_killed_during_submissions(
        crash_ledger: tuple[str, SqlLedger], tmp_path: Path) -> None:
    """`gatekeeper serve` (which also runs the dispatcher) is SIGKILLed, process group and
    all, while clients submit: every acknowledged request has its messages in the outbox,
    written in its transaction, and every one of them is received."""
    url, ledger = crash_ledger
    outbox = SqlOutbox(ledger.db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    body = json.dumps(json.loads((ROOT / "examples" / "requests" /
                                  "03_data_export_globex.json").read_text())["request"]).encode()
    with SmtpSink() as smtp, HttpSink() as http:
        point_policies_at(POLICIES, tmp_path / "policies", http)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
        env.update(PYTHONPATH=str(ROOT), GATEKEEPER_DATABASE_URL=url, GATEKEEPER_DEV="1",
                   GATEKEEPER_AUTH="off", GATEKEEPER_INSTANCE_PATH=str(tmp_path),
                   GATEKEEPER_POLICIES=str(tmp_path / "policies"),
                   GATEKEEPER_SMTP_URL=smtp.url, GATEKEEPER_WEBHOOK_SECRETS=f"globex={WHSEC}",
                   GATEKEEPER_OUTBOX_LEASE_SECONDS="1", GATEKEEPER_OUTBOX_RETRY_SECONDS="0.05",
                   GATEKEEPER_OUTBOX_POLL_SECONDS="0.05", GATEKEEPER_OUTBOX_MAX_ATTEMPTS="1000",
                   GATEKEEPER_ENGINE_CHECK_REQUESTS="0", GATEKEEPER_LOG_LEVEL="WARNING")

        logs: list[Path] = []

        def start() -> subprocess.Popen[bytes]:
            # each start's output kept, so a serve that does not come back says why
            logs.append(tmp_path / f"serve-{len(logs)}.log")
            with logs[-1].open("wb") as out:
                return subprocess.Popen(
                    [sys.executable, "-m", "gatekeeper", "serve", "--port", str(port),
                     "--workers", "2", "--threads", "2"], env=env, cwd=ROOT,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

        acknowledged: list[str] = []
        failures: list[BaseException] = []

        def clients() -> None:
            try:
                for n in range(SUBMISSIONS):
                    acknowledged.append(submit_until_acknowledged(base, body, f"burst-{n}"))
            except BaseException as exc:  # reported below, with each serve's output
                failures.append(exc)

        proc = start()
        client = threading.Thread(target=clients)
        client.start()
        kills = 0
        try:
            rand = random.Random(22)
            while kills < SERVE_KILLS and client.is_alive():
                before = len(acknowledged)
                deadline = time.monotonic() + 60
                while len(acknowledged) == before and time.monotonic() < deadline:
                    time.sleep(0.01)  # kill while requests are being answered
                time.sleep(rand.uniform(0, 0.1))
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                proc = start()
            client.join(timeout=180)
            ids = set(acknowledged)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                messages = [m for m in outbox.find(kind="message", limit=5000)
                            if m.request_id in ids]
                routed = {m.request_id for m in messages}
                if routed == ids and all(m.state == "sent" for m in messages):
                    break
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        got = received(smtp, http)

    tails = "\n".join(f"--- {log.name}:\n" + log.read_text(errors="replace")[-2000:]
                      for log in logs)
    assert not failures and len(acknowledged) == SUBMISSIONS and kills == SERVE_KILLS, (
        f"{failures}; {len(acknowledged)} acknowledged, {kills} kills\n{tails}")
    assert ledger.count() == SUBMISSIONS  # retries with the same key recorded nothing twice
    messages = [m for m in outbox.find(kind="message", limit=5000) if m.request_id in ids]
    assert {m.request_id for m in messages} == ids  # every acknowledged request tells someone
    assert all(m.state == "sent" for m in messages), outbox.counts()
    lost = {m.id for m in messages} - set(got)
    print(f"\nserve killed x{kills}: {len(ids)} requests, {len(messages)} messages, "
          f"{len(got)} received, {len(lost)} lost")
    assert lost == set()
