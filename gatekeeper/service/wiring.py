"""Builds the service objects from the app config and keeps them on ``app.extensions``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gatekeeper.domain import ConfigurationError
from gatekeeper.ledger import Ledger, default_url, open_ledger
from gatekeeper.ledger.identity_sql import SqlIdentityStore
from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.identity import IdentityService
from gatekeeper.service.policy_store import PolicyStore
from gatekeeper.service.requests import RequestService
from gatekeeper.service.token_cache import DEFAULT_SECONDS

EXTENSION = "gatekeeper"


@dataclass
class Services:
    """Everything the outer ring calls; one instance per app."""

    store: PolicyStore
    decisions: DecisionService
    ledger: Ledger
    requests: RequestService
    identity: IdentityService


def token_cache_seconds(config: Any) -> float:
    """GATEKEEPER_TOKEN_CACHE_SECONDS: how long an accepted API token is remembered (0: off)."""
    value = config.get("TOKEN_CACHE_SECONDS", DEFAULT_SECONDS)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigurationError(f"GATEKEEPER_TOKEN_CACHE_SECONDS must be a number of seconds, "
                                 f"0 or more (0 turns the token cache off), not {value!r}")
    return seconds


def build_services(config: Any, instance_path: str = "instance") -> Services:
    """Create and load the services; a bad bundle raises (serve refuses to start)."""
    cache_seconds = token_cache_seconds(config)
    store = PolicyStore(config["POLICIES"], str(config["ENGINE"]))
    try:
        store.load()
    except Exception:
        if config.get("REQUIRE_POLICIES", True):
            raise
    decisions = DecisionService(store)
    # An embedded SQLite database is migrated on start; PostgreSQL by `gatekeeper db upgrade`.
    ledger = open_ledger(config.get("DATABASE_URL") or default_url(instance_path))
    identity = IdentityService(SqlIdentityStore(ledger.db),
                               session_hours=float(config.get("SESSION_HOURS", 8)),
                               token_cache_seconds=cache_seconds)
    return Services(store=store, decisions=decisions, ledger=ledger,
                    requests=RequestService(decisions, ledger), identity=identity)


def init_app(app: Any) -> None:
    app.extensions[EXTENSION] = build_services(app.config, app.instance_path)


def services(app: Any) -> Services:
    return app.extensions[EXTENSION]
