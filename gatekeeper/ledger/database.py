"""Connections: SQLite (WAL, immediate write transactions) or PostgreSQL, one pool per process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from gatekeeper.domain import UnavailableError

log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 10}


def default_url(instance_path: str | Path) -> str:
    """The embedded default: a SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'gatekeeper.db'}"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def redact_url(url: str | URL) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **POOL,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" hook below opens transactions
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before we answer
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that reads and then
        # writes fails with SQLITE_BUSY under contention instead of waiting its turn.
        options = conn.get_execution_options()
        if options.get("gatekeeper_single_statement", False):
            return  # one statement reads one consistent snapshot by itself
        immediate = options.get("gatekeeper_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _server_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = 5
    return create_engine(
        url, connect_args=connect_args, pool_pre_ping=True, pool_recycle=1800, **POOL
    )


def build_engine(url: str | URL) -> Engine:
    """A SQLAlchemy engine configured for the ledger's backend."""
    parsed = make_url(url)
    return _sqlite_engine(parsed) if is_sqlite(parsed) else _server_engine(parsed)


class Database:
    """Builds its engine lazily in each process: a forked worker never reuses a parent's pool."""

    def __init__(self, url: str | URL) -> None:
        self.url = make_url(url)
        self._engine: Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is not None and self._pid != os.getpid():
                    # Inherited from the parent: drop the pool without closing its sockets.
                    self._engine.dispose(close=False)
                    self._engine = None
                if self._engine is None:
                    self._engine = build_engine(self.url)
                    self._pid = os.getpid()
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a lost or refused connection into UnavailableError (503, nothing acknowledged)."""
        try:
            yield
        except (OperationalError, InterfaceError, PoolTimeoutError) as exc:
            log.error("database_failed", url=redact_url(self.url), error=str(exc).splitlines()[0])
            raise UnavailableError("the database cannot be reached; try again later") from exc

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success; unreachable -> UnavailableError."""
        bind = self.engine.execution_options(gatekeeper_write=write)
        with self.reachable(), Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def single_statement(self) -> Iterator[Connection]:
        """A connection for one read statement, which sees one consistent snapshot by itself:
        no BEGIN and COMMIT around it (two fewer round trips a decision); unreachable ->
        UnavailableError."""
        options: dict[str, Any] = {"gatekeeper_single_statement": True}
        if not self.is_sqlite:  # SQLite's own isolation setting stays as _on_connect set it
            options["isolation_level"] = "AUTOCOMMIT"
        with self.reachable(), self.engine.connect() as connection:
            yield connection.execution_options(**options)

    def dispose(self) -> None:
        """Close this process's pooled connections."""
        with self._lock:
            if self._engine is not None and self._pid == os.getpid():
                self._engine.dispose()
            self._engine = None
