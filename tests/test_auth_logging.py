"""No secrets in logs: the real log output of requests carrying a token, a password, cookies.

A deliberately careless hook logs whole headers, cookies, forms and URLs, through structlog
and through the standard library (as werkzeug and gunicorn do); none of the secrets may
reach stderr, in JSON lines or in console lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from flask import Flask, Response, request

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.logging_setup import REDACTED, configure_logging, redact
from tests.conftest import POLICIES, load_example

PASSWORD = "S3cret-Horse-Battery-Staple"
WRONG = "Wr0ng-Guess-Of-The-Password"



@pytest.fixture(autouse=True)
def _logging_back_on_stderr() -> Iterator[None]:
    """Tests here capture stderr; afterwards logging must not write to the closed capture."""
    yield
    configure_logging(None, "INFO")

def _careless(app: Flask) -> None:
    """Log everything about every request, as nobody should."""
    slog = structlog.get_logger("careless")
    stdlib = logging.getLogger("werkzeug")

    @app.after_request
    def dump(response: Response) -> Response:
        slog.info("request_dumped", url=request.url, headers=dict(request.headers),
                  cookies=request.cookies, form=request.form.to_dict(),
                  raw_headers=str(request.headers), set_cookie=response.headers.get_all(
                      "Set-Cookie"), note=f"form was {request.get_data(as_text=True)}")
        stdlib.warning("%s %s %s", request.method, request.url, dict(request.headers))
        stdlib.warning("body %s cookie %s", request.get_data(as_text=True),
                       request.headers.get("Cookie"))
        return response


@pytest.mark.parametrize("json_lines", ["1", "0"])
def test_no_secret_reaches_the_log_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          json_lines: str) -> None:
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "LOG_JSON": json_lines,
                      "LOG_LEVEL": "DEBUG", "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}"})
    _careless(app)
    identity = services(app).identity
    token = identity.create_token("logged", "engineer").token
    identity.create_user("alice@acme.example", "customer", PASSWORD, customer="acme")
    client = app.test_client()

    api = client.post(f"/v1/decisions?access_token={token}", json=load_example(
        "read_only")["request"], headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    revoked = identity.create_token("gone", "ci").token
    identity.revoke_token("gone")
    assert client.get("/v1/catalog", headers={"Authorization": f"Bearer {revoked}"}
                      ).status_code == 401

    page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    failed = client.post("/sign-in", data={"username": "alice@acme.example",
                                           "password": WRONG, "csrf_token": csrf})
    assert failed.status_code == 401
    signed_in = client.post("/sign-in", data={"username": "alice@acme.example",
                                              "password": PASSWORD, "csrf_token": csrf})
    assert signed_in.status_code == 303
    session_cookie = signed_in.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert client.get("/requests").status_code == 200

    output = capsys.readouterr().err
    assert "request_dumped" in output and "sign_in_failed" in output
    assert "token_rejected" in output and "sign_in_succeeded" in output
    for secret in (token, revoked, PASSWORD, WRONG, csrf, session_cookie):
        assert secret not in output, f"a secret leaked: {secret[:6]}…"
    assert token[:12] not in output  # not even most of it
    assert REDACTED in output


def test_redaction_covers_secret_shapes_in_any_string() -> None:
    clean = redact({
        "url": "https://gk.example/v1/x?token=abc123&password=hunter2&ok=1",
        "dsn": "postgresql+psycopg://gatekeeper:pg-pass@db:5432/gk",
        "line": "Cookie: __Host-gatekeeper=eyJhbGciOi.x.y; theme=dark",
        "raw": "leaked gk_" + "q" * 43 + " here",
        "Proxy-Authorization": "Basic dXNlcjpwYXNz",
        "X-CSRFToken": "abc",
        "nested": [{"Set-Cookie": "gatekeeper_session=abc; HttpOnly"}],
    })
    text = str(clean)
    for secret in ("abc123", "hunter2", "pg-pass", "eyJhbGciOi", "q" * 43, "dXNlcjpwYXNz"):
        assert secret not in text
    assert "ok=1" in clean["url"] and "db:5432/gk" in clean["dsn"]
