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
    PolicyRef,
    Reason,
)
from gatekeeper.domain.errors import (
    BundleError,
    ConflictError,
    EngineError,
    FieldError,
    ForbiddenError,
    GatekeeperError,
    MalformedBodyError,
    NotFoundError,
    PolicyError,
    UnavailableError,
    ValidationError,
)
from gatekeeper.domain.identity import ROLES, Principal
from gatekeeper.domain.request import URGENCIES, AccessRequest

__all__ = [
    "OUTCOMES",
    "ROLES",
    "URGENCIES",
    "AccessRequest",
    "Alternative",
    "Approval",
    "BundleError",
    "Condition",
    "ConflictError",
    "Consequence",
    "Decision",
    "EngineError",
    "Escalation",
    "FieldError",
    "ForbiddenError",
    "GatekeeperError",
    "MalformedBodyError",
    "NotFoundError",
    "PolicyError",
    "PolicyRef",
    "Principal",
    "Reason",
    "UnavailableError",
    "ValidationError",
]
