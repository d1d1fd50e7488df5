"""Texts a customer reads are plain: US grade 8 or below, local times, money with cents.

Every customer-facing text of the answer (the summary, each consequence's title and summary,
each condition's summary, each escalation's reason, each alternative's title, summary,
conditions and why) of every example and of a few hundred seeded synthetic requests, decided
on the default engine, must

* read at US grade 8 or below (``textstat.flesch_kincaid_grade``, textstat 0.7.3; no
  tolerance: a text that fails is rewritten, not excused);
* carry no RFC 3339 timestamp: times a customer reads are in their own time zone
  (``gatekeeper.lib.times.local``), machine fields (``starts_at``, ``review_due`` ...) stay UTC;
* print any amount of money with its currency and two decimals ("EUR 22.50",
  ``gatekeeper.lib.util.money``).

The ``reasons`` are for MSP engineers and are not checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat

from gatekeeper.domain import Principal
from gatekeeper.domain.request import AccessRequest, parse_timestamp
from gatekeeper.engine import DEFAULT_ENGINE, Engine, create_engine, load_bundle
from gatekeeper.engine.expectations import example_input
from gatekeeper.policyci.synthetic import generate
from gatekeeper.service.decisions import build_input

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC = 300
SEED = 16
MAX_GRADE = 8.0
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

Text = tuple[str, str, str]  # (group, where, text)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return create_engine(DEFAULT_ENGINE, load_bundle(REPO / "policies"))


def _synthetic_input(doc: dict[str, Any]) -> dict[str, Any]:
    ident = doc["identity"]
    principal = Principal(ident["subject"], ident["role"], ident.get("organisation"))
    return build_input(AccessRequest.from_mapping(doc["request"]), principal,
                       parse_timestamp(doc["now"]))


def _inputs() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((REPO / "examples" / "requests").glob("*.json")):
        yield path.stem, example_input(json.loads(path.read_text(encoding="utf-8")))
    data = load_bundle(REPO / "policies").data
    for n, doc in enumerate(generate(data, SYNTHETIC, seed=SEED)):
        yield f"synthetic {n}", _synthetic_input(doc)


def _texts(name: str, d: dict[str, Any]) -> Iterator[Text]:
    yield "core", f"{name} summary", d["summary"]
    for c in d["consequences"]:
        group = "sla" if c["rule"].startswith("gatekeeper.rules.sla.") else "core"
        for field in ("title", "summary"):
            if field in c:
                yield group, f"{name} consequence {c['id']} {field}", c[field]
    for c in d["conditions"]:  # a follow-up's include its alternative's catalogue conditions
        yield "core", f"{name} condition {c['id']}", c["summary"]
    for e in d["escalations"]:
        yield "core", f"{name} escalation {e['id']}", e["reason"]
    for a in d["alternatives"]:
        yield "core", f"{name} alternative {a['id']} title", a["title"]
        yield "core", f"{name} alternative {a['id']} summary", a["summary"]
        for i, text in enumerate(a.get("conditions", [])):
            yield "core", f"{name} alternative {a['id']} condition {i}", text
        yield "why", f"{name} alternative {a['id']} why", a["why"]


@pytest.fixture(scope="module")
def texts(engine: Engine) -> list[Text]:
    out: list[Text] = []
    for name, payload in _inputs():
        decision = engine.evaluate(payload)
        assert decision is not None, f"{name}: the decision is undefined"
        out.extend(_texts(name, decision))
    return out


def _currencies() -> set[str]:
    data = load_bundle(REPO / "policies").data
    return {c["currency"] for c in data["customers"].values() if "currency" in c}


def _problems(texts: list[Text], group: str) -> list[str]:
    codes = "|".join(sorted(_currencies()))
    money = re.compile(rf"\b(?:{codes}) (-?[0-9][0-9.,]*)")
    found: list[str] = []
    seen: set[str] = set()
    for g, where, text in texts:
        if g != group or text in seen:
            continue
        seen.add(text)
        grade = textstat.flesch_kincaid_grade(text)
        if grade > MAX_GRADE:
            found.append(f"grade {grade} > {MAX_GRADE}: {where}: {text}")
        if RFC3339.search(text):
            found.append(f"raw timestamp: {where}: {text}")
        for amount in money.findall(text):
            if not re.fullmatch(r"-?\d+\.\d{2}", amount.rstrip(".,")):
                found.append(f"money without two decimals ({amount}): {where}: {text}")
    return found


def _check(texts: list[Text], group: str) -> None:
    assert any(g == group for g, _, _ in texts), f"no {group} texts were produced"
    problems = _problems(texts, group)
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])


def test_customer_texts_are_plain(texts: list[Text]) -> None:
    _check(texts, "core")


def test_alternative_why_is_plain(texts: list[Text]) -> None:
    _check(texts, "why")


def test_sla_consequence_is_plain(texts: list[Text]) -> None:
    _check(texts, "sla")


def test_the_checks_catch_what_they_should() -> None:
    """The checks themselves: a hard text, a UTC timestamp and money without cents fail."""
    bad = [
        ("core", "a", "Full administrator breaks the managed baseline of the environment: "
                      "afterwards the MSP must re-provision and re-secure it."),
        ("core", "b", "Access ends at 2027-01-04T06:00:00Z."),
        ("core", "c", "You get a 5% credit (EUR 22.5)."),
    ]
    problems = _problems(bad, "core")
    assert [p.split(" ")[0] for p in problems] == ["grade", "raw", "money"]
    assert _problems([("core", "d", "You get a 5% credit (EUR 22.50).")], "core") == []
