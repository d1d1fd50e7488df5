"""Realistic synthetic access requests drawn from a bundle's own data, for replay benchmarks.

Customers, environments, systems, access levels and purposes come from ``data``; the mix
leans the way real traffic does (mostly read-only troubleshooting, some admin installs, a
rare emergency break-glass). Seeded, so a benchmark sees the same requests every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gatekeeper.domain.request import format_timestamp
from gatekeeper.domain.roles import CUSTOMER, ENGINEER

# (access, purpose, weight): what people ask for, and why, roughly as often as they do.
_MIX = (
    ("read_only", "troubleshooting", 30),
    ("read_only", "audit", 8),
    ("scoped_admin", "configuration_change", 14),
    ("scoped_admin", "software_install", 10),
    ("scoped_admin", "troubleshooting", 8),
    ("full_admin", "software_install", 12),
    ("full_admin", "configuration_change", 4),
    ("data_export", "data_export", 8),
    ("read_only", "data_export", 2),
    ("break_glass", "troubleshooting", 2),
)
_NEEDS = {
    "troubleshooting": "find out why the {system} is slow since this morning",
    "audit": "collect evidence for the yearly ISO 27001 audit",
    "configuration_change": "change the connection pool size on {system}",
    "software_install": "install the new ERP client on {system}",
    "data_export": "export last quarter's orders for the accountant",
}
_DURATIONS = (1, 2, 4, 8, 8, 24, 48, 72)
_URGENCY = (("normal", 85), ("high", 12), ("emergency", 3))


def _weighted(rng: random.Random, options: Any) -> Any:
    values, weights = zip(*[(o[:-1], o[-1]) for o in options], strict=True)
    return rng.choices(values, weights)[0]


def generate(
    data: Mapping[str, Any],
    count: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    days: int = 90,
) -> Iterator[dict[str, Any]]:
    """``count`` example documents ``{now, identity, request}`` over ``days`` from ``start``."""
    rng = random.Random(seed)
    origin = start or datetime(2026, 10, 1, tzinfo=UTC)
    catalog = data.get("catalog") or {}
    access_known = set(catalog.get("access_levels") or {})
    purposes_known = set(catalog.get("purposes") or {})
    mix = [m for m in _MIX if m[0] in access_known and m[1] in purposes_known] or [
        (a, p, 1) for a in sorted(access_known) for p in sorted(purposes_known)
    ]
    customers = sorted((data.get("customers") or {}).items())
    if not customers or not mix:
        raise ValueError("the bundle data has no customers or no access levels and purposes")
    for n in range(count):
        cid, customer = rng.choice(customers)
        envs = sorted((customer.get("environments") or {}).items())
        env_id, env = rng.choice(envs)
        systems = list(env.get("systems") or [])
        access, purpose = _weighted(rng, mix)
        chosen = rng.sample(systems, rng.randint(1, min(2, len(systems)))) if systems else []
        if access == "full_admin" and rng.random() < 0.4:
            chosen = []  # "the whole environment"
        now = origin + timedelta(minutes=rng.randrange(days * 24 * 60))
        lead = timedelta(hours=rng.choice((0, 0, 1, 4, 20, 48, 24 * 7)))
        as_customer = rng.random() < 0.6
        identity = (
            {"subject": f"user{rng.randrange(40)}@{cid}.example", "role": CUSTOMER,
             "organisation": cid}
            if as_customer
            else {"subject": f"eng{rng.randrange(15)}@msp.example", "role": ENGINEER,
                  "organisation": None}
        )
        system = chosen[0] if chosen else "environment"
        (urgency,) = _weighted(rng, _URGENCY)
        yield {
            "description": f"synthetic #{n}",
            "now": format_timestamp(now),
            "identity": identity,
            "request": {
                "customer": cid,
                "environment": env_id,
                "access": access,
                "purpose": purpose,
                "need": _NEEDS.get(purpose, "get the job done").format(system=system),
                "systems": chosen,
                "start": format_timestamp(now + lead),
                "duration_hours": rng.choice(_DURATIONS),
                "justification": f"ticket work for {cid}",
                "urgency": urgency,
                "ticket": f"CHG-{100000 + n}",
            },
        }


def write_jsonl(path: Path, docs: Iterator[dict[str, Any]]) -> int:
    """Write one JSON document a line; returns how many."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, separators=(",", ":")) + "\n")
            written += 1
    return written
