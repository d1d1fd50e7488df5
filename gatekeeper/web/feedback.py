"""One-click feedback on the request page: did the answer help, did you get what you needed."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from gatekeeper.domain import FieldError, ForbiddenError, NotFoundError, ValidationError
from gatekeeper.domain.feedback import ANSWER, GRANT_END
from gatekeeper.domain.roles import SUBMITTERS
from gatekeeper.web.common import act, html_errors, login_required, principal, svc

bp = Blueprint("feedback_pages", __name__, url_prefix="/requests")
html_errors(bp)

# Each button of the one click: (helped, got what they needed).
VERDICTS = {"yes": (True, True), "partly": (True, False), "no": (False, False)}
THANKS = {ANSWER: "Thank you. We noted how this answer worked for you.",
          GRANT_END: "Thank you. We noted how your access worked for you."}


@bp.route("/<request_id>/feedback", methods=["POST"])
@login_required(*SUBMITTERS)
def give(request_id: str) -> Response:
    """Record the requester's verdict; a second one replaces the first."""
    record = svc().requests.get(request_id, principal())  # another organisation's: 404

    def attempt() -> str:
        verdict = VERDICTS.get(request.form.get("verdict", ""))
        if verdict is None:
            raise ValidationError([FieldError("verdict", "Pick one of the buttons.")])
        stage = request.form.get("stage") or ANSWER
        body = {"stage": stage, "helped": verdict[0], "got_what_needed": verdict[1],
                "comment": (request.form.get("comment") or "").strip() or None}
        try:
            svc().feedback.give(request_id, principal(), body)
        except NotFoundError:  # the page is visible to the MSP, but only the requester rates
            raise ForbiddenError(f"only {record.requester_subject}, who asked, can rate "
                                 "this answer") from None
        return THANKS.get(stage, THANKS[ANSWER])

    return act(request_id, "customer.detail", attempt)
