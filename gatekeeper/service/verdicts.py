"""One verdict a revision, shared by the processes of one ``serve``: the first worker to meet
a new bundle runs its checks (its Rego tests, the engine comparison) while the others wait,
then they take its verdict instead of running the same checks again. With N workers a reload
costs one run of the checks, not N running at once on the same cores.

A verdict is a file ``<engine>-<revision>`` in a folder the processes share; an exclusive
``flock`` on ``<name>.lock`` makes the first one run the checks and the rest wait for them.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable
from pathlib import Path

from gatekeeper.domain.errors import BundleError

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
REFUSED = "refused\n"


class SharedVerdicts:
    """Verdicts kept in ``folder`` (made if missing)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def check(self, key: str, where: str, run: Callable[[], None]) -> None:
        """Run ``run`` unless another process already judged ``key``; its refusal (or the
        earlier one) is raised as a ``BundleError`` at ``where``."""
        name = _UNSAFE.sub("_", key)
        verdict = self.folder / name
        with (self.folder / f"{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if verdict.is_file():
                text = verdict.read_text(encoding="utf-8")
                if text.startswith(REFUSED):
                    raise BundleError(where, text.removeprefix(REFUSED))
                return
            try:
                run()
            except BundleError as exc:
                verdict.write_text(REFUSED + exc.problem, encoding="utf-8")
                raise
            except Exception as exc:
                verdict.write_text(REFUSED + (str(exc) or type(exc).__name__),
                                   encoding="utf-8")
                raise
            verdict.write_text("ok", encoding="utf-8")
