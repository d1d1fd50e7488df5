"""The outbox on SQLite or PostgreSQL: written with the change that causes it, claimed by lease.

A claim is one ``UPDATE ... WHERE id IN (...) AND state = 'pending' AND lease expired`` that
sets a fresh lease (owner and time): on PostgreSQL the row lock re-checks the condition, on
SQLite the write lock serialises claimers, so one item is worked on by one dispatcher at a
time, across threads, processes and instances. A dispatcher killed mid-delivery leaves the
lease to run out; the next claim retries the item with its same id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from gatekeeper.domain.lifecycle import GRANTED, OPEN_STATES, Event
from gatekeeper.domain.notice import (
    DEAD,
    EVENT,
    MESSAGE,
    PENDING,
    SENT,
    NewMessage,
    OutboxItem,
    event_id,
    message_id,
)
from gatekeeper.ledger.database import Database
from gatekeeper.ledger.models import AccessRequestRow
from gatekeeper.ledger.outbox_models import OutboxRow

MAX_ERROR = 2000


def event_row(request_id: str, customer: str, topic: str, seq: int, event: Event) -> OutboxRow:
    """The event item of one audit event, added to the session that stores the event. Its
    times are the wall clock's (the outbox runs on real time, whatever the event's time)."""
    now = datetime.now(UTC)
    payload = {"seq": seq, "action": event.action, "from": event.from_state,
               "to": event.to_state, "at": event.at.isoformat(), "actor": event.actor,
               "reason": event.reason, "details": dict(event.details)}
    return OutboxRow(id=event_id(request_id, seq), kind=EVENT, topic=topic, state=PENDING,
                     request_id=request_id, customer=customer, security=False,
                     payload_json=payload, attempts=0, created_at=now, next_attempt_at=now)


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id, kind=row.kind, topic=row.topic, state=row.state,
        payload=row.payload_json or {}, created_at=row.created_at,
        next_attempt_at=row.next_attempt_at, attempts=row.attempts,
        request_id=row.request_id, customer=row.customer, event_id=row.event_id,
        channel=row.channel, recipient=row.recipient, security=bool(row.security),
        deliver_by=row.deliver_by, last_error=row.last_error, sent_at=row.sent_at,
    )


def _release(row_id: str, owner: str) -> Any:
    return update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.lease_owner == owner)


class SqlOutbox:
    """The outbox of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing -------------------------------------------------------------------------

    def add_events(self, items: Iterable[OutboxItem]) -> int:
        """Add timer events whose id is not there yet (two schedulers write each once);
        returns how many were new."""
        added = 0
        with self.db.session(write=True) as session:
            for item in items:
                if session.get(OutboxRow, item.id) is not None:
                    continue
                try:
                    with session.begin_nested():
                        session.add(OutboxRow(
                            id=item.id, kind=EVENT, topic=item.topic, state=PENDING,
                            request_id=item.request_id, customer=item.customer,
                            security=False, payload_json=dict(item.payload), attempts=0,
                            created_at=item.created_at, next_attempt_at=item.created_at))
                    added += 1
                except IntegrityError:
                    continue  # another scheduler wrote it a moment ago
        return added

    # -- claiming and settling -----------------------------------------------------------

    def claim(self, kind: str, owner: str, now: datetime, lease_seconds: float,
              limit: int = 20) -> list[OutboxItem]:
        """Lease up to ``limit`` due items of ``kind`` to ``owner``; security first."""
        t = OutboxRow
        due = and_(t.kind == kind, t.state == PENDING, t.next_attempt_at <= now,
                   or_(t.lease_until.is_(None), t.lease_until < now))
        lease = now + timedelta(seconds=lease_seconds)
        with self.db.session(write=True) as session:
            ids = list(session.scalars(
                select(t.id).where(due)
                .order_by(t.security.desc(), t.next_attempt_at, t.id).limit(limit)).all())
            if not ids:
                return []
            session.execute(
                update(t).where(t.id.in_(ids), due)
                .values(lease_owner=owner, lease_until=lease, attempts=t.attempts + 1)
                .execution_options(synchronize_session=False))
            rows = session.scalars(select(t).where(
                t.id.in_(ids), t.lease_owner == owner, t.lease_until == lease)
                .order_by(t.security.desc(), t.next_attempt_at, t.id)).all()
            return [_item(r) for r in rows]

    def route(self, event: OutboxItem, owner: str, messages: Sequence[NewMessage],
              now: datetime) -> int:
        """Replace a leased event by its messages, in one transaction; returns how many were
        added (a message already there, from an earlier router that lost its lease, is kept).
        Nothing is written if the lease was lost."""
        added = 0
        with self.db.session(write=True) as session:
            done = session.execute(
                _release(event.id, owner).where(OutboxRow.state == PENDING)
                .values(state=SENT, sent_at=now, lease_until=None, last_error=None)
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return 0
            for msg in messages:
                mid = message_id(event.id, msg.channel, msg.recipient)
                if session.get(OutboxRow, mid) is not None:
                    continue
                deliver_by = (now + timedelta(minutes=msg.within_minutes)
                              if msg.within_minutes is not None else None)
                session.add(OutboxRow(
                    id=mid, kind=MESSAGE, topic=msg.topic, state=PENDING,
                    request_id=event.request_id, customer=event.customer, event_id=event.id,
                    channel=msg.channel, recipient=msg.recipient, security=msg.security,
                    payload_json=dict(msg.payload), attempts=0, created_at=now,
                    next_attempt_at=now, deliver_by=deliver_by))
                added += 1
            session.flush()
        return added

    def delivered(self, item_id: str, owner: str, now: datetime) -> bool:
        with self.db.session(write=True) as session:
            result = session.execute(
                _release(item_id, owner).values(state=SENT, sent_at=now, lease_until=None,
                                                last_error=None)
                .execution_options(synchronize_session=False))
            return result.rowcount == 1  # type: ignore[attr-defined]

    def failed(self, item: OutboxItem, owner: str, error: str, max_attempts: int,
               retry_at: datetime) -> str:
        """Record a failed attempt: ``pending`` again at ``retry_at``, or ``dead`` after
        ``max_attempts``; returns the new state."""
        state = DEAD if item.attempts >= max_attempts else PENDING
        with self.db.session(write=True) as session:
            session.execute(
                _release(item.id, owner).values(state=state, next_attempt_at=retry_at,
                                                lease_until=None, last_error=error[:MAX_ERROR])
                .execution_options(synchronize_session=False))
        return state

    # -- operating -----------------------------------------------------------------------

    def get(self, item_id: str) -> OutboxItem | None:
        with self.db.session() as session:
            row = session.get(OutboxRow, item_id)
            return _item(row) if row is not None else None

    def find(self, states: Sequence[str] = (), request_id: str | None = None,
             kind: str | None = None, customer: str | None = None,
             limit: int = 100) -> list[OutboxItem]:
        t = OutboxRow
        stmt = select(t)
        if states:
            stmt = stmt.where(t.state.in_(states))
        if request_id:
            stmt = stmt.where(t.request_id == request_id)
        if kind:
            stmt = stmt.where(t.kind == kind)
        if customer:
            stmt = stmt.where(t.customer == customer)
        stmt = stmt.order_by(t.created_at.desc(), t.id).limit(limit)
        with self.db.session() as session:
            return [_item(r) for r in session.scalars(stmt).all()]

    def retry(self, ids: Sequence[str], now: datetime) -> int:
        """Send dead items again from a fresh count (all dead ones when ``ids`` is empty)."""
        t = OutboxRow
        stmt = update(t).where(t.state == DEAD)
        if ids:
            stmt = stmt.where(t.id.in_(ids))
        with self.db.session(write=True) as session:
            result = session.execute(
                stmt.values(state=PENDING, attempts=0, next_attempt_at=now, lease_until=None,
                            lease_owner=None).execution_options(synchronize_session=False))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def purge(self, before: datetime, states: Sequence[str] = (SENT, DEAD)) -> int:
        """Delete settled items created before ``before``."""
        t = OutboxRow
        with self.db.session(write=True) as session:
            result = session.execute(
                delete(t).where(t.state.in_(states), t.created_at < before)
                .execution_options(synchronize_session=False))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def counts(self) -> dict[str, dict[str, int]]:
        """kind -> state -> how many."""
        t = OutboxRow
        found: dict[str, dict[str, int]] = {}
        with self.db.session() as session:
            for kind, state, n in session.execute(
                    select(t.kind, t.state, func.count()).group_by(t.kind, t.state)):
                found.setdefault(kind, {})[state] = int(n)
        return found

    def oldest_pending(self) -> datetime | None:
        """When the oldest item not yet delivered (nor dead-lettered) was written."""
        with self.db.session() as session:
            oldest = session.execute(select(func.min(OutboxRow.created_at))
                                     .where(OutboxRow.state == PENDING)).scalar()
        return oldest if isinstance(oldest, datetime) else None

    # -- what the scheduler looks at ------------------------------------------------------

    def grants_ending(self, now: datetime, within: timedelta,
                      limit: int = 500) -> list[Mapping[str, Any]]:
        """Grants that end after ``now`` and no later than ``now + within``."""
        r = AccessRequestRow
        stmt = (select(r.id, r.customer, r.grant_ends_at)
                .where(r.state == GRANTED, r.grant_ends_at > now, r.grant_ends_at <= now + within)
                .order_by(r.grant_ends_at).limit(limit))
        with self.db.session() as session:
            return [{"id": i, "customer": c, "ends_at": e} for i, c, e in session.execute(stmt)]

    def waiting_since(self, before: datetime, limit: int = 500) -> list[Mapping[str, Any]]:
        """Open requests whose last step was at or before ``before``."""
        r = AccessRequestRow
        stmt = (select(r.id, r.customer, r.state, r.updated_at, r.version)
                .where(r.state.in_(OPEN_STATES), r.updated_at <= before)
                .order_by(r.updated_at).limit(limit))
        with self.db.session() as session:
            return [{"id": i, "customer": c, "state": s, "since": u, "version": v}
                    for i, c, s, u, v in session.execute(stmt)]

