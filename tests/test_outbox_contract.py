"""The outbox contract on SQLite and PostgreSQL: written with the change, claimed by lease,
settled once, retried and dead-lettered, purged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gatekeeper.domain import ConflictError
from gatekeeper.domain.notice import (
    EVENT,
    MESSAGE,
    NewMessage,
    OutboxItem,
    backoff,
    message_id,
    timer_id,
)
from gatekeeper.ledger import Change, Event, NewRequest, SqlLedger
from gatekeeper.ledger.outbox_sql import SqlOutbox
from tests.test_ledger_contract import make_record


def now() -> datetime:
    return datetime.now(UTC)


def test_a_request_and_each_transition_write_one_event(ledger: SqlLedger) -> None:
    outbox = SqlOutbox(ledger.db)
    record = make_record(at=now())
    ledger.create(NewRequest(record))
    [decided] = outbox.find(request_id=record.id)
    assert (decided.kind, decided.topic, decided.payload["to"]) == (EVENT, "decided",
                                                                     "awaiting_acceptance")

    def step(current: object) -> Change:
        return Change("withdrawn", Event("alice", now(), "awaiting_acceptance", "withdrawn",
                                         "withdraw", "no longer needed"))

    ledger.transition(record.id, step)
    items = outbox.find(request_id=record.id)
    assert sorted(i.topic for i in items) == ["decided", "transitioned"]

    def refuse(current: object) -> Change:
        raise ConflictError("no", "withdrawn")

    with pytest.raises(ConflictError):
        ledger.transition(record.id, refuse)
    assert len(outbox.find(request_id=record.id)) == 2, "a refused step writes no event"


def test_an_item_is_claimed_by_one_owner_until_its_lease_runs_out(ledger: SqlLedger) -> None:
    outbox = SqlOutbox(ledger.db)
    for _ in range(10):
        ledger.create(NewRequest(make_record(at=now())))
    at = now() + timedelta(seconds=1)
    claimed: dict[str, list[str]] = {}

    def claim(owner: str) -> None:
        claimed[owner] = [i.id for i in outbox.claim(EVENT, owner, at, 30, limit=10)]

    threads = [threading.Thread(target=claim, args=(f"o{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == 10 and len(set(every)) == 10, "each event claimed exactly once"
    assert outbox.claim(EVENT, "late", at + timedelta(seconds=29), 30) == []
    again = outbox.claim(EVENT, "late", at + timedelta(seconds=31), 30, limit=100)
    assert len(again) == 10 and all(i.attempts == 2 for i in again)


def test_routing_replaces_the_event_by_its_messages_once(ledger: SqlLedger) -> None:
    outbox = SqlOutbox(ledger.db)
    record = make_record(at=now())
    ledger.create(NewRequest(record))
    at = now() + timedelta(seconds=1)
    [event] = outbox.claim(EVENT, "a", at, 30)
    msgs = [NewMessage("email", "x@acme.example", "outcome", {"subject": "s"}),
            NewMessage("webhook", "http://h/x", "escalation", {}, security=True,
                       within_minutes=15)]
    assert outbox.route(event, "b", msgs, at) == 0, "a router without the lease writes nothing"
    assert outbox.route(event, "a", msgs, at) == 2
    assert outbox.route(event, "a", msgs, at) == 0, "routed once"
    messages = outbox.find(kind=MESSAGE)
    assert {m.id for m in messages} == {message_id(event.id, "email", "x@acme.example"),
                                        message_id(event.id, "webhook", "http://h/x")}
    [urgent] = [m for m in messages if m.security]
    assert urgent.deliver_by == at + timedelta(minutes=15)
    first = outbox.claim(MESSAGE, "a", at, 30)
    assert first[0].security, "security messages are claimed first"


def test_failures_back_off_then_dead_letter_and_retry_starts_over(ledger: SqlLedger) -> None:
    outbox = SqlOutbox(ledger.db)
    ledger.create(NewRequest(make_record(at=now())))
    at = now() + timedelta(seconds=1)
    for attempt in (1, 2):
        [item] = outbox.claim(EVENT, "a", at, 30)
        assert item.attempts == attempt
        state = outbox.failed(item, "a", "boom", max_attempts=2, retry_at=at + timedelta(seconds=5))
        at += timedelta(seconds=6)
    assert state == "dead"
    [dead] = outbox.find(states=("dead",))
    assert dead.last_error == "boom" and outbox.claim(EVENT, "a", at, 30) == []
    assert outbox.retry([], at) == 1
    [back] = outbox.claim(EVENT, "a", at + timedelta(seconds=1), 30)
    assert back.attempts == 1
    assert outbox.delivered(back.id, "a", at)
    assert outbox.purge(now() + timedelta(days=1), ("sent",)) == 1
    assert outbox.find() == []


def test_timer_events_are_written_once(ledger: SqlLedger) -> None:
    outbox = SqlOutbox(ledger.db)
    record = make_record(at=now())
    ledger.create(NewRequest(record))
    item = OutboxItem(id=timer_id(record.id, "grant_ending", "t"), kind=EVENT,
                      topic="grant_ending", state="pending", payload={}, created_at=now(),
                      next_attempt_at=now(), request_id=record.id, customer="acme")
    assert outbox.add_events([item, item]) == 1
    assert outbox.add_events([item]) == 0


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    import random

    rand = random.Random(7)
    waits = [backoff(n, 10, cap_seconds=300, rand=rand).total_seconds() for n in range(1, 9)]
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40
    assert all(150 <= w <= 300 for w in waits[6:])


def test_a_failing_pass_never_stops_the_others(ledger: SqlLedger) -> None:
    from gatekeeper.service.notify import Dispatcher

    class Broken:
        def evaluate(self, input: object, path: str) -> object:
            raise RuntimeError("the policy cannot be evaluated")

    sent: list[str] = []

    class Sender:
        def send(self, item: OutboxItem) -> None:
            sent.append(item.id)

    outbox = SqlOutbox(ledger.db)
    record = make_record(at=now())
    ledger.create(NewRequest(record))
    [event] = outbox.claim(EVENT, "a", now() + timedelta(seconds=1), 30)
    outbox.route(event, "a", [NewMessage("email", "x@acme.example", "outcome", {})], now())
    dispatcher = Dispatcher(outbox, ledger, Broken, Sender())
    stop = threading.Event()
    worker = threading.Thread(target=dispatcher.run, args=(stop, 0.01))
    worker.start()
    deadline = now() + timedelta(seconds=10)
    while not sent and now() < deadline:
        threading.Event().wait(0.02)
    stop.set()
    worker.join(5)
    assert len(sent) == 1, "the message went out although scheduling fails"
