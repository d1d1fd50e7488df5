"""Instructions per ``POST /v1/decisions``, in one process, counted by valgrind.

    .venv/bin/python bench/request_instructions.py                  # this checkout
    .venv/bin/python bench/request_instructions.py --root OTHER_TREE # compare a change

``bench/engine_instructions.py`` counts the engine alone; this counts the whole request path
the service runs for a decision -- WSGI, routing, the auth guard (a real bearer token),
validation, the engine, the shape check and the JSON response -- by calling the Flask app's
WSGI callable directly, without gunicorn or a socket. The full-admin example is posted
``N`` and 0 times after a warm-up, each in a child under ``valgrind --tool=callgrind``; the
difference divided by ``N`` is one request (the bearer token's look-up counted as cached, as
it is at any real request rate). Unlike wall-clock time on a shared machine, the count hardly
drifts; it still moves by a few per cent between runs, because the request is decided at the
current time (support hours, freezes) and ids and hash seeds vary. Needs valgrind (Debian
package ``valgrind``); regopy is kept out, as its allocator refuses to start under valgrind.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("regorus", "regorus-rvm")
WARM_UP = 20


def child(root: str, count: int) -> None:
    """Build the app from ``root`` and post the full-admin example ``count`` times."""
    from under_valgrind import keep_regopy_out  # this script's folder is on sys.path

    keep_regopy_out()
    sys.path.insert(0, root)
    from gatekeeper.app import create_app

    app = create_app()
    example = next(p for p in sorted((Path(root) / "examples" / "requests").glob("*.json"))
                   if "full_admin" in p.name)
    body = json.dumps(json.loads(example.read_text())["request"]).encode()
    token = os.environ["BENCH_TOKEN"]

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
        response.close()  # type: ignore[attr-defined]
        if not status[0].startswith("200"):
            raise SystemExit(f"the decision request answered {status[0]}")

    for _ in range(WARM_UP + count):
        post()


def collected(root: Path, env: dict[str, str], count: int) -> int:
    """Instructions valgrind counts for a child that posts ``count`` requests."""
    from under_valgrind import instructions_of

    return instructions_of([__file__, "--child", str(root), str(count)], "the request", env)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--requests", type=int, default=200, help="requests per count")
    parser.add_argument("--engine", action="append", choices=ENGINES,
                        help="engine(s) to measure (default: both)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind not found (apt-get install valgrind)")
    root = args.root.resolve()
    print(f"instructions per POST /v1/decisions (full admin), in-process, {root}")
    for engine in args.engine or ENGINES:
        with tempfile.TemporaryDirectory() as instance:
            env = dict(
                os.environ, PYTHONHASHSEED="0", GATEKEEPER_INSTANCE_PATH=instance,
                GATEKEEPER_ENGINE=engine, GATEKEEPER_LOG_LEVEL="WARNING",
                GATEKEEPER_LOG_JSON="1", GATEKEEPER_SECRET_KEY="bench-" + os.urandom(16).hex(),
                GATEKEEPER_POLICIES=str(root / "policies"),
                # valgrind runs ~50x slower: keep the token cache's 2 s window from expiring
                # mid-run, so every request counts the cached look-up, as at speed
                GATEKEEPER_TOKEN_CACHE_SECONDS="3600",
            )
            env["BENCH_TOKEN"] = subprocess.run(
                [sys.executable, "-m", "gatekeeper", "tokens", "create", "--role", "engineer",
                 "--name", "bench"],
                env=env, capture_output=True, text=True, check=True, cwd=root,
            ).stdout.strip()
            per_request = (collected(root, env, args.requests) - collected(root, env, 0))
            print(f"{engine:12} {per_request / args.requests / 1e6:.3f} M")


if __name__ == "__main__":
    main()
