"""Housekeeping the ledger needs: Idempotency-Keys expire after GATEKEEPER_IDEMPOTENCY_KEY_HOURS
and are pruned, by `gatekeeper expire` (cron) and by every dispatcher's scheduler; on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.cli import cli
from gatekeeper.domain import ValidationError
from gatekeeper.ledger import SqlLedger, open_ledger
from gatekeeper.service.requests import RequestService
from tests.conftest import POLICIES
from tests.ledger_fixtures import REQUESTER, CannedDecisions, request_body

LIFETIME = timedelta(hours=24)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_key_replays_within_its_lifetime_and_is_new_after_it(ledger: SqlLedger) -> None:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    service = RequestService(CannedDecisions(), ledger, clock=clock, key_lifetime=LIFETIME)
    first = service.submit(request_body(), REQUESTER, "order-7")
    clock.now += LIFETIME - timedelta(seconds=1)
    again = service.submit(request_body(), REQUESTER, "order-7")
    assert again.replayed and again.request_id == first.request_id
    with_other_body = request_body(need="something else")
    try:
        service.submit(with_other_body, REQUESTER, "order-7")
        raise AssertionError("a live key with another body must be refused")
    except ValidationError as exc:
        assert exc.errors[0].field == "Idempotency-Key"
    clock.now += timedelta(seconds=2)  # past the lifetime: a new request, even another body
    later = service.submit(with_other_body, REQUESTER, "order-7")
    assert not later.replayed and later.request_id != first.request_id
    assert ledger.count() == 2
    # the key now answers with the new request, and its lifetime starts again
    assert service.submit(with_other_body, REQUESTER, "order-7").request_id == later.request_id


def test_concurrent_reuse_of_an_expired_key_records_once(ledger: SqlLedger) -> None:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    service = RequestService(CannedDecisions(), ledger, clock=clock, key_lifetime=LIFETIME)
    service.submit(request_body(), REQUESTER, "nightly")
    clock.now += LIFETIME * 2
    results: list[str] = []
    start = threading.Barrier(6)

    def retry() -> None:
        start.wait()
        results.append(service.submit(request_body(), REQUESTER, "nightly").request_id)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1  # one new request, every retry got its answer
    assert ledger.count() == 2


def test_prune_forgets_only_expired_keys(ledger: SqlLedger) -> None:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    service = RequestService(CannedDecisions(), ledger, clock=clock, key_lifetime=LIFETIME)
    for n in range(3):
        service.submit(request_body(), REQUESTER, f"old-{n}")
    clock.now += timedelta(hours=20)
    fresh = service.submit(request_body(), REQUESTER, "fresh")
    clock.now += timedelta(hours=5)  # the old ones are 25 h old, the fresh one 5 h
    assert service.prune_keys() == 3
    assert service.prune_keys() == 0
    assert ledger.find_response(REQUESTER.subject, "old-0") is None
    assert service.submit(request_body(), REQUESTER, "fresh").request_id == fresh.request_id
    assert ledger.count() == 4  # pruning a key never deletes its request


def _backdate(url: str, hours: float) -> None:
    from sqlalchemy import update

    from gatekeeper.ledger.models import IdempotencyKeyRow

    ledger = open_ledger(url)
    with ledger.db.session(write=True) as session:
        session.execute(update(IdempotencyKeyRow).values(
            created_at=datetime.now(UTC) - timedelta(hours=hours)))
    ledger.close()


def test_gatekeeper_expire_prunes_old_keys(db_url: str, monkeypatch: object) -> None:
    ledger = open_ledger(db_url, auto_upgrade=True)
    service = RequestService(CannedDecisions(), ledger)
    service.submit(request_body(), REQUESTER, "cron-1")
    ledger.close()
    runner = CliRunner()
    kept = runner.invoke(cli, ["expire", "--database-url", db_url])
    assert kept.exit_code == 0, kept.output
    assert "pruned 0 idempotency key(s)" in kept.output
    _backdate(db_url, 25)
    pruned = runner.invoke(cli, ["expire", "--database-url", db_url])
    assert pruned.exit_code == 0, pruned.output
    assert "expired 0 grant(s)" in pruned.output and "pruned 1 idempotency key(s)" in pruned.output


def test_each_dispatcher_expires_grants_and_prunes_keys(tmp_path: Path) -> None:
    """The dispatcher thread `serve` runs (or `gatekeeper dispatch`) does what the cron job
    does, every GATEKEEPER_HOUSEKEEPING_SECONDS; a short key lifetime stands in for 24 h."""
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "IDEMPOTENCY_KEY_HOURS": str(0.5 / 3600), "HOUSEKEEPING_SECONDS": "0.2",
                      "OUTBOX_POLL_SECONDS": "0.05"})
    svc = services(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {svc.identity.create_token('ops', 'engineer').token}",
               "Idempotency-Key": "k-1"}
    body = request_body("read_only", purpose="troubleshooting", duration_hours=1)
    first = client.post("/v1/access-requests", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    granted = first.get_json()
    assert granted["state"] == "granted"
    ends = datetime.now(UTC) - timedelta(minutes=1)  # the grant ended a minute ago
    from sqlalchemy import update

    from gatekeeper.ledger.models import AccessRequestRow

    with svc.ledger.db.session(write=True) as session:
        session.execute(update(AccessRequestRow).where(AccessRequestRow.id == granted["id"])
                        .values(grant_ends_at=ends))
    stop = threading.Event()
    thread = threading.Thread(target=svc.dispatcher.run, args=(stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            gone = svc.ledger.find_response("token:ops", "k-1") is None
            if gone and svc.ledger.get(granted["id"]).state == "expired":
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert svc.ledger.get(granted["id"]).state == "expired"
    assert svc.ledger.find_response("token:ops", "k-1") is None
    again = client.post("/v1/access-requests", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") is None
    assert again.get_json()["id"] != granted["id"]
