"""Gatekeeper: answers access requests with consequences and safer alternatives.

Layers (an arrow is "may import"): api/web/cli -> service -> engine, ledger -> domain.
"""

__version__ = "0.1.0"
