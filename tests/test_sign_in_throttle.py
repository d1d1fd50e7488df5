"""The sign-in throttle is atomic: parallel guesses get exactly the documented five password
checks per account name, in one process and across two, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gatekeeper.domain import AuthenticationError, TooManyAttemptsError
from gatekeeper.ledger import open_ledger
from gatekeeper.ledger.identity_sql import SqlIdentityStore
from gatekeeper.service.identity import IdentityService, SignInPolicy

ROOT = Path(__file__).resolve().parent.parent
NAME, PASSWORD = "ann@msp.example", "a long enough password"
LIMIT = SignInPolicy().free_failures  # what docs/security.md promises: 5

# One process's share of the guesses: threads that sign in with wrong passwords.
GUESSER = textwrap.dedent("""
    import json, sys
    from concurrent.futures import ThreadPoolExecutor
    from gatekeeper.domain import AuthenticationError, TooManyAttemptsError
    from gatekeeper.ledger import open_ledger
    from gatekeeper.ledger.identity_sql import SqlIdentityStore
    from gatekeeper.service.identity import IdentityService

    url, count = sys.argv[1], int(sys.argv[2])
    identity = IdentityService(SqlIdentityStore(open_ledger(url, auto_upgrade=False).db))

    def guess(n):
        try:
            identity.sign_in("ann@msp.example", f"wrong {n}")
        except AuthenticationError:
            return "401"
        except TooManyAttemptsError:
            return "429"
        return "ok"

    sys.stdin.readline()  # start together
    with ThreadPoolExecutor(count) as pool:
        print(json.dumps(list(pool.map(guess, range(count)))))
""")


@pytest.fixture
def identity(db_url: str) -> Iterator[IdentityService]:
    ledger = open_ledger(db_url, auto_upgrade=True)
    service = IdentityService(SqlIdentityStore(ledger.db))
    service.create_user(NAME, "approver", PASSWORD)
    yield service
    ledger.close()


def guess(identity: IdentityService, n: int) -> str:
    try:
        identity.sign_in(NAME, f"wrong {n}")
    except AuthenticationError:
        return "401"
    except TooManyAttemptsError:
        return "429"
    return "ok"


def test_parallel_wrong_passwords_get_exactly_the_limit(identity: IdentityService) -> None:
    with ThreadPoolExecutor(16) as pool:
        results = Counter(pool.map(lambda n: guess(identity, n), range(16)))
    assert results == {"401": LIMIT, "429": 16 - LIMIT}
    with pytest.raises(TooManyAttemptsError):  # the right password waits too
        identity.sign_in(NAME, PASSWORD)


def test_two_processes_share_the_limit(identity: IdentityService, db_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", GUESSER, db_url, "8"], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate("go\n", timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    results = Counter(r for out in outputs for r in json.loads(out.strip().splitlines()[-1]))
    assert results == {"401": LIMIT, "429": 16 - LIMIT}


def test_a_success_gives_its_attempt_back(identity: IdentityService) -> None:
    for n in range(LIMIT - 1):
        assert guess(identity, n) == "401"
    identity.sign_in(NAME, PASSWORD, "10.0.0.9")  # the fifth try is right: no pause
    assert [guess(identity, n) for n in range(LIMIT + 1)] == ["401"] * LIMIT + ["429"]
