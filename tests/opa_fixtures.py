"""A second Gatekeeper as the "OPA server": ``gatekeeper serve`` in a subprocess on a free port,
serving a bundle through OPA's Data API, and a ``ci`` token to ask it with.

There is no OPA binary here; the issue's contract is that the ``opa`` engine, through
``opa-python-client``, gets from such a server exactly what the embedded engine answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from gatekeeper.engine import OpaServer
from tests.serve_helpers import serving

ROOT = Path(__file__).resolve().parent.parent
# Generous: two cores shared with other test runs; a call normally takes milliseconds.
TEST_TIMEOUT_SECONDS = 15.0


def server_env(policies: Path | str, folder: Path, engine: str = "regorus") -> dict[str, str]:
    """The environment of a throw-away ``gatekeeper`` process serving ``policies``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(GATEKEEPER_INSTANCE_PATH=str(folder), GATEKEEPER_DEV="1",
               GATEKEEPER_DATABASE_URL=f"sqlite:///{folder / 'opa-server.db'}",
               GATEKEEPER_POLICIES=str(policies), GATEKEEPER_ENGINE=engine,
               GATEKEEPER_LOG_LEVEL="WARNING", GATEKEEPER_DISPATCHER="off")
    return env


def ci_token(env: dict[str, str]) -> str:
    """A fresh ``ci`` token in that process's database (``gatekeeper tokens create``)."""
    done = subprocess.run([sys.executable, "-m", "gatekeeper", "tokens", "create", "--name",
                           f"opa-client-{os.urandom(3).hex()}", "--role", "ci"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split()[-1]


@contextmanager
def opa_compatible_server(policies: Path | str, folder: Path,
                          engine: str = "regorus") -> Iterator[OpaServer]:
    """``gatekeeper serve`` of ``policies`` until the block ends; where and how to ask it."""
    env = server_env(policies, folder, engine)
    token = ci_token(env)
    with serving(env, folder, "--workers", "1", "--threads", "4") as base:
        yield OpaServer(base, token=token, timeout_seconds=TEST_TIMEOUT_SECONDS)


ServerFor = Callable[..., OpaServer]


@pytest.fixture(scope="session")
def opa_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFor]:
    """``opa_servers(policies, engine="regorus")``: one running server per bundle and engine
    for the whole session, started on first use."""
    started: dict[tuple[str, str], OpaServer] = {}
    with ExitStack() as stack:

        def get(policies: Path | str, engine: str = "regorus") -> OpaServer:
            key = (str(Path(policies).resolve()), engine)
            if key not in started:
                folder = tmp_path_factory.mktemp("opa-server")
                started[key] = stack.enter_context(
                    opa_compatible_server(key[0], folder, engine))
            return started[key]

        yield get
