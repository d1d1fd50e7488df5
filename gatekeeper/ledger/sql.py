"""The SQLAlchemy ledger: one transaction per write, row locks against double transitions."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gatekeeper.domain import (
    AccessRequest,
    ConflictError,
    Decision,
    FieldError,
    NotFoundError,
    ValidationError,
)
from gatekeeper.domain.lapse import GRANT_ENDINGS, lapse, lapses
from gatekeeper.domain.lifecycle import GRANTED, Grant
from gatekeeper.domain.notice import DECIDED, TRANSITIONED
from gatekeeper.domain.record import Change
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.ledger.database import Database
from gatekeeper.ledger.models import AccessRequestRow, EventRow, IdempotencyKeyRow
from gatekeeper.ledger.outbox_sql import event_row
from gatekeeper.ledger.records import (
    Event,
    IdempotencyConflict,
    NewRequest,
    Page,
    RequestQuery,
    RequestRecord,
    Situation,
    SituationQuery,
    Step,
    StoredResponse,
)
from gatekeeper.ledger.situation_sql import gather

MAX_PAGE = 200


def _event_row(request_id: str, seq: int, event: Event) -> EventRow:
    return EventRow(
        request_id=request_id,
        seq=seq,
        actor=event.actor,
        at=event.at,
        from_state=event.from_state,
        to_state=event.to_state,
        action=event.action,
        reason=event.reason,
        details_json=dict(event.details),
    )


def _event(row: EventRow) -> Event:
    return Event(
        actor=row.actor,
        at=row.at,
        from_state=row.from_state,
        to_state=row.to_state,
        action=row.action,
        reason=row.reason,
        details=row.details_json or {},
        seq=row.seq,
    )


def _request_row(record: RequestRecord) -> AccessRequestRow:
    return AccessRequestRow(
        id=record.id,
        customer=record.customer,
        environment=record.environment,
        requester_subject=record.requester_subject,
        requester_organisation=record.requester_organisation,
        state=record.state,
        request_json=record.request.to_dict(),
        decision_json=record.decision.to_dict(),
        policy_revision=record.policy_revision,
        outcome=record.outcome,
        parent_id=record.parent_id,
        alternative_id=record.alternative_id,
        approvals_needed=record.approvals_needed,
        grant_json=record.grant.to_dict(),
        grant_starts_at=record.grant_starts_at,
        grant_ends_at=record.grant_ends_at,
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=1,
    )


def _record(
    row: AccessRequestRow, events: tuple[Event, ...] = (), follow_ups: tuple[str, ...] = ()
) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        customer=row.customer,
        environment=row.environment,
        requester_subject=row.requester_subject,
        requester_organisation=row.requester_organisation,
        state=row.state,
        request=AccessRequest.from_stored(row.request_json),
        decision=Decision.from_dict(row.decision_json),
        policy_revision=row.policy_revision,
        outcome=row.outcome,
        created_at=row.created_at,
        updated_at=row.updated_at,
        approvals_needed=row.approvals_needed,
        parent_id=row.parent_id,
        alternative_id=row.alternative_id,
        grant=Grant.from_dict(row.grant_json),
        grant_starts_at=row.grant_starts_at,
        grant_ends_at=row.grant_ends_at,
        version=row.version,
        events=events,
        follow_up_ids=follow_ups,
    )


def encode_cursor(record: RequestRecord) -> str:
    raw = json.dumps([record.created_at.isoformat(), record.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor points after; ValidationError if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, request_id = json.loads(raw)
        return parse_timestamp(str(created)), str(request_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValidationError(
            [FieldError("cursor", "is not a cursor returned by a previous page")]
        ) from None


class SqlLedger:
    """The ``Ledger`` on SQLite or PostgreSQL through SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def from_url(cls, url: str) -> SqlLedger:
        return cls(Database(url))

    def _add(self, session: Session, record: RequestRecord, first_seq: int = 1) -> None:
        session.add(_request_row(record))
        session.flush()
        for offset, event in enumerate(record.events):
            session.add(_event_row(record.id, first_seq + offset, event))
        # The outbox item of the decision, in this transaction (docs/notifications.md).
        last = first_seq + len(record.events) - 1
        session.add(event_row(record.id, record.customer, DECIDED, last, record.events[-1]))

    def create(self, new: NewRequest) -> RequestRecord:
        try:
            with self.db.session(write=True) as session:
                self._add(session, new.record)
                if new.idempotency is not None:
                    stored = new.idempotency
                    if new.forget_before is not None:  # an expired answer of this key
                        session.execute(delete(IdempotencyKeyRow).where(
                            IdempotencyKeyRow.subject == stored.subject,
                            IdempotencyKeyRow.key == stored.key,
                            IdempotencyKeyRow.created_at < new.forget_before))
                    session.add(
                        IdempotencyKeyRow(
                            subject=stored.subject,
                            key=stored.key,
                            body_hash=stored.body_hash,
                            request_id=new.record.id,
                            response_status=stored.status,
                            response_json=dict(stored.body),
                            created_at=new.record.created_at,
                        )
                    )
                session.flush()
                return self._load(session, new.record.id)
        except IntegrityError:
            if new.idempotency is not None:
                taken = self.find_response(new.idempotency.subject, new.idempotency.key)
                if taken is not None:
                    raise IdempotencyConflict(taken) from None
            raise

    def _load(self, session: Session, request_id: str, lock: bool = False) -> RequestRecord:
        stmt = select(AccessRequestRow).where(AccessRequestRow.id == request_id)
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise NotFoundError(f"no access request {request_id!r}")
        events = session.scalars(
            select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.seq)
        ).all()
        follow_ups = session.scalars(
            select(AccessRequestRow.id)
            .where(AccessRequestRow.parent_id == request_id)
            .order_by(AccessRequestRow.created_at, AccessRequestRow.id)
        ).all()
        return _record(row, tuple(_event(e) for e in events), tuple(follow_ups))

    def get(self, request_id: str) -> RequestRecord:
        with self.db.session() as session:
            return self._load(session, request_id)

    def find_response(self, subject: str, key: str) -> StoredResponse | None:
        with self.db.session() as session:
            row = session.get(IdempotencyKeyRow, (subject, key))
            if row is None:
                return None
            return StoredResponse(
                subject=row.subject,
                key=row.key,
                body_hash=row.body_hash,
                request_id=row.request_id,
                status=row.response_status,
                body=row.response_json,
                created_at=row.created_at,
            )

    def prune_responses(self, before: datetime) -> int:
        with self.db.session(write=True) as session:
            result = session.execute(
                delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before)
                .execution_options(synchronize_session=False))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def search(self, query: RequestQuery) -> Page:
        t = AccessRequestRow
        stmt = select(t)
        if query.customer:
            stmt = stmt.where(t.customer == query.customer)
        if query.states:
            stmt = stmt.where(t.state.in_(query.states))
        if query.requester:
            stmt = stmt.where(t.requester_subject == query.requester)
        if query.organisation:
            stmt = stmt.where(t.requester_organisation == query.organisation)
        if query.created_from:
            stmt = stmt.where(t.created_at >= query.created_from)
        if query.created_until:
            stmt = stmt.where(t.created_at < query.created_until)
        if query.cursor:
            created, after_id = decode_cursor(query.cursor)
            stmt = stmt.where(
                or_(t.created_at < created, and_(t.created_at == created, t.id < after_id))
            )
        limit = max(1, min(query.limit, MAX_PAGE))
        stmt = stmt.order_by(t.created_at.desc(), t.id.desc()).limit(limit + 1)
        with self.db.session() as session:
            rows = session.scalars(stmt).all()
            items = tuple(_record(row) for row in rows[:limit])
        next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    def transition(self, request_id: str, step: Step) -> RequestRecord:
        with self.db.session(write=True) as session:
            current = self._load(session, request_id, lock=True)
            change = step(current)
            self._apply(session, current, change)
            if change.to_state in GRANT_ENDINGS:
                # An extension still waiting on this grant lapses with it (domain/lapse.py).
                for child_id in current.follow_up_ids:
                    child = self._load(session, child_id, lock=True)
                    if lapses(child):
                        self._apply(session, child, lapse(child, change.to_state,
                                                          change.event.at))
            session.flush()
            session.expire_all()
            return self._load(session, request_id)

    def _apply(self, session: Session, current: RequestRecord, change: Change) -> None:
        """Store ``change`` to the locked ``current``: its row, its event and outbox item,
        and the linked request it creates."""
        request_id = current.id
        values: dict[str, Any] = {
            "state": change.to_state,
            "version": AccessRequestRow.version + 1,
            "updated_at": change.event.at,
        }
        if change.grant is not None:
            values["grant_json"] = change.grant.to_dict()
        if change.grant_starts_at is not None:
            values["grant_starts_at"] = change.grant_starts_at
        if change.grant_ends_at is not None:
            values["grant_ends_at"] = change.grant_ends_at
        result = session.execute(
            update(AccessRequestRow)
            .where(
                AccessRequestRow.id == request_id,
                AccessRequestRow.version == current.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            # Row locks make this unreachable; the version check is the second guard.
            raise ConflictError("the request changed concurrently; retry", current.state)
        last = max((e.seq for e in current.events), default=0)
        session.add(_event_row(request_id, last + 1, change.event))
        session.add(event_row(request_id, current.customer, TRANSITIONED, last + 1,
                              change.event))
        if change.follow_up is not None:
            self._add(session, change.follow_up)

    def due_for_expiry(self, now: datetime, limit: int = 500) -> list[str]:
        t = AccessRequestRow
        stmt = (
            select(t.id)
            .where(t.state == GRANTED, t.grant_ends_at <= now)
            .order_by(t.grant_ends_at)
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.scalars(stmt).all())

    def situation(self, query: SituationQuery) -> Situation:
        with self.db.single_statement() as connection:
            return gather(connection, query)

    def count(self) -> int:
        """How many requests are recorded (for tests and the crash check)."""
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(AccessRequestRow)) or 0)

    def ping(self) -> None:
        with self.db.session() as session:
            session.execute(text("SELECT 1"))

    def close(self) -> None:
        self.db.dispose()
