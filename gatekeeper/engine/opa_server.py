"""Where an OPA server is: the settings of the ``opa`` engine, apart from its client, so that
naming a server does not import the HTTP clients (aiohttp, requests) the engine itself needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpaServer:
    """Where the OPA server is and how to reach it (GATEKEEPER_OPA_* settings)."""

    url: str
    token: str | None = None
    ca_file: str | None = None
    verify: bool = True
    timeout_seconds: float = 2.0

    def __repr__(self) -> str:  # the token never reaches a log
        return f"OpaServer(url={self.url!r}, token={'***' if self.token else None})"
