"""A gunicorn gthread worker that accepts a connection only while one of its threads is free.

Every gthread worker polls the shared listening socket and whichever wakes first accepts, so
a burst of new keep-alive connections (a proxy's pool, a benchmark) can land on one worker:
measured with ``ss`` on 2 cores, all 8 of wrk's connections on one of 4 workers, which then
decides on one core while the others idle (720 decisions/s against 1,300-1,900 when spread).
A decision is CPU work under one process's GIL, so a worker whose threads are all busy stops
listening and leaves new connections to the others. Connections it holds are still served;
when every worker is busy, a new connection waits in the listen backlog for a free thread.

It relies on gthread's ``set_accept_enabled``, ``enqueue_req`` and ``finish_request`` (gunicorn
27, pinned in pyproject.toml): every request goes through ``enqueue_req`` once and comes back
through ``finish_request`` once, on the worker's main thread.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

WORKER_CLASS = f"{__name__}.BalancedThreadWorker"


class BalancedThreadWorker(ThreadWorker):
    """gthread, listening for new connections only while a thread is free."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the pool and not finished

    def has_free_thread(self) -> bool:
        return self.in_flight < int(self.cfg.threads)

    def set_accept_enabled(self, enabled: bool) -> None:
        # The run loop asks to accept whenever it is under worker_connections; it listens
        # only if a thread is free as well, and asks again after every event.
        super().set_accept_enabled(enabled and self.has_free_thread())

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        if not self.has_free_thread():
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
