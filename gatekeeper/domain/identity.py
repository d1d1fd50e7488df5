"""Who is asking: comes from the credential, never from the request body."""

from __future__ import annotations

from dataclasses import dataclass

from gatekeeper.domain.roles import ENGINEER

__all__ = ["ANONYMOUS_ENGINEER", "Principal"]


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


ANONYMOUS_ENGINEER = Principal(subject="local-engineer", role=ENGINEER, name="Local engineer")
