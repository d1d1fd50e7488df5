"""What ``gatekeeper serve`` adds for operators: live policy reload in every worker, the
Prometheus multiprocess folder, and the decision-log shipper's start and stop.

SIGHUP is a policy-only reload. gunicorn's own SIGHUP (re-read the configuration, start new
workers, stop the old ones) would not help here: the app, bundle included, is built once in
the master before the workers fork, so new workers would serve the master's old bundle. The
master instead passes SIGHUP on to its workers, and each worker's ``PolicyWatcher`` reloads at
once; connections, threads and the dispatcher stay as they are. Between signals each watcher
polls the source every ``GATEKEEPER_POLICY_POLL_SECONDS``; a worker started later (one that
replaced a dead worker) checks the source before it takes a request.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from gunicorn.arbiter import Arbiter

log = structlog.get_logger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # as gatekeeper.service.metrics (not imported yet)


class PolicyReloadArbiter(Arbiter):
    """gunicorn's master, with SIGHUP passed to the workers as a policy reload."""

    def handle_hup(self) -> None:
        log.info("policy_reload_requested", workers=len(self.WORKERS))
        self.kill_workers(signal.SIGHUP)


RUNTIME_PREFIX = "gatekeeper-serve-"
_RUNTIME: dict[str, Path] = {}  # set in the master by runtime_folder, inherited by workers


def _sweep_stale(parent: Path) -> None:
    """Remove the runtime folders of serve processes that are gone (killed with SIGKILL: no
    clean-up ran); the master's pid is in the folder's name."""
    for stale in parent.glob(f"{RUNTIME_PREFIX}*-*"):
        pid = stale.name.removeprefix(RUNTIME_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextmanager
def runtime_folder() -> Iterator[Path]:
    """A folder for this serve's processes, removed when serve stops: ``verdicts/`` (one
    policy verdict a revision, gatekeeper/service/verdicts.py) and ``metrics/``, the
    workers' metric samples, set as PROMETHEUS_MULTIPROC_DIR before the metrics are built.
    An operator's own PROMETHEUS_MULTIPROC_DIR is used instead, emptied first (samples of
    an earlier run would be added up with this one's)."""
    _sweep_stale(Path(tempfile.gettempdir()))
    folder = Path(tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-"))
    _RUNTIME["verdicts"] = folder / "verdicts"
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        metrics = Path(given)
        metrics.mkdir(parents=True, exist_ok=True)
        for stale in metrics.glob("*.db"):
            stale.unlink()
    else:
        metrics = folder / "metrics"
        metrics.mkdir()
        os.environ[MULTIPROC_ENV] = str(metrics)
    try:
        yield folder
    finally:
        if not given:
            os.environ.pop(MULTIPROC_ENV, None)
        _RUNTIME.clear()
        shutil.rmtree(folder, ignore_errors=True)


def start_watching(worker: Any, warm_up: Callable[[Any], None]) -> None:
    """Part of ``post_worker_init``: catch up with the source (this worker may have been
    forked from a master holding an older bundle), then watch it, and reload on SIGHUP.
    ``warm_up(worker)`` runs after each reload: the new engine is built on every request
    thread, as at start, so no request pays for it."""
    from gatekeeper.bootstrap import services
    from gatekeeper.service import metrics
    from gatekeeper.service.reloader import PolicyWatcher
    from gatekeeper.service.verdicts import SharedVerdicts

    try:
        svc = services(worker.wsgi)
        if "verdicts" in _RUNTIME:
            svc.store.verdicts = SharedVerdicts(_RUNTIME["verdicts"])
        svc.store.reload("worker_start")
        if svc.store.ready:  # this worker's own revision gauge (a fork starts it at zero)
            loaded = svc.store.current
            metrics.served(loaded.bundle.revision, None, loaded.loaded_at)
        watcher = PolicyWatcher(svc.store, svc.settings.policy_poll_seconds,
                                on_loaded=lambda: warm_up(worker)).start()
    except Exception as exc:
        log.error("policy_watcher_not_started", error=str(exc) or type(exc).__name__)
        return
    worker.gk_policy_watcher = watcher
    signal.signal(signal.SIGHUP, lambda _sig, _frame: watcher.trigger())
    svc.decision_log.start()


def forget_master_gauges() -> None:
    """The master built the app (and set the revision gauge) but serves nothing: only the
    workers' gauges are scraped."""
    from gatekeeper.service import metrics

    metrics.process_dead(os.getpid())


def stop_watching(worker: Any) -> None:
    """Part of ``worker_exit``: the watcher and the shipper end (their engines are dropped on
    their own threads), the shipper sends what it holds, and the worker's live-only metric
    samples are dropped."""
    watcher = getattr(worker, "gk_policy_watcher", None)
    if watcher is not None:
        watcher.stop()
    from gatekeeper.bootstrap import services
    from gatekeeper.service import metrics

    try:
        services(worker.wsgi).decision_log.stop()
    except Exception as exc:
        log.warning("decision_log_not_flushed", error=str(exc) or type(exc).__name__)
    metrics.process_dead(worker.pid)
