"""``--fail-on``: which outcome transitions make an impact run fail (exit code 1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatekeeper.domain import OUTCOMES
from gatekeeper.policyci.impact import ALL_OUTCOMES, ImpactReport

KEYWORDS = ("any", "changed", "stricter", "looser")
_SPLIT = re.compile(r"\s*(?:->|→|:|>)\s*")
_RANK = {name: i for i, name in enumerate(OUTCOMES)}


@dataclass(frozen=True)
class FailRule:
    """One pattern: a keyword or ``base->head`` where either side may be ``*``."""

    text: str
    base: str = "*"
    head: str = "*"

    def matches(self, base: str, head: str) -> bool:
        if base == head or self.text == "changed":
            return False
        if self.text == "any":
            return True
        if self.text in ("stricter", "looser"):
            if base not in _RANK or head not in _RANK:
                return False
            stricter = _RANK[head] > _RANK[base]
            return stricter if self.text == "stricter" else not stricter
        return self.base in ("*", base) and self.head in ("*", head)


def parse_fail_on(text: str | None) -> list[FailRule]:
    """Parse ``allow->deny,*->error,looser``; ValueError names the bad part."""
    rules: list[FailRule] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        if part in KEYWORDS:
            rules.append(FailRule(part))
            continue
        sides = _SPLIT.split(part)
        if len(sides) != 2:
            raise ValueError(
                f"--fail-on {part!r}: expected BASE->HEAD (e.g. allow->deny) or one of "
                f"{', '.join(KEYWORDS)}"
            )
        for side in sides:
            if side != "*" and side not in ALL_OUTCOMES:
                raise ValueError(
                    f"--fail-on {part!r}: unknown outcome {side!r} "
                    f"(known: {', '.join(ALL_OUTCOMES)}, *)"
                )
        rules.append(FailRule(part, sides[0], sides[1]))
    return rules


def failures(report: ImpactReport, rules: list[FailRule]) -> list[tuple[str, int]]:
    """(description, count) of each matched transition; empty means the run passes."""
    found: list[tuple[str, int]] = []
    for (base, head), n in sorted(report.transitions.items()):
        if base == head:
            continue
        matched = [r.text for r in rules if r.text != "changed" and r.matches(base, head)]
        if matched:
            found.append((f"{base} -> {head} (--fail-on {matched[0]})", n))
    if any(r.text == "changed" for r in rules) and report.changed and not found:
        found.append(("decision details changed (--fail-on changed)", report.changed))
    return found
