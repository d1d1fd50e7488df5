"""``gatekeeper serve``: the service under gunicorn, refusing to start on a broken bundle.

Every worker builds its engine's per-thread interpreters before it takes a request, so no
request pays for the build on a fresh thread (docs/policy-contract.md, "Serving").
"""

from __future__ import annotations

import gc
import math
import threading
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_for
from contextlib import suppress
from typing import Any

import click
import structlog

from gatekeeper.cli.balanced_worker import WORKER_CLASS
from gatekeeper.cli.common import CliError, cli_settings, describe_error
from gatekeeper.cli.serve_ops import (
    PolicyReloadArbiter,
    forget_master_gauges,
    runtime_folder,
    start_watching,
    stop_watching,
)
from gatekeeper.domain import GatekeeperError
from gatekeeper.engine.base import Engine

log = structlog.get_logger(__name__)

# Well under gunicorn's worker timeout (30 s): the master kills a worker silent for that long.
WARM_UP_SECONDS = 10.0


def warm_up_threads(pool: Executor, engine: Engine, threads: int,
                    timeout: float = WARM_UP_SECONDS) -> int:
    """Run ``engine.prepare_thread()`` once on each of ``threads`` pool threads; returns how
    many distinct threads got their engine. Never raises: a failure is logged as a warning,
    and the lazy path still builds (or fails closed) per request.

    Each task waits on a barrier of ``threads`` parties, so no pool thread is idle while the
    tasks are submitted and the executor must start a new thread for every one of them.
    """
    barrier = threading.Barrier(max(1, threads), timeout=timeout)

    def prepare() -> tuple[int, str | None]:
        problem: str | None = None
        try:
            engine.prepare_thread()
        except Exception as exc:  # reported below, once for the worker
            problem = str(exc) or type(exc).__name__
        # Also after a failure: this thread must not take another task. A broken barrier
        # (some thread was late) shows in the count below.
        with suppress(threading.BrokenBarrierError):
            barrier.wait()
        return threading.get_ident(), problem

    futures: list[Future[tuple[int, str | None]]] = [
        pool.submit(prepare) for _ in range(threads)
    ]
    done, pending = wait_for(futures, timeout=timeout + 1)
    if pending:
        barrier.abort()  # free any thread still waiting; a stuck build stays stuck
    # Only a BaseException escapes prepare(); such a thread counts as not warmed.
    results = [f.result() for f in done if f.exception() is None]
    warmed = len({ident for ident, problem in results if problem is None})
    if warmed < threads:
        problems = [problem for _, problem in results if problem]
        log.warning(
            "engine_warm_up_failed",
            engine=engine.name,
            threads=threads,
            warmed=warmed,
            error=problems[0] if problems else f"not every thread was ready in {timeout:g} s",
        )
    return warmed


def warm_up_worker(worker: Any) -> None:
    """gunicorn's ``post_worker_init`` hook: build the serving engine on every thread of a
    gthread worker's pool before the worker accepts a connection; never fails the worker."""
    pool = getattr(worker, "tpool", None)
    if pool is None:
        return  # not a gthread worker: engines are built on first use, as before
    from gatekeeper.bootstrap import services

    try:
        engine = services(worker.wsgi).store.current.engine
        warm_up_threads(pool, engine, int(worker.cfg.threads))
    except Exception as exc:
        log.warning("engine_warm_up_failed", error=str(exc) or type(exc).__name__)


def start_dispatcher(server: Any, worker: Any) -> None:
    """gunicorn's ``post_fork`` hook: the notification dispatcher as a thread of each worker
    (unless GATEKEEPER_DISPATCHER is off); never fails the worker: the outbox keeps every
    message until some dispatcher sends it."""
    from gatekeeper.bootstrap import services
    from gatekeeper.cli.dispatch import start_in_worker

    try:
        worker.gk_stop_dispatcher = start_in_worker(services(worker.app.wsgi()))
    except Exception as exc:
        log.error("dispatcher_not_started", error=str(exc) or type(exc).__name__)


def stop_dispatcher(server: Any, worker: Any) -> None:
    """gunicorn's ``worker_exit`` hook: the dispatcher thread ends before the worker does."""
    stop = getattr(worker, "gk_stop_dispatcher", None)
    if stop is not None:
        stop()


def worker_ready(worker: Any) -> None:
    """gunicorn's ``post_worker_init`` hook: catch up with the policy source and watch it
    (docs/operations.md), then warm the serving engine's threads."""
    start_watching(worker, warm_up_worker)
    warm_up_worker(worker)


def worker_exiting(server: Any, worker: Any) -> None:
    """gunicorn's ``worker_exit`` hook: the worker's threads end before the worker does."""
    stop_dispatcher(server, worker)
    stop_watching(worker)


def gunicorn_options(host: str, port: int, workers: int, threads: int,
                     graceful_timeout: float = 30.0) -> dict[str, Any]:
    """gunicorn settings for ``serve``: preloaded app, gthread workers, engines warmed.

    On SIGTERM gunicorn closes the listening socket, lets each worker finish the requests it
    has within ``graceful_timeout`` seconds (GATEKEEPER_GRACEFUL_TIMEOUT_SECONDS), then exits
    (tests/test_graceful_stop.py)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": WORKER_CLASS,  # gthread that accepts only with a free thread
        "post_worker_init": worker_ready,
        "post_fork": start_dispatcher,
        "worker_exit": worker_exiting,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "keepalive": 5,
        "graceful_timeout": max(1, math.ceil(graceful_timeout)),  # gunicorn takes whole seconds
    }


def _gunicorn_app(app: Any, options: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        """gunicorn configured in code, serving the already-built (preloaded) app."""

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

        def run(self) -> None:
            try:  # as BaseApplication.run, with SIGHUP a policy reload (cli/serve_ops.py)
                PolicyReloadArbiter(self).run()
            except RuntimeError as exc:
                raise CliError(f"cannot start: {exc}") from None

    return _Server()


@click.command()
@click.option("--host", help="Address to listen on (default: GATEKEEPER_HOST, else 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: GATEKEEPER_PORT, else 8080).")
@click.option(
    "--workers",
    type=int,
    help="Worker processes (default: GATEKEEPER_WORKERS, else one per core). A decision is "
         "CPU work under one process's GIL; a worker accepts connections only while one of "
         "its threads is free, so the cores share the load (bench/decisions.py).",
)
@click.option("--threads", type=int,
              help="Threads per worker (default: GATEKEEPER_THREADS, else 2).")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Start the service (policies, engine and database from GATEKEEPER_* settings)."""
    from gatekeeper.app import create_app

    settings = cli_settings(host=host, port=port, workers=workers, threads=threads)
    with runtime_folder():  # before the app is built: its metrics are shared by the workers
        try:
            app = create_app(settings=settings)
        except GatekeeperError as exc:
            raise CliError(describe_error("cannot start", exc)) from None
        forget_master_gauges()
        gc.collect()
        gc.freeze()  # the built app outlives every fork: workers' collections need not rescan
        click.echo(f"gatekeeper listening on http://{settings.host}:{settings.port}", err=True)
        options = gunicorn_options(settings.host, settings.port, settings.workers,
                                   settings.threads, settings.graceful_timeout_seconds)
        _gunicorn_app(app, options).run()


def register(group: click.Group) -> None:
    group.add_command(serve)
