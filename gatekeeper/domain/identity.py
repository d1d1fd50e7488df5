"""Who is asking: comes from the credential, never from the request body."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("customer", "engineer", "approver", "admin", "ci")
# Who may act through every door (API and web alike), so the doors never disagree.
SUBMITTER_ROLES = ("customer", "engineer", "admin")  # submit, accept, choose, withdraw
DECIDER_ROLES = ("approver", "admin")  # approve, reject
REVOKER_ROLES = ("customer", "engineer", "admin")  # revoke (a customer gives access back)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; ``organisation`` is the customer id for customer roles."""

    subject: str
    role: str
    organisation: str | None = None
    name: str = ""

    def to_input(self) -> dict[str, str | None]:
        """The identity as the policy engine sees it, beside the request."""
        return {"subject": self.subject, "role": self.role, "organisation": self.organisation}


ANONYMOUS_ENGINEER = Principal(subject="local-engineer", role="engineer", name="Local engineer")
