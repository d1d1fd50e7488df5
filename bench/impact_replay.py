"""Benchmark ``gatekeeper impact``'s replay: N synthetic requests through two bundles.

    .venv/bin/python bench/impact_replay.py                 # 100,000 requests, real policies
    .venv/bin/python bench/impact_replay.py --minimal       # the replay machinery alone

The head bundle is a copy of the base with one YAML change (the Silver tier's baseline-break
outcome becomes needs_approval), so the run finds real changes. The timed part is the whole
replay pipeline: reading the JSON-lines file, validating each request, evaluating it on both
bundles, diffing and aggregating. A request counts once although both bundles evaluate it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatekeeper.engine import load_bundle  # noqa: E402
from gatekeeper.policyci.impact import ImpactReport, SideInfo  # noqa: E402
from gatekeeper.policyci.impact_format import render_text  # noqa: E402
from gatekeeper.policyci.replay import replay  # noqa: E402
from gatekeeper.policyci.sources import FileSource  # noqa: E402
from gatekeeper.policyci.synthetic import generate, write_jsonl  # noqa: E402

MINIMAL_POLICY = """package gatekeeper

import rego.v1

_alternative := {"id": "supervised_session", "title": "t", "summary": "s", "lead_time_hours": 0,
	"downtime_hours": 0, "rank": 1, "why": "w", "rule": "gatekeeper.decision"}

decision := {
	"outcome": data.bench.outcomes[input.request.access],
	"summary": "minimal benchmark policy",
	"consequences": [], "conditions": [], "escalations": [],
	"alternatives": [_alternative],
	"approval": {"required": false, "roles": [], "count": 0},
	"reasons": [{"rule": "gatekeeper.decision", "code": "BENCH-1", "message": "m"}],
}
"""
MINIMAL_OUTCOMES = """outcomes:
  read_only: allow
  scoped_admin: allow_with_consequences
  full_admin: {full_admin}
  data_export: needs_approval
  break_glass: deny
"""


def make_bundles(work: Path, policies: Path, minimal: bool) -> tuple[Path, Path]:
    base, head = work / "base", work / "head"
    for target in (base, head):
        if minimal:
            for folder in ("catalog", "customers", "sla_tiers"):
                shutil.copytree(policies / folder, target / folder)
            (target / "gatekeeper").mkdir(parents=True)
            (target / "gatekeeper" / "decision.rego").write_text(MINIMAL_POLICY)
            (target / "bench").mkdir()
        else:
            shutil.copytree(policies, target)
    if minimal:
        for target, outcome in ((base, "needs_approval"), (head, "deny")):
            (target / "bench" / "data.yaml").write_text(MINIMAL_OUTCOMES.format(full_admin=outcome))
    else:
        tiers = head / "sla_tiers" / "data.yaml"
        text = tiers.read_text()
        at = text.index("silver:")
        cut = text.index("outcome: allow_with_consequences", at)
        tiers.write_text(text[:cut] + "outcome: needs_approval" + text[cut + 32 :])
    return base, head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--engine", default="regorus")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--minimal", action="store_true",
                        help="a one-rule policy: measures the replay machinery, not Rego")
    parser.add_argument("--requests", type=Path, help="reuse this JSON-lines file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gk-bench-") as tmp:
        work = Path(tmp)
        base_dir, head_dir = make_bundles(work, args.policies, args.minimal)
        base, head = load_bundle(base_dir), load_bundle(head_dir)
        requests = args.requests
        if requests is None:
            requests = work / "requests.jsonl"
            started = time.perf_counter()
            write_jsonl(requests, generate(base.data, args.count))
            print(f"generated {args.count:,} requests in {time.perf_counter() - started:.1f}s")
        report = ImpactReport(SideInfo("base", str(base_dir), revision=base.revision),
                              SideInfo("head", str(head_dir), revision=head.revision),
                              str(requests))
        started = time.perf_counter()
        replay(report, base, head, FileSource(requests, datetime.now(UTC)),
               engine=args.engine, workers=args.jobs)
        seconds = time.perf_counter() - started
    print(render_text(report).split("\nBy customer")[0])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rate = report.total / seconds
    kind = "minimal policy" if args.minimal else "real policies"
    print(f"\n{report.total:,} requests x 2 bundles in {seconds:.1f}s: {rate:,.0f} requests/s "
          f"({args.jobs} worker(s), {cores} core(s) available, {kind}, {args.engine})")


if __name__ == "__main__":
    main()
