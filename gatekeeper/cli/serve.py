"""``gatekeeper serve``: the service under gunicorn, refusing to start on a broken bundle."""

from __future__ import annotations

import gc
import os
from typing import Any

import click

from gatekeeper.cli.common import CliError, describe_error
from gatekeeper.domain import GatekeeperError


def _gunicorn_app(app: Any, options: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        """gunicorn configured in code, serving the already-built (preloaded) app."""

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    return _Server()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="GATEKEEPER_HOST")
@click.option("--port", default=8080, show_default=True, type=int, envvar="GATEKEEPER_PORT")
@click.option(
    "--workers",
    default=lambda: 2 * (os.cpu_count() or 1),
    type=int,
    envvar="GATEKEEPER_WORKERS",
    help="Worker processes (default: two per core). A decision is CPU work under one "
         "process's GIL, and gunicorn may leave a worker with most keep-alive connections: "
         "more processes with fewer threads keep both cores busy (bench/decisions.py).",
)
@click.option("--threads", default=2, show_default=True, type=int, envvar="GATEKEEPER_THREADS")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Start the service (policies, engine and database from GATEKEEPER_* settings)."""
    from gatekeeper.app import create_app

    try:
        app = create_app()
    except GatekeeperError as exc:
        raise CliError(describe_error("cannot start", exc)) from None
    gc.collect()
    gc.freeze()  # the built app outlives every fork: workers' collections need not rescan it
    click.echo(f"gatekeeper listening on http://{host}:{port}", err=True)
    _gunicorn_app(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "keepalive": 5,
            "graceful_timeout": 5,
        },
    ).run()


def register(group: click.Group) -> None:
    group.add_command(serve)
