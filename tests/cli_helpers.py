"""Run the ``gatekeeper`` command as CI does: a subprocess in a working directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m gatekeeper ARGS`` in ``cwd`` with this checkout importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("GATEKEEPER_POLICIES", None)
    return subprocess.run(
        [sys.executable, "-m", "gatekeeper", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def init_policy_repo(path: Path) -> Path:
    """A git repository holding a copy of the real policies/ and examples/requests/."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "config", "user.name", "CI")
    shutil.copytree(ROOT / "policies", path / "policies")
    shutil.copytree(ROOT / "examples" / "requests", path / "examples" / "requests")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "policies as shipped")
    return path


def set_in_block(text: str, block: str, key: str, value: str) -> str:
    """Change the first ``key:`` line after the top-level ``block:`` line of a YAML text."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == f"{block}:")
    for i in range(start + 1, len(lines)):
        stripped = lines[i].lstrip()
        if stripped.startswith(f"{key}:"):
            indent = lines[i][: len(lines[i]) - len(stripped)]
            lines[i] = f"{indent}{key}: {value}\n"
            return "".join(lines)
    raise AssertionError(f"{key} not found under {block}")
