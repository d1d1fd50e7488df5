"""What single Rego constructs cost on each engine: instructions (valgrind) or wall-clock µs.

    .venv/bin/python bench/rego_costs.py              # instructions, both regorus engines
    .venv/bin/python bench/rego_costs.py --only rule  # constructs whose name contains "rule"
    .venv/bin/python bench/rego_costs.py --wall       # µs of CPU, all four engines

A policy's cost is the sum of what its evaluation does, so the price of each construct tells
a policy author what to write and explains the decision figures of ``make bench-instructions``.
Each construct is a tiny module whose rule ``data.cost.x`` binds ``y = true`` after the
construct's body lines. A row is the construct's cost per evaluation minus that of the empty
body (``baseline``), divided by ``per`` where one row repeats a construct.

Instructions (the default): the module is evaluated 0 and N times in a child process under
callgrind, on ``regorus`` and ``regorus-rvm`` only (regopy's allocator aborts under valgrind
and OPA's Go runtime is no fit for it). Needs valgrind (Debian package ``valgrind``).

Wall clock (``--wall``): one process builds every module on ``regorus``, ``regorus-rvm``,
``regopy`` (rego-cpp, driven as gatekeeper/engine/regopy_engine.py drives it) and OPA itself in
process (the ``opa-golib-python-bindings`` wheel, bench/opa_inprocess.py; skipped with a
message when it is not installed), warms each up, then runs ``--rounds`` batches of
``--evaluations`` evaluations of each, interleaved so that a change in the machine's load
touches every row alike, and keeps each one's best batch. The clock is
``time.process_time``: the CPU of every thread of the process (OPA's Go runtime collects
garbage on its own threads), which drifts less than elapsed time on a shared machine.

Figures are for gordon-to-regorus 0.13.0 as pinned in pyproject.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# As gatekeeper.engine sets it for the service: with RUST_BACKTRACE set (as on many developer
# machines) regorus would capture a backtrace for every error it makes and handles itself,
# which an object literal indexed by a variable and a reference with two variable indices do
# on every evaluation (~130 k instructions each, ~8 µs): a price the service never pays. The
# children under valgrind inherit it.
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

ENGINES = ("regorus", "regorus-rvm")  # the instruction counts
WALL_ENGINES = ("regorus", "regorus-rvm", "regopy", "opa")
INPUT = {"k": "a", "k2": "b", "n": 5, "ns": 1764000000000000000, "list": list(range(10))}
DATA = {"table": {"a": 1, "b": 2}, "nested": {"a": {"b": 1}, "b": {"a": 2}}}


@dataclass(frozen=True)
class Construct:
    """One row: body lines inside ``x`` and the rules (``extra``) they use."""

    name: str
    body: str
    extra: str = ""
    per: int = 1
    note: str = ""


TEN_FALSE_BODIES = "\n".join(f"s contains {i} if input.n == {i + 100}" for i in range(10))

CONSTRUCTS = (
    Construct("baseline", "true", note="set input, evaluate, return the JSON answer"),
    Construct("empty body again (resolution)", "true",
              note="a second empty module: how far apart two equal rows come out"),
    Construct("local binding", "a = input.n"),
    Construct("input field compared", 'input.k == "a"'),
    Construct("data lookup by an input key", "c = data.table[input.k]"),
    Construct("rule evaluated (first reference)", "c = r1", "r1 := input.n + 1"),
    Construct("rule referenced again (cached)", "c = r1\n  d = r1\n  e = r1", "r1 := input.n + 1",
              per=3, note="3 references, one evaluation: minus the row above, / 3"),
    Construct("function call", "c = f(input.n)", "f(v) := v + 1"),
    Construct("rule body that fails at once", "c = s", TEN_FALSE_BODIES, per=10,
              note="one rule of 10 definitions, all false; includes the rule, / 10"),
    Construct("comprehension, per element", "c = [v | some v in input.list; v > 3]", per=10),
    Construct("sprintf of two values", 'c = sprintf("%s-%d", [input.k, input.n])'),
    Construct("date and clock of a time", "d = time.date(input.ns)\n  c = time.clock(input.ns)"),
    Construct("object literal indexed by a variable", 'c = {"a": 1, "b": 2}[input.k]',
              note="compare the next row"),
    Construct("object literal bound, then indexed", 't = {"a": 1, "b": 2}\n  c = t[input.k]'),
    Construct("two variable indices in one reference", "c = data.nested[input.k][input.k2]",
              note="compare the next row"),
    Construct("the same reference split in two", "o = data.nested[input.k]\n  c = o[input.k2]"),
    Construct("partial set rule, its one body failing at once", "c = s",
              's contains "k" if input.n == 0', note="one definition; includes the rule"),
    Construct("set comprehension over a small object, compared",
              "{v | some v in data.table} == {1, 2}", note="2 values, compared with a set"),
)


def module(construct: Construct) -> str:
    return (f"package cost\n\nimport rego.v1\n\n{construct.extra}\n\n"
            f"x := y if {{\n  {construct.body}\n  y = true\n}}\n")


def runner(construct: Construct, engine: str) -> Callable[[], Any]:
    """A call that sets the input and evaluates ``data.cost.x`` on ``engine``; it returns the
    answer as the engine gives it (``answer`` turns that into a Python value)."""
    text, data, document = module(construct), json.dumps(DATA), json.dumps(INPUT)
    if engine == "regorus-rvm":
        import regorus

        program = regorus.Program.compile_from_modules(data, [("cost.rego", text)], ["data.cost.x"])
        vm = regorus.Rvm()
        vm.load_program(program)
        vm.set_data_json(data)

        def run_rvm() -> Any:
            vm.set_input_json(document)
            return vm.execute_entry_point("data.cost.x")
        return run_rvm
    if engine == "regorus":
        import regorus

        interpreter = regorus.Engine()
        interpreter.add_policy("cost.rego", text)
        interpreter.add_data_json(data)

        def run_regorus() -> Any:
            interpreter.set_input_json(document)
            return interpreter.eval_rule_as_json("data.cost.x")
        return run_regorus
    if engine == "regopy":  # as RegopyEngine: compiled once, queried on its own interpreter
        import regopy

        builder = regopy.Interpreter()
        builder.add_module("cost.rego", text)
        builder.add_data_json(data)
        compiled = builder.build("r = data.cost.x")
        if not compiled.ok():
            raise SystemExit(f"regopy cannot compile construct {construct.name!r}")
        rego = regopy.Interpreter()
        rego.strict_built_in_errors = True

        def run_regopy() -> Any:
            rego.set_input_term(document)
            output = rego.query_bundle(compiled)
            return output.results[0].bindings.get("r") if output.ok() and output.results else None
        return run_regopy
    if engine == "opa":  # as bench/opa_inprocess.py: the wheel serialises the input itself
        from opa_bindings import OpaEngine

        opa = OpaEngine()
        opa.add_policy("cost.rego", text)
        opa.add_data(DATA)
        return lambda: opa.eval_document("cost.x", INPUT)
    raise ValueError(f"unknown engine {engine}")


def answer(engine: str, raw: Any) -> Any:
    return json.loads(str(raw)) if engine in ENGINES else raw


def checked_runner(name: str, engine: str) -> Callable[[], Any]:
    run = runner(next(c for c in CONSTRUCTS if c.name == name), engine)
    if answer(engine, run()) is not True:
        raise SystemExit(f"construct {name!r} did not evaluate to true on {engine}")
    return run


def child(name: str, engine: str, count: int) -> None:
    """Build the construct's module on ``engine`` and evaluate it ``count`` times after one."""
    run = checked_runner(name, engine)
    for _ in range(count):
        run()


def per_evaluation(name: str, engine: str, count: int) -> float:
    from under_valgrind import instructions_of  # this script's folder is on sys.path

    env = dict(os.environ, PYTHONHASHSEED="0")
    runs = [instructions_of([__file__, "--child", name, engine, str(n)], f"{name} on {engine}",
                            env) for n in (0, count)]
    return (runs[1] - runs[0]) / count


def construct_alone(total: dict[tuple[str, str], float], c: Construct, engine: str) -> float:
    """The row's figure: the construct's cost per evaluation without the baseline's."""
    if c.name == "baseline":
        return total[c.name, engine]
    value = total[c.name, engine] - total["baseline", engine]
    if c.name == "rule referenced again (cached)":
        value -= total["rule evaluated (first reference)", engine] - total["baseline", engine]
    return value / c.per


def needed_for(chosen: list[Construct]) -> list[Construct]:
    names = {c.name for c in chosen}
    if "rule referenced again (cached)" in names:
        names.add("rule evaluated (first reference)")
    return [c for c in CONSTRUCTS if c.name in names]


def instructions(chosen: list[Construct], evaluations: int) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: apt-get install valgrind")
    print(f"instructions per evaluation (thousands), {evaluations} evaluations a run; "
          "rows after the baseline are the construct alone", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {(c.name, e): pool.submit(per_evaluation, c.name, e, evaluations)
                for c in needed_for(chosen) for e in ENGINES}
        total = {key: job.result() for key, job in jobs.items()}
    print(f"{'construct':48}{'regorus':>10}{'rvm':>9}{'ratio':>7}  note")
    for c in chosen:
        row = {engine: construct_alone(total, c, engine) for engine in ENGINES}
        ratio = row["regorus-rvm"] / row["regorus"] if row["regorus"] > 0 else float("nan")
        print(f"{c.name:48}{row['regorus'] / 1000:>9.1f}k{row['regorus-rvm'] / 1000:>8.1f}k"
              f"{ratio:>7.2f}  {c.note}")


def wall(chosen: list[Construct], evaluations: int, rounds: int, warm_up: int) -> None:
    import regopy  # noqa: F401  before anything that loads libstdc++ (gatekeeper/engine/native.py)

    from gatekeeper.engine.native import regopy_load_order_problem

    engines = list(WALL_ENGINES)
    problem = regopy_load_order_problem()
    if problem is not None:
        print(f"regopy skipped: {problem}", file=sys.stderr)
        engines.remove("regopy")
    try:
        import opa_bindings  # noqa: F401
    except ImportError as exc:
        print(f"opa skipped ({exc}); install it with: .venv/bin/pip install "
              "--ignore-requires-python opa-golib-python-bindings==0.4.4", file=sys.stderr)
        engines.remove("opa")
    started = datetime.now(UTC)
    load = os.getloadavg()
    runs = {(c.name, e): checked_runner(c.name, e) for c in needed_for(chosen) for e in engines}
    for run in runs.values():
        for _ in range(warm_up):
            run()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):  # interleaved: a change of load touches every row alike
        for key, run in runs.items():
            cpu = time.process_time()
            for _ in range(evaluations):
                run()
            best[key] = min(best[key], (time.process_time() - cpu) / evaluations * 1e6)
    ended = os.getloadavg()
    print(f"µs of CPU per evaluation (time.process_time, best of {rounds} batches of "
          f"{evaluations} after {warm_up} warm-up evaluations); rows after the baseline are "
          f"the construct alone; {started:%Y-%m-%d %H:%M} UTC, load average "
          f"{load[0]:.2f} -> {ended[0]:.2f} on {os.cpu_count()} cores")
    short = {"regorus-rvm": "rvm"}
    print(f"{'construct':48}" + "".join(f"{short.get(e, e):>9}" for e in engines) + "  note")
    for c in chosen:
        cells = "".join(f"{construct_alone(best, c, e):>9.2f}" for e in engines)
        print(f"{c.name:48}{cells}  {c.note}")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int,
                        help="per valgrind run (default 200) or per --wall batch (default 2000)")
    parser.add_argument("--only", help="constructs whose name contains this text")
    parser.add_argument("--wall", action="store_true",
                        help="µs of CPU on all four engines instead of instructions")
    parser.add_argument("--rounds", type=int, default=7, help="--wall batches; the best is kept")
    parser.add_argument("--warm-up", type=int, default=500, help="--wall evaluations first")
    args = parser.parse_args()
    always = ("baseline", "empty body again (resolution)")
    chosen = [c for c in CONSTRUCTS if c.name in always or not args.only or args.only in c.name]
    if args.wall:
        wall(chosen, args.evaluations or 2000, args.rounds, args.warm_up)
    else:
        instructions(chosen, args.evaluations or 200)


if __name__ == "__main__":
    main()
