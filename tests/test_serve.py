"""``gatekeeper serve``: the app is built before gunicorn forks, then frozen out of the GC."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from click.testing import CliRunner

import gatekeeper.app
from gatekeeper.cli import serve
from gatekeeper.cli.balanced_worker import WORKER_CLASS


def test_the_built_app_is_frozen_before_the_workers_fork(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    built = object()
    seen: dict[str, Any] = {}

    class Server:
        def run(self) -> None:
            seen["frozen"] = gc.get_freeze_count()

    def fake_gunicorn(app: Any, options: dict[str, Any]) -> Server:
        seen["app"], seen["frozen_at_build"] = app, gc.get_freeze_count()
        seen["options"] = options
        return Server()

    monkeypatch.setattr(gatekeeper.app, "create_app", lambda **_: built)
    monkeypatch.setattr(serve, "_gunicorn_app", fake_gunicorn)
    gc.unfreeze()
    try:
        result = CliRunner().invoke(serve.serve, ["--workers", "2", "--port", "0"])
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert seen["app"] is built
    assert seen["frozen_at_build"] > 0 and seen["frozen"] > 0
    # Each worker builds its engine threads before taking requests (tests/test_engine_warmup.py)
    assert seen["options"]["post_worker_init"] is serve.worker_ready
    assert seen["options"]["worker_class"] == WORKER_CLASS
