"""Instructions per decision, engine alone, counted by valgrind: a figure that does not drift.

    .venv/bin/python bench/engine_instructions.py                       # every example
    .venv/bin/python bench/engine_instructions.py --policies OTHER_DIR  # compare a change
    .venv/bin/python bench/engine_instructions.py --mix 300             # synthetic traffic mix
    .venv/bin/python bench/engine_instructions.py --together            # the mean only, fast

Wall-clock figures on the shared 2-core machine drift by up to 2x within an hour; callgrind
counts the instructions a run executes, which is the same for the same binary and input
whatever else the machine does. Each example is evaluated 0 and N times in a child process
under ``valgrind --tool=callgrind``; the difference divided by N is one evaluation (input
set + evaluation, no Python service code). ``--mix N`` counts the mean over N synthetic
requests instead (``gatekeeper.policyci.synthetic``: the mix ``make bench-impact`` replays,
built into engine inputs as the service builds them), each evaluated once. Needs valgrind
(Debian package ``valgrind``). regopy is not counted: its allocator refuses to start under valgrind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "requests"
ENGINES = ("regorus", "regorus-rvm")


def child(policies: str, example: str, engine: str, count: int) -> None:
    """Load the bundle, evaluate ``example`` ``count`` times (after one warm-up evaluation);
    ``example`` ``mix:N`` means N synthetic requests, each evaluated ``count`` times."""
    from under_valgrind import keep_regopy_out  # this script's folder is on sys.path

    keep_regopy_out()
    sys.path.insert(0, str(ROOT))
    import regorus

    from gatekeeper.engine import load_bundle
    from gatekeeper.engine.base import DECISION_PATH
    from gatekeeper.engine.expectations import example_input
    from gatekeeper.engine.regorus_engine import build_regorus

    bundle = load_bundle(policies)
    if example.startswith("mix:"):
        documents = _mix_documents(bundle, int(example[4:]))
    elif example == "examples":
        documents = [json.dumps(example_input(json.loads(p.read_text())))
                     for p in sorted(EXAMPLES.glob("*.json"))]
    else:
        documents = [json.dumps(example_input(json.loads(Path(example).read_text())))]
    if engine == "regorus-rvm":
        data = json.dumps(bundle.data)
        program = regorus.Program.compile_from_modules(
            data, list(bundle.modules.items()), [DECISION_PATH])
        vm = regorus.Rvm()
        vm.load_program(program)
        vm.set_data_json(data)
        run = lambda d: (vm.set_input_json(d), vm.execute_entry_point(DECISION_PATH))  # noqa: E731
    else:
        interpreter = build_regorus(bundle)
        run = lambda d: (interpreter.set_input_json(d),  # noqa: E731
                         interpreter.eval_rule_as_json(DECISION_PATH))
    run(documents[0])
    for _ in range(count):
        for document in documents:
            run(document)


def _mix_documents(bundle: Any, n: int) -> list[str]:
    """N synthetic requests as engine inputs (invalid ones, which the service rejects, left
    out), over a fixed window so every run counts the same requests: 2026-10-01 + 90 days."""
    from datetime import UTC, datetime

    from gatekeeper.policyci.engine_agreement import synthetic_samples

    today = datetime(2026, 10, 31, tzinfo=UTC)  # the window starts 30 days before "today"
    return [json.dumps(sample.input) for sample in synthetic_samples(bundle.data, n, today)]


def instructions(policies: Path, example: Path | str, engine: str, count: int) -> int:
    """Instructions valgrind counted for a child run (the hash seed fixed for repeatability)."""
    from under_valgrind import instructions_of

    env = dict(os.environ, PYTHONHASHSEED="0")
    return instructions_of([__file__, "--child", str(policies), str(example), engine, str(count)],
                           f"{Path(example).name} on {engine}", env)


def mix_row(policies: Path, n: int) -> None:
    """Mean instructions per decision over ``n`` synthetic requests, on both engines."""
    print(f"instructions per decision (thousands), mean over {n} synthetic requests, "
          f"policies {policies}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        runs = {(engine, count): pool.submit(instructions, policies, f"mix:{n}", engine, count)
                for engine in ENGINES for count in (0, 1)}
    row = {}
    for engine in ENGINES:
        row[engine] = (runs[engine, 1].result() - runs[engine, 0].result()) / n
        print(f"{engine:>14}: {row[engine] / 1000:>9,.0f}k")
    print(f"{'ratio':>14}: {row['regorus-rvm'] / row['regorus']:>9.2f}")


def together_row(policies: Path, count: int) -> None:
    """The mean over every example from one child run per engine and count: every example
    evaluated ``count`` times in the same process (4 valgrind runs instead of 4 per example;
    the mean is the same figure as the per-example table's, which sums one run per example)."""
    n = len(list(EXAMPLES.glob("*.json")))
    print(f"instructions per decision (thousands), mean over the {n} examples, {count} "
          f"evaluations each, policies {policies}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        runs = {(engine, c): pool.submit(instructions, policies, "examples", engine, c)
                for engine in ENGINES for c in (0, count)}
    row = {e: (runs[e, count].result() - runs[e, 0].result()) / (count * n) for e in ENGINES}
    for engine in ENGINES:
        print(f"{engine:>14}: {row[engine] / 1000:>9,.0f}k")
    print(f"{'ratio':>14}: {row['regorus-rvm'] / row['regorus']:>9.2f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--only", help="examples whose file name contains this text")
    parser.add_argument("--mix", type=int, metavar="N",
                        help="the mean over N synthetic requests instead of the examples")
    parser.add_argument("--together", action="store_true",
                        help="only the mean over the examples, all in one run per engine")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: apt-get install valgrind")
    if args.mix:
        mix_row(args.policies, args.mix)
        return
    if args.together:
        together_row(args.policies, args.evaluations)
        return
    examples = [p for p in sorted(EXAMPLES.glob("*.json")) if not args.only or args.only in p.name]
    print(f"instructions per decision (thousands), {args.evaluations} evaluations a run, "
          f"policies {args.policies}")
    print(f"{'example':48}" + "".join(f"{e:>14}" for e in ENGINES) + f"{'ratio':>8}")
    totals = dict.fromkeys(ENGINES, 0)
    for example in examples:
        row = {}
        for engine in ENGINES:
            base = instructions(args.policies, example, engine, 0)
            more = instructions(args.policies, example, engine, args.evaluations)
            row[engine] = (more - base) / args.evaluations
            totals[engine] += row[engine]
            print(f"  {example.stem} {engine}: {row[engine] / 1000:,.0f}k", file=sys.stderr)
        print(f"{example.stem[:47]:48}" + "".join(f"{row[e] / 1000:>13,.0f}k" for e in ENGINES)
              + f"{row['regorus-rvm'] / row['regorus']:>8.2f}")
    n = len(examples)
    print(f"{'mean':48}" + "".join(f"{totals[e] / n / 1000:>13,.0f}k" for e in ENGINES)
          + f"{totals['regorus-rvm'] / totals['regorus']:>8.2f}")


if __name__ == "__main__":
    main()
