"""What the ledger stores beside the domain's request records, and the ``Ledger`` protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from gatekeeper.domain.lifecycle import Event
from gatekeeper.domain.record import Change, RequestRecord
from gatekeeper.domain.situation import Situation, SituationQuery

__all__ = ["Change", "Event", "IdempotencyConflict", "Ledger", "NewRequest", "Page",
           "RequestQuery", "RequestRecord", "Situation", "SituationQuery", "Step",
           "StoredResponse"]


@dataclass(frozen=True)
class StoredResponse:
    """The answer given to the first request with an Idempotency-Key, replayed on retries."""

    subject: str
    key: str
    body_hash: str
    request_id: str
    status: int
    body: Mapping[str, Any]
    # when it was first answered: set when read back, not part of the answer's identity
    created_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class NewRequest:
    """A request to record, with the events of its first steps and an optional stored answer.

    ``forget_before``: a stored answer of the same key created before this time has expired
    and is replaced in the same transaction (a reused, expired key is a new request)."""

    record: RequestRecord
    idempotency: StoredResponse | None = None
    forget_before: datetime | None = None


@dataclass(frozen=True)
class RequestQuery:
    """Filters and a page for listing; ``cursor`` is the opaque value of a previous page."""

    customer: str | None = None
    states: tuple[str, ...] = ()
    requester: str | None = None
    organisation: str | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of requests, newest first, and the cursor of the next page (None at the end)."""

    items: tuple[RequestRecord, ...]
    next_cursor: str | None


class IdempotencyConflict(Exception):
    """Another request already recorded this Idempotency-Key; ``stored`` is its answer."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__(f"idempotency key {stored.key!r} already used")
        self.stored = stored


Step = Callable[[RequestRecord], Change]


class Ledger(Protocol):
    """Durable storage of requests and their history; every write is one transaction."""

    def create(self, new: NewRequest) -> RequestRecord:
        """Record a request, its events and idempotency answer at once.

        Raises IdempotencyConflict when the key is taken, UnavailableError when unreachable."""
        ...

    def get(self, request_id: str) -> RequestRecord:
        """The request with its events; NotFoundError when unknown."""
        ...

    def find_response(self, subject: str, key: str) -> StoredResponse | None:
        """The stored answer for this requester's Idempotency-Key, if any."""
        ...

    def search(self, query: RequestQuery) -> Page:
        """Requests matching ``query``, newest first, without their events."""
        ...

    def transition(self, request_id: str, step: Step) -> RequestRecord:
        """Lock the request, apply ``step`` to it and store the result, or nothing if it raises.

        Two concurrent transitions of one request are serialised; the second sees the first."""
        ...

    def prune_responses(self, before: datetime) -> int:
        """Delete the stored Idempotency-Key answers created before ``before``; how many."""
        ...

    def due_for_expiry(self, now: datetime, limit: int = 500) -> list[str]:
        """Ids of granted requests whose grant ended at or before ``now``."""
        ...

    def situation(self, query: SituationQuery) -> Situation:
        """What the ledger knows about ``query``'s customer and environment that the policy
        decides with: requests whose downtime counts against the month's SLA budget (granted,
        expired or revoked after a grant, or awaiting approval with the consequences accepted,
        whose window starts in the month; downtime from their recorded decisions), and grants
        and open requests whose window overlaps ``query``'s in time (systems are left to the
        policy)."""
        ...

    def ping(self) -> None:
        """Raise UnavailableError unless the database answers."""
        ...

    def close(self) -> None:
        """Release every pooled connection."""
        ...
