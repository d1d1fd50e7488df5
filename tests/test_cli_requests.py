"""`gatekeeper db`, `requests list | show` and `expire`: CliRunner and a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gatekeeper.cli import cli
from gatekeeper.ledger import head_revision, open_ledger
from gatekeeper.service.requests import RequestService
from tests.ledger_fixtures import REQUESTER, CannedDecisions, request_body

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def seed(url: str) -> dict[str, str]:
    """Three requests: granted (ends in 1 h), awaiting acceptance, denied."""
    ledger = open_ledger(url, auto_upgrade=True)
    service = RequestService(CannedDecisions(), ledger, clock=lambda: NOW)
    ids = {access: service.submit(request_body(access, duration_hours=1), REQUESTER).request_id
           for access in ("read_only", "full_admin", "data_export")}
    ledger.close()
    return ids


def run(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_db_upgrade_and_current(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "current", "--database-url", db_url])
    assert result.exit_code == 1 and "at nothing" in result.output
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert f"at revision {head_revision()}" in result.output
    assert "postgres@" not in result.output or "***" not in result.output
    result = CliRunner().invoke(cli, ["db", "current", "--database-url", db_url])
    assert result.exit_code == 0 and f"at {head_revision()}" in result.output


def test_db_upgrade_unreachable_is_one_line() -> None:
    result = CliRunner().invoke(
        cli, ["db", "upgrade", "--database-url", "postgresql+psycopg://x@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "cannot be reached" in result.output and "Traceback" not in result.output


def test_requests_list_and_show(db_url: str) -> None:
    ids = seed(db_url)
    runner = CliRunner()
    listed = runner.invoke(cli, ["requests", "list", "--database-url", db_url])
    assert listed.exit_code == 0, listed.output
    for request_id in ids.values():
        assert request_id in listed.output
    doc = json.loads(runner.invoke(cli, ["requests", "list", "--json", "--state", "denied",
                                         "--database-url", db_url]).output)
    assert [i["id"] for i in doc["items"]] == [ids["data_export"]]
    shown = runner.invoke(cli, ["requests", "show", ids["full_admin"], "--database-url", db_url])
    assert shown.exit_code == 0, shown.output
    assert "AWAITING_ACCEPTANCE" in shown.output
    assert "consequence reprovisioning_downtime" in shown.output
    assert "gatekeeper: decide submitted -> awaiting_acceptance" in shown.output
    as_json = json.loads(runner.invoke(
        cli, ["requests", "show", ids["full_admin"], "--json", "--database-url", db_url]).output)
    assert [h["action"] for h in as_json["history"]] == ["submit", "decide"]
    missing = runner.invoke(cli, ["requests", "show", "nope", "--database-url", db_url])
    assert missing.exit_code == 2
    assert missing.output.strip() == "error: no access request 'nope'"


def test_expire_moves_ended_grants(db_url: str) -> None:
    ids = seed(db_url)
    # the seeded grant ended long ago by the wall clock: expire moves it
    result = CliRunner().invoke(cli, ["expire", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert "expired 1 grant(s)" in result.output and ids["read_only"] in result.output
    assert NOW + timedelta(hours=1) < datetime.now(UTC)


def _gatekeeper() -> list[str]:
    script = Path(sys.executable).parent / "gatekeeper"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gatekeeper"]


def test_requests_list_as_a_subprocess(db_url: str, tmp_path: Path) -> None:
    ids = seed(db_url)
    env = {**os.environ, "GATEKEEPER_DATABASE_URL": db_url,
           "GATEKEEPER_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([*_gatekeeper(), "requests", "list", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {i["id"] for i in json.loads(done.stdout)["items"]} == set(ids.values())


@pytest.mark.parametrize("command", [["requests", "list"], ["db", "current"]])
def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path, command: list[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("GATEKEEPER_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, command)
    assert str(tmp_path) in result.output or result.output.startswith("no requests")
    assert (tmp_path / "gatekeeper.db").exists()


def test_requests_extend_as_a_subprocess(db_url: str, tmp_path: Path) -> None:
    """The requester's extension from a terminal, decided by the real policy."""
    ledger = open_ledger(db_url, auto_upgrade=True)
    now = datetime.now(UTC).replace(microsecond=0)
    service = RequestService(CannedDecisions(), ledger, clock=lambda: now)
    body = request_body("read_only", purpose="troubleshooting", duration_hours=2,
                        start=(now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"))
    rid = service.submit(body, REQUESTER).request_id
    ends = ledger.get(rid).grant_ends_at
    ledger.close()
    env = {**os.environ, "GATEKEEPER_DATABASE_URL": db_url,
           "GATEKEEPER_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([*_gatekeeper(), "requests", "extend", rid, "--hours", "2",
                           "--reason", "the fix needs longer", "--json"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    step = doc["history"][-1]
    assert (step["action"], step["actor"], step["reason"]) == (
        "extend", REQUESTER.subject, "the fix needs longer")
    assert ends is not None
    if step["details"]["outcome"] == "allow":
        assert doc["grant"]["ends_at"] == (ends + timedelta(hours=2)).isoformat().replace(
            "+00:00", "Z")
    else:
        assert doc["follow_up"]["parent_id"] == rid
    bad = subprocess.run([*_gatekeeper(), "requests", "extend", rid, "--hours", "0"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "hours" in bad.stdout + bad.stderr
