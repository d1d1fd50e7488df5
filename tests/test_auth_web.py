"""Signing in to the web doors: cookies, CSRF, throttling, sessions, SSO, start-up refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import ConfigurationError
from gatekeeper.logging_setup import configure_logging
from gatekeeper.server.identifier import SESSION_KEY
from gatekeeper.service.decisions import utc_now
from gatekeeper.service.identity import FAILED
from gatekeeper.web.auth import login_required, safe_next
from tests.conftest import POLICIES

PASSWORD = "correct horse battery staple"


def make_app(tmp_path: Path, **config: Any) -> Flask:
    base = {"TESTING": True, "POLICIES": str(POLICIES), "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'web-auth.db'}"}
    return create_app({**base, **config})



@pytest.fixture(autouse=True)
def _logging_back_on_stderr() -> Iterator[None]:
    """Tests here capture stderr; afterwards logging must not write to the closed capture."""
    yield
    configure_logging(None, "INFO")

@pytest.fixture
def web(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    services(app).identity.create_user("alice@acme.example", "customer", PASSWORD,
                                       customer="acme", display_name="Alice")
    return app


def csrf_of(client: FlaskClient, url: str = "/sign-in") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str, **extra: str) -> Any:
    token = csrf_of(client)
    return client.post("/sign-in", data={"username": username, "password": password,
                                         "csrf_token": token, **extra})


def test_sign_in_sets_a_hardened_session_cookie(web: Flask) -> None:
    client = web.test_client()
    response = sign_in(client, "Alice@Acme.example", PASSWORD, next="/requests")
    assert response.status_code == 303 and response.headers["Location"] == "/requests"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-gatekeeper=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert client.get("/requests").status_code != 303  # signed in


def test_development_cookies_are_not_secure(tmp_path: Path) -> None:
    app = make_app(tmp_path, DEV="1")
    services(app).identity.create_user("dev@msp.example", "admin", PASSWORD)
    cookie = sign_in(app.test_client(), "dev@msp.example", PASSWORD).headers["Set-Cookie"]
    assert cookie.startswith("gatekeeper_session=")
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_stored_as_argon2id(web: Flask) -> None:
    engine = create_engine(web.config["DATABASE_URL"])
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_pages_redirect_to_sign_in_and_back(web: Flask) -> None:
    client = web.test_client()
    response = client.get("/requests?state=granted")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/requests?state%3Dgranted"


def test_a_form_posted_after_the_session_ended_returns_to_its_page(web: Flask) -> None:
    client = web.test_client()
    response = client.post("/requests/abc/accept", data={},
                           headers={"Referer": "http://localhost/requests/abc"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/requests/abc"
    foreign = client.post("/requests/abc/accept", data={},
                          headers={"Referer": "https://evil.example/phish"})
    assert foreign.headers["Location"] == "/sign-in"


def test_failures_do_not_reveal_whether_the_account_exists(web: Flask) -> None:
    wrong = sign_in(web.test_client(), "alice@acme.example", "not the password")
    unknown = sign_in(web.test_client(), "nobody@acme.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert FAILED in wrong.get_data(as_text=True)

    def scrub(response: Any) -> str:
        page = response.get_data(as_text=True)
        page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
        return page.replace("alice@acme.example", "X").replace("nobody@acme.example", "X")

    assert scrub(wrong) == scrub(unknown)


@pytest.mark.parametrize("username", ["alice@acme.example", "nobody@acme.example"])
def test_repeated_failures_pause_the_account_name(web: Flask, username: str) -> None:
    identity = services(web).identity
    client = web.test_client()
    statuses = [sign_in(client, username, f"guess {i}").status_code for i in range(5)]
    assert statuses == [401] * 5  # five free failures, as documented
    paused = sign_in(client, username, PASSWORD)  # even the right password waits
    assert paused.status_code == 429
    assert int(paused.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in paused.get_data(as_text=True)
    later = utc_now() + timedelta(minutes=2)
    identity.clock = lambda: later
    expected = 303 if username.startswith("alice") else 401
    assert sign_in(client, username, PASSWORD).status_code == expected


def test_unlock_lets_the_account_try_again(web: Flask) -> None:
    client = web.test_client()
    for i in range(7):
        sign_in(client, "alice@acme.example", f"guess {i}")
    assert sign_in(client, "alice@acme.example", PASSWORD).status_code == 429
    services(web).identity.unlock("alice@acme.example")
    assert sign_in(client, "alice@acme.example", PASSWORD).status_code == 303


def test_every_form_needs_its_csrf_token(web: Flask) -> None:
    client = web.test_client()
    refused = client.post("/sign-in", data={"username": "alice@acme.example",
                                            "password": PASSWORD})
    assert refused.status_code == 400
    assert sign_in(client, "alice@acme.example", PASSWORD).status_code == 303
    assert client.post("/sign-out").status_code == 400
    assert client.post("/requests/new", data={"need": "x"}).status_code == 400
    token = csrf_of(client, "/requests")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303


def test_sign_out_ends_the_session_on_the_server(web: Flask) -> None:
    client = web.test_client()
    sign_in(client, "alice@acme.example", PASSWORD)
    with client.session_transaction() as session:
        stolen = session[SESSION_KEY]
    client.post("/sign-out", data={"csrf_token": csrf_of(client, "/requests")})
    replay = web.test_client()
    with replay.session_transaction() as session:
        session[SESSION_KEY] = stolen
    assert replay.get("/requests").status_code == 303  # back to sign-in


def test_disabling_or_a_new_password_ends_sessions(web: Flask) -> None:
    identity = services(web).identity
    client = web.test_client()
    sign_in(client, "alice@acme.example", PASSWORD)
    identity.set_password("alice@acme.example", "another long password")
    assert client.get("/requests").status_code == 303
    assert sign_in(client, "alice@acme.example", "another long password").status_code == 303
    identity.set_disabled("alice@acme.example", True)
    assert client.get("/requests").status_code == 303
    assert sign_in(client, "alice@acme.example", "another long password").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)", "/ok\r\nX: y"])
def test_sign_in_never_redirects_off_site(target: str) -> None:
    assert safe_next(target) is None
    assert safe_next("/requests?state=granted") == "/requests?state=granted"


def test_sso_header_is_ignored_unless_configured(web: Flask) -> None:
    sso = {"X-Forwarded-User": "alice@acme.example"}
    response = web.test_client().get("/requests", headers=sso)
    assert response.status_code == 303 and response.headers["Location"].startswith("/sign-in")


def test_a_configured_sso_header_signs_people_in(tmp_path: Path) -> None:
    app = make_app(tmp_path, SSO_HEADER="X-Forwarded-User", SSO_ROLE_HEADER="X-Forwarded-Role",
                   SSO_ORG_HEADER="X-Forwarded-Org")
    services(app).identity.create_user("ann@msp.example", "approver", PASSWORD)
    client = app.test_client()
    account = client.get("/console", headers={"X-Forwarded-User": "ann@msp.example",
                                              "X-Forwarded-Role": "admin"})
    assert account.status_code == 200  # the local account's role wins over the header
    assert "ann@msp.example" in account.get_data(as_text=True)
    by_header = client.get("/requests", headers={"X-Forwarded-User": "carol@globex.example",
                                                 "X-Forwarded-Role": "customer",
                                                 "X-Forwarded-Org": "globex"})
    assert by_header.status_code == 200
    no_role = client.get("/requests", headers={"X-Forwarded-User": "mallory@example.com"})
    assert no_role.status_code == 403
    customer_on_console = client.get("/console", headers={
        "X-Forwarded-User": "carol@globex.example", "X-Forwarded-Role": "customer",
        "X-Forwarded-Org": "globex"})
    assert customer_on_console.status_code == 403


def test_login_required_knows_only_real_roles() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        login_required("superuser")


def test_production_refuses_the_development_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="GATEKEEPER_SECRET_KEY"):
        make_app(tmp_path, TESTING=False)
    app = make_app(tmp_path, TESTING=False, SECRET_KEY="x" * 40)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_auth_off_is_for_development_only(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigurationError, match="development only"):
        make_app(tmp_path, TESTING=False, SECRET_KEY="x" * 40, AUTH="off")
    app = make_app(tmp_path, TESTING=False, DEV="1", AUTH="off", LOG_JSON="1")
    warned = [json.loads(line) for line in capsys.readouterr().err.splitlines()
              if "authentication_disabled" in line]
    assert warned and warned[0]["level"] == "warning"
    assert "EVERY caller is the local engineer" in warned[0]["detail"]
    catalog = app.test_client().get("/v1/catalog")  # every caller is the local engineer
    assert catalog.status_code == 200
