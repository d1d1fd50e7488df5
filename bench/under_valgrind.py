"""What the valgrind benchmarks share: counting a child's instructions, keeping regopy out.

regopy's allocator (snmalloc) aborts under valgrind, and importing gatekeeper.engine imports
it; the stand-in modules make that import succeed and every regopy name a plain class, so
only the regorus engines are counted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types

REGOPY_MODULES = ("regopy", "regopy.rego_shared", "regopy.interpreter")


class _Absent(types.ModuleType):
    def __getattr__(self, name: str) -> type:
        return type(name, (Exception,), {})


def keep_regopy_out() -> None:
    """Install stand-ins for regopy's modules before anything imports them."""
    for name in REGOPY_MODULES:
        sys.modules[name] = _Absent(name)
        sys.modules[name].__path__ = []  # type: ignore[attr-defined]


def instructions_of(argv: list[str], what: str, env: dict[str, str] | None = None) -> int:
    """Instructions valgrind's callgrind counts for ``python argv...``; exits naming ``what``
    (and the end of valgrind's output) when the run fails."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *argv],
        capture_output=True, text=True, env=env,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"valgrind run failed for {what}:\n{tail}")
    return int(found.group(1))
