"""Which role may call which endpoint: one declarative table, denied unless listed.

The guard in ``gatekeeper.server.guard`` consults it before every view. Web pages may instead
declare their roles with ``gatekeeper.web.auth.login_required`` (stored on the view under
``ROLES_ATTRIBUTE``). Which *records* a caller may see or touch (own organisation, no
self-approval) is decided in the service layer, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gatekeeper.domain.roles import (
    DECIDERS,
    OPA_CLIENTS,
    OPERATORS,
    OVERVIEW_READERS,
    READERS,
    REQUEST_VIEWERS,
    REVOKERS,
    ROLES,
    SUBMITTERS,
)

ROLES_ATTRIBUTE = "gatekeeper_roles"
PUBLIC_ATTRIBUTE = "gatekeeper_public"

PUBLIC: frozenset[str] = frozenset({
    "health.healthz",
    "health.readyz",
    "health.opa_health",
    "openapi.openapi_json",
    "static",
    "web.static",
    "web.index",  # redirects by role, or to sign-in when nobody is signed in
    "auth.sign_in",
    "auth.sign_out",
})

RULES: dict[str, tuple[str, ...]] = {
    # evaluate only, and what a form or integration needs to ask
    "decisions.create_decision": READERS,
    "decisions.catalog": READERS,
    # the ledger: customers are narrowed to their organisation by the service layer
    "access_requests.submit": SUBMITTERS,
    "access_requests.index": READERS,
    "access_requests.show": READERS,
    "access_requests.accept": SUBMITTERS,
    "access_requests.choose": SUBMITTERS,
    "access_requests.withdraw": SUBMITTERS,
    "access_requests.extend": SUBMITTERS,
    "access_requests.revoke": REVOKERS,
    "access_requests.approve": DECIDERS,
    "access_requests.reject": DECIDERS,
    "access_requests.feedback": SUBMITTERS,  # only the requester: checked by the service
    # monthly reports: a customer sees only its own (checked by the service)
    "reports.customer_report": REQUEST_VIEWERS,
    "reports.overview": OVERVIEW_READERS,  # every customer side by side: MSP engineers, admins
    # operators: Prometheus scrapes with a ci token; the serving policy and its reloads
    "operations.metrics_text": OPERATORS,
    "operations.status": OPERATORS,
    # OPA's Data API on the bundle (docs/opa.md)
    "opa_data.query_post": OPA_CLIENTS,
    "opa_data.query_get": OPA_CLIENTS,
    "opa_data.policies": OPA_CLIENTS,
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
        return Rule(endpoint, True, ROLES, "table")
    if endpoint in RULES:
        return Rule(endpoint, False, RULES[endpoint], "table")
    if view is not None and getattr(view, PUBLIC_ATTRIBUTE, False):
        return Rule(endpoint, True, ROLES, "view")
    declared = getattr(view, ROLES_ATTRIBUTE, None) if view is not None else None
    if declared is not None:
        return Rule(endpoint, False, tuple(declared), "view")
    return Rule(endpoint, False, (), "none")
