"""Part of ``gatekeeper check``'s data step: notification routes name only known contacts.

The policy says what is wrong (``data.gatekeeper.notify.problems``: one line per route that
names a contact the customer does not have, naming the customer and the contact); this
module files each line under the customers' data file, with the line of the route.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gatekeeper.domain import GatekeeperError
from gatekeeper.engine import create_engine
from gatekeeper.engine.base import PolicyBundle

PROBLEMS_PATH = "data.gatekeeper.notify.problems"
_CUSTOMER = re.compile(r"^customer (\S+): notify\.routes\.(\S+) names the unknown contact (\S+)")


def routing_problems(bundle: PolicyBundle) -> list[str]:
    """The policy's list of routing problems (empty when the bundle has no routing)."""
    try:
        found: Any = create_engine("regorus", bundle).evaluate({}, PROBLEMS_PATH)
    except GatekeeperError as exc:
        return [f"the routing policy cannot be evaluated: {exc}"]
    return sorted(str(p) for p in (found or []))


def line_of(data_file: Path, problem: str) -> int | None:
    """The line of the route a problem names in ``customers/data.yaml`` (best effort)."""
    match = _CUSTOMER.match(problem)
    if match is None or not data_file.is_file():
        return None
    customer, topic, contact = match.groups()
    seen_customer = seen_topic = False
    for number, text in enumerate(data_file.read_text("utf-8").splitlines(), start=1):
        if text.startswith(f"{customer}:"):
            seen_customer = True
        elif seen_customer and text and not text.startswith((" ", "#")):
            return None  # the next customer
        elif seen_customer and text.strip().startswith(f"{topic}:"):
            seen_topic = True
        if seen_topic and re.search(rf"\b{re.escape(contact)}\b", text):
            return number
    return None
