"""Simultaneous approvals and accepts over real connections never double-transition."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from gatekeeper.domain import ConflictError, Principal
from gatekeeper.ledger import RequestRecord, SqlLedger, Step
from gatekeeper.service.requests import RequestService
from tests.ledger_fixtures import REQUESTER, CannedDecisions, request_body

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ALL = ["reprovisioning_downtime", "sla_budget"]
RACERS = 6


class SlowLedger(SqlLedger):
    """Holds each transition open a moment after reading, so racers overlap for sure."""

    def transition(self, request_id: str, step: Step) -> RequestRecord:
        def slow(record: RequestRecord) -> Any:
            time.sleep(0.15)
            return step(record)

        return super().transition(request_id, slow)


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[Exception]]:
    """Run ``calls`` at the same instant on their own threads (and so connections)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            value = call()
            with lock:
                results.append(value)
        except Exception as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@pytest.fixture
def service(ledger: SqlLedger) -> RequestService:
    return RequestService(CannedDecisions(), SlowLedger(ledger.db), clock=lambda: NOW)


def approvers(n: int) -> list[Principal]:
    return [Principal(f"approver{i}@msp.example", "approver") for i in range(n)]


def test_simultaneous_approvals_grant_once(service: RequestService) -> None:
    rid = service.submit(request_body("break_glass"), REQUESTER).request_id
    service.accept(rid, REQUESTER, {"consequences": ALL})  # needs one approval now
    results, errors = race([lambda p=p: service.approve(rid, p, {}) for p in approvers(RACERS)])
    assert len(results) == 1, errors
    assert len(errors) == RACERS - 1
    assert all(isinstance(e, ConflictError) and e.state == "granted" for e in errors), errors
    record = service.get(rid, REQUESTER)
    assert record.state == "granted"
    assert [e.action for e in record.events].count("approve") == 1
    assert record.version == 3


def test_simultaneous_accepts_transition_once(service: RequestService) -> None:
    rid = service.submit(request_body("full_admin"), REQUESTER).request_id
    results, errors = race(
        [lambda: service.accept(rid, REQUESTER, {"consequences": ALL})] * RACERS)
    assert len(results) == 1 and len(errors) == RACERS - 1
    assert all(isinstance(e, ConflictError) for e in errors), errors
    record = service.get(rid, REQUESTER)
    assert [e.action for e in record.events] == ["submit", "decide", "accept"]


def test_two_needed_approvals_at_once_are_both_counted(service: RequestService) -> None:
    rid = service.submit(request_body("scoped_admin"), REQUESTER).request_id
    results, errors = race([lambda p=p: service.approve(rid, p, {}) for p in approvers(2)])
    assert errors == [] and len(results) == 2
    record = service.get(rid, REQUESTER)
    # both approvals counted; the consequences still wait for the requester's acceptance
    assert record.state == "awaiting_acceptance" and record.waiting_for == ["acceptance"]
    assert [e.to_state for e in record.events if e.action == "approve"] == [
        "awaiting_approval", "awaiting_acceptance"]


def test_accept_racing_withdraw_leaves_one_outcome(service: RequestService) -> None:
    rid = service.submit(request_body("full_admin"), REQUESTER).request_id
    results, errors = race([
        lambda: service.accept(rid, REQUESTER, {"consequences": ALL}),
        lambda: service.withdraw(rid, REQUESTER, {}),
    ])
    assert len(results) == 1 and len(errors) == 1
    record = service.get(rid, REQUESTER)
    assert record.state == results[0].state
    assert len(record.events) == 3


def test_concurrent_retries_with_one_key_record_one_request(service: RequestService) -> None:
    body = request_body("read_only")
    results, errors = race(
        [lambda: service.submit(body, REQUESTER, "same-key")] * RACERS)
    assert errors == []
    assert len({r.request_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert service.ledger.count() == 1  # type: ignore[attr-defined]
