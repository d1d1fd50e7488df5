"""The authorization matrix: every endpoint x every role x own / other organisation.

Generated from the application's URL map, so a new endpoint fails here until it has a rule:
the JSON door's cells are written out below with their exact status; a web page's cells
follow from the roles it declares (``login_required``) and must be known to the access table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import Principal
from gatekeeper.server.authorizer import rule_for
from gatekeeper.server.guard import is_api
from gatekeeper.server.identifier import SESSION_KEY
from gatekeeper.service.requests import RequestService
from tests.conftest import POLICIES
from tests.ledger_fixtures import CannedDecisions, request_body

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday afternoon
OWN, OTHER = "acme", "globex"
ROLES = ("anonymous", "customer", "engineer", "approver", "admin", "ci")
SIDES = ("own", "other")
PASSWORD = "matrix password 1234"

# -- the JSON door: exact status of each cell -------------------------------------------
# A value is the status for both organisations, or (own, other). "own" and "other" only
# differ for a customer, who is bound to acme; MSP roles see every customer.


def row(anonymous: Any = 401, customer: Any = 200, engineer: Any = 200, approver: Any = 200,
        admin: Any = 200, ci: Any = 200) -> dict[str, Any]:
    return {"anonymous": anonymous, "customer": customer, "engineer": engineer,
            "approver": approver, "admin": admin, "ci": ci}


PUBLIC_200 = row(200, 200, 200, 200, 200, 200)
REQUESTER_ACTS = row(customer=(200, 404), engineer=403, approver=403, ci=403)
APPROVER_ACTS = row(customer=403, engineer=403, ci=403)

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("health.healthz", "GET"): PUBLIC_200,
    ("health.readyz", "GET"): PUBLIC_200,
    ("health.opa_health", "GET"): PUBLIC_200,
    ("openapi.openapi_json", "GET"): PUBLIC_200,
    ("decisions.create_decision", "POST"): row(customer=(200, 403)),
    ("decisions.catalog", "GET"): row(),
    ("access_requests.submit", "POST"): row(customer=(201, 403), engineer=201, approver=403,
                                            admin=201, ci=403),
    ("access_requests.index", "GET"): row(),
    ("access_requests.show", "GET"): row(customer=(200, 404)),
    ("access_requests.accept", "POST"): REQUESTER_ACTS,
    ("access_requests.choose", "POST"): REQUESTER_ACTS,
    ("access_requests.withdraw", "POST"): REQUESTER_ACTS,
    ("access_requests.extend", "POST"): REQUESTER_ACTS,
    ("access_requests.revoke", "POST"): row(customer=(200, 404), approver=403, ci=403),
    ("access_requests.approve", "POST"): APPROVER_ACTS,
    ("access_requests.reject", "POST"): APPROVER_ACTS,
    # only the requester rates an answer: to anyone else the request is not there
    ("access_requests.feedback", "POST"): row(customer=(200, 404), engineer=404, approver=403,
                                              admin=404, ci=403),
    ("reports.customer_report", "GET"): row(customer=(200, 404), ci=403),
    # every customer side by side: MSP engineers and admins only
    ("reports.overview", "GET"): row(customer=403, approver=403, ci=403),
    # operator endpoints: MSP engineers, admins and the ci role (a Prometheus scraper)
    ("operations.metrics_text", "GET"): row(customer=403, approver=403),
    ("operations.status", "GET"): row(customer=403, approver=403),
    # OPA's Data API: engineers and CI only
    ("opa_data.query_post", "POST"): row(customer=403, approver=403, admin=403),
    ("opa_data.query_get", "GET"): row(customer=403, approver=403, admin=403),
    ("opa_data.policies", "GET"): row(customer=403, approver=403, admin=403),
    # web pages that are public, with what they answer to the web credential of each role
    ("auth.sign_in", "GET"): row(200, 303, 303, 303, 303, 303),
    ("auth.sign_in", "POST"): row(401, 401, 401, 401, 401, 401),  # an empty form fails
    ("auth.sign_out", "POST"): row(303, 303, 303, 303, 303, 303),
    ("web.index", "GET"): row(302, 302, 302, 302, 302, 302),
    ("web.static", "GET"): PUBLIC_200,
    ("static", "GET"): row(404, 404, 404, 404, 404, 404),  # no such file, but not refused
}

# the state (by canned access level) a request must be in for each action, and the body
STATE_FOR = {"accept": "full_admin", "choose": "full_admin", "withdraw": "full_admin",
             "approve": "scoped_admin", "reject": "scoped_admin", "revoke": "read_only",
             "extend": "read_only", "feedback": "read_only"}
BODY_FOR: dict[str, Any] = {
    "accept": {"consequences": ["reprovisioning_downtime", "sla_budget"]},
    "choose": {"alternative": "software_portal"},
    "withdraw": {}, "approve": {}, "reject": {"reason": "not now"}, "revoke": {"reason": "done"},
    "extend": {"hours": 1}, "feedback": {"helped": True, "got_what_needed": True},
}


def _new_request(customer: str, environment: str) -> dict[str, Any]:
    return {"customer": customer, "environment": environment, "access": "read_only",
            "purpose": "troubleshooting", "need": "see why checkout is slow",
            "justification": "slow checkout", "duration_hours": 4, "systems": []}


REQUEST_BODIES = {OWN: _new_request(OWN, "production"), OTHER: _new_request(OTHER, "production")}


@dataclass
class Caller:
    """One role's credentials: a bearer token for the JSON door, a session for the pages."""

    role: str
    api: FlaskClient
    web: FlaskClient
    token_subject: str | None
    web_subject: str | None


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES),
                      "DATABASE_URL": f"sqlite:///{tmp / 'matrix.db'}",
                      "INSTANCE_PATH": str(tmp), "WTF_CSRF_ENABLED": False})
    svc = services(app)
    svc.requests.clock = lambda: NOW
    svc.decisions.clock = lambda: NOW
    yield app
    svc.ledger.close()


@pytest.fixture(scope="module")
def callers(matrix_app: Flask) -> dict[str, Caller]:
    identity = services(matrix_app).identity
    out = {"anonymous": Caller("anonymous", matrix_app.test_client(),
                               matrix_app.test_client(), None, None)}
    for role in ROLES[1:]:
        org = OWN if role == "customer" else None
        token = identity.create_token(f"matrix-{role}", role, org).token
        api = matrix_app.test_client()
        api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        username = f"{role}@matrix.example"
        identity.create_user(username, role, PASSWORD, customer=org)
        out[role] = Caller(role, api, matrix_app.test_client(), f"token:matrix-{role}",
                           username)
        _sign_in(matrix_app, out[role])
    return out


def _sign_in(app: Flask, caller: Caller) -> None:
    if caller.web_subject is None:
        return
    with caller.web.session_transaction() as session:
        session[SESSION_KEY] = services(app).identity.start_session(caller.web_subject)


def _requester(caller: Caller, side: str, api: bool) -> Principal:
    """Who submitted the target request: the caller itself when it is the own-org customer."""
    if caller.role == "customer" and side == "own":
        subject = caller.token_subject if api else caller.web_subject
        return Principal(str(subject), "customer", OWN)
    org = OWN if side == "own" else OTHER
    return Principal(f"someone@{org}.example", "customer", org)


def _seed(app: Flask, endpoint: str, requester: Principal) -> str:
    action = endpoint.rpartition(".")[2]
    service = RequestService(CannedDecisions(), services(app).ledger, clock=lambda: NOW)
    body = request_body(STATE_FOR.get(action, "full_admin"), customer=requester.organisation)
    return service.submit(body, requester).request_id


def _cell(app: Flask, caller: Caller, endpoint: str, method: str, arguments: set[str],
          side: str) -> tuple[int, Any]:
    api = is_api(app, endpoint)
    org = OWN if side == "own" else OTHER
    values: dict[str, Any] = {}
    for name in arguments:
        if name == "request_id":
            values[name] = _seed(app, endpoint, _requester(caller, side, api))
        elif name == "customer_id":
            values[name] = org
        elif name == "path":
            values[name] = f"customers/{org}/tier"
        elif name == "month":
            values[name] = "2026-11"
        elif name == "filename":
            values[name] = "gatekeeper.css" if endpoint == "web.static" else "none.css"
        else:
            raise AssertionError(f"{endpoint}: the matrix has no value for <{name}>; add one")
    with app.test_request_context():
        url = url_for(endpoint, **values)
    client = caller.api if api else caller.web
    kwargs: dict[str, Any] = {}
    if method == "POST":
        action = endpoint.rpartition(".")[2]
        if endpoint in ("decisions.create_decision", "access_requests.submit"):
            kwargs["json"] = REQUEST_BODIES[org]
        elif api:
            kwargs["json"] = BODY_FOR.get(action, {})
        else:  # a filled-in form, so that only access decides the answer
            kwargs["data"] = {"alternative": "software_portal", "reason": "matrix"}
    if endpoint == "access_requests.index" and side == "other":
        url += f"?customer={OTHER}"
    response = client.open(url, method=method, **kwargs)
    return response.status_code, response


def _derived(app: Flask, endpoint: str, role: str, side: str, arguments: set[str]) -> str:
    """The expectation of a page cell from its rule: 'redirect', 'forbidden', 'notfound', 'ok'."""
    rule = rule_for(endpoint, app.view_functions[endpoint])
    assert rule.known, f"{endpoint} has no access rule: add it to the table or login_required"
    if rule.public:
        return "ok"
    if role == "anonymous":
        return "redirect"
    if role not in rule.roles:
        return "forbidden"
    if role == "customer" and side == "other" and arguments & {"request_id", "customer_id"}:
        return "notfound"
    return "ok"


def _endpoints(app: Flask) -> list[tuple[str, str, set[str]]]:
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, set(rule.arguments)))
    return sorted(out, key=lambda e: (e[0], e[1]))


def test_every_endpoint_has_a_rule(matrix_app: Flask) -> None:
    """A new endpoint fails here (and is denied at run time) until it has a rule."""
    missing = []
    for endpoint, method, _ in _endpoints(matrix_app):
        rule = rule_for(endpoint, matrix_app.view_functions[endpoint])
        if not rule.known:
            missing.append(f"{method} {endpoint}: no access rule")
        elif is_api(matrix_app, endpoint) and (endpoint, method) not in EXPECTED:
            missing.append(f"{method} {endpoint}: no row in the matrix's EXPECTED table")
    assert missing == []


@pytest.mark.parametrize("role", ROLES)
def test_matrix(matrix_app: Flask, callers: dict[str, Caller], role: str) -> None:
    wrong = []
    for endpoint, method, arguments in _endpoints(matrix_app):
        for side in SIDES:
            status, response = _cell(matrix_app, callers[role], endpoint, method, arguments,
                                     side)
            cell = f"{method} {endpoint} as {role} ({side} org)"
            if endpoint == "auth.sign_out":
                _sign_in(matrix_app, callers[role])  # signing out ended the session
            if (endpoint, method) in EXPECTED:
                expected = EXPECTED[endpoint, method][role]
                if isinstance(expected, tuple):
                    expected = expected[SIDES.index(side)]
                if status != expected:
                    wrong.append(f"{cell}: {status}, expected {expected}")
                continue
            want = _derived(matrix_app, endpoint, role, side, arguments)
            location = response.headers.get("Location", "")
            ok = {
                "redirect": status == 303 and location.startswith("/sign-in"),
                "forbidden": status == 403,
                "notfound": status == 404,
                "ok": status not in (401, 403, 404) and status < 500,
            }[want]
            if not ok:
                wrong.append(f"{cell}: {status}, expected {want}")
    assert wrong == []


def test_customers_list_only_their_own_organisation(matrix_app: Flask,
                                                    callers: dict[str, Caller]) -> None:
    customer = callers["customer"]
    for side in SIDES:
        _seed(matrix_app, "x.show", _requester(customer, side, api=True))
    for query in ("", f"?customer={OTHER}", f"?customer={OWN}"):
        items = customer.api.get(f"/v1/access-requests{query}").get_json()["items"]
        assert {i["customer"] for i in items} <= {OWN}
    everyone = callers["engineer"].api.get("/v1/access-requests").get_json()["items"]
    assert {i["customer"] for i in everyone} >= {OWN, OTHER}
