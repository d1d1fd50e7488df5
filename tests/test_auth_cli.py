"""``gatekeeper tokens`` and ``gatekeeper users``: created from a terminal, used over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.cli import cli
from gatekeeper.service.decisions import utc_now
from tests.conftest import POLICIES

PASSWORD = "a long enough password"


def run(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--database-url", url], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_token_lifecycle_from_the_cli(sqlite_url: str, tmp_path: Path) -> None:
    code, out, err = run(sqlite_url, "tokens", "create", "--name", "acme-portal",
                         "--role", "customer", "--customer", "acme", "--expires", "30d")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("gk_") and len(token) == 46
    assert "shown only this once" in err and token not in err

    code, out, _ = run(sqlite_url, "tokens", "list")
    assert code == 0 and "acme-portal" in out and token[:10] in out and token not in out
    listed = json.loads(run(sqlite_url, "tokens", "list", "--json")[1])
    assert listed[0]["status"] == "active" and listed[0]["expires_at"]
    assert "token" not in listed[0]

    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": sqlite_url,
                      "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    catalog = client.get("/v1/catalog", headers=headers).get_json()
    assert [c["id"] for c in catalog["customers"]] == ["acme"]

    code, out, _ = run(sqlite_url, "tokens", "revoke", "acme-portal")
    assert code == 0 and "revoked token acme-portal" in out
    # Revoked by another process: the server's token cache lets go within its lifetime.
    identity = services(app).identity
    later = utc_now() + identity.token_cache.lifetime
    identity.clock = lambda: later
    assert client.get("/v1/catalog", headers=headers).status_code == 401
    assert run(sqlite_url, "tokens", "list")[1].strip() == "no tokens"
    assert "revoked" in run(sqlite_url, "tokens", "list", "--all")[1]


def test_token_errors_are_one_line(sqlite_url: str) -> None:
    code, _, err = run(sqlite_url, "tokens", "create", "--name", "x", "--role", "customer")
    assert code == 2 and "customer: is required for the role customer" in err
    code, _, err = run(sqlite_url, "tokens", "create", "--name", "x", "--role", "ci",
                       "--customer", "acme")
    assert code == 2 and "not bound to a customer" in err
    assert run(sqlite_url, "tokens", "create", "--name", "x", "--role", "ci")[0] == 0
    code, _, err = run(sqlite_url, "tokens", "create", "--name", "x", "--role", "ci")
    assert code == 2 and "already exists" in err
    code, _, err = run(sqlite_url, "tokens", "create", "--name", "y", "--role", "ci",
                       "--expires", "soon")
    assert code == 2 and "--expires" in err
    code, _, err = run(sqlite_url, "tokens", "revoke", "nothing")
    assert code == 2 and "no token" in err


def test_users_from_the_cli(sqlite_url: str, tmp_path: Path) -> None:
    code, out, err = run(sqlite_url, "users", "create", "Alice@Acme.example", "--role",
                         "customer", "--customer", "acme", "--name", "Alice",
                         "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert "created user alice@acme.example (customer of acme)" in out
    code, _, err = run(sqlite_url, "users", "create", "bob", "--role", "admin",
                       "--password-stdin", stdin="short\n")
    assert code == 2 and "password: must be 12" in err
    code, out, _ = run(sqlite_url, "users", "create", "bob", "--role", "admin",
                       stdin=f"{PASSWORD}\n{PASSWORD}\n")  # prompted twice, hidden
    assert code == 0 and PASSWORD not in out
    users = json.loads(run(sqlite_url, "users", "list", "--json")[1])
    assert [(u["username"], u["role"]) for u in users] == [
        ("alice@acme.example", "customer"), ("bob", "admin")]
    assert all("password" not in key for u in users for key in u)
    assert run(sqlite_url, "users", "disable", "bob")[0] == 0
    assert json.loads(run(sqlite_url, "users", "list", "--json")[1])[1]["disabled"] is True
    assert run(sqlite_url, "users", "enable", "bob")[0] == 0
    code, _, err = run(sqlite_url, "users", "set-password", "nobody", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert code == 2 and "no user" in err
    assert run(sqlite_url, "users", "unlock", "alice@acme.example")[0] == 0


def test_a_customer_missing_from_the_bundle_is_refused(sqlite_url: str) -> None:
    code, out, err = run(sqlite_url, "tokens", "create", "--name", "typo", "--role",
                         "customer", "--customer", "acmee")
    assert code == 2 and out == ""  # nothing printed, nothing stored
    assert "error: customer 'acmee' is not in the policy bundle" in err
    assert "(customers: acme, bakkerij_jansen, globex)" in err
    assert json.loads(run(sqlite_url, "tokens", "list", "--json")[1]) == []
    code, _, err = run(sqlite_url, "tokens", "create", "--name", "fine", "--role",
                       "customer", "--customer", "globex")
    assert code == 0 and "error" not in err
    code, _, err = run(sqlite_url, "users", "create", "carol@initech.example", "--role",
                       "customer", "--customer", "initech", "--password-stdin",
                       stdin=f"{PASSWORD}\n")
    assert code == 2 and "customer 'initech' is not in the policy bundle" in err
    assert json.loads(run(sqlite_url, "users", "list", "--json")[1]) == []


def test_a_token_whose_customer_left_the_bundle_is_refused(sqlite_url: str,
                                                           tmp_path: Path) -> None:
    """A token made while its customer was served (here: straight through the service, as
    the CLI now refuses it) is refused with a 403 problem naming the customer."""
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": sqlite_url,
                      "INSTANCE_PATH": str(tmp_path)})
    identity = services(app).identity
    gone = identity.create_token("initech-portal", "customer", "initech").token
    kept = identity.create_token("acme-portal", "customer", "acme").token
    client = app.test_client()
    refused = client.get("/v1/access-requests", headers={"Authorization": f"Bearer {gone}"})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    detail = refused.get_json()["detail"]
    assert "customer 'initech' is not a customer of the policy bundle" in detail
    assert services(app).store.current.bundle.revision in detail
    served = client.get("/v1/access-requests", headers={"Authorization": f"Bearer {kept}"})
    assert served.status_code == 200
