"""The API token cache: revocation here is immediate, elsewhere within the TTL; expiry always.

Real SQLite through the app; time moves with the identity service's injectable clock. A
second identity service on the same database plays another process (a worker, the CLI).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import AuthenticationError, ConfigurationError
from gatekeeper.ledger import open_ledger
from gatekeeper.ledger.identity_sql import SqlIdentityStore, TokenRecord
from gatekeeper.service.decisions import utc_now
from gatekeeper.service.identity import IdentityService, digest
from gatekeeper.service.token_cache import TokenCache
from tests.conftest import POLICIES

TTL = 30  # seconds: long enough that nothing below ages out unless the clock is moved


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_app(tmp_path: Path, **config: Any) -> Flask:
    return create_app({"TESTING": True, "POLICIES": str(POLICIES), "INSTANCE_PATH": str(tmp_path),
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'gatekeeper.db'}", **config})


@pytest.fixture
def cached_app(tmp_path: Path) -> Flask:
    return make_app(tmp_path, TOKEN_CACHE_SECONDS=str(TTL))  # as the environment gives it


@pytest.fixture
def clock(cached_app: Flask) -> Clock:
    clock = Clock()
    services(cached_app).identity.clock = clock
    return clock


@pytest.fixture
def elsewhere(cached_app: Flask) -> Iterator[IdentityService]:
    """The same database seen by another process: its own service, its own cache."""
    ledger = open_ledger(cached_app.config["DATABASE_URL"])
    yield IdentityService(SqlIdentityStore(ledger.db))
    ledger.close()


class CountingStore(SqlIdentityStore):
    """Counts the token reads and last-use writes that reach the database."""

    def __init__(self, store: SqlIdentityStore) -> None:
        super().__init__(store.db)
        self.reads = self.touches = 0

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        self.reads += 1
        return super().token_by_hash(token_hash)

    def touch_token(self, token_id: str, at: datetime, every: timedelta) -> None:
        self.touches += 1
        super().touch_token(token_id, at, every)


def counting(app: Flask) -> CountingStore:
    identity = services(app).identity
    identity.store = store = CountingStore(identity.store)
    return store


def status(app: Flask, token: str) -> int:
    """GET /v1/catalog with the token: 200 or 401."""
    response = app.test_client().get("/v1/catalog", headers={"Authorization": f"Bearer {token}"})
    return int(response.status_code)


def test_the_cache_lifetime_comes_from_the_configuration(tmp_path: Path, app: Flask) -> None:
    assert services(app).identity.token_cache.lifetime == timedelta(seconds=2)  # the default
    off = services(make_app(tmp_path / "off", TOKEN_CACHE_SECONDS="0")).identity.token_cache
    assert not off.enabled
    for bad in ("-1", "2m", "nan", "inf"):
        with pytest.raises(ConfigurationError, match="GATEKEEPER_TOKEN_CACHE_SECONDS"):
            make_app(tmp_path / "bad", TOKEN_CACHE_SECONDS=bad)


def test_a_cached_token_skips_the_database(cached_app: Flask, clock: Clock) -> None:
    token = services(cached_app).identity.create_token("ci", "ci").token
    store = counting(cached_app)
    assert [status(cached_app, token) for _ in range(5)] == [200] * 5
    assert store.reads == 1
    clock.advance(seconds=TTL)  # aged out: read again
    assert status(cached_app, token) == 200 and store.reads == 2


def test_revoked_here_is_refused_at_once(cached_app: Flask, clock: Clock) -> None:
    identity = services(cached_app).identity
    issued = identity.create_token("to-revoke", "ci")
    assert status(cached_app, issued.token) == 200  # now in the cache
    identity.revoke_token("to-revoke")
    assert status(cached_app, issued.token) == 401  # same clock: no ageing out involved
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(issued.token)


def test_revoked_elsewhere_is_refused_within_the_ttl(cached_app: Flask, clock: Clock,
                                                     elsewhere: IdentityService) -> None:
    token = services(cached_app).identity.create_token("worker-2", "ci").token
    assert status(cached_app, token) == 200
    elsewhere.revoke_token("worker-2")
    clock.advance(seconds=TTL - 1)
    assert status(cached_app, token) == 200  # the documented window: still remembered
    clock.advance(seconds=1)
    assert status(cached_app, token) == 401


def test_ttl_zero_reads_the_database_every_call(tmp_path: Path) -> None:
    app = make_app(tmp_path, TOKEN_CACHE_SECONDS="0")
    identity = services(app).identity
    token = identity.create_token("uncached", "ci").token
    store = counting(app)
    assert [status(app, token) for _ in range(3)] == [200] * 3
    assert store.reads == 3 and len(identity.token_cache) == 0
    ledger = open_ledger(app.config["DATABASE_URL"])
    IdentityService(SqlIdentityStore(ledger.db)).revoke_token("uncached")  # another process
    ledger.close()
    assert status(app, token) == 401


def test_an_expired_token_is_refused_while_cached(cached_app: Flask, clock: Clock) -> None:
    identity = services(cached_app).identity
    token = identity.create_token("short", "ci", expires_at=clock.now + timedelta(seconds=5)
                                  ).token
    store = counting(cached_app)
    assert status(cached_app, token) == 200
    clock.advance(seconds=5)  # expired, and well inside the cache lifetime
    with pytest.raises(AuthenticationError, match="expired"):
        identity.authenticate_token(token)
    assert status(cached_app, token) == 401
    assert store.reads == 1  # refused from the cached record, by the clock


def test_rejections_are_not_remembered(cached_app: Flask, clock: Clock) -> None:
    identity = services(cached_app).identity
    store = counting(cached_app)
    raw = "gk_" + "A" * 43
    assert status(cached_app, raw) == 401
    assert status(cached_app, raw) == 401
    assert store.reads == 2 and len(identity.token_cache) == 0
    # The same token appears (created by another process): it works on the very next call.
    record = TokenRecord(str(uuid.uuid4()), "late", "ci", None, raw[:10], clock.now)
    store.add_token(record, digest(raw))
    assert status(cached_app, raw) == 200

    revoked = identity.create_token("gone", "ci")
    identity.revoke_token("gone")
    assert status(cached_app, revoked.token) == 401
    assert status(cached_app, revoked.token) == 401
    assert len(identity.token_cache) == 1  # only "late"


def test_last_use_is_still_written_once_a_minute(cached_app: Flask, clock: Clock) -> None:
    identity = services(cached_app).identity
    identity.token_cache = TokenCache(3600)  # nothing ages out in this test
    token = identity.create_token("used", "ci").token
    store = counting(cached_app)

    def last_used() -> datetime | None:
        return identity.list_tokens()[0].last_used_at

    first = clock.now
    assert status(cached_app, token) == 200 and last_used() == first
    clock.advance(seconds=30)
    assert status(cached_app, token) == 200 and last_used() == first  # at most once a minute
    clock.advance(seconds=31)
    assert status(cached_app, token) == 200 and last_used() == clock.now  # from the cache
    for _ in range(3):
        clock.advance(seconds=1)
        assert status(cached_app, token) == 200
    assert last_used() == clock.now - timedelta(seconds=3)
    assert (store.reads, store.touches) == (1, 2)  # one read; one write a minute, no more


def test_the_cache_is_bounded_and_forgets_the_oldest() -> None:
    cache = TokenCache(60, max_entries=3)
    now = utc_now()
    records = [TokenRecord(f"id{i}", f"t{i}", "ci", None, f"gk_{i}", now) for i in range(5)]
    for i, record in enumerate(records):
        cache.put(f"h{i}", record, now, cache.generation)
    assert len(cache) == 3
    assert [cache.get(f"h{i}", now) for i in range(5)] == [None, None, *records[2:]]
    assert cache.get("h4", now - timedelta(seconds=1)) is None  # clock went back: read again
    assert cache.get("h4", now) is None


def test_a_lookup_racing_a_revocation_is_not_stored() -> None:
    cache = TokenCache(60)
    now = utc_now()
    record = TokenRecord("id", "t", "ci", None, "gk_x", now)
    generation = cache.generation  # a lookup starts reading the database ...
    cache.forget("id")  # ... the token is revoked here meanwhile ...
    cache.put("h", record, now, generation)  # ... and what the lookup read is dropped
    assert cache.get("h", now) is None
    cache.put("h", record, now, cache.generation)
    assert cache.get("h", now) is record
    cache.forget("id")
    assert cache.get("h", now) is None and len(cache) == 0


def test_threads_share_one_cache_safely(cached_app: Flask) -> None:
    identity = services(cached_app).identity
    tokens = [identity.create_token(f"t{i}", "ci").token for i in range(8)]
    errors: list[BaseException] = []

    def work(token: str) -> None:
        try:
            for _ in range(50):
                identity.authenticate_token(token)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in tokens * 2]
    for thread in threads:
        thread.start()
    identity.revoke_token("t0")
    for thread in threads:
        thread.join()
    assert all(isinstance(e, AuthenticationError) for e in errors)
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(tokens[0])
    assert identity.authenticate_token(tokens[1]).subject == "token:t1"
