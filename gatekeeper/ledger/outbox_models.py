"""The outbox table: events to route and messages to deliver, claimed with a lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gatekeeper.ledger.models import Base, UTCDateTime


class OutboxRow(Base):
    """One event (kind ``event``) or message (kind ``message``) and its delivery state."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10))
    request_id: Mapped[str | None] = mapped_column(String(36))
    customer: Mapped[str | None] = mapped_column(String(100))
    event_id: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(Text)
    security: Mapped[bool] = mapped_column(Boolean, default=False)
    payload_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deliver_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_request", "request_id", "created_at"),
    )
