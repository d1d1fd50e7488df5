"""Builds the service objects from the app config and keeps them on ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.policy_store import PolicyStore

EXTENSION = "gatekeeper"


@dataclass
class Services:
    """Everything the outer ring calls; one instance per app."""

    store: PolicyStore
    decisions: DecisionService


def build_services(config: Any) -> Services:
    """Create and load the services; a bad bundle raises (serve refuses to start)."""
    store = PolicyStore(config["POLICIES"], str(config["ENGINE"]))
    try:
        store.load()
    except Exception:
        if config.get("REQUIRE_POLICIES", True):
            raise
    return Services(store=store, decisions=DecisionService(store))


def init_app(app: Any) -> None:
    app.extensions[EXTENSION] = build_services(app.config)


def services(app: Any) -> Services:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]
