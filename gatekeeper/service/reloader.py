"""Keeps one process's policy store current: polls its source, and reloads at once on demand.

Each ``gatekeeper serve`` worker runs one ``PolicyWatcher`` thread. The thread looks at the
source every ``poll_seconds`` (a folder's stat walk, a file's mtime, or a conditional GET of a
URL) and reloads when it changed; ``trigger()`` (SIGHUP) wakes it to reload now, reading the
source even if it looks unchanged. A reload never stops the service: the store keeps the last
good bundle when a new one is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from gatekeeper.service.policy_store import PolicyStore

log = structlog.get_logger(__name__)


class PolicyWatcher:
    """A daemon thread that reloads ``store`` on a timer (``poll_seconds``; 0: only when
    triggered) and when ``trigger``-ed."""

    def __init__(self, store: PolicyStore, poll_seconds: float,
                 on_loaded: Callable[[], None] | None = None) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.on_loaded = on_loaded  # e.g. build the new engine on every request thread
        self._wake = threading.Event()
        self._forced = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gatekeeper-policy-watcher",
                                        daemon=True)

    def start(self) -> PolicyWatcher:
        self._thread.start()
        return self

    def trigger(self) -> None:
        """Reload now (safe to call from a signal handler: it only sets flags)."""
        self._forced = True
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.poll_seconds if self.poll_seconds > 0 else None)
            self._wake.clear()
            if self._stopping.is_set():
                break
            forced, self._forced = self._forced, False
            try:
                result = self.store.reload("signal" if forced else "poll", force=forced)
                if result == "loaded" and self.on_loaded is not None:
                    self.on_loaded()
            except Exception as exc:  # reload never raises; a bug here must not end the thread
                log.error("policy_watch_failed", error=str(exc) or type(exc).__name__)
