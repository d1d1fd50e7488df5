"""The decision every evaluation returns, shaped as in DESIGN.md.

The policy produces everything but ``decision_id`` and ``policy``; :meth:`Decision.from_policy`
checks the shape so that a policy bug fails closed instead of reaching a requester.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

from gatekeeper.domain.errors import PolicyError

OUTCOMES = ("allow", "allow_with_consequences", "needs_approval", "deny")

_E = TypeVar("_E", bound="_Element")


@dataclass(frozen=True)
class _Element:
    """An element of the answer; every one names the ``rule`` that produced it."""

    required: ClassVar[tuple[str, ...]] = ("id", "rule")  # with details: every field
    _required_keys: ClassVar[frozenset[str]] = frozenset(required)
    id: str
    rule: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def _parse(cls: type[_E], raw: Any) -> _E | None:
        """The element, or None when ``raw`` is malformed (:meth:`_problem` says why).

        Built without the dataclass ``__init__`` (every field is in ``required`` or is
        ``details``, so the result is the same object), and with its :meth:`to_dict`
        computed once: this runs for every element of every decision.
        """
        if type(raw) is not dict and not isinstance(raw, Mapping):
            return None
        details = dict(raw)
        if not details.keys() >= cls._required_keys:
            return None
        out = {k: details.pop(k) for k in cls.required}
        element = object.__new__(cls)
        fields = element.__dict__
        fields.update(out)
        fields["details"] = details
        out.update(details)  # to_dict(): the required keys, then the others in policy order
        fields["_dict"] = out
        return element

    @classmethod
    def _problem(cls, raw: Any, where: str) -> str:
        if not isinstance(raw, Mapping):
            return f"{where} must be an object"
        missing = [k for k in cls.required if k not in raw]
        return f"{where} lacks {', '.join(missing)}"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._required_keys = frozenset(cls.required)

    def to_dict(self) -> dict[str, Any]:
        return dict(self._fields())

    def _fields(self) -> dict[str, Any]:
        """The required keys, then the details; built once when parsed from a policy answer."""
        built: dict[str, Any] | None = self.__dict__.get("_dict")
        if built is None:  # made by the constructor (or replace): nothing cached
            built = {k: getattr(self, k) for k in self.required}
            built.update(self.details)
        return built

    def __getitem__(self, key: str) -> Any:
        return self._fields()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._fields().get(key, default)


@dataclass(frozen=True)
class Consequence(_Element):
    """What accepting the request costs, with figures such as ``downtime_hours``."""

    required: ClassVar[tuple[str, ...]] = ("id", "kind", "severity", "summary", "rule")
    kind: str = ""
    severity: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Alternative(_Element):
    """A safer way to fulfil the same need, ranked for this customer with ``why``."""

    required: ClassVar[tuple[str, ...]] = (
        "id",
        "title",
        "summary",
        "lead_time_hours",
        "downtime_hours",
        "rank",
        "why",
        "rule",
    )
    title: str = ""
    summary: str = ""
    lead_time_hours: float = 0
    downtime_hours: float = 0
    rank: int = 0
    why: str = ""


@dataclass(frozen=True)
class Condition(_Element):
    """Something that must hold for the grant (time box, after-review, named servers)."""

    required: ClassVar[tuple[str, ...]] = ("id", "summary", "rule")
    summary: str = ""


@dataclass(frozen=True)
class NextStep(_Element):
    """What the requester does next (a follow-up: where to go, what to book), in plain words."""

    required: ClassVar[tuple[str, ...]] = ("id", "summary", "rule")
    summary: str = ""


@dataclass(frozen=True)
class Escalation(_Element):
    """A contact that must be told at once, and why."""

    required: ClassVar[tuple[str, ...]] = ("id", "contact", "reason", "rule")
    contact: Any = None
    reason: str = ""


def _many(raw: Mapping[str, Any], key: str, kind: type[_E]) -> tuple[_E, ...]:
    """The elements under ``key``; PolicyError naming the first malformed one."""
    items = raw.get(key, [])
    if not isinstance(items, list):
        raise PolicyError(f"{key} must be a list")
    parse = kind._parse
    elements: list[_E] = []
    for item in items:
        element = parse(item)
        if element is None:
            raise PolicyError(kind._problem(item, f"{key}[{len(elements)}]"))
        elements.append(element)
    return tuple(elements)


_REASON_KEYS = frozenset(("rule", "code", "message"))


@dataclass(frozen=True)
class Reason:
    """A rule that fired, with its stable code and message."""

    rule: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Approval:
    """Whether approval is needed, by which roles, and how many approvers."""

    required: bool = False
    roles: tuple[str, ...] = ()
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"required": self.required, "roles": list(self.roles), "count": self.count}


@dataclass(frozen=True)
class PolicyRef:
    """Which bundle revision and engine produced the decision."""

    revision: str
    engine: str

    def to_dict(self) -> dict[str, str]:
        return {"revision": self.revision, "engine": self.engine}


@dataclass(frozen=True)
class Decision:
    """The whole answer to one access request."""

    decision_id: str
    outcome: str
    summary: str
    policy: PolicyRef
    consequences: tuple[Consequence, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    conditions: tuple[Condition, ...] = ()
    approval: Approval = Approval()
    escalations: tuple[Escalation, ...] = ()
    reasons: tuple[Reason, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    # A follow-up request's decision records the alternative chosen on its parent.
    chosen_alternative: Alternative | None = None
    parent_decision_id: str | None = None

    @classmethod
    def from_policy(cls, raw: Any, decision_id: str, policy: PolicyRef) -> Decision:
        """Check and wrap what ``data.gatekeeper.decision`` returned; PolicyError if malformed."""
        decision = cls._parse(raw, decision_id, policy)
        # Principle 1: no flat denials. A policy that forgets this fails closed.
        names_contact = any(c.kind == "contact" for c in decision.consequences)
        if decision.outcome != "allow" and not (
            decision.alternatives or decision.escalations or names_contact
        ):
            raise PolicyError(f"outcome {decision.outcome} offers no alternative and names "
                              "no contact")
        return decision

    @classmethod
    def _parse(cls, raw: Any, decision_id: str, policy: PolicyRef) -> Decision:
        """The decision's shape checked and typed; PolicyError naming what is malformed."""
        if not isinstance(raw, Mapping):
            raise PolicyError("data.gatekeeper.decision is undefined or not an object")
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES:
            raise PolicyError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        summary = raw.get("summary")
        if not isinstance(summary, str) or not summary:
            raise PolicyError("summary must be a non-empty string")

        approval_raw = raw.get("approval") or {}
        if not isinstance(approval_raw, Mapping):
            raise PolicyError("approval must be an object")
        reasons_raw = raw.get("reasons", [])
        if not isinstance(reasons_raw, list):
            raise PolicyError("reasons must be a list")
        reasons = []
        for i, r in enumerate(reasons_raw):
            if not (type(r) is dict or isinstance(r, Mapping)) or not r.keys() >= _REASON_KEYS:
                raise PolicyError(f"reasons[{i}] needs rule, code and message")
            reasons.append(Reason(str(r["rule"]), str(r["code"]), str(r["message"])))
        # The same checks, in the same order, as the keyword arguments used to be evaluated.
        consequences = _many(raw, "consequences", Consequence)
        alternatives = _many(raw, "alternatives", Alternative)
        conditions = _many(raw, "conditions", Condition)
        count = approval_raw.get("count", 0)
        roles = approval_raw.get("roles", ())
        if type(count) is float and count.is_integer():  # 1.0 from an engine's arithmetic
            count = int(count)
        if type(count) is not int or count < 0:  # bool is not an int here
            raise PolicyError(f"approval.count must be a whole number >= 0, not {count!r}")
        if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
            raise PolicyError("approval.roles must be a list of role names")
        approval = Approval(
            required=bool(approval_raw.get("required", False)),
            roles=tuple(roles),
            count=count,
        )
        escalations = _many(raw, "escalations", Escalation)
        next_steps = _many(raw, "next_steps", NextStep)
        decision = cls(
            decision_id=decision_id,
            outcome=outcome,
            summary=summary,
            policy=policy,
            consequences=consequences,
            alternatives=alternatives,
            conditions=conditions,
            approval=approval,
            escalations=escalations,
            reasons=tuple(reasons),
            next_steps=next_steps,
        )
        return decision

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Decision:
        """Rebuild a recorded decision (ledger, replays): its shape is checked, not principle 1,
        which the policy's answer met when it was made (a follow-up records a choice)."""
        policy = raw.get("policy") or {}
        decision = cls._parse(
            raw,
            decision_id=str(raw.get("decision_id", "")),
            policy=PolicyRef(str(policy.get("revision", "")), str(policy.get("engine", ""))),
        )
        chosen = raw.get("alternative")
        parent = raw.get("parent_decision_id")
        if chosen is None and parent is None:
            return decision
        alternative = Alternative._parse(chosen) if chosen is not None else None
        if chosen is not None and alternative is None:
            raise PolicyError(Alternative._problem(chosen, "alternative"))
        return replace(decision, chosen_alternative=alternative,
                       parent_decision_id=str(parent) if parent is not None else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "outcome": self.outcome,
            "summary": self.summary,
            "consequences": [c.to_dict() for c in self.consequences],
            "alternatives": [a.to_dict() for a in self.alternatives],
            "conditions": [c.to_dict() for c in self.conditions],
            "approval": self.approval.to_dict(),
            "escalations": [e.to_dict() for e in self.escalations],
            "next_steps": [s.to_dict() for s in self.next_steps],
            "reasons": [r.to_dict() for r in self.reasons],
            "policy": self.policy.to_dict(),
            **({"alternative": self.chosen_alternative.to_dict()}
               if self.chosen_alternative is not None else {}),
            **({"parent_decision_id": self.parent_decision_id}
               if self.parent_decision_id is not None else {}),
        }
