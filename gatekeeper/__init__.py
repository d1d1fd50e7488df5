"""Gatekeeper: answers access requests with consequences and safer alternatives.

Layers (an arrow is "may import"): api/web/cli -> service -> engine, ledger -> domain.
"""

# regopy ships its own allocator and crashes ("free(): invalid pointer") when a library that
# loads the C++ runtime (greenlet, pulled in by SQLAlchemy and structlog) was imported before
# it. Importing it first, here, makes every entry point safe; gatekeeper.engine.native checks.
import regopy  # noqa: F401  (must stay the first import)

__version__ = "0.1.0"
