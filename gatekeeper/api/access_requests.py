"""/v1/access-requests: submit (evaluate and record), read, list, and lifecycle transitions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, json, request, url_for
from flask.typing import ResponseReturnValue

from gatekeeper.api.jsonbody import json_body
from gatekeeper.bootstrap import services
from gatekeeper.domain import RequestRecord
from gatekeeper.server.identifier import current_principal
from gatekeeper.service.representation import deadline_to_dict, request_to_dict
from gatekeeper.service.requests import RequestService

bp = Blueprint("access_requests", __name__, url_prefix="/v1")


def _service() -> RequestService:
    return services(current_app).requests


def _with_deadline(record: RequestRecord) -> dict[str, Any]:
    """The request as the API returns it, with its waiting state's deadline (the policy's)."""
    body = request_to_dict(record)
    body["deadline"] = deadline_to_dict(services(current_app).deadlines.of(record))
    return body


def _location(request_id: str) -> str:
    return url_for("access_requests.show", request_id=request_id)


def _optional_body() -> Any:
    """Transition bodies may be empty (withdraw, approve); otherwise they are strict JSON."""
    if not request.content_length and not request.get_data(cache=True):
        return {}
    return json_body()


@bp.post("/access-requests")
def submit() -> ResponseReturnValue:
    """Evaluate and record a request; an Idempotency-Key makes retries safe."""
    body = json_body()
    result = _service().submit(body, current_principal(), request.headers.get("Idempotency-Key"))
    response = Response(json.dumps(result.body), status=result.status, mimetype="application/json")
    response.headers["Location"] = _location(result.request_id)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/access-requests")
def index() -> ResponseReturnValue:
    """Requests newest first, filtered by customer, state, requester and creation time."""
    params = {k: request.args.getlist(k) for k in request.args}
    page = _service().search(current_principal(), params)
    deadlines = services(current_app).deadlines
    return {
        "items": [{**request_to_dict(r, detail=False),
                   "deadline": deadline_to_dict(deadlines.of(r))} for r in page.items],
        "next_cursor": page.next_cursor,
    }


@bp.get("/access-requests/<request_id>")
def show(request_id: str) -> ResponseReturnValue:
    """One request with its decision, full history and the deadline of its waiting state."""
    return _with_deadline(_service().get(request_id, current_principal()))


@bp.post("/access-requests/<request_id>/accept")
def accept(request_id: str) -> ResponseReturnValue:
    """The requester accepts the consequences, naming each consequence id."""
    return _with_deadline(_service().accept(request_id, current_principal(), json_body()))


@bp.post("/access-requests/<request_id>/choose")
def choose(request_id: str) -> ResponseReturnValue:
    """The requester takes an alternative; the linked follow-up request is created."""
    record, follow_up = _service().choose(request_id, current_principal(), json_body())
    body = _with_deadline(record)
    body["follow_up"] = _with_deadline(follow_up)
    return body, 200, {"Link": f'<{_location(follow_up.id)}>; rel="related"'}


@bp.post("/access-requests/<request_id>/extend")
def extend(request_id: str) -> ResponseReturnValue:
    """The requester asks for more hours on a live grant; the policy decides it. A linked
    request carries an extension the policy did not simply allow (under ``follow_up``)."""
    record, linked = _service().extend(request_id, current_principal(), json_body())
    body = _with_deadline(record)
    body["follow_up"] = _with_deadline(linked) if linked else None
    headers = {"Link": f'<{_location(linked.id)}>; rel="related"'} if linked else {}
    return body, 200, headers


@bp.post("/access-requests/<request_id>/approve")
def approve(request_id: str) -> ResponseReturnValue:
    """An approver approves, optionally narrowing duration or systems."""
    return _with_deadline(_service().approve(request_id, current_principal(), _optional_body()))


@bp.post("/access-requests/<request_id>/reject")
def reject(request_id: str) -> ResponseReturnValue:
    """An approver rejects, with a reason."""
    return _with_deadline(_service().reject(request_id, current_principal(), json_body()))


@bp.post("/access-requests/<request_id>/withdraw")
def withdraw(request_id: str) -> ResponseReturnValue:
    """The requester withdraws an open request."""
    return _with_deadline(_service().withdraw(request_id, current_principal(), _optional_body()))


@bp.post("/access-requests/<request_id>/revoke")
def revoke(request_id: str) -> ResponseReturnValue:
    """A grant is ended early, with a reason."""
    return _with_deadline(_service().revoke(request_id, current_principal(), json_body()))


@bp.post("/access-requests/<request_id>/feedback")
def feedback(request_id: str) -> ResponseReturnValue:
    """The requester says whether the answer (or the ended grant) helped; a second feedback
    on the same stage replaces the first."""
    given = services(current_app).feedback.give(request_id, current_principal(), json_body())
    return given.to_dict()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
