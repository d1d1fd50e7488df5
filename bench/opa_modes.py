"""What each way of combining Gatekeeper and OPA costs, in decisions per second (docs/opa.md).

1. embedded: Gatekeeper's own engine decides in process (``GATEKEEPER_ENGINE``, default
   regorus-rvm) -- ``Engine.evaluate``, no socket.
2. OPA server as engine: engine ``opa`` asks a server's Data API through opa-python-client.
   There is no OPA binary here, so the server is a second Gatekeeper (``gatekeeper serve``,
   2 workers x 2 threads) serving the same bundle; a real OPA server's evaluation would cost
   about what row 4 shows instead of the embedded engine's.
3. Gatekeeper as an OPA-compatible endpoint: a plain OPA client (opa-python-client's
   ``query_rule``) asking ``POST /v1/data/gatekeeper/decision`` of that same server, beside
   Gatekeeper's own door ``POST /v1/decisions`` (which also validates, reads the ledger's
   context and shapes the answer).
4. OPA in process on the archive ``gatekeeper bundle build`` writes (the
   opa-golib-python-bindings wheel, benchmark only): OPA's own cost of one decision.

Every figure is one client thread for ``--seconds`` (plus a 4-thread row for the engine
``opa``), over the example requests in turn. Keep runs short on a shared machine:
``.venv/bin/python bench/opa_modes.py --seconds 3``.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.decisions import free_port, wait_up  # noqa: E402
from gatekeeper.engine import (  # noqa: E402
    DEFAULT_ENGINE,
    OpaServer,
    create_engine,
    load_bundle,
)
from gatekeeper.engine.bundle_archive import build_archive  # noqa: E402
from gatekeeper.policyci.sources import item_from_document  # noqa: E402

EXAMPLES = ROOT / "examples" / "requests"


def inputs() -> list[dict[str, Any]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.json")):
        item = item_from_document(path.name, json.loads(path.read_text()), datetime.now(UTC))
        if item.input is not None:
            found.append(item.input)
    return found


def rate(call: Callable[[dict[str, Any]], Any], items: list[dict[str, Any]], seconds: float,
         threads: int = 1) -> float:
    """Decisions a second of ``call`` over ``items`` in turn, from ``threads`` threads."""
    for item in items:  # warm: per-thread engines, connections, caches
        call(item)
    deadline = time.perf_counter() + seconds

    def loop(offset: int) -> int:
        done = 0
        for item in itertools.islice(itertools.cycle(items), offset, None):
            call(item)
            done += 1
            if time.perf_counter() >= deadline:
                return done
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(loop, range(threads)))
    return total / (time.perf_counter() - started)


def start_server(folder: Path, engine: str) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(PYTHONPATH=str(ROOT), GATEKEEPER_INSTANCE_PATH=str(folder), GATEKEEPER_DEV="1",
               GATEKEEPER_DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
               GATEKEEPER_ENGINE=engine, GATEKEEPER_LOG_LEVEL="WARNING",
               GATEKEEPER_DISPATCHER="off")
    token = subprocess.run([sys.executable, "-m", "gatekeeper", "tokens", "create", "--name",
                            "bench", "--role", "engineer"], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--port", str(port),
                             "--workers", "2", "--threads", "2"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_up(port, timeout=60)
    return proc, f"http://127.0.0.1:{port}", token


def opa_in_process(items: list[dict[str, Any]], seconds: float) -> float | str:
    try:
        from opa_bindings import OpaEngine
    except ImportError:
        return "skipped (pip install --ignore-requires-python opa-golib-python-bindings==0.4.4)"
    raw = build_archive(load_bundle(ROOT / "policies"))
    opa = OpaEngine()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for member in tar:
            body = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(".rego"):
                opa.add_policy(member.name, body.decode())
            elif member.name == "data.json":
                opa.add_data(json.loads(body))
    try:
        return rate(lambda i: opa.eval_document("gatekeeper.decision", i), items, seconds)
    finally:
        opa.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per figure")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="the embedded engine")
    args = parser.parse_args()
    items = inputs()
    bundle = load_bundle(ROOT / "policies")
    embedded = create_engine(args.engine, bundle)
    rows: list[tuple[str, float | str]] = []
    base = rate(embedded.evaluate, items, args.seconds)
    rows.append((f"1. embedded ({args.engine}), in process", base))
    with tempfile.TemporaryDirectory(prefix="gatekeeper-opa-bench-") as folder:
        proc, url, token = start_server(Path(folder), args.engine)
        try:
            remote = create_engine("opa", bundle, opa=OpaServer(url, token=token,
                                                                 timeout_seconds=30))
            rows.append(("2. engine opa -> Data API of a second Gatekeeper, 1 thread",
                         rate(remote.evaluate, items, args.seconds)))
            rows.append(("   the same, 4 threads",
                         rate(remote.evaluate, items, args.seconds, threads=4)))
            from opa_client.opa import OpaClient

            port = int(url.rsplit(":", 1)[1])
            client = OpaClient(host="127.0.0.1", port=port, token=token, timeout=30)
            rows.append(("3. OPA client -> POST /v1/data/gatekeeper/decision, 1 thread",
                         rate(lambda i: client.query_rule(i, "gatekeeper", "decision"), items,
                              args.seconds)))
            session = client._session  # the same pooled connection, Gatekeeper's own door
            bodies = [{k: v for k, v in i["request"].items() if k != "start"} for i in items]
            rows.append(("   beside it: POST /v1/decisions (Gatekeeper's door), 1 thread",
                         rate(lambda b: session.post(f"{url}/v1/decisions", json=b, timeout=30)
                              .raise_for_status(), bodies, args.seconds)))
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
    rows.append(("4. OPA in process on the built bundle", opa_in_process(items, args.seconds)))
    print(f"decisions a second, {len(items)} example inputs in turn, {args.seconds:g} s each, "
          f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for label, value in rows:
        figure = value if isinstance(value, str) else \
            f"{value:8,.0f}  ({value / base:.2f}x embedded)"
        print(f"  {label:<66} {figure}")


if __name__ == "__main__":
    main()
