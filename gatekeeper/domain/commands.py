"""Typed commands a caller sends to a request, each parsed from an untrusted body.

Parsing checks the shape of what was sent (types, required fields, lengths); whether the
command fits the request now, and who may send it, is the request record's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatekeeper.domain.errors import FieldError, ValidationError

REASON_LIMIT = 2000


def fields(body: Any, allowed: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """Check a body: an object with only ``allowed`` fields of the right types."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise ValidationError([FieldError("", "the body must be a JSON object")])
    errors = [FieldError(str(k), "unknown field") for k in body if k not in allowed]
    for name, kind in allowed.items():
        value = body.get(name)
        wrong_bool = isinstance(value, bool) and kind is not bool
        if value is not None and (wrong_bool or not isinstance(value, kind)):
            errors.append(FieldError(name, f"has the wrong type ({type(value).__name__})"))
    reason = body.get("reason")
    if isinstance(reason, str) and len(reason) > REASON_LIMIT:
        errors.append(FieldError("reason", f"must be at most {REASON_LIMIT} characters"))
    if errors:
        raise ValidationError(errors)
    return {k: body.get(k) for k in allowed}


def string_list(value: Any, name: str) -> tuple[str, ...]:
    """A list of non-empty strings, or a ValidationError naming the bad item."""
    if not isinstance(value, list | tuple):
        raise ValidationError([FieldError(name, "must be a list of ids")])
    bad = [FieldError(f"{name}.{i}", "must be a non-empty string")
           for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ValidationError(bad)
    return tuple(v.strip() for v in value)


def _reason(args: Mapping[str, Any], action: str, required: bool) -> str | None:
    reason = args["reason"]
    if required and not (reason or "").strip():
        raise ValidationError([FieldError("reason", f"is required to {action}")])
    return str(reason) if reason is not None else None


@dataclass(frozen=True)
class Accept:
    """The requester accepts the decision's consequences, naming each one."""

    consequences: tuple[str, ...]
    reason: str | None = None
    action = "accept"

    @classmethod
    def from_body(cls, body: Any) -> Accept:
        args = fields(body, {"consequences": list, "reason": str})
        if args["consequences"] is None:
            raise ValidationError([FieldError("consequences", "is required")])
        return cls(string_list(args["consequences"], "consequences"), args["reason"])


@dataclass(frozen=True)
class Choose:
    """The requester takes one of the alternatives the decision offered."""

    alternative: str
    reason: str | None = None
    action = "choose"

    @classmethod
    def from_body(cls, body: Any) -> Choose:
        args = fields(body, {"alternative": str, "reason": str})
        if not args["alternative"]:
            raise ValidationError([FieldError("alternative", "is required")])
        return cls(args["alternative"], args["reason"])


@dataclass(frozen=True)
class Approve:
    """An approver approves, optionally for fewer hours or fewer systems."""

    duration_hours: float | None = None
    systems: tuple[str, ...] | None = None
    reason: str | None = None
    action = "approve"

    @classmethod
    def from_body(cls, body: Any) -> Approve:
        args = fields(body, {"duration_hours": (int, float), "systems": list, "reason": str})
        systems = args["systems"]
        duration = args["duration_hours"]
        return cls(float(duration) if duration is not None else None,
                   string_list(systems, "systems") if systems is not None else None,
                   args["reason"])


@dataclass(frozen=True)
class Reject:
    """An approver rejects, saying why."""

    reason: str
    action = "reject"

    @classmethod
    def from_body(cls, body: Any) -> Reject:
        return cls(_reason(fields(body, {"reason": str}), cls.action, required=True) or "")


@dataclass(frozen=True)
class Withdraw:
    """The requester withdraws an open request."""

    reason: str | None = None
    action = "withdraw"

    @classmethod
    def from_body(cls, body: Any) -> Withdraw:
        return cls(_reason(fields(body, {"reason": str}), cls.action, required=False))


@dataclass(frozen=True)
class Revoke:
    """The MSP, or the requester giving access back, ends a grant early."""

    reason: str
    action = "revoke"

    @classmethod
    def from_body(cls, body: Any) -> Revoke:
        return cls(_reason(fields(body, {"reason": str}), cls.action, required=True) or "")


@dataclass(frozen=True)
class Extend:
    """The requester asks for ``hours`` more on a live grant; the policy decides it."""

    hours: float
    reason: str | None = None
    action = "extend"

    @classmethod
    def from_body(cls, body: Any) -> Extend:
        args = fields(body, {"hours": (int, float), "reason": str})
        hours = args["hours"]
        if hours is None:
            raise ValidationError([FieldError("hours", "is required")])
        if not 0 < hours < float("inf"):
            raise ValidationError([FieldError("hours", "must be more than 0")])
        return cls(float(hours), _reason(args, cls.action, required=False))


Command = Accept | Choose | Approve | Reject | Withdraw | Revoke | Extend
