"""A customer's time zone, from its ``timezone`` in the bundle data: UTC when it has none or
names no zone this machine knows (the schema checks the name; a missing tzdata must not stop
an answer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when there is none or it is unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(customer: Any) -> ZoneInfo:
    """The time zone of a customer's data entry (UTC for anything else)."""
    name = customer.get("timezone") if isinstance(customer, Mapping) else None
    return zone_named(str(name) if name else None)
