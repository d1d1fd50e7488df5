"""The identity store on SQLite and PostgreSQL: tokens, accounts, sessions, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from gatekeeper.domain import AuthenticationError, ConflictError, TooManyAttemptsError
from gatekeeper.ledger import open_ledger
from gatekeeper.ledger.identity_sql import SqlIdentityStore
from gatekeeper.service.identity import IdentityService

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # tests only


@pytest.fixture
def identity(db_url: str) -> Iterator[IdentityService]:
    ledger = open_ledger(db_url, auto_upgrade=True)
    yield IdentityService(SqlIdentityStore(ledger.db), clock=lambda: NOW, hasher=FAST)
    ledger.close()


def test_tokens_round_trip(identity: IdentityService) -> None:
    issued = identity.create_token("ci", "ci", expires_at=NOW + timedelta(days=1))
    assert identity.authenticate_token(issued.token).subject == "token:ci"
    with pytest.raises(ConflictError):
        identity.create_token("ci", "ci")
    identity.revoke_token(issued.record.prefix)
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(issued.token)
    assert identity.list_tokens() == [] and len(identity.list_tokens(True)) == 1


def test_accounts_sessions_and_throttling(identity: IdentityService) -> None:
    identity.create_user("Ann@MSP.example", "approver", "a long enough password")
    principal, session_id = identity.sign_in("ann@msp.example", "a long enough password",
                                             "10.0.0.1")
    assert principal.subject == "ann@msp.example" and principal.role == "approver"
    assert identity.principal_for_session(session_id) == principal
    identity.sign_out(session_id)
    assert identity.principal_for_session(session_id) is None

    def fail(_: int) -> str:
        try:
            identity.sign_in("ann@msp.example", "wrong", "10.0.0.2")
        except AuthenticationError:
            return "401"
        except TooManyAttemptsError:
            return "429"
        return "ok"

    with ThreadPoolExecutor(4) as pool:  # concurrent failures are all counted
        results = list(pool.map(fail, range(8)))
    assert results.count("401") == 5 and results.count("429") == 3  # exactly the limit
    with pytest.raises(TooManyAttemptsError):
        identity.sign_in("ann@msp.example", "a long enough password", "10.0.0.3")
