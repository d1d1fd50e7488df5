"""What reports read from the ledger (a month of requests with their history) and the
requesters' feedback they are set beside."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from gatekeeper.domain import RequestRecord
from gatekeeper.domain.feedback import Feedback
from gatekeeper.ledger.database import Database
from gatekeeper.ledger.models import AccessRequestRow, EventRow, FeedbackRow
from gatekeeper.ledger.sql import _event, _record

_CHUNK = 500  # ids per IN (...) list


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(request_id=row.request_id, customer=row.customer, stage=row.stage,
                    subject=row.subject, helped=row.helped,
                    got_what_needed=row.got_what_needed, comment=row.comment, at=row.at)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


class SqlReports:
    """Read-mostly queries for the monthly reports, and the feedback table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def requests_between(self, start: datetime, end: datetime,
                         customer: str | None = None) -> list[RequestRecord]:
        """Requests created in [start, end) (of ``customer``, else all), oldest first, each
        with its events and follow-up ids."""
        t = AccessRequestRow
        stmt = select(t).where(t.created_at >= start, t.created_at < end)
        if customer is not None:
            stmt = stmt.where(t.customer == customer)
        stmt = stmt.order_by(t.created_at, t.id)
        with self.db.session() as session:
            rows = session.scalars(stmt).all()
            ids = [r.id for r in rows]
            events: dict[str, list[EventRow]] = defaultdict(list)
            follow: dict[str, list[str]] = defaultdict(list)
            for chunk in _chunks(ids):
                for e in session.scalars(select(EventRow).where(EventRow.request_id.in_(chunk))
                                         .order_by(EventRow.request_id, EventRow.seq)):
                    events[e.request_id].append(e)
                for child, parent in session.execute(
                        select(t.id, t.parent_id).where(t.parent_id.in_(chunk))
                        .order_by(t.created_at, t.id)):
                    follow[str(parent)].append(child)
            return [_record(r, tuple(_event(e) for e in events[r.id]), tuple(follow[r.id]))
                    for r in rows]

    def put_feedback(self, feedback: Feedback) -> Feedback:
        """Record ``feedback``, replacing an earlier one on the same request and stage."""
        with self.db.session(write=True) as session:
            session.execute(delete(FeedbackRow).where(
                FeedbackRow.request_id == feedback.request_id,
                FeedbackRow.stage == feedback.stage))
            session.add(FeedbackRow(
                request_id=feedback.request_id, stage=feedback.stage,
                customer=feedback.customer, subject=feedback.subject, helped=feedback.helped,
                got_what_needed=feedback.got_what_needed, comment=feedback.comment,
                at=feedback.at))
        return feedback

    def feedback_for(self, request_ids: Iterable[str]) -> list[Feedback]:
        """The feedback given on these requests."""
        found: list[Feedback] = []
        with self.db.session() as session:
            for chunk in _chunks(list(request_ids)):
                rows = session.scalars(select(FeedbackRow)
                                       .where(FeedbackRow.request_id.in_(chunk))
                                       .order_by(FeedbackRow.request_id, FeedbackRow.stage))
                found += [_feedback(r) for r in rows]
        return found
