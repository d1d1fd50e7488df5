"""``gatekeeper check``'s ``engines`` step: the served engine answers as the reference does.

The regorus interpreter is the reference (policy tests run on it, and it raises on a runtime
error). ``regorus-rvm`` turns a runtime error inside a rule into a missing element instead of
a refused decision, and regopy differs on a few constructs (docs/policy-contract.md, engine
notes). A bundle checked with one of them is therefore decided on both, for the examples and
for synthetic requests drawn from the bundle's own data, so such a difference fails CI
instead of reaching a requester. Sampling finds what the samples reach, not every case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gatekeeper.domain import GatekeeperError
from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import REFERENCE_ENGINE, create_engine
from gatekeeper.engine.base import DECISION_PATH, Engine, PolicyBundle
from gatekeeper.policyci.sources import item_from_document
from gatekeeper.policyci.synthetic import generate

REFERENCE = REFERENCE_ENGINE
DEFAULT_SYNTHETIC = 1000
_LISTS = ("consequences", "alternatives", "conditions", "escalations", "reasons")


@dataclass(frozen=True)
class Sample:
    """One engine input to decide on both engines; ``file`` when it comes from a file."""

    label: str
    input: dict[str, Any]
    file: str | None = None


@dataclass(frozen=True)
class Disagreement:
    """A sample the two engines answer differently, and how."""

    sample: Sample
    detail: str


def synthetic_samples(data: Mapping[str, Any], count: int, today: datetime) -> Iterator[Sample]:
    """``count`` requests from the bundle's data over 90 days around ``today`` (seeded: the
    same bundle and day give the same requests); ones the service would reject are left out."""
    if count <= 0:
        return
    start = today.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    docs = generate(data, count, start=start - timedelta(days=30), days=90)
    for n, doc in enumerate(docs, 1):
        req = doc["request"]
        label = (f"synthetic request {n} ({req['customer']}/{req['environment']}, "
                 f"{req['access']} for {req['purpose']}, {len(req['systems']) or 'no'} "
                 f"named system(s), {doc['identity']['role']}, "
                 f"start {req['start']}, {req['duration_hours']} h, {req['urgency']})")
        item = item_from_document(label, doc, today)
        if item.input is not None:
            yield Sample(label, item.input)


def _answer(engine: Engine, sample: Sample) -> tuple[str, Any]:
    try:
        return "value", engine.evaluate(sample.input, DECISION_PATH)
    except GatekeeperError as exc:
        return "error", f"{exc.code}: {exc.detail}"


def _ids(items: Any) -> list[str]:
    if not isinstance(items, list):
        return [repr(items)]
    return [str(i.get("id") or i.get("code")) if isinstance(i, dict) else repr(i) for i in items]


def describe(reference: tuple[str, Any], served: tuple[str, Any], name: str) -> str:
    """What differs between the two answers, in a line."""
    (ref_kind, ref), (got_kind, got) = reference, served
    if ref_kind == "error" and got_kind == "error":
        return ""  # both fail closed
    if ref_kind == "error":
        outcome = got.get("outcome") if isinstance(got, dict) else got
        return f"{REFERENCE} fails closed ({ref}) where {name} answers {outcome!r}"
    if got_kind == "error":
        return f"{name} fails ({got}) where {REFERENCE} answers {ref.get('outcome')!r}"
    if not isinstance(ref, dict) or not isinstance(got, dict):
        return f"{REFERENCE} answers {ref!r}, {name} {got!r}"
    parts = []
    for key in sorted(set(ref) | set(got)):
        a, b = ref.get(key), got.get(key)
        if a == b:
            continue
        if key in _LISTS and _ids(a) != _ids(b):
            parts.append(f"{key} {_ids(a)} vs {_ids(b)}")
        elif key in _LISTS:
            parts.append(f"{key} differ in content")
        else:
            parts.append(f"{key} {a!r} vs {b!r}")
    return f"{REFERENCE} vs {name}: " + "; ".join(parts)


def compare(bundle: PolicyBundle, served: Engine, samples: Iterable[Sample],
            reference: Engine | None = None) -> tuple[int, list[Disagreement]]:
    """Decide every sample on ``served`` and on the reference interpreter; returns how many
    were compared and the ones they disagree on (both failing closed counts as agreeing)."""
    reference = reference or create_engine(REFERENCE, bundle)
    compared, found = 0, []
    for sample in samples:
        compared += 1
        ref, got = _answer(reference, sample), _answer(served, sample)
        if ref != got:
            detail = describe(ref, got, served.name)
            if detail:
                found.append(Disagreement(sample, detail))
    return compared, found


def check_agreement(bundle: PolicyBundle, served: Engine, count: int,
                    today: datetime | None = None) -> None:
    """Refuse (``EngineError``) a bundle that ``served`` answers differently from the
    reference on ``count`` synthetic requests; the first difference is named. ``serve``
    runs this before a fast engine serves a bundle, as ``check --engine`` does in CI."""
    samples = synthetic_samples(bundle.data, count, today or datetime.now(UTC))
    compared, found = compare(bundle, served, samples)
    if found:
        first = found[0]
        raise EngineError(
            f"{served.name} answers {len(found)} of {compared} synthetic request(s) "
            f"differently from {REFERENCE}, so it does not serve this bundle "
            f"(run `gatekeeper check --engine {served.name}`); first: {first.sample.label}: "
            f"{first.detail}")
