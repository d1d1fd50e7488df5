"""The one home of role names and role groups: every door, page, rule and schema reads them here.

A role says what a caller is; a group says what callers of those roles may do. Which *records*
a caller may touch (own organisation, never their own approval) is the lifecycle's business.
"""

from __future__ import annotations

CUSTOMER = "customer"
ENGINEER = "engineer"
APPROVER = "approver"
ADMIN = "admin"
CI = "ci"

ROLES: tuple[str, ...] = (CUSTOMER, ENGINEER, APPROVER, ADMIN, CI)

# Roles bound to one customer organisation: they see and ask only for their own.
CUSTOMER_ROLES: tuple[str, ...] = (CUSTOMER,)
# The MSP's own people: the console is theirs, and they may revoke any grant.
MSP_STAFF: tuple[str, ...] = (ENGINEER, APPROVER, ADMIN)
# Who may submit a request and answer it as its requester: accept, choose, withdraw.
SUBMITTERS: tuple[str, ...] = (CUSTOMER, ENGINEER, ADMIN)
# Who may approve or reject (the decision may name fewer of them).
DECIDERS: tuple[str, ...] = (APPROVER, ADMIN)
# Who may end a grant early (a customer gives access back; the MSP takes it back).
REVOKERS: tuple[str, ...] = (CUSTOMER, ENGINEER, ADMIN)
# Who may act for a requester on their request.
ACTS_FOR_REQUESTER: tuple[str, ...] = (ADMIN,)
# The approver roles a decision falls back on when it names none.
DEFAULT_APPROVER_ROLES: tuple[str, ...] = (APPROVER,)
# Who may approve or reject whichever approver roles the decision names.
APPROVES_ANY: tuple[str, ...] = (ADMIN,)
# Who may ask OPA's Data API about the bundle (OPA tooling, CI, the MSP's engineers).
OPA_CLIENTS: tuple[str, ...] = (ENGINEER, CI)
# Who may read the operator endpoints (/metrics, /v1/status): a scraper gets a ci token.
OPERATORS: tuple[str, ...] = (ENGINEER, ADMIN, CI)
# Who may read requests and pages of every customer (a customer sees its own).
READERS: tuple[str, ...] = ROLES
# Who may look at the requests pages: customers and the MSP's people.
REQUEST_VIEWERS: tuple[str, ...] = (CUSTOMER, *MSP_STAFF)
# The MSP's overview of every customer's monthly report.
OVERVIEW_READERS: tuple[str, ...] = (ENGINEER, ADMIN)
# Revoking from the console: the MSP's people who may revoke.
CONSOLE_REVOKERS: tuple[str, ...] = tuple(r for r in REVOKERS if r in MSP_STAFF)


def is_customer_role(role: str | None) -> bool:
    """True for roles bound to one customer organisation."""
    return role in CUSTOMER_ROLES


def is_msp_staff(role: str | None) -> bool:
    """True for the MSP's own people (engineers, approvers, admins)."""
    return role in MSP_STAFF
