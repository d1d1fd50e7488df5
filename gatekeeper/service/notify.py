"""The dispatcher: routes outbox events through the policy, delivers messages, runs timers.

Three passes, each safe to run in several threads, processes and instances at once (every
item is claimed with a lease, every timer event has a stable id):

1. **schedule**: grants that end soon (``data.gatekeeper.notify.timers``) and requests
   waiting past their deadline (``data.gatekeeper.deadlines.deadline``: support hours and tier)
   become timer events;
2. **route**: each event is replaced, in one transaction, by the messages the policy names
   (``data.gatekeeper.notify.messages``); a policy or database failure retries the event;
3. **deliver**: each message is sent by its channel; a failure is retried with exponential
   backoff and jitter, and dead-lettered with its reason after ``max_attempts``.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog

from gatekeeper.domain import GatekeeperError, RequestRecord
from gatekeeper.domain.notice import (
    EVENT,
    GRANT_ENDING,
    MESSAGE,
    OVERDUE,
    NewMessage,
    OutboxItem,
    backoff,
    timer_id,
)
from gatekeeper.ledger.outbox_sql import SqlOutbox
from gatekeeper.service.channels import DeliveryError
from gatekeeper.service.deadlines import Deadlines, zulu

log = structlog.get_logger(__name__)

MESSAGES_PATH = "data.gatekeeper.notify.messages"
TIMERS_PATH = "data.gatekeeper.notify.timers"


class Sender(Protocol):
    def send(self, item: OutboxItem) -> None: ...


class Evaluator(Protocol):
    def evaluate(self, input: Mapping[str, Any], path: str) -> Any: ...


class RecordSource(Protocol):
    def get(self, request_id: str) -> RequestRecord: ...


@dataclass(frozen=True)
class DispatchConfig:
    """How hard the dispatcher tries and how it finds the request pages."""

    public_url: str = "http://127.0.0.1:8080"
    max_attempts: int = 8
    retry_seconds: float = 30.0
    lease_seconds: float = 60.0
    batch: int = 20
    schedule_seconds: float = 30.0  # deadlines are hours long: no need to look every poll
    housekeeping_seconds: float = 0.0  # expire ended grants, prune old keys (0: never)


def policy_input(event: OutboxItem, record: RequestRecord) -> dict[str, Any]:
    """What the routing policy decides on (see policies/gatekeeper/notify/notify.rego)."""
    payload = dict(event.payload)
    for key in ("at", "since"):
        if isinstance(payload.get(key), str):
            payload[key] = zulu(datetime.fromisoformat(payload[key]))
    ends = record.grant_ends_at
    request = record.request
    return {
        "event": {"id": event.id, "type": event.topic, **payload},
        "request": {
            "id": record.id, "customer": record.customer, "environment": record.environment,
            "requester": record.requester_subject, "access": request.access,
            "purpose": request.purpose, "need": request.need, "urgency": request.urgency,
            "ticket": request.ticket, "state": record.state, "version": record.version,
            "grant_ends_at": zulu(ends) if ends is not None else None,
        },
        "decision": record.decision.to_dict(),
    }


class Dispatcher:
    """Moves the outbox along; ``run`` loops until its stop event is set."""

    def __init__(self, outbox: SqlOutbox, records: RecordSource,
                 engine: Callable[[], Evaluator], sender: Sender,
                 config: DispatchConfig | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 housekeeping: Callable[[], Mapping[str, int]] | None = None) -> None:
        self.outbox = outbox
        self.records = records
        self.engine = engine
        self.sender = sender
        self.config = config or DispatchConfig()
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.deadlines = Deadlines(engine)
        self._scheduled_at: datetime | None = None
        self.housekeeping = housekeeping
        self._housekept_at: datetime | None = None

    # -- the passes ------------------------------------------------------------------------

    def schedule(self) -> int:
        """Write the timer events now due (at most every ``schedule_seconds``); returns how
        many were new."""
        now = self.clock()
        last = self._scheduled_at
        if last is not None and abs((now - last).total_seconds()) < self.config.schedule_seconds:
            return 0
        self._scheduled_at = now
        timers: Mapping[str, Mapping[str, Any]] = \
            self.engine().evaluate({}, TIMERS_PATH) or {}
        remind = {c: float(t.get("grant_reminder_minutes") or 0) for c, t in timers.items()}
        items: list[OutboxItem] = []
        longest = max(remind.values(), default=0)
        if longest > 0:
            for g in self.outbox.grants_ending(now, timedelta(minutes=longest)):
                if g["ends_at"] - now <= timedelta(minutes=remind.get(g["customer"], 0)):
                    items.append(self._timer(g["id"], g["customer"], GRANT_ENDING,
                                             zulu(g["ends_at"]), now, {}))
        for w in self.outbox.waiting_since(now):
            due = self.deadlines.at(w["customer"], w["state"], w["since"], now)
            for level in range(1, int(due["level"]) + 1 if due else 1):
                items.append(self._timer(
                    w["id"], w["customer"], OVERDUE, f"{w['version']}_{level}", now,
                    {"level": level, "version": w["version"], "since": w["since"].isoformat()}))
        added = self.outbox.add_events(items) if items else 0
        if added:
            log.info("timers_scheduled", count=added)
        return added

    @staticmethod
    def _timer(request_id: str, customer: str, topic: str, mark: str, now: datetime,
               extra: Mapping[str, Any]) -> OutboxItem:
        return OutboxItem(id=timer_id(request_id, topic, mark), kind=EVENT, topic=topic,
                          state="pending", payload={"at": now.isoformat(), **extra},
                          created_at=now, next_attempt_at=now, request_id=request_id,
                          customer=customer)

    def route(self) -> int:
        """Turn due events into messages; returns how many events were handled."""
        events = self.outbox.claim(EVENT, self.owner, self.clock(), self.config.lease_seconds,
                                   self.config.batch)
        for event in events:
            try:
                messages = self._messages(event)
                added = self.outbox.route(event, self.owner, messages, self.clock())
                log.info("event_routed", event_id=event.id, topic=event.topic,
                         request_id=event.request_id, messages=added)
            except GatekeeperError as exc:  # policy, engine, unknown request, database
                self._failed(event, str(exc))
        return len(events)

    def _messages(self, event: OutboxItem) -> list[NewMessage]:
        if event.request_id is None:
            return []
        record = self.records.get(event.request_id)
        data = policy_input(event, record)
        routed = self.engine().evaluate(data, MESSAGES_PATH) or []
        base = self.config.public_url.rstrip("/")
        shared = {"request": {k: data["request"][k] for k in (
            "id", "customer", "environment", "requester", "access", "purpose", "state")},
            "event": {k: data["event"].get(k) for k in ("id", "type", "action", "from", "to",
                                                          "at", "level")}}
        return [NewMessage(
            channel=m["channel"], recipient=m["to"], topic=m["topic"],
            security=bool(m.get("security")), within_minutes=m.get("within_minutes"),
            payload={"subject": m["subject"], "text": m["text"], "link": base + m["path"],
                     "secret": m.get("secret"),
                     "contact": {"role": m["contact"], "name": m.get("name")}, **shared},
        ) for m in routed]

    def deliver(self) -> int:
        """Send due messages; returns how many were attempted."""
        messages = self.outbox.claim(MESSAGE, self.owner, self.clock(),
                                     self.config.lease_seconds, self.config.batch)
        for message in messages:
            try:
                self.sender.send(message)
            except DeliveryError as exc:
                self._failed(message, str(exc))
                continue
            self.outbox.delivered(message.id, self.owner, self.clock())
            log.info("message_sent", message_id=message.id, channel=message.channel,
                     topic=message.topic, request_id=message.request_id,
                     attempt=message.attempts)
        return len(messages)

    def _failed(self, item: OutboxItem, reason: str) -> None:
        retry_at = self.clock() + backoff(item.attempts, self.config.retry_seconds)
        state = self.outbox.failed(item, self.owner, reason, self.config.max_attempts, retry_at)
        event = "message_dead_lettered" if state == "dead" else "message_retry_scheduled"
        log.warning(event, item_id=item.id, kind=item.kind, channel=item.channel,
                    request_id=item.request_id, attempt=item.attempts, reason=reason,
                    retry_at=retry_at.isoformat() if state != "dead" else None)

    def housekeep(self) -> int:
        """Every ``housekeeping_seconds``: what ``gatekeeper expire`` does (ended grants
        expire, old Idempotency-Keys are pruned); returns how many rows it changed. Several
        dispatchers doing it at once is safe: an expiry happens once, a pruned key is gone."""
        every = self.config.housekeeping_seconds
        if self.housekeeping is None or every <= 0:
            return 0
        now = self.clock()
        last = self._housekept_at
        if last is not None and abs((now - last).total_seconds()) < every:
            return 0
        self._housekept_at = now
        done = self.housekeeping()
        if any(done.values()):
            log.info("housekeeping_done", **done)
        return sum(done.values())

    # -- running ---------------------------------------------------------------------------

    def run_once(self) -> dict[str, int]:
        """One of each pass; returns what each did."""
        return {"scheduled": self.schedule(), "routed": self.route(),
                "delivered": self.deliver()}

    def run(self, stop: threading.Event, poll_seconds: float = 2.0) -> None:
        """Loop until ``stop`` is set. A failed pass is logged and the others still run (a
        policy error in the scheduler never stops deliveries)."""
        log.info("dispatcher_started", owner=self.owner)
        passes = (("schedule", self.schedule), ("route", self.route), ("deliver", self.deliver),
                  ("housekeeping", self.housekeep))
        while not stop.is_set():
            busy = False
            for name, step in passes:
                try:
                    busy = (step() > 0 and name in ("route", "deliver")) or busy
                except Exception as exc:  # never let one bad pass end the thread
                    log.error("dispatcher_pass_failed", step=name,
                              error=f"{type(exc).__name__}: {exc}")
            if not busy:
                stop.wait(poll_seconds)
        log.info("dispatcher_stopped", owner=self.owner)
