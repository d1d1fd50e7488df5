"""Notifications as plain values: outbox items, their states, retry timing and channel settings.

An *event* item is written by the ledger in the same transaction as the change that causes it
(a decision, a transition, or a timer the dispatcher's scheduler found due). The dispatcher
asks the policy who hears of it and replaces the event, in one transaction, by one *message*
item per recipient and channel. Who is told what is policy (``policies/gatekeeper/notify``);
this module only names the values and the arithmetic of retries.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from gatekeeper.domain.errors import ConfigurationError

EVENT = "event"
MESSAGE = "message"

PENDING = "pending"
SENT = "sent"  # a message delivered, or an event routed into its messages
DEAD = "dead"
ITEM_STATES = (PENDING, SENT, DEAD)

CHANNELS = ("email", "webhook", "slack", "teams")

# The kinds of event the ledger and the scheduler write; the policy decides who hears each.
DECIDED = "decided"  # a new request and its decision
TRANSITIONED = "transitioned"  # any later step of its lifecycle
GRANT_ENDING = "grant_ending"  # the scheduler: a grant ends soon
OVERDUE = "overdue"  # the scheduler: a waiting request has waited past its deadline

_NAMESPACE = uuid.UUID("5d0f7c52-3b1a-4f61-9d7e-6a1c2b0e9f10")


@dataclass(frozen=True)
class OutboxItem:
    """One row of the outbox: an event to route, or a message to deliver."""

    id: str
    kind: str
    topic: str
    state: str
    payload: Mapping[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    request_id: str | None = None
    customer: str | None = None
    event_id: str | None = None
    channel: str | None = None
    recipient: str | None = None
    security: bool = False
    deliver_by: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The item as shown by ``gatekeeper outbox list`` and the console (no secrets:
        a chat or webhook address shows its host only)."""
        return {
            "id": self.id, "kind": self.kind, "topic": self.topic, "state": self.state,
            "channel": self.channel, "recipient": shown_recipient(self.recipient),
            "request_id": self.request_id, "customer": self.customer,
            "security": self.security, "attempts": self.attempts,
            "created_at": _iso(self.created_at), "next_attempt_at": _iso(self.next_attempt_at),
            "deliver_by": _iso(self.deliver_by), "sent_at": _iso(self.sent_at),
            "last_error": self.last_error,
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def shown_recipient(recipient: str | None) -> str | None:
    """An address fit to show: e-mail as is, a URL cut to scheme and host (its path may
    carry a Slack or Teams token)."""
    if recipient is None or "://" not in recipient:
        return recipient
    parts = urlsplit(recipient)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"


@dataclass(frozen=True)
class NewMessage:
    """A message the policy routed: to whom, by which channel, what it says."""

    channel: str
    recipient: str
    topic: str
    payload: Mapping[str, Any]
    security: bool = False
    within_minutes: float | None = None


def event_id(request_id: str, seq: int) -> str:
    """The event item of a request's audit event: stable, so it is written once."""
    return f"evt_{request_id}_{seq}"


def timer_id(request_id: str, topic: str, mark: str) -> str:
    """The event item of a timer (a grant ending, a request overdue at a level)."""
    return f"evt_{request_id}_{topic}_{mark}"


def message_id(event: str, channel: str, recipient: str) -> str:
    """The idempotency id of one message: the same event to the same place is one id, so a
    retry (or a second router after a crash) carries the id the first attempt carried."""
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{event}|{channel}|{recipient}").hex


def backoff(attempts: int, base_seconds: float, cap_seconds: float = 3600.0,
            rand: random.Random | None = None) -> timedelta:
    """How long to wait after ``attempts`` failed tries: exponential, capped, with full jitter
    over its upper half (so many failed messages do not retry in lock step)."""
    ceiling = min(cap_seconds, base_seconds * (2 ** max(0, attempts - 1)))
    pick = (rand or random).uniform(ceiling / 2, ceiling)
    return timedelta(seconds=pick)


# -- channel settings (parsed by gatekeeper.settings) ------------------------------------------

@dataclass(frozen=True)
class SmtpServer:
    """Where e-mail goes: ``smtp://[user:password@]host[:port][?starttls=1]`` or ``smtps://``."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    implicit_tls: bool = False

    @classmethod
    def parse(cls, name: str, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError(f"{name} must be smtp://host[:port] or "
                                     f"smtps://host[:port], not {_no_password(url)!r}")
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        starttls = query.get("starttls", "0").lower() in ("1", "true", "yes", "on")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ConfigurationError(f"{name} has a bad port: {_no_password(url)!r}") from None
        return cls(parts.hostname, port, unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, starttls,
                   parts.scheme == "smtps")


def _no_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@")
    return url


_SECRET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def parse_webhook_secrets(name: str, text: str) -> dict[str, bytes]:
    """``label=whsec_<base64>,label2=whsec_…`` -> label -> the key bytes (Standard Webhooks:
    the part after ``whsec_`` is base64). Errors name the label, never the secret."""
    secrets: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        label, sep, value = item.partition("=")
        label = label.strip()
        if not sep or not _SECRET_NAME.match(label):
            raise ConfigurationError(
                f"{name} must be label=whsec_… pairs separated by commas (label: lower-case "
                f"letters, digits, _ or -); entry {len(secrets) + 1} is not")
        value = value.strip()
        if not value.startswith("whsec_"):
            raise ConfigurationError(f"{name}: the secret of {label!r} must start with whsec_")
        try:
            key = base64.b64decode(value[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(
                f"{name}: the secret of {label!r} is not base64 after whsec_") from None
        if len(key) < 16:
            raise ConfigurationError(f"{name}: the secret of {label!r} is shorter than 16 bytes")
        secrets[label] = key
    return secrets
