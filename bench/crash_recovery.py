"""Crash test: SIGKILL `gatekeeper serve` during a burst of submissions, restart, and count.

Every request that got a 201 must be in the ledger exactly once, with its whole history and
its idempotency answer; clients retry with the same Idempotency-Key until they get an answer.

    .venv/bin/python bench/crash_recovery.py                      # SQLite (temporary file)
    .venv/bin/python bench/crash_recovery.py --postgres URL       # also PostgreSQL (own schema)

With GATEKEEPER_TEST_DATABASE_URL set, PostgreSQL runs too. Exit status 1 if anything is off.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatekeeper.ledger import Database  # noqa: E402
from gatekeeper.ledger.models import AccessRequestRow, EventRow, IdempotencyKeyRow  # noqa: E402

EXAMPLE = ROOT / "examples" / "requests" / "02_read_only_troubleshooting_acme.json"


SECRET_KEY = secrets.token_urlsafe(32)
CREDENTIAL = {"token": ""}  # an engineer's API token, created for each run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`gatekeeper serve` in its own process group, so SIGKILL takes master and workers."""

    def __init__(self, url: str, port: int, workers: int, log: Path) -> None:
        self.url, self.port, self.workers, self.log = url, port, workers, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        started = time.monotonic()
        env = {**os.environ, "GATEKEEPER_DATABASE_URL": self.url,
               "GATEKEEPER_INSTANCE_PATH": str(self.log.parent), "GATEKEEPER_LOG_LEVEL": "WARNING",
               "GATEKEEPER_SECRET_KEY": SECRET_KEY}
        gatekeeper = Path(sys.executable).parent / "gatekeeper"
        command = [str(gatekeeper)] if gatekeeper.exists() else [sys.executable, "-m",
                                                                  "gatekeeper"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*command, "serve", "--port", str(self.port), "--workers", str(self.workers),
                 "--threads", "4"],
                cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
        while time.monotonic() - started < 60:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"server did not become ready; see {self.log}")

    def kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Tally:
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> request id
    replayed: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit(port: int, key: str, body: dict[str, Any], tally: Tally, deadline: float) -> None:
    """POST until answered: connection errors and 5xx are retried with the same key."""
    payload = json.dumps(body)
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/v1/access-requests", payload,
                         {"Content-Type": "application/json", "Idempotency-Key": key,
                          "Authorization": f"Bearer {CREDENTIAL['token']}"})
            response = conn.getresponse()
            data = response.read()
            if response.status == 201:
                with tally.lock:
                    tally.acknowledged[key] = json.loads(data)["id"]
                    tally.replayed += response.getheader("Idempotent-Replayed") == "true"
                return
            if response.status < 500:
                with tally.lock:
                    tally.failures.append(f"{key}: {response.status} {data[:200]!r}")
                return
        except (OSError, http.client.HTTPException):
            pass
        with tally.lock:
            tally.retries += 1
        time.sleep(random.uniform(0.02, 0.2))
    with tally.lock:
        tally.failures.append(f"{key}: no answer before the deadline")


def verify(url: str, run: str, tally: Tally) -> dict[str, int]:
    """Count what the database holds for this run against what clients were told."""
    db = Database(url)
    with db.session() as s:
        rows = [(r.id, r.request_json) for r in s.scalars(select(AccessRequestRow))]
        ours = {rid: body for rid, body in rows if str(body.get("need", "")).startswith(run)}
        events = dict(s.execute(select(EventRow.request_id, func.count())
                                .group_by(EventRow.request_id)).all())
        keys = {k.request_id: k for k in s.scalars(select(IdempotencyKeyRow))}
    db.dispose()
    per_tag: dict[str, list[str]] = {}
    for rid, body in ours.items():
        per_tag.setdefault(str(body["need"]), []).append(rid)
    acknowledged_ids = set(tally.acknowledged.values())
    return {
        "rows": len(ours),
        "distinct": len(per_tag),
        "duplicates": sum(len(v) - 1 for v in per_tag.values()),
        "missing_acknowledged": len(acknowledged_ids - ours.keys()),
        "half_written": sum(1 for rid in ours if events.get(rid) != 2 or rid not in keys),
        "unacknowledged_rows": len(ours.keys() - acknowledged_ids),
    }


def prepare_postgres(base: str) -> tuple[str, str]:
    """A fresh schema for this run and the URL that uses it."""
    schema = f"gk_crash_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(base: str, schema: str) -> None:
    engine = create_engine(base, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def run_once(label: str, url: str, args: argparse.Namespace, workdir: Path) -> bool:
    env = {**os.environ, "GATEKEEPER_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "gatekeeper", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    CREDENTIAL["token"] = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "tokens", "create", "--role", "engineer",
         "--name", f"crash-{uuid.uuid4().hex[:8]}"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
    server = Server(url, free_port(), args.workers, workdir / f"{label}-server.log")
    server.start()
    run = f"crash-{uuid.uuid4().hex[:8]}"
    template = json.loads(EXAMPLE.read_text())["request"]
    tally = Tally()
    deadline = time.monotonic() + args.timeout
    kills: list[tuple[int, float]] = []

    def killer() -> None:
        for k in range(1, args.kills + 1):
            target = args.requests * k // (args.kills + 1)
            while len(tally.acknowledged) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            at = len(tally.acknowledged)
            server.kill()
            time.sleep(args.down)
            kills.append((at, server.start()))

    thread = threading.Thread(target=killer)
    started = time.monotonic()
    thread.start()
    with ThreadPoolExecutor(args.clients) as pool:
        for i in range(args.requests):
            body = {**template, "need": f"{run} #{i}: {template['need']}"}
            pool.submit(submit, server.port, f"{run}-{i}", body, tally, deadline)
    thread.join()
    elapsed = time.monotonic() - started
    server.stop()
    counts = verify(url, run, tally)
    ok = (len(tally.acknowledged) == args.requests and not tally.failures
          and counts["rows"] == args.requests and counts["duplicates"] == 0
          and counts["missing_acknowledged"] == 0 and counts["half_written"] == 0
          and counts["unacknowledged_rows"] == 0)
    print(f"\n{label}: {args.requests} submissions by {args.clients} clients in {elapsed:.1f}s, "
          f"server SIGKILLed {len(kills)}x (after "
          f"{', '.join(str(a) for a, _ in kills)} acknowledgements; restart "
          f"{', '.join(f'{s:.1f}s' for _, s in kills)})")
    print(f"  clients: acknowledged {len(tally.acknowledged)}, retries {tally.retries}, "
          f"replayed answers {tally.replayed}, failures {len(tally.failures)}")
    print(f"  database: rows {counts['rows']}, distinct requests {counts['distinct']}, "
          f"duplicates {counts['duplicates']}, acknowledged but missing "
          f"{counts['missing_acknowledged']}, half-written {counts['half_written']}, "
          f"recorded but never acknowledged {counts['unacknowledged_rows']}")
    for failure in tally.failures[:5]:
        print(f"  failure: {failure}")
    print(f"  result: {'OK' if ok else 'FAILED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--down", type=float, default=0.5, help="Seconds dead per kill.")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--postgres", default=os.environ.get("GATEKEEPER_TEST_DATABASE_URL"),
                        help="PostgreSQL base URL (default: GATEKEEPER_TEST_DATABASE_URL).")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="gk-crash-") as tmp:
        workdir = Path(tmp)
        if not args.no_sqlite:
            results.append(run_once("sqlite", f"sqlite:///{workdir / 'gatekeeper.db'}", args,
                                    workdir))
        if args.postgres:
            url, schema = prepare_postgres(args.postgres)
            try:
                results.append(run_once("postgresql", url, args, workdir))
            finally:
                drop_schema(args.postgres, schema)
        else:
            print("\npostgresql: skipped (set GATEKEEPER_TEST_DATABASE_URL or pass --postgres)")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
