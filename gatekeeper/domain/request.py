"""The access request a requester sends: what access they want and the need it serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gatekeeper.domain.errors import FieldError, MalformedBodyError, ValidationError

URGENCIES = ("normal", "high", "emergency")
MAX_DURATION_HOURS = 24 * 90
# Any start outside these years is a mistake, and outside what every engine's time built-ins
# handle; the service narrows it further around its clock (service/decisions.py check_start).
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2100, 1, 1, tzinfo=UTC)
_TEXT_LIMIT = 2000
_ID_FIELDS = ("customer", "environment", "access", "purpose")
_ALL_FIELDS = (
    *_ID_FIELDS,
    "need",
    "systems",
    "start",
    "duration_hours",
    "justification",
    "urgency",
    "ticket",
    "alternative",
)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; a naive one is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z, the form the policies compare (whole seconds)."""
    v = value.astimezone(UTC)  # formatted by hand: strftime costs more on every request
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


@dataclass(frozen=True)
class AccessRequest:
    """A validated access request. Build one with :meth:`from_mapping`."""

    customer: str
    environment: str
    access: str
    purpose: str
    need: str
    justification: str
    duration_hours: float
    systems: tuple[str, ...] = ()
    start: datetime | None = None
    urgency: str = "normal"
    ticket: str | None = None
    # Set on the follow-up of a chosen alternative: the catalogue id of that alternative, so
    # the policy decides the alternative as a request of its own (input.request.alternative).
    alternative: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_mapping(cls, data: Any) -> AccessRequest:
        """Validate untrusted JSON-like input; raise ValidationError naming every bad field."""
        if not isinstance(data, Mapping):
            raise MalformedBodyError([FieldError("", "the body must be a JSON object")])
        errors: list[FieldError] = []
        for name in data:
            if name not in _ALL_FIELDS:
                errors.append(FieldError(str(name), "unknown field"))

        def text(name: str, required: bool = True, limit: int = _TEXT_LIMIT) -> str | None:
            value = data.get(name)
            if value is None:
                if required:
                    errors.append(FieldError(name, "is required"))
                return None
            if not isinstance(value, str):
                errors.append(FieldError(name, f"must be a string, not {_json_type(value)}"))
                return None
            value = value.strip()
            if required and not value:
                errors.append(FieldError(name, "must not be empty"))
            elif len(value) > limit:
                errors.append(FieldError(name, f"must be at most {limit} characters"))
            return value

        ids = {name: text(name, limit=100) for name in _ID_FIELDS}
        need = text("need")
        justification = text("justification")
        ticket = text("ticket", required=False, limit=200) or None
        alternative = text("alternative", required=False, limit=100) or None

        urgency = data.get("urgency", "normal")
        if urgency not in URGENCIES:
            errors.append(FieldError("urgency", f"must be one of {', '.join(URGENCIES)}"))

        systems_raw = data.get("systems", [])
        systems: list[str] = []
        if not isinstance(systems_raw, list):
            errors.append(FieldError("systems", "must be a list of system names"))
        else:
            for i, item in enumerate(systems_raw):
                if not isinstance(item, str) or not item.strip():
                    errors.append(FieldError(f"systems.{i}", "must be a non-empty string"))
                else:
                    systems.append(item.strip())

        duration = data.get("duration_hours")
        if duration is None:
            errors.append(FieldError("duration_hours", "is required"))
        elif isinstance(duration, bool) or not isinstance(duration, int | float):
            errors.append(FieldError("duration_hours", "must be a number of hours"))
        elif not 0 < duration <= MAX_DURATION_HOURS:
            errors.append(
                FieldError(
                    "duration_hours", f"must be more than 0 and at most {MAX_DURATION_HOURS}"
                )
            )

        start: datetime | None = None
        start_raw = data.get("start")
        if start_raw is not None:
            if not isinstance(start_raw, str):
                errors.append(FieldError("start", "must be an RFC 3339 timestamp string"))
            else:
                try:
                    start = _start_in_range(parse_timestamp(start_raw))
                except ValueError:
                    errors.append(
                        FieldError(
                            "start", "must be an RFC 3339 timestamp, e.g. 2026-11-23T09:00:00Z"
                        )
                    )
                except OverflowError:
                    errors.append(FieldError("start", "must be a time in the years 2000 to 2099"))

        if errors:
            raise ValidationError(errors)
        return cls(
            customer=ids["customer"] or "",
            environment=ids["environment"] or "",
            access=ids["access"] or "",
            purpose=ids["purpose"] or "",
            need=need or "",
            justification=justification or "",
            duration_hours=float(duration),  # type: ignore[arg-type]
            systems=tuple(systems),
            start=start,
            urgency=str(urgency),
            ticket=ticket,
            alternative=alternative,
        )

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> AccessRequest:
        """Rebuild a recorded request (checked when it was submitted, so trusted as stored)."""
        start = raw.get("start")
        return cls(
            customer=str(raw.get("customer", "")),
            environment=str(raw.get("environment", "")),
            access=str(raw.get("access", "")),
            purpose=str(raw.get("purpose", "")),
            need=str(raw.get("need", "")),
            justification=str(raw.get("justification", "")),
            duration_hours=float(raw.get("duration_hours") or 0),
            systems=tuple(str(s) for s in raw.get("systems") or ()),
            start=parse_timestamp(str(start)) if start else None,
            urgency=str(raw.get("urgency") or "normal"),
            ticket=raw.get("ticket") or None,
            alternative=raw.get("alternative") or None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON, as the requester sent it (start may be null); ``alternative``
        only on the follow-up of a chosen alternative."""
        body = {
            "customer": self.customer,
            "environment": self.environment,
            "access": self.access,
            "purpose": self.purpose,
            "need": self.need,
            "systems": list(self.systems),
            "start": format_timestamp(self.start) if self.start else None,
            "duration_hours": self.duration_hours,
            "justification": self.justification,
            "urgency": self.urgency,
            "ticket": self.ticket,
        }
        if self.alternative is not None:
            body["alternative"] = self.alternative
        return body

    def to_input(self, now: datetime) -> dict[str, Any]:
        """The request as the policy sees it: start defaults to ``now``."""
        body = self.to_dict()
        body["start"] = format_timestamp(self.start or now)
        return body


def _start_in_range(start: datetime) -> datetime:
    """``start`` in UTC; OverflowError when it is outside ``EARLIEST_START``..``LATEST_START``
    (a far offset such as 0001-01-01T00:00:00+14:00 overflows on the way to UTC)."""
    utc = start.astimezone(UTC)
    if not EARLIEST_START <= utc < LATEST_START:
        raise OverflowError(start.isoformat())
    return utc


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
