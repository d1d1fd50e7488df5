"""Where one ``POST /v1/decisions`` spends its time, in one process, under cProfile.

    .venv/bin/python bench/profile_decision.py --engine regorus-rvm --requests 300

Builds the app as ``gatekeeper serve`` does (a fresh instance folder, a real bearer token)
and calls its WSGI callable directly -- no gunicorn, no socket -- ``N`` times with the
full-admin example after a warm-up. Prints the mean wall time of a request without the
profiler, then the functions with the largest own and cumulative time under it, and the
share of the request spent below a few layers (JSON, the ledger context, logging, the
engine), so a change can be aimed at the largest one. cProfile slows Python code down more
than native code: the shares are a guide, the unprofiled mean is the figure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (layer, the end of the file's path, the function's name): the outermost entry of each
LAYERS = (
    ("whole request", "flask/app.py", "wsgi_app"),
    ("decide (service)", "service/decisions.py", "decide_request"),
    ("engine (rvm)", "engine/rvm_engine.py", "evaluate"),
    ("  the VM's run", "", "<method 'execute_entry_point' of 'builtins.Rvm' objects>"),
    ("  interpreter", "engine/regorus_engine.py", "evaluate"),
    ("  its run", "", "<method 'eval_rule_as_json' of 'builtins.Engine' objects>"),
    ("ledger context", "service/decisions.py", "__call__"),
    ("request parse", "domain/request.py", "from_mapping"),
    ("decision shape", "domain/decision.py", "from_policy"),
    ("JSON body parse", "api/jsonbody.py", "json_body"),
    ("JSON response", "api/decisions.py", "json_response"),
    ("auth guard", "", "current_principal"),
    ("logging", "structlog/_native.py", "meth"),
)


def make_poster(app: Any, body: bytes, token: str) -> Any:
    def post() -> None:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/decisions", "SERVER_NAME": "bench",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"Bearer {token}",
        }
        status: list[str] = []
        response = app.wsgi_app(environ, lambda s, h, e=None: status.append(s))
        b"".join(response)
        response.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"the decision request answered {status[0]}")

    return post


def layer_shares(stats: pstats.Stats, total: float) -> list[tuple[str, float]]:
    """Cumulative time of each layer's function as a share of ``total``; a layer whose
    function did not run is left out."""
    shares = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for layer, path_end, func in LAYERS:
        cumulative = max((entry[3] for (path, _, name), entry in raw.items()
                          if name == func and path.endswith(path_end)), default=None)
        if cumulative is not None:
            shares.append((layer, cumulative / total if total else 0.0))
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="regorus-rvm")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        os.environ.update(
            GATEKEEPER_INSTANCE_PATH=instance, GATEKEEPER_ENGINE=args.engine,
            GATEKEEPER_LOG_LEVEL=args.log_level, GATEKEEPER_LOG_JSON="1",
            GATEKEEPER_SECRET_KEY="bench-" + os.urandom(16).hex(),
        )
        token = subprocess.run(
            [sys.executable, "-m", "gatekeeper", "tokens", "create", "--role", "engineer",
             "--name", "bench"], capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout.strip()
        from gatekeeper.app import create_app

        app = create_app()
        example = next(p for p in sorted((ROOT / "examples" / "requests").glob("*.json"))
                       if "full_admin" in p.name)
        body = json.dumps(json.loads(example.read_text())["request"]).encode()
        post = make_poster(app, body, token)
        for _ in range(30):
            post()
        started = time.perf_counter()
        for _ in range(args.requests):
            post()
        plain_ms = (time.perf_counter() - started) * 1000 / args.requests
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            post()
        profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{args.engine}, log level {args.log_level}: {plain_ms:.3f} ms a request without "
          f"the profiler, {total * 1000 / args.requests:.3f} ms under it "
          f"(load {os.getloadavg()[0]:.2f})")
    for layer, share in layer_shares(stats, total):
        print(f"  {layer:18}{share:>6.0%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
