"""What the valgrind benchmarks' child processes share: keeping regopy out of the process.

regopy's allocator (snmalloc) aborts under valgrind, and importing gatekeeper.engine imports
it; the stand-in modules make that import succeed and every regopy name a plain class, so
only the regorus engines are counted.
"""

from __future__ import annotations

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
