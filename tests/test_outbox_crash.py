"""kill -9 during a burst: ``gatekeeper dispatch`` is SIGKILLed again and again while requests
are written, on SQLite and PostgreSQL. Every message the outbox holds is received (0 lost),
and a message received twice is a retry carrying its one id."""

from __future__ import annotations

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
from tests.notify_servers import WHSEC, HttpSink, SmtpSink, point_policies_at
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
