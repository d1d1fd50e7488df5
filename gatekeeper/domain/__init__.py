"""Plain values of the product: requests, decisions, identities and errors.

Nothing here imports Flask, SQLAlchemy, an engine or any other project layer.
"""

from gatekeeper.domain.decision import (
    OUTCOMES,
    Alternative,
    Approval,
    Condition,
    Consequence,
    Decision,
    Escalation,
    NextStep,
    PolicyRef,
    Reason,
)
from gatekeeper.domain.errors import (
    AuthenticationError,
    BundleError,
    ConfigurationError,
    ConflictError,
    EngineError,
    FieldError,
    ForbiddenError,
    GatekeeperError,
    MalformedBodyError,
    NotFoundError,
    PolicyError,
    TooManyAttemptsError,
    UnavailableError,
    ValidationError,
)
from gatekeeper.domain.identity import Principal
from gatekeeper.domain.lifecycle import Event, Grant
from gatekeeper.domain.record import Change, RequestRecord
from gatekeeper.domain.request import URGENCIES, AccessRequest
from gatekeeper.domain.roles import ROLES

__all__ = [
    "OUTCOMES",
    "ROLES",
    "URGENCIES",
    "AccessRequest",
    "Alternative",
    "Approval",
    "AuthenticationError",
    "BundleError",
    "Change",
    "Condition",
    "ConfigurationError",
    "ConflictError",
    "Consequence",
    "Decision",
    "EngineError",
    "Escalation",
    "Event",
    "FieldError",
    "ForbiddenError",
    "GatekeeperError",
    "Grant",
    "MalformedBodyError",
    "NextStep",
    "NotFoundError",
    "PolicyError",
    "PolicyRef",
    "Principal",
    "Reason",
    "RequestRecord",
    "TooManyAttemptsError",
    "UnavailableError",
    "ValidationError",
]
