"""POST /v1/decisions and GET /v1/catalog through the Flask test client, on the real bundle."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.api.decisions import json_response
from gatekeeper.api.openapi import load_spec
from gatekeeper.bootstrap import services
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.server.guard import is_api
from tests.conftest import load_example


def _schema(name: str) -> dict[str, Any]:
    spec = load_spec()
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}


def _freeze(app: Flask, now: str) -> None:
    fixed = parse_timestamp(now)
    services(app).decisions.clock = lambda: fixed


def _post(client: FlaskClient, body: Any, **kw: Any) -> Any:
    return client.post("/v1/decisions", json=body, **kw)


def _decide_example(app: Flask, client: FlaskClient, name: str) -> dict[str, Any]:
    """POST the example's request at the example's ``now``; the decision, checked to be a 200."""
    example = load_example(name)
    _freeze(app, example["now"])
    response = _post(client, example["request"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def test_full_admin_for_software_install_gets_consequences_and_alternatives(
    app: Flask, client: FlaskClient
) -> None:
    decision = _decide_example(app, client, "full_admin")
    jsonschema.validate(decision, _schema("Decision"))
    assert decision["outcome"] in ("allow_with_consequences", "needs_approval")
    downtime = [c for c in decision["consequences"] if c["kind"] == "downtime"]
    assert downtime and downtime[0]["downtime_hours"] == 24
    zero_downtime = [
        a for a in decision["alternatives"]
        if a["downtime_hours"] == 0 and "software_install" in a.get("fulfils", [])
    ]
    assert len(zero_downtime) >= 2
    assert sorted(a["rank"] for a in decision["alternatives"]) == list(
        range(1, len(decision["alternatives"]) + 1)
    )
    for part in ("consequences", "alternatives", "conditions", "escalations"):
        for element in decision[part]:
            assert element["rule"].startswith("gatekeeper."), element
    assert decision["policy"]["revision"].startswith("sha256:")
    assert decision["policy"]["engine"] == "regorus-rvm"  # the serving default


def test_a_request_over_the_holidays_waits_for_the_first_open_day_and_says_why(
    app: Flask, client: FlaskClient
) -> None:
    # Bakkerij Jansen, Thursday 24 December 17:30 Amsterdam time: Friday is Christmas Day.
    decision = _decide_example(app, client, "holiday_waits_for_support")
    wait = next(c for c in decision["consequences"] if c["id"] == "outside_support_hours")
    assert wait["earliest_start"] == "2026-12-28T07:00:00Z"
    assert wait["lead_time_hours"] == 86.5
    assert ("Support is closed on Fri 25 Dec 2026 (Christmas Day) and Sat 26 Dec 2026 "
            "(Second Christmas Day).") in wait["summary"]
    assert "Mon 28 Dec 2026, 08:00 (Amsterdam time), in 86.5 hours" in wait["summary"]
    box = next(c for c in decision["conditions"] if c["id"] == "time_box")
    assert box["starts_at"] == "2026-12-28T07:00:00Z"


def test_the_decision_is_sent_as_compact_sorted_utf8_json(app: Flask, client: FlaskClient) -> None:
    """The content jsonify would send, compact with sorted keys and a final newline; text is
    UTF-8 rather than ASCII escapes (both are JSON; UTF-8 is shorter and faster to write)."""
    example = load_example("break_glass")
    _freeze(app, example["now"])
    response = _post(client, example["request"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data()
    assert body.endswith(b"}\n") and b'": ' not in body and b'", ' not in body
    decision = json.loads(body)
    assert list(decision) == sorted(decision)
    assert response.headers["Content-Length"] == str(len(body))
    odd = {"summary": "Zo\u00eb\u2019s \u20ac5 \u2028 \"quoted\" </script>",
           "b": [1.5, -0.0, 10**20, None], "a": {"z": True, "y": False}}
    with app.test_request_context():
        sent = json_response(odd).get_data()
    assert json.loads(sent) == odd and sent.endswith(b"\n")
    assert sent.index(b'"a"') < sent.index(b'"b"') < sent.index(b'"summary"')
    assert "Zo\u00eb\u2019s \u20ac5".encode() in sent  # UTF-8, not \\u escapes
    app.debug = True  # debug mode keeps jsonify's indented output
    debug = _post(client, example["request"])
    assert debug.get_data(as_text=True).startswith('{\n  "alternatives": [')


def test_catalog_lists_what_a_form_needs(client: FlaskClient) -> None:
    response = client.get("/v1/catalog")
    assert response.status_code == 200
    body = response.get_json()
    jsonschema.validate(body, _schema("Catalog"))
    access = {a["id"] for a in body["access_levels"]}
    assert {"read_only", "full_admin"} <= access
    assert {"software_install", "troubleshooting"} <= {p["id"] for p in body["purposes"]}
    assert len(body["customers"]) >= 3
    assert all(c["environments"] for c in body["customers"])


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    jsonschema.validate(body, _schema("Problem"))
    assert "Traceback" not in json.dumps(body)
    return body  # type: ignore[no-any-return]


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["problem"] for e in body.get("errors", [])}


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post(
        "/v1/decisions", data='{"customer": "acme",', content_type="application/json"
    )
    body = _problem(response, 400)
    assert "JSON" in body["detail"] or "JSON" in json.dumps(body["errors"])


def test_non_json_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/v1/decisions", data="customer=acme", content_type="text/plain")
    body = _problem(response, 415)
    assert "application/json" in body["detail"]


def test_body_that_is_not_an_object_is_400(client: FlaskClient) -> None:
    _problem(_post(client, ["not", "an", "object"]), 400)


def test_oversized_body_is_413(client: FlaskClient) -> None:
    body = dict(load_example("full_admin")["request"], need="x" * 200_000)
    _problem(_post(client, body), 413)


def test_missing_and_mistyped_fields_are_named(client: FlaskClient) -> None:
    body = {"customer": "acme", "duration_hours": "eight", "systems": "web1", "urgency": "now"}
    fields = _fields(_problem(_post(client, body), 422))
    for name in ("environment", "access", "purpose", "need", "justification"):
        assert fields[name] == "is required"
    assert "number" in fields["duration_hours"]
    assert "list" in fields["systems"]
    assert "urgency" in fields


def test_unknown_field_is_named(client: FlaskClient) -> None:
    body = dict(load_example("full_admin")["request"], acces="full_admin")
    assert _fields(_problem(_post(client, body), 422)) == {"acces": "unknown field"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", "nobody-inc"),
        ("environment", "moon-base"),
        ("purpose", "mining_bitcoin"),
        ("access", "god_mode"),
    ],
)
def test_unknown_catalogue_ids_are_named(client: FlaskClient, field: str, value: str) -> None:
    body = dict(load_example("full_admin")["request"], **{field: value})
    fields = _fields(_problem(_post(client, body), 422))
    assert field in fields and value in fields[field]


def test_bad_start_timestamp_is_named(client: FlaskClient) -> None:
    body = dict(load_example("full_admin")["request"], start="tomorrow morning")
    assert "RFC 3339" in _fields(_problem(_post(client, body), 422))["start"]


def test_unknown_route_is_problem_json(client: FlaskClient) -> None:
    _problem(client.get("/v1/nothing-here"), 404)


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["policy"]["revision"].startswith("sha256:")


def test_openapi_documents_every_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/v1/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not is_api(app, rule.endpoint):  # browser pages and sign-in are not the JSON door
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        path = path.replace("{path:", "{").replace("{int:", "{")
        for method in rule.methods or ():
            if method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                served.add((path, method))
    assert served - documented == set(), "served but not documented"
