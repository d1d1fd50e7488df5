"""Which role may call which endpoint: one declarative table, denied unless listed.

The guard in ``gatekeeper.api.auth`` consults it before every view. Web pages may instead
declare their roles with ``gatekeeper.web.auth.login_required`` (stored on the view under
``ROLES_ATTRIBUTE``). Which *records* a caller may see or touch (own organisation, no
self-approval) is decided in the service layer, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gatekeeper.domain import ROLES
from gatekeeper.domain.identity import DECIDER_ROLES, REVOKER_ROLES, SUBMITTER_ROLES

ROLES_ATTRIBUTE = "gatekeeper_roles"
PUBLIC_ATTRIBUTE = "gatekeeper_public"

ALL = ROLES
CUSTOMER, ENGINEER, APPROVER, ADMIN, CI = "customer", "engineer", "approver", "admin", "ci"

PUBLIC: frozenset[str] = frozenset({
    "health.healthz",
    "health.readyz",
    "openapi.openapi_json",
    "static",
    "web.static",
    "web.index",  # redirects by role, or to sign-in when nobody is signed in
    "auth.sign_in",
    "auth.sign_out",
})

RULES: dict[str, tuple[str, ...]] = {
    # evaluate only, and what a form or integration needs to ask
    "decisions.create_decision": ALL,
    "decisions.catalog": ALL,
    # the ledger: customers are narrowed to their organisation by the service layer
    "access_requests.submit": SUBMITTER_ROLES,
    "access_requests.index": ALL,
    "access_requests.show": ALL,
    "access_requests.accept": SUBMITTER_ROLES,
    "access_requests.choose": SUBMITTER_ROLES,
    "access_requests.withdraw": SUBMITTER_ROLES,
    "access_requests.revoke": REVOKER_ROLES,
    "access_requests.approve": DECIDER_ROLES,
    "access_requests.reject": DECIDER_ROLES,
}


@dataclass(frozen=True)
class Rule:
    """What the table says about one endpoint: public, a set of roles, or nothing (denied)."""

    endpoint: str
    public: bool
    roles: tuple[str, ...]
    source: str  # "table", "view" or "none"

    @property
    def known(self) -> bool:
        return self.source != "none"

    def allows(self, role: str | None) -> bool:
        return self.public or (role is not None and role in self.roles)


def rule_for(endpoint: str, view: Callable[..., Any] | None) -> Rule:
    """The rule of ``endpoint``: the table first, then what the view declares; else none."""
    if endpoint in PUBLIC:
        return Rule(endpoint, True, ALL, "table")
    if endpoint in RULES:
        return Rule(endpoint, False, RULES[endpoint], "table")
    if view is not None and getattr(view, PUBLIC_ATTRIBUTE, False):
        return Rule(endpoint, True, ALL, "view")
    declared = getattr(view, ROLES_ATTRIBUTE, None) if view is not None else None
    if declared is not None:
        return Rule(endpoint, False, tuple(declared), "view")
    return Rule(endpoint, False, (), "none")
