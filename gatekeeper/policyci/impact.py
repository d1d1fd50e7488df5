"""The impact report: how decisions differ between a base and a head bundle.

Two pseudo-outcomes sit beside the policy's four: ``invalid`` (the service would reject the
request before asking the policy, e.g. an unknown customer) and ``error`` (the policy failed
or answered something malformed, so the service fails closed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gatekeeper.domain import OUTCOMES

PSEUDO_OUTCOMES = ("invalid", "error")
ALL_OUTCOMES = (*OUTCOMES, *PSEUDO_OUTCOMES)
ELEMENTS = ("consequences", "alternatives", "conditions", "escalations")
EXAMPLES_PER_GROUP = 3
ARROW = "→"


@dataclass(frozen=True)
class SideResult:
    """One side's answer for one request: an outcome and the decision (or the problem)."""

    outcome: str
    decision: Mapping[str, Any] | None = None
    problem: str | None = None
    # The engine's JSON text of ``decision`` when it gave one: equal texts, equal decisions.
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Change:
    """What differs for one request; ``rules`` maps each responsible rule to +, - or ~."""

    label: str
    customer: str
    request: str
    base: str
    head: str
    added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    removed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modified: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, str] = field(default_factory=dict)
    approval: tuple[Any, Any] | None = None
    problem: str | None = None

    @property
    def transition(self) -> tuple[str, str]:
        return (self.base, self.head)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.label,
            "customer": self.customer,
            "summary": self.request,
            "base": self.base,
            "head": self.head,
            "added": {k: list(v) for k, v in self.added.items()},
            "removed": {k: list(v) for k, v in self.removed.items()},
            "modified": {k: list(v) for k, v in self.modified.items()},
            "rules": dict(self.rules),
            "approval": list(self.approval) if self.approval else None,
            "problem": self.problem,
        }


def _by_id(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        if isinstance(item, Mapping):
            out[str(item.get("id", ""))] = item
    return out


def _rules_of(decision: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule named by the decision: reasons, then each element's ``rule``."""
    found: dict[str, Any] = {}
    for reason in decision.get("reasons") or ():
        if isinstance(reason, Mapping) and "rule" in reason:
            found.setdefault(str(reason["rule"]), []).append(reason)
    for key in ELEMENTS:
        for item in decision.get(key) or ():
            if isinstance(item, Mapping) and "rule" in item:
                found.setdefault(str(item["rule"]), []).append(item)
    return found


def describe_request(engine_input: Mapping[str, Any]) -> str:
    """``acme/production full_admin for software_install`` — a short label for reports."""
    req = engine_input.get("request") or {}
    return (
        f"{req.get('customer', '?')}/{req.get('environment', '?')} "
        f"{req.get('access', '?')} for {req.get('purpose', '?')}"
    )


def compare(
    label: str, engine_input: Mapping[str, Any], base: SideResult, head: SideResult
) -> Change | None:
    """The difference between two answers to the same input; None when they are the same."""
    customer = str((engine_input.get("request") or {}).get("customer", ""))
    summary = describe_request(engine_input)
    if base.decision is None or head.decision is None:
        if base.outcome == head.outcome and base.problem == head.problem:
            return None
        return Change(label, customer, summary, base.outcome, head.outcome,
                      problem=head.problem or base.problem)
    b, h = base.decision, head.decision
    if b == h:
        return None
    added: dict[str, tuple[str, ...]] = {}
    removed: dict[str, tuple[str, ...]] = {}
    modified: dict[str, tuple[str, ...]] = {}
    rules: dict[str, str] = {}
    for key in ELEMENTS:
        bi, hi = _by_id(b.get(key)), _by_id(h.get(key))
        if plus := tuple(sorted(hi.keys() - bi.keys())):
            added[key] = plus
        if minus := tuple(sorted(bi.keys() - hi.keys())):
            removed[key] = minus
        if changed := tuple(sorted(k for k in bi.keys() & hi.keys() if bi[k] != hi[k])):
            modified[key] = changed
            for k in changed:
                rules.setdefault(str(hi[k].get("rule", "")), "~")
    br, hr = _rules_of(b), _rules_of(h)
    for rule in hr.keys() - br.keys():
        rules[rule] = "+"
    for rule in br.keys() - hr.keys():
        rules[rule] = "-"
    for rule in br.keys() & hr.keys():
        if br[rule] != hr[rule]:
            rules.setdefault(rule, "~")
    rules.pop("", None)
    approval = None
    if b.get("approval") != h.get("approval"):
        approval = (b.get("approval"), h.get("approval"))
    return Change(
        label, customer, summary, base.outcome, head.outcome,
        added, removed, modified, dict(sorted(rules.items())), approval,
    )


@dataclass
class SideInfo:
    """Which bundle a side is: the user's spec, the commit (if any) and the bundle revision."""

    spec: str
    source: str
    commit: str | None = None
    subject: str | None = None
    revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "source": self.source, "commit": self.commit,
                "subject": self.subject, "revision": self.revision}


@dataclass
class ImpactReport:
    """Counts over every replayed request, plus a few examples of each kind of change."""

    base: SideInfo
    head: SideInfo
    source: str
    total: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    changed: int = 0
    customers: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    elements: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    rules: dict[str, Counter[str]] = field(default_factory=dict)
    examples: dict[tuple[str, str], list[Change]] = field(default_factory=dict)
    skipped: int = 0
    skipped_examples: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    def count(self, base: str, head: str) -> None:
        self.total += 1
        self.transitions[(base, head)] += 1

    def skip(self, label: str, problem: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < EXAMPLES_PER_GROUP:
            self.skipped_examples.append((label, problem))

    def add(self, change: Change) -> None:
        """Fold one changed decision into the totals (call :meth:`count` for it too)."""
        self.changed += 1
        self.customers.setdefault(change.customer, Counter())[change.transition] += 1
        for verb, groups in (("added", change.added), ("removed", change.removed),
                             ("modified", change.modified)):
            for key, ids in groups.items():
                bucket = self.elements.setdefault(key, {}).setdefault(verb, Counter())
                bucket.update(ids)
        for rule, sign in change.rules.items():
            self.rules.setdefault(rule, Counter())[sign] += 1
        examples = self.examples.setdefault(change.transition, [])
        if len(examples) < EXAMPLES_PER_GROUP:
            examples.append(change)

    def merge(self, counts: Iterable[tuple[tuple[str, str], int]], changes: Iterable[Change],
              skipped: Iterable[tuple[str, str]]) -> None:
        """Fold a worker's chunk in: transition counts, changed decisions, skipped requests."""
        for transition, n in counts:
            self.total += n
            self.transitions[transition] += n
        for change in changes:
            self.add(change)
        for label, problem in skipped:
            self.skip(label, problem)

    @property
    def outcome_changes(self) -> list[tuple[tuple[str, str], int]]:
        """Transitions where the outcome itself differs, most frequent first."""
        items = [(t, n) for t, n in self.transitions.items() if t[0] != t[1]]
        return sorted(items, key=lambda item: (-item[1], item[0]))

    @property
    def flipped(self) -> int:
        return sum(n for _, n in self.outcome_changes)

    def to_dict(self) -> dict[str, Any]:
        def tr(t: tuple[str, str]) -> str:
            return f"{t[0]} -> {t[1]}"

        return {
            "base": self.base.to_dict(),
            "head": self.head.to_dict(),
            "source": self.source,
            "requests": self.total,
            "skipped": {"count": self.skipped,
                        "examples": [{"request": a, "problem": b}
                                     for a, b in self.skipped_examples]},
            "changed": self.changed,
            "outcome_changed": self.flipped,
            "transitions": [{"base": t[0], "head": t[1], "count": n}
                            for t, n in sorted(self.transitions.items(),
                                               key=lambda i: (-i[1], i[0]))],
            "customers": {c: {tr(t): n for t, n in sorted(cnt.items())}
                          for c, cnt in sorted(self.customers.items())},
            "elements": {k: {verb: dict(sorted(c.items())) for verb, c in v.items()}
                         for k, v in sorted(self.elements.items())},
            "rules": {r: dict(sorted(c.items())) for r, c in sorted(self.rules.items())},
            "examples": [ch.to_dict() for _, group in sorted(self.examples.items())
                         for ch in group],
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
        }
