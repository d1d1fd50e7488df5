"""A requester's feedback on an answer: did it help, did they get what they needed.

Given once after the answer and once more after a grant ends (the two ``stages``); a second
feedback on the same stage of the same request replaces the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatekeeper.domain.commands import fields
from gatekeeper.domain.errors import FieldError, ValidationError

ANSWER = "answer"
GRANT_END = "grant_end"
STAGES = (ANSWER, GRANT_END)
COMMENT_LIMIT = 1000


@dataclass(frozen=True)
class FeedbackInput:
    """What a requester sends: the stage, two yes/no answers and an optional comment."""

    stage: str
    helped: bool
    got_what_needed: bool
    comment: str | None = None

    @classmethod
    def from_body(cls, body: Any) -> FeedbackInput:
        """The feedback in ``body``; ValidationError naming each bad field."""
        args = fields(body, {"stage": str, "helped": bool, "got_what_needed": bool,
                             "comment": str})
        errors = [FieldError(name, "is required: true or false")
                  for name in ("helped", "got_what_needed") if args[name] is None]
        stage = args["stage"] or ANSWER
        if stage not in STAGES:
            errors.append(FieldError("stage", f"must be one of {', '.join(STAGES)}"))
        comment = (args["comment"] or "").strip() or None
        if comment is not None and len(comment) > COMMENT_LIMIT:
            errors.append(FieldError("comment", f"must be at most {COMMENT_LIMIT} characters"))
        if errors:
            raise ValidationError(errors)
        return cls(stage, bool(args["helped"]), bool(args["got_what_needed"]), comment)


@dataclass(frozen=True)
class Feedback:
    """Feedback as recorded on a request."""

    request_id: str
    customer: str
    stage: str
    subject: str
    helped: bool
    got_what_needed: bool
    comment: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "stage": self.stage, "subject": self.subject,
                "helped": self.helped, "got_what_needed": self.got_what_needed,
                "comment": self.comment,
                "at": self.at.isoformat().replace("+00:00", "Z")}
