"""Who is asking: API tokens, user accounts, sign-in with throttling, web sessions, SSO.

Tokens are high-entropy, so a SHA-256 is the right thing to store; passwords are hashed with
Argon2id (argon2-cffi). Every failure is answered the same way whether the account exists.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gatekeeper.domain import (
    AuthenticationError,
    ConflictError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    Principal,
    TooManyAttemptsError,
    ValidationError,
)
from gatekeeper.domain.roles import CUSTOMER_ROLES, ROLES
from gatekeeper.ledger.identity_sql import (
    SessionRecord,
    SqlIdentityStore,
    TokenRecord,
    UserRecord,
)
from gatekeeper.service import metrics
from gatekeeper.service.decisions import Clock, utc_now
from gatekeeper.service.token_cache import TokenCache

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "gk_"
TOKEN_PATTERN = re.compile(r"^gk_[A-Za-z0-9_-]{43}$")
DISPLAY_CHARS = 10  # "gk_" and 7 characters: enough to tell tokens apart, useless to guess
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,199}$")
_CUSTOMER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
FAILED = "The username or password is not correct."
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (a token or a session id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_role(role: str, customer: str | None) -> None:
    """A customer role is bound to exactly one organisation; MSP roles to none."""
    errors = []
    if role not in ROLES:
        errors.append(FieldError("role", f"unknown role {role!r} (known: {', '.join(ROLES)})"))
    elif role in CUSTOMER_ROLES and not customer:
        errors.append(FieldError("customer", f"is required for the role {role}"))
    elif role not in CUSTOMER_ROLES and customer:
        errors.append(FieldError("customer", f"the role {role} is not bound to a customer"))
    if customer and not _CUSTOMER.match(customer):
        errors.append(FieldError("customer", "must be a customer id such as acme"))
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: ``token`` is shown once and never stored."""

    token: str
    record: TokenRecord


@dataclass(frozen=True)
class SignInPolicy:
    """How repeated failures slow sign-in down: free tries, then doubling pauses."""

    free_failures: int = 5
    address_free_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_pause: timedelta = timedelta(minutes=1)
    longest_pause: timedelta = timedelta(hours=1)

    def pause(self, free: int) -> Callable[[int], timedelta | None]:
        """The pause after the n-th failure of a key that has ``free`` tries."""

        def wait(failures: int) -> timedelta | None:
            if failures < free:  # the free-th failure starts the first pause
                return None
            return min(self.first_pause * 2 ** (failures - free), self.longest_pause)

        return wait


class IdentityService:
    """Issues and checks credentials; knows nothing of HTTP.

    ``token_cache_seconds`` > 0 remembers accepted API tokens that long (see
    :mod:`gatekeeper.service.token_cache`); 0 reads the database on every call.
    """

    def __init__(self, store: SqlIdentityStore, clock: Clock = utc_now,
                 hasher: PasswordHasher | None = None, policy: SignInPolicy | None = None,
                 session_hours: float = 8, token_cache_seconds: float = 0) -> None:
        self.store = store
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or SignInPolicy()
        self.session_lifetime = timedelta(hours=session_hours)
        self.token_cache = TokenCache(token_cache_seconds)
        self._dummy_hash: str | None = None

    # -- API tokens ----------------------------------------------------------------------

    def create_token(self, name: str, role: str, customer: str | None = None,
                     expires_at: datetime | None = None) -> IssuedToken:
        """Issue a token; the caller shows ``token`` once, only its hash is stored."""
        if not _NAME.match(name or ""):
            raise ValidationError([FieldError("name", "must be 1 to 100 letters, digits or "
                                                      "._@+- starting with a letter or digit")])
        check_role(role, customer)
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            raise ValidationError([FieldError("expires", "must be in the future")])
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(id=str(uuid.uuid4()), name=name, role=role, customer=customer,
                             prefix=token[:DISPLAY_CHARS], created_at=now,
                             expires_at=expires_at)
        self.store.add_token(record, digest(token))
        log.info("token_created", id=record.id, name=name, role=role, customer=customer,
                 prefix=record.prefix, expires_at=expires_at)
        return IssuedToken(token, record)

    def list_tokens(self, include_revoked: bool = False) -> list[TokenRecord]:
        return self.store.tokens(include_revoked)

    def revoke_token(self, ref: str) -> TokenRecord:
        """Revoke the one token whose id, name or display prefix is ``ref``."""
        found = self.store.find_tokens(ref)
        if not found:
            raise NotFoundError(f"no token with id, name or prefix {ref!r}")
        if len(found) > 1:
            names = ", ".join(t.name for t in found)
            raise ConflictError(f"{ref!r} names several tokens ({names}); use the id")
        try:
            record = self.store.revoke_token(found[0].id, self.clock())
        finally:
            self.token_cache.forget(found[0].id)  # after the commit: refused here at once
        log.info("token_revoked", id=record.id, name=record.name, prefix=record.prefix)
        return record

    def authenticate_token(self, raw: str) -> Principal:
        """The principal of a bearer token; AuthenticationError says why it is not valid.

        An accepted token's record may come from the token cache (revocations by another
        process reach it within the cache lifetime); expiry is checked on every call.
        """
        if not TOKEN_PATTERN.match(raw or ""):
            raise AuthenticationError("the bearer token is malformed", reason="malformed")
        token_hash = digest(raw)
        now = self.clock()
        cache = self.token_cache
        generation = cache.generation  # before the read: a revocation meanwhile skips the put
        record = cache.get(token_hash, now)
        fresh = record is None
        if fresh:
            record = self.store.token_by_hash(token_hash)
        reason = None
        if record is None:
            reason = "unknown"
        elif record.revoked_at is not None:
            reason = "revoked"
        elif record.expires_at is not None and record.expires_at <= now:
            reason = "expired"
        if reason or record is None:
            log.warning("token_rejected", reason=reason,
                        prefix=record.prefix if record else None)
            raise AuthenticationError(f"the bearer token is {reason}", reason=str(reason))
        if fresh:
            cache.put(token_hash, record, now, generation)  # only accepted tokens
        if record.last_used_at is None or record.last_used_at < now - TOUCH_EVERY:
            self.store.touch_token(record.id, now, TOUCH_EVERY)  # a write at most once a minute
            cache.replace(token_hash, replace(record, last_used_at=now))
        return Principal(f"token:{record.name}", record.role, record.customer, record.name)

    # -- user accounts -------------------------------------------------------------------

    def create_user(self, username: str, role: str, password: str,
                    customer: str | None = None, display_name: str = "") -> UserRecord:
        """Create an account; the password is checked for length and hashed with Argon2id."""
        name = normalise_username(username)
        if not _USERNAME.match(name):
            raise ValidationError([FieldError("username", "must be 1 to 200 letters, digits "
                                                          "or ._@+- (an e-mail address works)")])
        check_role(role, customer)
        self._check_password(password)
        now = self.clock()
        record = UserRecord(username=name, display_name=display_name.strip() or name,
                            role=role, customer=customer,
                            password_hash=self.hasher.hash(password), created_at=now,
                            password_changed_at=now)
        self.store.add_user(record)
        log.info("user_created", username=name, role=role, customer=customer)
        return record

    def list_users(self) -> list[UserRecord]:
        return self.store.users()

    def set_password(self, username: str, password: str) -> UserRecord:
        """Replace a password; every session of the account ends."""
        self._check_password(password)
        name = normalise_username(username)
        now = self.clock()
        record = self.store.update_user(name, password_hash=self.hasher.hash(password),
                                        password_changed_at=now)
        ended = self.store.revoke_sessions(now, username=name)
        self.store.clear_failures([f"user:{name}"])
        log.info("user_password_changed", username=name, signed_out_browsers=ended)
        return record

    def set_disabled(self, username: str, disabled: bool) -> UserRecord:
        """Disable (ending every session) or enable an account."""
        name = normalise_username(username)
        now = self.clock()
        record = self.store.update_user(name, disabled_at=now if disabled else None)
        if disabled:
            self.store.revoke_sessions(now, username=name)
        log.info("user_disabled" if disabled else "user_enabled", username=name)
        return record

    def unlock(self, username: str) -> None:
        """Forget an account name's failed sign-ins."""
        self.store.clear_failures([f"user:{normalise_username(username)}"])
        log.info("user_unlocked", username=normalise_username(username))

    def _check_password(self, password: str) -> None:
        if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
            raise ValidationError([FieldError(
                "password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")])

    # -- signing in ----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, address: str | None = None
                ) -> tuple[Principal, str]:
        """Check a password; returns the principal and a new session id for the cookie.

        Unknown, disabled and wrong all fail alike, at the same cost; a paused name or
        address is refused without checking the password.
        """
        name = normalise_username(username or "")
        if not name or not password:
            raise AuthenticationError(FAILED, reason="invalid")  # no guess: nothing to count
        keys = {f"user:{name}": self.policy.pause(self.policy.free_failures)}
        if address:
            keys[f"addr:{address}"] = self.policy.pause(self.policy.address_free_failures)
        now = self.clock()
        # Checking the pause and counting this attempt are one database operation, so
        # parallel guesses get exactly the documented number of password checks.
        paused = self.store.claim_attempt(keys, now, self.policy.window)
        if paused is not None:
            self._verify(None, password)
            wait = max(1, int((paused - now).total_seconds() + 0.999))
            metrics.SIGN_IN_THROTTLED.inc()
            log.warning("sign_in_throttled", username=name, address=address, retry_after=wait)
            raise TooManyAttemptsError(
                f"Too many failed sign-ins. Try again in {(wait + 59) // 60} minute(s).", wait)
        user = self.store.user(name) if _USERNAME.match(name) else None
        usable = user is not None and user.disabled_at is None
        ok = self._verify(user.password_hash if usable and user else None, password)
        if not ok or user is None:  # already counted by the claim
            why = "unknown_user" if user is None else "disabled" if not usable else "wrong"
            log.warning("sign_in_failed", username=name, address=address, reason=why)
            raise AuthenticationError(FAILED, reason="invalid")
        self.store.release_attempt({k: v for k, v in keys.items() if k.startswith("addr:")}, now)
        self.store.clear_failures([f"user:{name}"], older_than=now - timedelta(days=1))
        changes: dict[str, object] = {"last_sign_in_at": now}
        if self.hasher.check_needs_rehash(user.password_hash):
            changes["password_hash"] = self.hasher.hash(password)
        self.store.update_user(name, **changes)
        session_id = self._start_session(name, now)
        log.info("sign_in_succeeded", username=name, address=address)
        return self._principal(user), session_id

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Argon2 verification; without a hash, spend the same time on a dummy and fail."""
        if len(password or "") > MAX_PASSWORD:
            return False
        if password_hash is None and self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        target = password_hash or str(self._dummy_hash)
        try:
            matched: bool = self.hasher.verify(target, password or "")
        except (VerificationError, InvalidHashError):
            matched = False
        return bool(matched) and password_hash is not None

    def _start_session(self, username: str, now: datetime) -> str:
        session_id = secrets.token_urlsafe(32)
        self.store.add_session(SessionRecord(digest(session_id), username, now,
                                             now + self.session_lifetime))
        return session_id

    def start_session(self, username: str) -> str:
        """A session for an existing account without a password (tests, admin tooling)."""
        name = normalise_username(username)
        if self.store.user(name) is None:
            raise NotFoundError(f"no user {name!r}")
        return self._start_session(name, self.clock())

    def principal_for_session(self, session_id: str) -> Principal | None:
        """The signed-in principal of a session id, or None when it ended or never was."""
        if not session_id or len(session_id) > 100:
            return None
        record = self.store.session(digest(session_id))
        now = self.clock()
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            return None
        user = self.store.user(record.username)
        if user is None or user.disabled_at is not None:
            return None
        if user.password_changed_at > record.created_at:
            return None
        return self._principal(user)

    def sign_out(self, session_id: str) -> None:
        if session_id and len(session_id) <= 100:
            self.store.revoke_sessions(self.clock(), id_hash=digest(session_id))
            log.info("signed_out")

    def sso_principal(self, subject: str, role: str | None = None,
                      organisation: str | None = None) -> Principal:
        """Who a trusted proxy says signed in: a local account wins over the role headers."""
        subject = subject.strip()
        if not subject or len(subject) > 200 or not subject.isprintable():
            raise AuthenticationError("the single sign-on identity is malformed",
                                      reason="malformed")
        user = self.store.user(normalise_username(subject))
        if user is not None:
            if user.disabled_at is not None:
                raise ForbiddenError(f"the account {user.username} is disabled")
            return self._principal(user)
        if not role:
            raise ForbiddenError(f"{subject} signed in through single sign-on but has no "
                                 "role in Gatekeeper; ask an administrator")
        role = role.strip().lower()
        organisation = (organisation or "").strip() or None
        try:
            check_role(role, organisation)
        except ValidationError as exc:
            raise ForbiddenError(f"single sign-on role not usable: {exc.detail}") from None
        return Principal(subject, role, organisation, subject)

    @staticmethod
    def _principal(user: UserRecord) -> Principal:
        return Principal(user.username, user.role, user.customer, user.display_name)
