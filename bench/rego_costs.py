"""What single Rego constructs cost on the two regorus engines, in instructions (valgrind).

    .venv/bin/python bench/rego_costs.py              # every construct, both engines
    .venv/bin/python bench/rego_costs.py --only rule  # constructs whose name contains "rule"

A policy's cost is the sum of what its evaluation does, so the price of each construct tells
a policy author what to write and explains the decision figures of ``make bench-instructions``.
Each construct is a tiny module whose rule ``data.cost.x`` binds ``y = true`` after the
construct's body lines; it is evaluated 0 and N times in a child process under callgrind,
and the row is its instructions per evaluation minus those of the empty body (``baseline``),
divided by ``per`` where one row repeats a construct. Needs valgrind (Debian package
``valgrind``). Figures are for gordon-to-regorus 0.13.0 as pinned in pyproject.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ENGINES = ("regorus", "regorus-rvm")
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
              note="bind the literal first (next row)"),
    Construct("object literal bound, then indexed", 't = {"a": 1, "b": 2}\n  c = t[input.k]'),
    Construct("two variable indices in one reference", "c = data.nested[input.k][input.k2]",
              note="split it (next row)"),
    Construct("the same reference split in two", "o = data.nested[input.k]\n  c = o[input.k2]"),
)


def module(construct: Construct) -> str:
    return (f"package cost\n\nimport rego.v1\n\n{construct.extra}\n\n"
            f"x := y if {{\n  {construct.body}\n  y = true\n}}\n")


def child(name: str, engine: str, count: int) -> None:
    """Build the construct's module on ``engine`` and evaluate it ``count`` times after one."""
    import regorus

    construct = next(c for c in CONSTRUCTS if c.name == name)
    text, data, document = module(construct), json.dumps(DATA), json.dumps(INPUT)
    if engine == "regorus-rvm":
        program = regorus.Program.compile_from_modules(data, [("cost.rego", text)], ["data.cost.x"])
        vm = regorus.Rvm()
        vm.load_program(program)
        vm.set_data_json(data)
        run = lambda: (vm.set_input_json(document), vm.execute_entry_point("data.cost.x"))  # noqa: E731
    else:
        interpreter = regorus.Engine()
        interpreter.add_policy("cost.rego", text)
        interpreter.add_data_json(data)
        run = lambda: (interpreter.set_input_json(document),  # noqa: E731
                       interpreter.eval_rule_as_json("data.cost.x"))
    if json.loads(str(run()[1])) is not True:
        raise SystemExit(f"construct {name!r} did not evaluate to true on {engine}")
    for _ in range(count):
        run()


def per_evaluation(name: str, engine: str, count: int) -> float:
    from under_valgrind import instructions_of  # this script's folder is on sys.path

    env = dict(os.environ, PYTHONHASHSEED="0")
    runs = [instructions_of([__file__, "--child", name, engine, str(n)], f"{name} on {engine}",
                            env) for n in (0, count)]
    return (runs[1] - runs[0]) / count


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=200)
    parser.add_argument("--only", help="constructs whose name contains this text")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: apt-get install valgrind")
    chosen = [c for c in CONSTRUCTS if c.name == "baseline" or not args.only or args.only in c.name]
    needed = {c.name for c in chosen} | {"rule evaluated (first reference)"}
    print(f"instructions per evaluation (thousands), {args.evaluations} evaluations a run; "
          "rows after the baseline are the construct alone", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {(c.name, e): pool.submit(per_evaluation, c.name, e, args.evaluations)
                for c in CONSTRUCTS if c.name in needed for e in ENGINES}
        total = {key: job.result() for key, job in jobs.items()}
    print(f"{'construct':42}{'regorus':>10}{'rvm':>9}{'ratio':>7}  note")
    for c in chosen:
        row = {}
        for engine in ENGINES:
            value = total[c.name, engine]
            if c.name != "baseline":
                value -= total["baseline", engine]
            if c.name == "rule referenced again (cached)":
                first = total["rule evaluated (first reference)", engine]
                value -= first - total["baseline", engine]
            row[engine] = value / c.per
        ratio = row["regorus-rvm"] / row["regorus"] if row["regorus"] > 0 else float("nan")
        print(f"{c.name:42}{row['regorus'] / 1000:>9.1f}k{row['regorus-rvm'] / 1000:>8.1f}k"
              f"{ratio:>7.2f}  {c.note}")


if __name__ == "__main__":
    main()
