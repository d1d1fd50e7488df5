"""Instructions one rule costs on regorus-rvm, per synthetic request: where a decision's go.

    .venv/bin/python bench/entry_point_instructions.py data.gatekeeper.decision \\
        data.gatekeeper.alternatives.ranked
    .venv/bin/python bench/entry_point_instructions.py --policies OTHER_DIR data.gatekeeper.decision
    .venv/bin/python bench/entry_point_instructions.py --probe probe.rego data.probe.x

Each path is compiled alone as the VM's entry point (so it costs what it and what it reads
cost, nothing else) and evaluated on the synthetic mix of ``engine_instructions.py --mix``.
Two child runs under callgrind generate the same N requests; one evaluates each once, the
other not at all (both evaluate the first once, so nothing is built lazily in one only): the
difference over N is one evaluation, input set included. ``--probe`` adds a module, e.g.
``package probe`` with ``x := data.gatekeeper.alternatives.rank(...)``, to price an
expression. An evaluation of ``empty := 1`` costs ~37 k with these inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(policies: str, probe: str, path: str, n: int, evaluate: bool) -> None:
    from under_valgrind import keep_regopy_out  # this script's folder is on sys.path

    keep_regopy_out()
    sys.path.insert(0, str(ROOT))
    import regorus
    from engine_instructions import _mix_documents

    from gatekeeper.engine import load_bundle

    bundle = load_bundle(policies)
    documents = _mix_documents(bundle, n)
    modules = list(bundle.modules.items())
    if probe:
        modules.append(("probe.rego", Path(probe).read_text()))
    data = json.dumps(bundle.data)
    vm = regorus.Rvm()
    vm.load_program(regorus.Program.compile_from_modules(data, modules, [path]))
    vm.set_data_json(data)
    vm.set_input_json(documents[0])
    vm.execute_entry_point(path)
    for document in documents if evaluate else []:
        vm.set_input_json(document)
        vm.execute_entry_point(path)


def per_evaluation(policies: Path, probe: str, path: str, n: int) -> float:
    from under_valgrind import instructions_of

    env = dict(os.environ, PYTHONHASHSEED="0", RUST_LIB_BACKTRACE="0")
    env.pop("RUST_BACKTRACE", None)
    argv = [__file__, "--child", str(policies), probe, path, str(n)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(instructions_of, [*argv, flag], f"{path} on regorus-rvm", env)
                for flag in ("0", "1")]
    return (runs[1].result() - runs[0].result()) / n


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="rules to price, e.g. data.gatekeeper.decision")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--probe", default="", help="a Rego module to add (package probe ...)")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: apt-get install valgrind")
    print(f"regorus-rvm instructions per evaluation (thousands), {args.requests} synthetic "
          f"requests, policies {args.policies}")
    for path in args.paths:
        cost = per_evaluation(args.policies, args.probe, path, args.requests)
        print(f"{path:60} {cost / 1000:>9,.0f}k", flush=True)


if __name__ == "__main__":
    main()
