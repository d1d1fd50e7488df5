"""Check the native load order regopy needs; rego-cpp's wheel cannot survive the wrong one.

``librego_shared.so`` exports its own ``operator new``/``delete`` (snmalloc). If libstdc++ was
loaded earlier by another C++ extension (greenlet, which structlog and SQLAlchemy import),
libstdc++ keeps glibc's allocator and the two free each other's memory: the process aborts
with ``free(): invalid pointer`` on the first or second query. Import regopy first.
"""

from __future__ import annotations

import ctypes
import sys


class _DlPhdrInfo(ctypes.Structure):
    # Only the leading fields of ``struct dl_phdr_info`` are read.
    _fields_ = [("dlpi_addr", ctypes.c_void_p), ("dlpi_name", ctypes.c_char_p)]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(_DlPhdrInfo), ctypes.c_size_t, ctypes.c_void_p
)


def loaded_libraries() -> list[str] | None:
    """Shared objects in load order (the dynamic linker's link map); None off glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        iterate = libc.dl_iterate_phdr
    except (OSError, AttributeError):
        return None
    names: list[str] = []

    def collect(info: ctypes._Pointer[_DlPhdrInfo], size: int, data: int | None) -> int:
        raw = info.contents.dlpi_name
        names.append(raw.decode(errors="replace") if raw else "")
        return 0

    iterate.argtypes = [_CALLBACK, ctypes.c_void_p]
    iterate(_CALLBACK(collect), None)
    return names


def regopy_load_order_problem() -> str | None:
    """Why regopy would corrupt memory in this process, or None when it is safe (or unknown)."""
    names = loaded_libraries()
    if names is None:
        return None
    rego = next((i for i, n in enumerate(names) if "librego_shared" in n), None)
    stdcxx = next((i for i, n in enumerate(names) if "libstdc++" in n), None)
    if rego is None or stdcxx is None or rego < stdcxx:
        return None
    culprit = "greenlet" if "greenlet" in sys.modules else "another C++ extension"
    return (
        f"regopy was loaded after libstdc++ ({culprit} loaded it first), so rego-cpp would "
        "corrupt the heap; import regopy (or gatekeeper.engine) before structlog/SQLAlchemy, "
        "e.g. first thing in gatekeeper/__init__.py"
    )
