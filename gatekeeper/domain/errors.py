"""Errors with a stable machine-readable ``code`` that every door renders the same way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``systems.2``."""

    field: str
    problem: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


class GatekeeperError(Exception):
    """Base of every error the product raises on purpose; ``code`` never changes meaning."""

    code = "gatekeeper_error"
    title = "Gatekeeper error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationError(GatekeeperError):
    """The input is malformed; ``errors`` names each field and its problem."""

    code = "validation_failed"
    title = "The request is not valid"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        self.errors = list(errors)
        fields = ", ".join(e.field for e in self.errors)
        super().__init__(detail or f"{len(self.errors)} problem(s) in: {fields}")


class MalformedBodyError(ValidationError):
    """The body is not parseable at all (not JSON, not an object)."""

    code = "malformed_body"
    title = "The request body is malformed"


class BundleError(GatekeeperError):
    """The policy bundle cannot be loaded: names the file, line and problem."""

    code = "bundle_invalid"
    title = "The policy bundle is not valid"

    def __init__(self, file: str, problem: str, line: int | None = None, path: str = "") -> None:
        self.file = file
        self.line = line
        self.path = path
        self.problem = problem
        where = file if line is None else f"{file}:{line}"
        if path:
            where = f"{where}: at {path}"
        super().__init__(f"{where}: {problem}")


class EngineError(GatekeeperError):
    """The Rego engine failed to evaluate; the request fails closed."""

    code = "engine_error"
    title = "The policy engine failed"


class PolicyError(GatekeeperError):
    """The policy answered something that is not a valid decision; fails closed."""

    code = "policy_error"
    title = "The policy returned an invalid decision"


class NotFoundError(GatekeeperError):
    """The named thing does not exist (or the caller may not know it exists)."""

    code = "not_found"
    title = "Not found"


class AuthenticationError(GatekeeperError):
    """No credential, or one that is malformed, unknown, expired or revoked (401)."""

    code = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, reason: str = "missing") -> None:
        super().__init__(detail)
        self.reason = reason


class TooManyAttemptsError(GatekeeperError):
    """Sign-in is paused after repeated failures; ``retry_after`` is in seconds (429)."""

    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ConfigurationError(GatekeeperError):
    """The service is configured unsafely or inconsistently and refuses to start."""

    code = "misconfigured"
    title = "The service is misconfigured"


class ForbiddenError(GatekeeperError):
    """The caller is known but may not do this (e.g. approve their own request)."""

    code = "forbidden"
    title = "Forbidden"


class ConflictError(GatekeeperError):
    """The action does not fit the current state; ``state`` says what it is."""

    code = "conflict"
    title = "Conflict with the current state"

    def __init__(self, detail: str, state: str | None = None) -> None:
        super().__init__(detail)
        self.state = state


class UnavailableError(GatekeeperError):
    """A dependency (database, engine server) cannot be reached; nothing was acknowledged."""

    code = "unavailable"
    title = "Service unavailable"
