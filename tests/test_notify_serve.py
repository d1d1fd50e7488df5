"""``gatekeeper serve`` runs the dispatcher in its workers: a request submitted over HTTP
reaches the approvers' mailbox and Teams channel with no other process running."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import _cli, serving
from tests.conftest import POLICIES, load_example
from tests.notify_servers import WHSEC, HttpSink, SmtpSink, point_policies_at

pytestmark = pytest.mark.slow


def test_serve_delivers_the_messages_of_a_request_it_records(tmp_path: Path) -> None:
    with SmtpSink() as smtp, HttpSink() as http:
        point_policies_at(POLICIES, tmp_path / "policies", http)
        env = {**os.environ, "GATEKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
               "GATEKEEPER_POLICIES": str(tmp_path / "policies"), "GATEKEEPER_DEV": "1",
               "GATEKEEPER_SMTP_URL": smtp.url, "GATEKEEPER_WEBHOOK_SECRETS": f"globex={WHSEC}",
               "GATEKEEPER_OUTBOX_POLL_SECONDS": "0.1", "GATEKEEPER_WORKERS": "2"}
        _cli(env, "db", "upgrade")
        with serving(env, tmp_path) as base:
            from gatekeeper.bootstrap import Services
            from gatekeeper.settings import Settings

            settings = Settings.from_env(env)
            with Services(settings) as services:
                token = services.identity.create_token("carol-ci", "customer", "globex").token
            body = json.dumps(load_example("03_data_export")["request"]).encode()
            ask = urllib.request.Request(base + "/v1/access-requests", data=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(ask, timeout=30) as answer:
                assert answer.status == 201
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (len(smtp.mails) < 2 or len(http.hits) < 2):
                time.sleep(0.1)
        assert {m.to[0] for m in smtp.mails} == {"secops@globex.example", "approvals@msp.example"}
        assert {h.path for h in http.hits} == {"/globex/security/webhook",
                                               "/globex/approvers/teams"}
