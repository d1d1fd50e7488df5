"""Decision throughput and latency versus a bare Flask echo floor, plus the engines alone.

Run: ``make bench`` (or ``.venv/bin/python bench/decisions.py``). Needs ``wrk`` (Debian
package) for the HTTP part; the engine part needs nothing. Both servers run under the same
gunicorn configuration (``gatekeeper serve``'s worker class, --workers, --threads) on this
machine's loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatekeeper.cli.balanced_worker import WORKER_CLASS  # noqa: E402

EXAMPLE = ROOT / "examples" / "requests"

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = [[%s]]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def parse_wrk(out: str) -> dict[str, float]:
    """Requests/s and the p50/p99 latency (ms) from ``wrk --latency`` output."""

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def run_wrk(
    url: str, body: str, seconds: int, connections: int, token: str = ""
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % (token, body))
    # Warm-up at the measured concurrency: every gunicorn thread builds its own engine on its
    # first request, and that one-off cost is not what the run measures.
    subprocess.run(["wrk", "-t1", f"-c{max(connections, 4)}", "-d3s", "-s", f.name, url],
                   capture_output=True)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, url],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(f.name)
    return parse_wrk(out)


def http_bench(args: argparse.Namespace, body: str) -> None:
    if not shutil.which("wrk"):
        print("wrk not found (apt-get install wrk): skipping the HTTP part")
        return
    bin_dir = Path(sys.executable).parent
    env = dict(
        os.environ,
        GATEKEEPER_LOG_LEVEL=args.log_level,
        GATEKEEPER_LOG_JSON="1",
        GATEKEEPER_ENGINE=args.engine,
        GATEKEEPER_SECRET_KEY="bench-" + os.urandom(16).hex(),
    )
    results = {}
    with tempfile.TemporaryDirectory() as inst:
        env["GATEKEEPER_INSTANCE_PATH"] = inst
        token = subprocess.run(
            [str(bin_dir / "gatekeeper"), "tokens", "create", "--role", "engineer",
             "--name", "bench"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()
        servers = {
            "echo": (
                [str(bin_dir / "gunicorn"), "-k", WORKER_CLASS, "-w", str(args.workers),
                 "--threads", str(args.threads), "--chdir", str(ROOT / "bench"),
                 "-b", "127.0.0.1:{port}", "echo_app:app"],
                "/echo",
            ),
            "decisions": (
                [str(bin_dir / "gatekeeper"), "serve", "--workers", str(args.workers),
                 "--threads", str(args.threads), "--port", "{port}"],
                "/v1/decisions",
            ),
        }
        procs, urls = [], {}
        try:
            for name, (cmd, path) in servers.items():
                port = free_port()
                procs.append(subprocess.Popen(
                    [c.replace("{port}", str(port)) for c in cmd], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ))
                wait_up(port)
                urls[name] = f"http://127.0.0.1:{port}{path}"
            # Both servers stay up and the runs alternate, so a noisy neighbour hits both
            # alike; each figure is the median over the rounds.
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
            for _ in range(args.rounds):
                for name, url in urls.items():
                    saturated = run_wrk(url, body, args.seconds, args.connections, token)
                    light = run_wrk(url, body, args.seconds, args.latency_connections, token)
                    runs[name].append({
                        "rps": saturated["rps"],
                        "p50_ms": light["p50_ms"],
                        "p99_ms": light["p99_ms"],
                        "sat_p99_ms": saturated["p99_ms"],
                        "non_2xx": saturated["non_2xx"] + light["non_2xx"],
                    })
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        for name, samples in runs.items():
            results[name] = {
                key: statistics.median(sample[key] for sample in samples)
                for key in samples[0]
            }
            results[name]["non_2xx"] = sum(sample["non_2xx"] for sample in samples)
            spread = ", ".join(f"{sample['rps']:.0f}" for sample in samples)
            print(f"{name}: req/s per round {spread}")
        # Each round's decision run follows its echo run within seconds: their ratio cancels
        # most of the machine's drift, which the ratio of two medians does not.
        paired = [decisions["rps"] / echo_run["rps"]
                  for echo_run, decisions in zip(runs["echo"], runs["decisions"], strict=True)]
        print("decisions / echo per round: " + ", ".join(f"{r:.0%}" for r in paired))
    dec = results["decisions"]
    print(f"\nHTTP, engine {args.engine} ({args.workers} workers x {args.threads} threads, "
          f"{args.seconds}s a run, median of {args.rounds} alternating rounds): "
          f"throughput at {args.connections} connections (saturated), "
          f"latency at {args.latency_connections} connection(s)")
    print(f"{'':12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'sat p99':>10}{'non-2xx':>10}")
    for name, r in results.items():
        print(f"{name:12}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
              f"{r['sat_p99_ms']:>10.2f}{r['non_2xx']:>10.0f}")
    ratio = statistics.median(paired)
    print(f"decisions / echo throughput: {ratio:.0%}, the median of the per-round ratios "
          f"(target >= 50%); decision p99 {dec['p99_ms']:.2f} ms (target <= 5 ms); "
          f"logging at {args.log_level}")


def engine_bench(iterations: int) -> None:
    from gatekeeper.domain import Principal
    from gatekeeper.domain.request import AccessRequest, parse_timestamp
    from gatekeeper.engine import create_engine
    from gatekeeper.engine.bundle import load_bundle
    from gatekeeper.service.decisions import build_input

    bundle = load_bundle(ROOT / "policies")
    inputs = []
    for path in sorted(EXAMPLE.glob("*.json")):
        doc = json.loads(path.read_text())
        ident = doc.get("identity") or {}
        principal = Principal(ident.get("subject", "x"), ident.get("role", "engineer"),
                              ident.get("organisation"))
        request = AccessRequest.from_mapping(doc["request"])
        inputs.append(build_input(request, principal, parse_timestamp(doc["now"])))
    print(f"\nEngine alone ({len(inputs)} example requests, {iterations} evaluations each)")
    base = None
    for name in ("regorus", "regorus-rvm", "regopy"):
        engine = create_engine(name, bundle)
        for item in inputs:
            engine.evaluate(item)
        samples = []
        for _ in range(iterations):
            for item in inputs:
                t = time.perf_counter()
                engine.evaluate(item)
                samples.append((time.perf_counter() - t) * 1000)
        p50 = statistics.median(samples)
        p99 = statistics.quantiles(samples, n=100)[98]
        base = base or p50
        print(f"{name:12} p50 {p50:.3f} ms  p99 {p99:.3f} ms  ({p50 / base:.2f}x regorus)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--latency-connections", type=int, default=1)
    # gatekeeper serve's defaults: one process per core, two threads each
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--engine", default=os.environ.get("GATEKEEPER_ENGINE", "regorus"),
                        help="engine the HTTP part serves decisions with")
    parser.add_argument("--skip-engines", action="store_true", help="HTTP part only")
    parser.add_argument("--log-level", default="WARNING",
                        help="the servers' GATEKEEPER_LOG_LEVEL; INFO writes the decision log "
                             "(one decision_made event per decision), as served by default")
    parser.add_argument("--rounds", type=int, default=3, help="alternating HTTP rounds")
    args = parser.parse_args()
    example = next(p for p in sorted(EXAMPLE.glob("*.json")) if "full_admin" in p.name)
    body = json.dumps(json.loads(example.read_text())["request"])
    if not args.skip_engines:
        engine_bench(args.iterations)
    http_bench(args, body)


if __name__ == "__main__":
    main()
