"""Issue 18's speed figures side by side in one run, each beside its target.

    make bench-engines                  # installs the OPA wheel into .venv first, then runs
    .venv/bin/python bench/engines.py --seconds 5 --rounds 2 --impact-count 20000   # shorter

1. The engine alone, per decision, over every example in examples/requests (the input built
   as ``gatekeeper check`` builds it, with the example's ``context``): regorus, regorus-rvm,
   regopy and OPA itself in process (bench/opa_inprocess.py), wall p50/p99 and CPU per
   decision; and whether each answers as the regorus interpreter (the reference) does.
2. ``POST /v1/decisions`` over HTTP with wrk at 8 connections, ``gatekeeper serve`` on
   ``regorus`` and on ``regorus-rvm`` beside a bare Flask echo under the same gunicorn
   settings; they alternate round by round and each decision run is divided by its
   round's echo run (target: >= 50 % of the echo, p99 <= 5 ms). Beside them runs the
   ceiling: the echo plus one ``regorus-rvm`` evaluation a request and nothing else
   (bench/ceiling_app.py), the most any Python request path on that engine could reach.
3. Start-up to ready (launching ``gatekeeper serve`` until ``/readyz`` answers 200) and the
   resident memory of each gunicorn worker (VmRSS, and PSS, which shares the pages the
   preloaded app's workers have in common among them).
4. ``gatekeeper impact``'s replay on synthetic requests through two bundles, a request
   counted once although both bundles decide it (target >= 5,000 requests/s), after its
   ceiling: the VM alone deciding both bundles on pre-serialised inputs, scaled perfectly
   over the jobs.

The machine's load average is printed beside every part: on a shared machine the wall-clock
figures drift, so compare runs by their ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from decisions import LUA, free_port, parse_wrk, wait_up  # noqa: E402
from opa_inprocess import OpaInProcess, missing  # noqa: E402

from gatekeeper.cli.balanced_worker import WORKER_CLASS  # noqa: E402
from gatekeeper.engine import create_engine, load_bundle  # noqa: E402
from gatekeeper.engine.regorus_engine import input_json  # noqa: E402
from gatekeeper.engine.rvm_engine import decode  # noqa: E402

EXAMPLES = ROOT / "examples" / "requests"
HTTP_ENGINES = ("regorus", "regorus-rvm")
CEILING_ENGINE = "regorus-rvm"
CEILING = "echo+rvm"
TARGET_SHARE, TARGET_P99_MS, TARGET_IMPACT = 0.50, 5.0, 5000


def load() -> str:
    """The 1-minute load average and the core count, printed beside each figure."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def quantile(samples: list[float], q: int) -> float:
    """The q-th percentile (1..99) of ``samples``."""
    return statistics.quantiles(samples, n=100)[q - 1]


# -- 1. the engine alone -------------------------------------------------------------------

def example_inputs() -> list[tuple[str, dict[str, Any]]]:
    """(file name, engine input) for every example, built as ``gatekeeper check`` does."""
    from gatekeeper.policyci.sources import item_from_document

    inputs = []
    for path in sorted(EXAMPLES.glob("*.json")):
        item = item_from_document(path.name, json.loads(path.read_text()), datetime.now(UTC))
        if item.input is not None:
            inputs.append((path.name, item.input))
    return inputs


class VmAlone:
    """regorus-rvm's compiled VM without its fallback to the interpreter: what an RVM decision
    costs when the VM answers itself (its answer parsed, as ``RvmEngine.evaluate`` does)."""

    name = "rvm VM alone"

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def evaluate(self, item: dict[str, Any]) -> Any:
        raw = self.engine.evaluate_text(input_json(item))
        return None if raw is None else decode(raw)


def engine_part(iterations: int, policies: Path) -> None:
    bundle = load_bundle(policies)
    inputs = example_inputs()
    reference = create_engine("regorus", bundle)
    expected = [reference.evaluate(item) for _, item in inputs]
    engines: list[Any] = [create_engine(name, bundle)
                          for name in ("regorus", "regorus-rvm", "regopy")]
    why_not = missing()
    if why_not:
        print(why_not)
    else:
        engines.append(OpaInProcess(bundle))
    vm = next(e for e in engines if e.name == "regorus-rvm")
    engines.insert(2, VmAlone(vm))
    fallbacks = sum(vm.evaluate_text(input_json(item)) is None for _, item in inputs)
    print(f"\n1. Engine alone: {len(inputs)} examples x {iterations} evaluations each, "
          f"one thread ({load()})")
    print(f"{'engine':14}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>9}{'vs regorus':>12}"
          f"  answers as regorus")
    base = None
    for engine in engines:
        answers = [engine.evaluate(item) for _, item in inputs]  # also warms every path
        differing = [name for (name, _), got, want in zip(inputs, answers, expected, strict=True)
                     if got != want]
        samples = []
        cpu = time.process_time()  # all threads: OPA's Go runtime collects on its own
        for _ in range(iterations):
            for _, item in inputs:
                started = time.perf_counter()
                engine.evaluate(item)
                samples.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / len(samples)
        p50 = statistics.median(samples)
        base = base or p50
        agree = f"{len(inputs) - len(differing)}/{len(inputs)}"
        if differing:
            agree += " (differs on " + ", ".join(differing) + ")"
        print(f"{engine.name:14}{p50:>9.3f}{quantile(samples, 99):>9.3f}{cpu_ms:>9.3f}"
              f"{p50 / base:>11.2f}x  {agree}")
    print(f"regorus-rvm: the VM says undefined on {fallbacks} of {len(inputs)} examples, and the "
          "interpreter answers those again (rvm_engine.py); 'rvm VM alone' is the VM's part")


# -- 2 and 3. HTTP, start-up, memory -------------------------------------------------------

def ready_after(port: int, started: float, proc: subprocess.Popen[bytes],
                timeout: float = 60) -> float:
    """Seconds from ``started`` until ``GET /readyz`` answers 200."""
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"gatekeeper serve exited with {proc.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.01)
    raise SystemExit(f"/readyz did not answer 200 within {timeout:g} s")


def posts_answered(port: int, path: str, body: str, timeout: float = 60) -> None:
    """Wait until a POST of ``body`` answers 200 (the workers have loaded the app)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer POST {path}")


def workers_of(pid: int) -> list[int]:
    """The gunicorn master's child processes (its workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, PSS) of a process in MiB; PSS shares common pages among the processes."""
    rss = pss = float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        for line in rollup.read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


def worker_memory(pid: int) -> str:
    figures = [memory_mib(child) for child in workers_of(pid)]
    return ", ".join(f"{rss:.0f}/{pss:.0f}" for rss, pss in figures) or "no workers"


def wrk(url: str, script: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
        capture_output=True, text=True, check=True,
    ).stdout
    return parse_wrk(out)


def http_part(args: argparse.Namespace, body: str) -> None:
    if not shutil.which("wrk"):
        print("\nwrk not found (apt-get install wrk): skipping HTTP, start-up and memory")
        return
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, GATEKEEPER_LOG_LEVEL=args.log_level, GATEKEEPER_LOG_JSON="1",
               GATEKEEPER_POLICIES=str(args.policies),
               GATEKEEPER_SECRET_KEY="bench-" + os.urandom(16).hex())
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    startup: dict[str, float] = {}
    memory_ready: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as inst:
        env["GATEKEEPER_INSTANCE_PATH"] = inst
        token = subprocess.run(
            [str(bin_dir / "gatekeeper"), "tokens", "create", "--role", "engineer",
             "--name", "bench"], env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()
        script = Path(inst) / "post.lua"
        script.write_text(LUA % (token, body))
        try:
            port = free_port()
            procs["echo"] = subprocess.Popen(
                [str(bin_dir / "gunicorn"), "-k", WORKER_CLASS, "-w", str(args.workers),
                 "--threads", str(args.threads), "--chdir", str(BENCH),
                 "-b", f"127.0.0.1:{port}", "echo_app:app"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_up(port)
            urls["echo"] = f"http://127.0.0.1:{port}/echo"
            # The echo plus one evaluation on the served engine: the most any Python request
            # path could reach on that engine (bench/ceiling_app.py).
            port = free_port()
            procs[CEILING] = subprocess.Popen(
                [str(bin_dir / "gunicorn"), "-k", WORKER_CLASS, "-w", str(args.workers),
                 "--threads", str(args.threads), "--chdir", str(BENCH),
                 "-b", f"127.0.0.1:{port}", "ceiling_app:app"],
                env=dict(env, GATEKEEPER_ENGINE=CEILING_ENGINE),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            posts_answered(port, "/echo", body)
            urls[CEILING] = f"http://127.0.0.1:{port}/echo"
            for engine in HTTP_ENGINES:
                port = free_port()
                started = time.perf_counter()
                procs[engine] = subprocess.Popen(
                    [str(bin_dir / "gatekeeper"), "serve", "--workers", str(args.workers),
                     "--threads", str(args.threads), "--port", str(port)],
                    env=dict(env, GATEKEEPER_ENGINE=engine),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                startup[engine] = ready_after(port, started, procs[engine])
                time.sleep(1)  # every worker past its engine warm-up before reading memory
                memory_ready[engine] = worker_memory(procs[engine].pid)
                urls[engine] = f"http://127.0.0.1:{port}/v1/decisions"
            for url in urls.values():  # warm-up: first requests, lazily built objects
                wrk(url, str(script), 2, args.connections)
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
            loads = []
            for _ in range(args.rounds):
                loads.append(os.getloadavg()[0])
                for name, url in urls.items():
                    runs[name].append(wrk(url, str(script), args.seconds, args.connections))
            memory_after = {engine: worker_memory(procs[engine].pid) for engine in HTTP_ENGINES}
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                proc.wait(15)
    print(f"\n2. POST /v1/decisions, wrk at {args.connections} connections, {args.workers} "
          f"workers x {args.threads} threads, {args.rounds} rounds of {args.seconds} s, "
          f"log level {args.log_level} (load {min(loads):.2f}-{max(loads):.2f} at the rounds' "
          f"starts, {os.cpu_count()} cores)")
    print(f"{'server':14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
          f"  share of the echo, per round -> median")
    for name, samples in runs.items():
        rps = statistics.median(s["rps"] for s in samples)
        p50 = statistics.median(s["p50_ms"] for s in samples)
        p99 = statistics.median(s["p99_ms"] for s in samples)
        errors = sum(s["non_2xx"] for s in samples)
        line = f"{name:14}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{errors:>9.0f}"
        if name == CEILING:
            shares = [s["rps"] / e["rps"] for s, e in zip(samples, runs["echo"], strict=True)]
            line += (f"  {', '.join(f'{x:.0%}' for x in shares)} -> "
                     f"{statistics.median(shares):.0%} (the ceiling: echo + engine only)")
        elif name != "echo":
            shares = [s["rps"] / e["rps"] for s, e in zip(samples, runs["echo"], strict=True)]
            share = statistics.median(shares)
            p99s = [s["p99_ms"] for s in samples]
            line += (f"  {', '.join(f'{x:.0%}' for x in shares)} -> {share:.0%} "
                     f"(target >= {TARGET_SHARE:.0%}: "
                     f"{'met' if share >= TARGET_SHARE else 'NOT met'}"
                     f"; p99 {min(p99s):.2f}-{max(p99s):.2f} ms, target <= {TARGET_P99_MS:g}: "
                     f"{'met' if max(p99s) <= TARGET_P99_MS else 'NOT met'})")
        print(line)
    print("\n3. gatekeeper serve: start-up to ready and memory per worker "
          "(VmRSS/PSS MiB per worker)")
    for engine in HTTP_ENGINES:
        print(f"{engine:14}ready after {startup[engine]:.2f} s; workers at ready "
              f"{memory_ready[engine]}; after the runs {memory_after[engine]}")


# -- 4. gatekeeper impact ------------------------------------------------------------------

def impact_part(count: int, engines: list[str], jobs: int, policies: Path) -> None:
    from impact_replay import make_bundles

    from gatekeeper.policyci.impact import ImpactReport, SideInfo
    from gatekeeper.policyci.replay import replay
    from gatekeeper.policyci.sources import FileSource
    from gatekeeper.policyci.synthetic import generate, write_jsonl

    with tempfile.TemporaryDirectory(prefix="gk-bench-") as tmp:
        work = Path(tmp)
        base_dir, head_dir = make_bundles(work, policies, minimal=False)
        base, head = load_bundle(base_dir), load_bundle(head_dir)
        requests = work / "requests.jsonl"
        write_jsonl(requests, generate(base.data, count))
        print(f"\n4. gatekeeper impact replay: {count:,} synthetic requests x 2 bundles, "
              f"{jobs} worker process(es), a request counted once")
        if "regorus-rvm" in engines:
            vm_ceiling(base, head, requests, jobs)
        for engine in engines:
            before = load()
            report = ImpactReport(SideInfo("base", str(base_dir), revision=base.revision),
                                  SideInfo("head", str(head_dir), revision=head.revision),
                                  str(requests))
            started = time.perf_counter()
            replay(report, base, head, FileSource(requests, datetime.now(UTC)),
                   engine=engine, workers=jobs)
            seconds = time.perf_counter() - started
            rate = report.total / seconds
            verdict = "met" if rate >= TARGET_IMPACT else "NOT met"
            print(f"{engine:14}{rate:>9,.0f} requests/s ({report.total:,} in {seconds:.1f} s; "
                  f"{rate / TARGET_IMPACT:.2f}x the target {TARGET_IMPACT:,}: {verdict}; "
                  f"{before} before)")


def vm_ceiling(base: Any, head: Any, requests: Path, jobs: int, sample: int = 2000) -> None:
    """The most impact could reach on regorus-rvm: the VM alone deciding both bundles, inputs
    serialised beforehand, nothing else, scaled perfectly over ``jobs`` processes."""
    from itertools import islice

    from gatekeeper.engine.rvm_engine import RvmEngine
    from gatekeeper.policyci.sources import FileSource

    entries = islice(iter(FileSource(requests, datetime.now(UTC))), sample)
    documents = [input_json(item.input) for entry in entries for item in entry.resolve()
                 if item.input is not None]
    seconds = []
    for bundle in (base, head):
        engine = RvmEngine(bundle)
        for document in documents[:50]:
            engine.evaluate_text(document)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for document in documents:
                engine.evaluate_text(document)
            best = min(best, (time.perf_counter() - started) / len(documents))
        seconds.append(best)
    rate = jobs / sum(seconds)
    print(f"{'VM alone':14}{rate:>9,.0f} requests/s at most (the ceiling: base "
          f"{seconds[0] * 1e6:.0f} + head {seconds[1] * 1e6:.0f} us a request on the VM, "
          f"{len(documents):,} of the requests, best of 3, x {jobs} jobs; "
          f"{rate / TARGET_IMPACT:.2f}x the target)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30,
                        help="evaluations of each example per engine")
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating HTTP rounds")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-level", default="WARNING",
                        help="the servers' GATEKEEPER_LOG_LEVEL (INFO writes the decision log)")
    parser.add_argument("--impact-count", type=int, default=100_000)
    parser.add_argument("--impact-engines", default="regorus-rvm,regorus")
    parser.add_argument("--jobs", type=int, default=2, help="impact's worker processes")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies",
                        help="bundle to measure (a changed copy, to see what a change saves)")
    parser.add_argument("--skip", default="", help="parts to leave out: engines,http,impact")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    example = next(p for p in sorted(EXAMPLES.glob("*.json")) if "full_admin" in p.name)
    body = json.dumps(json.loads(example.read_text())["request"])
    print(f"bench/engines.py {' '.join(sys.argv[1:])}  ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{load()})")
    if "engines" not in skip:
        engine_part(args.iterations, args.policies)
    if "http" not in skip:
        http_part(args, body)
    if "impact" not in skip:
        impact_part(args.impact_count, args.impact_engines.split(","), args.jobs, args.policies)


if __name__ == "__main__":
    main()
