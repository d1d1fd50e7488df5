"""The one map from a domain error to its HTTP status, read by every door.

The JSON door renders the status as problem+json, the web door as an HTML page; both ask
``status_for`` so the same error never answers two different statuses.
"""

from __future__ import annotations

from gatekeeper.domain import (
    AuthenticationError,
    BundleError,
    ConflictError,
    EngineError,
    ForbiddenError,
    GatekeeperError,
    MalformedBodyError,
    NotFoundError,
    PolicyError,
    TooManyAttemptsError,
    UnavailableError,
    ValidationError,
)

# An error the map does not name (the base class, ConfigurationError) is the caller's 400.
DEFAULT_STATUS = 400

STATUS_BY_ERROR: dict[type[GatekeeperError], int] = {
    MalformedBodyError: 400,
    ValidationError: 422,
    AuthenticationError: 401,
    TooManyAttemptsError: 429,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    UnavailableError: 503,
    EngineError: 503,
    PolicyError: 503,
    BundleError: 503,
}

def status_for(exc: GatekeeperError) -> int:
    """The status of ``exc``: its most specific class in the map, else ``DEFAULT_STATUS``."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return DEFAULT_STATUS

