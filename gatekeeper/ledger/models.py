"""SQLAlchemy tables of the ledger; Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AccessRequestRow(Base):
    """One access request: what was asked, what policy answered, and where it stands."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer: Mapped[str] = mapped_column(String(100))
    environment: Mapped[str] = mapped_column(String(100))
    requester_subject: Mapped[str] = mapped_column(String(200))
    requester_organisation: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(40))
    request_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_revision: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("access_requests.id", ondelete="RESTRICT")
    )
    alternative_id: Mapped[str | None] = mapped_column(String(100))
    approvals_needed: Mapped[int] = mapped_column(Integer, default=0)
    grant_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    grant_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    grant_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_access_requests_created", "created_at", "id"),
        Index("ix_access_requests_customer_created", "customer", "created_at"),
        Index("ix_access_requests_requester", "requester_subject"),
        Index("ix_access_requests_state_ends", "state", "grant_ends_at"),
        Index("ix_access_requests_parent", "parent_id"),
    )


class EventRow(Base):
    """One audited transition of a request."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_requests.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    details_json: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("request_id", "seq", name="uq_events_request_seq"),)


class IdempotencyKeyRow(Base):
    """The first answer to a requester's Idempotency-Key, replayed on every retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)  # pruning by age

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_requests.id", ondelete="CASCADE")
    )
    response_status: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())



class FeedbackRow(Base):
    """A requester's feedback on one stage of a request (one row per request and stage)."""

    __tablename__ = "feedback"

    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_requests.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    helped: Mapped[bool] = mapped_column(Boolean)
    got_what_needed: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_feedback_customer_at", "customer", "at"),)
