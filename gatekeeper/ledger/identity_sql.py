"""Storage of tokens, accounts, web sessions and sign-in throttles through SQLAlchemy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gatekeeper.domain import ConflictError, NotFoundError
from gatekeeper.ledger.database import Database
from gatekeeper.ledger.identity_models import (
    ApiTokenRow,
    SignInThrottleRow,
    UserRow,
    WebSessionRow,
)


@dataclass(frozen=True)
class TokenRecord:
    """An API token as stored: everything but the token itself."""

    id: str
    name: str
    role: str
    customer: str | None
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class UserRecord:
    """A user account with its password hash (never the password)."""

    username: str
    display_name: str
    role: str
    customer: str | None
    password_hash: str
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None = None
    last_sign_in_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A signed-in browser, known by the SHA-256 of its session id."""

    id_hash: str
    username: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


_T = ApiTokenRow.__table__.c
# Built once: the columns in TokenRecord's order, looked up by the token's hash.
_TOKEN_BY_HASH = select(
    _T.id, _T.name, _T.role, _T.customer, _T.prefix, _T.created_at, _T.expires_at,
    _T.revoked_at, _T.last_used_at,
).where(_T.token_hash == bindparam("token_hash"))


def _token(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(row.id, row.name, row.role, row.customer, row.prefix, row.created_at,
                       row.expires_at, row.revoked_at, row.last_used_at)


def _user(row: UserRow) -> UserRecord:
    return UserRecord(row.username, row.display_name, row.role, row.customer,
                      row.password_hash, row.created_at, row.password_changed_at,
                      row.disabled_at, row.last_sign_in_at)


class SqlIdentityStore:
    """Identities on the ledger's database (same connection pool, same migrations)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- tokens --------------------------------------------------------------------------

    def add_token(self, record: TokenRecord, token_hash: str) -> TokenRecord:
        """Store a new token; ConflictError when the name is taken."""
        row = ApiTokenRow(id=record.id, name=record.name, role=record.role,
                          customer=record.customer, token_hash=token_hash,
                          prefix=record.prefix, created_at=record.created_at,
                          expires_at=record.expires_at)
        try:
            with self.db.session(write=True) as session:
                session.add(row)
        except IntegrityError:
            raise ConflictError(f"a token named {record.name!r} already exists") from None
        return record

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """Runs on every API call: a prepared Core read, without an ORM session (~5x cheaper)."""
        with self.db.reachable(), self.db.engine.connect() as conn:
            row = conn.execute(_TOKEN_BY_HASH, {"token_hash": token_hash}).first()
        return TokenRecord(*row) if row else None

    def tokens(self, include_revoked: bool = False) -> list[TokenRecord]:
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.name)
        if not include_revoked:
            query = query.where(ApiTokenRow.revoked_at.is_(None))
        with self.db.session() as session:
            return [_token(r) for r in session.scalars(query)]

    def find_tokens(self, ref: str) -> list[TokenRecord]:
        """Tokens whose id, name or display prefix is ``ref``."""
        query = select(ApiTokenRow).where(or_(
            ApiTokenRow.id == ref, ApiTokenRow.name == ref, ApiTokenRow.prefix == ref))
        with self.db.session() as session:
            return [_token(r) for r in session.scalars(query)]

    def revoke_token(self, token_id: str, at: datetime) -> TokenRecord:
        """Mark a token revoked (idempotent: the first revocation time stays)."""
        with self.db.session(write=True) as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFoundError(f"no token {token_id!r}")
            if row.revoked_at is None:
                row.revoked_at = at
            session.flush()
            return _token(row)

    def touch_token(self, token_id: str, at: datetime, every: timedelta) -> None:
        """Record use, at most once per ``every`` so reads do not all become writes."""
        with self.db.session(write=True) as session:
            session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id)
                .where(or_(ApiTokenRow.last_used_at.is_(None),
                           ApiTokenRow.last_used_at < at - every))
                .values(last_used_at=at))

    # -- users ---------------------------------------------------------------------------

    def add_user(self, record: UserRecord) -> UserRecord:
        """Store a new account; ConflictError when the username is taken."""
        try:
            with self.db.session(write=True) as session:
                session.add(UserRow(**record.__dict__))
        except IntegrityError:
            raise ConflictError(f"a user named {record.username!r} already exists") from None
        return record

    def user(self, username: str) -> UserRecord | None:
        with self.db.session() as session:
            row = session.get(UserRow, username)
            return _user(row) if row else None

    def users(self) -> list[UserRecord]:
        with self.db.session() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]

    def update_user(self, username: str, **values: Any) -> UserRecord:
        """Change fields of an account; NotFoundError when there is none."""
        with self.db.session(write=True) as session:
            row = session.get(UserRow, username)
            if row is None:
                raise NotFoundError(f"no user {username!r}")
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return _user(row)

    # -- web sessions --------------------------------------------------------------------

    def add_session(self, record: SessionRecord) -> None:
        with self.db.session(write=True) as session:
            session.add(WebSessionRow(**record.__dict__))

    def session(self, id_hash: str) -> SessionRecord | None:
        with self.db.session() as session:
            row = session.get(WebSessionRow, id_hash)
            if row is None:
                return None
            return SessionRecord(row.id_hash, row.username, row.created_at, row.expires_at,
                                 row.revoked_at)

    def revoke_sessions(self, at: datetime, id_hash: str | None = None,
                        username: str | None = None) -> int:
        """End one session, or every session of a user; returns how many ended."""
        query = update(WebSessionRow).where(WebSessionRow.revoked_at.is_(None))
        if id_hash is not None:
            query = query.where(WebSessionRow.id_hash == id_hash)
        if username is not None:
            query = query.where(WebSessionRow.username == username)
        with self.db.session(write=True) as session:
            ended = session.execute(query.values(revoked_at=at))
            session.execute(delete(WebSessionRow).where(
                WebSessionRow.expires_at < at - timedelta(days=30)))
            return int(getattr(ended, "rowcount", 0) or 0)

    # -- sign-in throttling --------------------------------------------------------------

    def claim_attempt(self, keys: Mapping[str, Callable[[int], timedelta | None]],
                      at: datetime, window: timedelta) -> datetime | None:
        """Check and count a sign-in attempt in one transaction, with the keys' rows locked.

        When any key is paused, nothing is counted and its pause end is returned. Otherwise
        the attempt counts as a failure on every key now (restarting after a quiet
        ``window``), before the password is checked, so parallel guesses cannot all pass the
        check first; a success gives it back with :meth:`release_attempt`."""
        with self.db.session(write=True) as session:
            rows = self._locked_rows(session, sorted(keys), at)
            paused = [r.locked_until for r in rows if r.locked_until and r.locked_until > at]
            if paused:
                return max(paused)
            for row in rows:
                if row.last_failure_at < at - window:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = at
                wait = keys[row.key](row.failures)
                row.locked_until = at + wait if wait is not None else None
            session.flush()
            return None

    def release_attempt(self, keys: Mapping[str, Callable[[int], timedelta | None]],
                        at: datetime) -> None:
        """Give back the failure counted by a successful attempt's claim."""
        with self.db.session(write=True) as session:
            for row in self._locked_rows(session, sorted(keys), at):
                row.failures = max(0, row.failures - 1)
                wait = keys[row.key](row.failures)
                row.locked_until = row.last_failure_at + wait if wait is not None else None

    def _locked_rows(self, session: Session, keys: list[str], at: datetime
                     ) -> list[SignInThrottleRow]:
        for key in keys:  # in a fixed order: two claims never wait on each other's rows
            self._ensure_row(session, key, at)
        return list(session.scalars(select(SignInThrottleRow)
                                    .where(SignInThrottleRow.key.in_(keys))
                                    .order_by(SignInThrottleRow.key)
                                    .with_for_update()))

    def _ensure_row(self, session: Session, key: str, at: datetime) -> None:
        values = {"key": key, "failures": 0, "last_failure_at": at}
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(postgresql.insert(SignInThrottleRow).values(**values)
                            .on_conflict_do_nothing(index_elements=["key"]))
        elif dialect == "sqlite":
            session.execute(sqlite.insert(SignInThrottleRow).values(**values)
                            .on_conflict_do_nothing(index_elements=["key"]))
        elif session.get(SignInThrottleRow, key) is None:
            session.add(SignInThrottleRow(**values))
            session.flush()

    def clear_failures(self, keys: Iterable[str], older_than: datetime | None = None) -> None:
        """Forget the failures of ``keys`` (and, with ``older_than``, every stale row)."""
        with self.db.session(write=True) as session:
            session.execute(delete(SignInThrottleRow).where(
                SignInThrottleRow.key.in_(list(keys))))
            if older_than is not None:
                session.execute(delete(SignInThrottleRow).where(
                    SignInThrottleRow.last_failure_at < older_than,
                    or_(SignInThrottleRow.locked_until.is_(None),
                        SignInThrottleRow.locked_until < older_than)))
