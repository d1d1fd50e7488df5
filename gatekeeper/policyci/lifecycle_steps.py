"""An example's lifecycle, replayed on the domain's request record: no database, no server.

An example may list ``steps`` after its decision: who does what (accept, approve, reject,
withdraw, revoke) and what the request must then be (``state``, ``waiting_for``). The steps
run on ``RequestRecord`` exactly as the service runs them, so an example can show, say, that
an approval leaves a request waiting for the requester's acceptance.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gatekeeper.domain import AccessRequest, Decision, GatekeeperError, Principal
from gatekeeper.domain.commands import Accept, Approve, Reject, Revoke, Withdraw
from gatekeeper.domain.record import RequestRecord

COMMANDS: Mapping[str, Any] = {"accept": Accept, "approve": Approve, "reject": Reject,
                               "withdraw": Withdraw, "revoke": Revoke}
EXPECTED = ("state", "waiting_for", "error")


def _principal(raw: Any, where: str) -> Principal:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("subject"), str):
        raise ValueError(f"{where}.as must name a subject and a role")
    return Principal(raw["subject"], str(raw.get("role", "")), raw.get("organisation"))


def replay(steps: Any, request: AccessRequest, decision: Decision, requester: Principal,
           now: datetime) -> list[str]:
    """Each problem of the example's ``steps`` as one line (none when they all hold)."""
    if not isinstance(steps, list):
        return ["steps must be a list"]
    record = RequestRecord.submitted("example", request, decision, requester, now)
    problems: list[str] = []
    for n, step in enumerate(steps):
        where = f"steps[{n}]"
        if not isinstance(step, Mapping) or step.get("action") not in COMMANDS:
            return [*problems, f"{where}.action must be one of {', '.join(COMMANDS)}"]
        try:
            who = _principal(step.get("as", {"subject": requester.subject,
                                             "role": requester.role,
                                             "organisation": requester.organisation}), where)
        except ValueError as exc:
            return [*problems, str(exc)]
        body = dict(step.get("body") or {})
        if step["action"] == "accept" and "consequences" not in body:
            body["consequences"] = [c.id for c in record.decision.consequences]
        at = now + timedelta(minutes=n + 1)
        error = None
        try:
            command = COMMANDS[step["action"]].from_body(body)
            record = record.after(record.handle(command, who, at))
        except GatekeeperError as exc:
            error = exc.code
        got = {"state": record.state, "waiting_for": record.waiting_for, "error": error}
        expect = step.get("expect") or {}
        for key in EXPECTED:
            if key in expect and expect[key] != got[key]:
                problems.append(f"{where} ({step['action']}): {key}: expected "
                                f"{expect[key]!r}, got {got[key]!r}")
    return problems
