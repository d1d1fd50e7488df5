"""Engines built per thread before the first request: ``prepare_thread`` on every engine, and
``gatekeeper serve``'s warm-up of each gunicorn worker's thread pool (real engines, real
``ThreadPoolExecutor`` -- the type gunicorn's gthread worker uses -- and a real worker)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from gunicorn.workers.gthread import ThreadWorker
from structlog.testing import capture_logs

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.cli import serve
from gatekeeper.cli.serve_ops import stop_watching
from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import (
    EMBEDDED_ENGINES,
    Engine,
    create_engine,
    load_bundle,
    regorus_engine,
    rvm_engine,
)
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.regopy_engine import RegopyEngine
from gatekeeper.engine.regorus_engine import RegorusEngine
from gatekeeper.engine.rvm_engine import RvmEngine
from tests.test_engine_contract import FIXTURES, ask, usable

ENGINE_NAMES = sorted(EMBEDDED_ENGINES)
T = TypeVar("T")


@pytest.fixture(scope="module")
def basic() -> PolicyBundle:
    return load_bundle(FIXTURES / "basic", schema_dir=None)


def thread_instances(engine: Engine) -> tuple[Any, ...]:
    """What ``engine`` keeps for the calling thread (None where nothing is built yet): the
    regorus engine, regorus-rvm's VM and fallback interpreter, or the regopy interpreter.
    Never hand these to another thread: regorus objects must be dropped where they were made."""
    if isinstance(engine, RvmEngine):
        entry = getattr(rvm_engine._PER_THREAD, "vms", {}).get(engine._key)
        vm = None if entry is None else entry[1]
        return (vm, *thread_instances(engine._interpreter))
    if isinstance(engine, RegorusEngine):
        return (getattr(regorus_engine._PER_THREAD, "engines", {}).get(engine._key),)
    assert isinstance(engine, RegopyEngine), f"no per-thread view of {engine.name}"
    return (getattr(engine._local, "interpreter", None),)


def built_here(engine: Engine) -> bool:
    """Whether everything ``engine`` keeps per thread is built for the calling thread."""
    return None not in thread_instances(engine)


def on_every_thread(pool: ThreadPoolExecutor, threads: int, call: Callable[[], T]
                    ) -> dict[int, T]:
    """``call()`` on ``threads`` distinct pool threads at once (a barrier holds each), by
    thread id; with ``max_workers=threads`` that is every thread the pool has."""
    barrier = threading.Barrier(threads, timeout=10)

    def run() -> tuple[int, T]:
        value = call()
        barrier.wait()
        return threading.get_ident(), value

    return dict(f.result() for f in [pool.submit(run) for _ in range(threads)])


def breakable(bundle: PolicyBundle) -> tuple[PolicyBundle, dict[str, str]]:
    """A copy of ``bundle`` whose modules can be changed after an engine was built from it."""
    modules = dict(bundle.modules)
    return PolicyBundle(bundle.root, modules, bundle.data, bundle.revision), modules


BROKEN_MODULE = ("broken/broken.rego", "package broken\n\nx := \n")


def engine_error(call: Callable[..., Any], *args: Any) -> str:
    """The ``EngineError`` message of ``call(*args)``, run where it is called: the error is
    dropped on this thread, since its traceback may hold a half-built regorus engine."""
    try:
        call(*args)
    except EngineError as exc:
        return str(exc)
    return "no EngineError"


# ---- prepare_thread on every engine ---------------------------------------------------------


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_prepare_thread_builds_what_evaluate_then_uses(basic: PolicyBundle, name: str) -> None:
    usable(name)
    engine = create_engine(name, basic)

    def on_a_fresh_thread() -> tuple[bool, bool, bool]:
        built_before = any(instance is not None for instance in thread_instances(engine))
        engine.prepare_thread()
        prepared = thread_instances(engine)
        assert engine.evaluate(ask("acme", "full_admin"))["outcome"] == "allow_with_consequences"
        assert engine.evaluate(ask("nobody", "read_only")) is None  # rvm: asks the interpreter
        assert engine.evaluate({}, "data.accounts.acme.tier") == "gold"
        kept = all(a is p for a, p in zip(thread_instances(engine), prepared, strict=True))
        return built_before, None not in prepared, kept  # the instances stay on this thread

    with ThreadPoolExecutor(max_workers=1) as pool:
        built_before, prepared, kept = pool.submit(on_a_fresh_thread).result()
    assert not built_before, "the fresh thread already had an instance"
    assert prepared, "prepare_thread left something to build"
    assert kept, "evaluate built another instance after prepare_thread"


@pytest.mark.parametrize("name", ["regorus", "regorus-rvm"])
def test_prepare_thread_raises_engine_error_like_the_lazy_path(basic: PolicyBundle,
                                                               name: str) -> None:
    bundle, modules = breakable(basic)
    engine = create_engine(name, bundle)
    modules.update([BROKEN_MODULE])  # threads that build from now on get a broken bundle
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(engine_error, engine.prepare_thread).result()
        # An undefined answer: regorus-rvm asks its interpreter, which this thread lacks.
        lazily = pool.submit(engine_error, engine.evaluate, ask("nobody", "read_only")).result()
    assert "cannot load the bundle" in prepared
    assert "cannot load the bundle" in lazily


# ---- serve's warm-up of a worker's thread pool ----------------------------------------------


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_warm_up_builds_the_engine_on_every_pool_thread(basic: PolicyBundle, name: str) -> None:
    usable(name)
    engine = create_engine(name, basic)
    threads = 4
    with ThreadPoolExecutor(max_workers=threads) as pool, capture_logs() as events:
        assert serve.warm_up_threads(pool, engine, threads) == threads
        built = on_every_thread(pool, threads, lambda: built_here(engine))
    assert len(built) == threads
    assert all(built.values())
    assert events == []


def test_a_failed_warm_up_is_logged_and_does_not_raise(basic: PolicyBundle) -> None:
    bundle, modules = breakable(basic)
    engine = create_engine("regorus", bundle)
    modules.update([BROKEN_MODULE])
    with ThreadPoolExecutor(max_workers=2) as pool, capture_logs() as events:
        assert serve.warm_up_threads(pool, engine, 2) == 0
        # The pool still serves; the lazy path reports the error per request (fails closed).
        lazily = pool.submit(engine_error, engine.evaluate, ask("acme", "read_only")).result()
    assert "cannot load the bundle" in lazily
    assert len(events) == 1
    event = events[0]
    assert event["event"] == "engine_warm_up_failed"
    assert event["log_level"] == "warning"
    assert (event["engine"], event["threads"], event["warmed"]) == ("regorus", 2, 0)
    assert "cannot load the bundle" in event["error"]


# ---- the post_worker_init hook on a real gunicorn gthread worker ----------------------------


def gthread_worker(app: Flask, threads: int) -> ThreadWorker:
    """A gunicorn gthread worker for ``serve``'s options, set up as far as ``init_process``
    goes before it calls ``post_worker_init`` (thread pool made, app loaded); no sockets."""
    server = serve._gunicorn_app(app, serve.gunicorn_options("127.0.0.1", 0, 1, threads))
    worker = ThreadWorker(0, os.getpid(), [], server, 30, server.cfg, None)
    worker.tpool = worker.get_thread_pool()
    worker.load_wsgi()
    return worker


def run_worker_hook(worker: ThreadWorker) -> None:
    """``post_worker_init`` as a worker runs it; then the policy watcher it starts is
    stopped and this process's SIGHUP handler restored (a worker's is a policy reload)."""
    handler = signal.getsignal(signal.SIGHUP)
    try:
        worker.cfg.post_worker_init(worker)
    finally:
        stop_watching(worker)
        signal.signal(signal.SIGHUP, handler)


def test_the_worker_hook_warms_every_thread_of_the_worker(app: Flask) -> None:
    worker = gthread_worker(app, threads=3)
    engine = services(app).store.current.engine
    try:
        with capture_logs() as events:
            run_worker_hook(worker)
        built = on_every_thread(worker.tpool, 3, lambda: built_here(engine))
    finally:
        worker.tpool.shutdown()
        worker.tmp.close()
    assert len(built) == 3
    assert all(built.values())
    assert events == []


def test_the_worker_hook_logs_when_no_bundle_is_loaded(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "POLICIES": str(tmp_path / "missing"),
                      "REQUIRE_POLICIES": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    worker = gthread_worker(app, threads=2)
    try:
        with capture_logs() as events:
            run_worker_hook(worker)
    finally:
        worker.tpool.shutdown()
        worker.tmp.close()
    # the worker first looks for a bundle again (docs/operations.md), then cannot warm up
    assert [e["event"] for e in events] == ["policy_reload_refused", "engine_warm_up_failed"]
    assert events[1]["log_level"] == "warning"
    assert "no policy bundle is loaded" in events[1]["error"]
