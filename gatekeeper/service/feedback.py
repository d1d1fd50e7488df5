"""The requester's one-click feedback on an answer, and again after the grant ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import structlog

from gatekeeper.domain import ConflictError, NotFoundError, Principal
from gatekeeper.domain.feedback import GRANT_END, Feedback, FeedbackInput
from gatekeeper.domain.lifecycle import EXPIRED, REVOKED
from gatekeeper.service.decisions import Clock
from gatekeeper.service.requests import RequestService

log = structlog.get_logger(__name__)


class FeedbackStore(Protocol):
    def put_feedback(self, feedback: Feedback) -> Feedback: ...

    def feedback_for(self, request_ids: Sequence[str]) -> list[Feedback]: ...


class FeedbackService:
    """Records feedback: only the requester may give it, on their own request."""

    def __init__(self, requests: RequestService, store: FeedbackStore,
                 clock: Clock | None = None) -> None:
        self.requests = requests
        self.store = store
        self.clock = clock  # None: the request service's clock

    def give(self, request_id: str, principal: Principal, body: Any,
             now: datetime | None = None) -> Feedback:
        """Record the requester's feedback (a second one on the same stage replaces the
        first). Someone else's request is a 404; feedback on a grant that has not ended a 409."""
        given = FeedbackInput.from_body(body)
        at = now or (self.clock or self.requests.clock)()
        record = self.requests.get(request_id, principal, at)  # expires a grant past its end
        if record.requester_subject != principal.subject:
            raise NotFoundError(f"no access request {request_id!r}")
        if given.stage == GRANT_END and not (record.state in (EXPIRED, REVOKED)
                                             and record.grant_starts_at is not None):
            raise ConflictError("feedback on the grant waits until the grant has ended",
                                state=record.state)
        feedback = Feedback(request_id=record.id, customer=record.customer, stage=given.stage,
                            subject=principal.subject, helped=given.helped,
                            got_what_needed=given.got_what_needed, comment=given.comment, at=at)
        self.store.put_feedback(feedback)
        log.info("feedback_recorded", request_id=record.id, stage=given.stage,
                 helped=given.helped, got_what_needed=given.got_what_needed,
                 customer=record.customer)
        return feedback

    def of(self, request_id: str) -> list[Feedback]:
        """The feedback on one request (the caller has already seen the request)."""
        return self.store.feedback_for([request_id])
