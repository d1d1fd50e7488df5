"""Real-browser fixtures: the service on a free port, users made by the CLI, Chromium.

Playwright for Python drives the Debian Chromium (never a downloaded browser). Without a
Chromium, or without Playwright, every test here is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve_helpers import cli as _cli
from tests.serve_helpers import serving

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "a long test password for the browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# username, role, customer, display name
USERS = (
    ("alice@acme.example", "customer", "acme", "Alice de Boer"),
    ("carol@globex.example", "customer", "globex", "Carol Reyes"),
    ("ann@msp.example", "approver", None, "Ann Visser"),
)


def chromium_path() -> str | None:
    """GATEKEEPER_CHROMIUM, else Debian's chromium on the PATH or in /usr/bin."""
    for candidate in (os.environ.get("GATEKEEPER_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found: install Debian's `chromium` package or set "
                    "GATEKEEPER_CHROMIUM (browser tests never download a browser)")
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    return path


@pytest.fixture(scope="session")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m gatekeeper serve`` on a free port, with a throw-away SQLite database."""
    folder = tmp_path_factory.mktemp("gatekeeper-browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(
        GATEKEEPER_INSTANCE_PATH=str(folder),
        GATEKEEPER_DATABASE_URL=f"sqlite:///{folder / 'gatekeeper.db'}",
        GATEKEEPER_DEV="1",  # session cookies over plain http on 127.0.0.1
        GATEKEEPER_SECRET_KEY=os.urandom(24).hex(),
        GATEKEEPER_LOG_JSON="1",
    )
    for username, role, customer, name in USERS:
        args = ["users", "create", username, "--role", role, "--name", name, "--password-stdin"]
        if customer:
            args += ["--customer", customer]
        _cli(env, *args, stdin=PASSWORD + "\n")
    with serving(env, folder, "--workers", "1", "--threads", "4") as base:
        yield base


@pytest.fixture(scope="session")
def chrome(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sign_in(chrome: Any, server: str) -> Iterator[Callable[..., Any]]:
    """``sign_in(username, width=1280)``: a fresh browser context signed in as that user."""
    contexts: list[Any] = []

    def open_as(username: str, width: int = 1280, start: str = "/") -> Any:
        context = chrome.new_context(viewport={"width": width, "height": 900},
                                     base_url=server)
        contexts.append(context)
        page = context.new_page()
        page.goto(start)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as a test artefact (test-artifacts/ is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
