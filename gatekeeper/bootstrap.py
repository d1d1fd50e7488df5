"""The composition root: builds, from one ``Settings``, everything the doors call.

The app (``create_app``) and every CLI command go through ``Services``. Each part is built on
first use, so ``gatekeeper eval`` loads only the policy bundle and never opens a database,
and ``gatekeeper requests list`` opens the ledger without loading a bundle. ``Services``
closes what it opened. The app builds every part at start (``Services.build``), before a
preforking server copies it into its workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from gatekeeper.domain import AccessRequest, Decision, Principal
from gatekeeper.engine import OPA_ENGINE, REFERENCE_ENGINE, Engine, OpaServer, PolicyBundle
from gatekeeper.service.decision_log import DecisionLog
from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.policy_store import PolicyStore, policy_tests_pass
from gatekeeper.settings import Settings

if TYPE_CHECKING:  # the ledger (SQLAlchemy) is imported only by the commands that use it
    from gatekeeper.ledger import Database, SqlLedger
    from gatekeeper.ledger.outbox_sql import SqlOutbox
    from gatekeeper.service.deadlines import Deadlines
    from gatekeeper.service.feedback import FeedbackService
    from gatekeeper.service.identity import IdentityService
    from gatekeeper.service.notify import Dispatcher
    from gatekeeper.service.reports import ReportService
    from gatekeeper.service.requests import RequestService

EXTENSION = "gatekeeper"
SETTINGS_EXTENSION = "gatekeeper.settings"


class _DecideLater:
    """The decision service, built (its bundle loaded) only when a request is submitted:
    reading the ledger needs no policy."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def decide(self, body: Any, principal: Principal, now: datetime | None = None,
               request_id: str | None = None) -> tuple[AccessRequest, Decision]:
        return self._services.decisions.decide(body, principal, now=now, request_id=request_id)

    def decide_request(self, request: AccessRequest, principal: Principal,
                       now: datetime | None = None, request_id: str | None = None,
                       context: Mapping[str, Any] | None = None) -> Decision:
        return self._services.decisions.decide_request(request, principal, now=now,
                                                       request_id=request_id, context=context)

    def max_duration_hours(self, access: str) -> float | None:
        return self._services.decisions.max_duration_hours(access)

    def customer_zone(self, customer: str) -> tzinfo:
        return self._services.decisions.customer_zone(customer)


class Services:
    """Everything the outer ring calls, built lazily from ``settings``; one per app or
    per CLI command. Use as a context manager (or call ``close``) to close what was opened."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._closers: list[Callable[[], None]] = []

    @cached_property
    def store(self) -> PolicyStore:
        """The policy bundle and its engine; a bundle that does not load raises unless
        ``require_policies`` is off (then the store serves nothing and /readyz says why)."""
        store = PolicyStore(self.settings.policy_location, self.settings.engine,
                            vet=self._engine_check(), reload_vet=policy_tests_pass,
                            opa=self._opa_server())
        try:
            store.load()
        except Exception:
            if self.settings.require_policies:
                raise
        return store

    def _opa_server(self) -> OpaServer | None:
        """Where engine ``opa`` evaluates (GATEKEEPER_OPA_*), None without an address."""
        s = self.settings
        if s.opa_url is None:
            return None
        return OpaServer(s.opa_url, token=s.opa_token,
                         ca_file=str(s.opa_ca_file) if s.opa_ca_file else None,
                         verify=s.opa_verify, timeout_seconds=s.opa_timeout_seconds)

    def _engine_check(self) -> Callable[[PolicyBundle, Engine], None] | None:
        """Before an engine other than the reference serves a bundle, it must answer
        ``engine_check_requests`` synthetic requests as the reference does. Not ``opa``: the
        server may be down at start (decisions then fail closed until it is back), and the
        revision check ties its answers to this very bundle."""
        count = self.settings.engine_check_requests
        if self.settings.engine in (REFERENCE_ENGINE, OPA_ENGINE) or count == 0:
            return None
        from gatekeeper.policyci.engine_agreement import check_agreement

        return lambda bundle, engine: check_agreement(bundle, engine, count)

    @cached_property
    def decisions(self) -> DecisionService:
        """Decisions with ``input.context`` read from the ledger (opened on first use)."""
        return DecisionService(self.store, context=self._ledger_context,
                               decision_log=self.decision_log)

    @cached_property
    def decision_log(self) -> DecisionLog:
        """OPA-shaped decision logs for a collector (GATEKEEPER_DECISION_LOG_URL); off
        without one."""
        return DecisionLog(self.settings.decision_log_url, self.settings.decision_log_buffer)

    @cached_property
    def offline_decisions(self) -> DecisionService:
        """Decisions on an empty ``input.context``, never opening a database: ``eval``."""
        return DecisionService(self.store)

    def _ledger_context(self, request: AccessRequest, now: datetime) -> Mapping[str, Any]:
        from gatekeeper.service.decisions import LedgerContext

        return LedgerContext(self.ledger, self.decisions.customer_zone)(request, now)

    @property
    def database_url(self) -> str:
        """GATEKEEPER_DATABASE_URL, else the SQLite file in the instance folder."""
        from gatekeeper.ledger import default_url

        return self.settings.database_url or default_url(self.settings.instance_path)

    @cached_property
    def ledger(self) -> SqlLedger:
        """The ledger; an embedded SQLite database is migrated on opening, PostgreSQL by
        ``gatekeeper db upgrade``."""
        from gatekeeper.ledger import open_ledger

        ledger = open_ledger(self.database_url)
        self._closers.append(ledger.close)
        return ledger

    @cached_property
    def database(self) -> Database:
        """The database alone, never migrated on opening: for ``gatekeeper db``."""
        from gatekeeper.ledger import Database

        database = Database(self.database_url)
        self._closers.append(database.dispose)
        return database

    @cached_property
    def requests(self) -> RequestService:
        from gatekeeper.service.metrics import CountedLedger
        from gatekeeper.service.requests import RequestService

        ledger = cast("SqlLedger", CountedLedger(self.ledger))  # counts each transition
        return RequestService(_DecideLater(self), ledger, deadlines=self.deadlines,
                              key_lifetime=timedelta(hours=self.settings.idempotency_key_hours))

    def housekeeping(self) -> dict[str, int]:
        """What ``gatekeeper expire`` and each dispatcher do now and then: ended grants
        expire, Idempotency-Keys past their lifetime are pruned."""
        return {"expired": len(self.requests.expire_due()),
                "pruned": self.requests.prune_keys()}

    @cached_property
    def identity(self) -> IdentityService:
        from gatekeeper.ledger.identity_sql import SqlIdentityStore
        from gatekeeper.service.identity import IdentityService

        return IdentityService(SqlIdentityStore(self.ledger.db),
                               session_hours=self.settings.session_hours,
                               token_cache_seconds=self.settings.token_cache_seconds)

    @cached_property
    def outbox(self) -> SqlOutbox:
        """The notification outbox, in the ledger's database."""
        from gatekeeper.ledger.outbox_sql import SqlOutbox

        return SqlOutbox(self.ledger.db)

    @cached_property
    def deadlines(self) -> Deadlines:
        """When a waiting request is due, from the customer's support hours and tier."""
        from gatekeeper.service.deadlines import Deadlines

        return Deadlines(lambda: self.store.current.engine)

    @cached_property
    def reports(self) -> ReportService:
        """Monthly reports from the ledger, with the policy's deadlines and contract data."""
        from gatekeeper.ledger.report_sql import SqlReports
        from gatekeeper.service.reports import ReportService
        from gatekeeper.service.security_order import SecurityOrder

        return ReportService(SqlReports(self.ledger.db), lambda: self.store.current.bundle.data,
                             self.deadlines, SecurityOrder(lambda: self.store.current.engine))

    @cached_property
    def feedback(self) -> FeedbackService:
        """Requesters' feedback on answers and ended grants."""
        from gatekeeper.ledger.report_sql import SqlReports
        from gatekeeper.service.feedback import FeedbackService

        return FeedbackService(self.requests, SqlReports(self.ledger.db))

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Routes and delivers the outbox (a thread of ``serve``, or ``gatekeeper dispatch``)."""
        from gatekeeper.domain.notice import SmtpServer, parse_webhook_secrets
        from gatekeeper.service.channels import Channels
        from gatekeeper.service.notify import DispatchConfig, Dispatcher

        s = self.settings
        smtp = SmtpServer.parse("GATEKEEPER_SMTP_URL", s.smtp_url) if s.smtp_url else None
        secrets = parse_webhook_secrets("GATEKEEPER_WEBHOOK_SECRETS", s.webhook_secrets or "")
        channels = Channels(smtp, s.smtp_from, secrets, timeout=s.notify_timeout_seconds)
        self._closers.append(channels.close)
        config = DispatchConfig(public_url=s.public_url, max_attempts=s.outbox_max_attempts,
                                retry_seconds=s.outbox_retry_seconds,
                                lease_seconds=s.outbox_lease_seconds,
                                schedule_seconds=min(30.0, s.outbox_poll_seconds * 15),
                                housekeeping_seconds=s.housekeeping_seconds)
        return Dispatcher(self.outbox, self.ledger, lambda: self.store.current.engine,
                          channels, config, housekeeping=self.housekeeping)

    def build(self) -> Services:
        """Build every part now (the app: a bad bundle refuses start-up, no lazy build
        races between request threads)."""
        for part in ("store", "decisions", "ledger", "requests", "identity"):
            getattr(self, part)
        return self

    def close(self) -> None:
        """Close what was opened, newest first; the parts are not used afterwards."""
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def init_app(app: Any, settings: Settings) -> Services:
    """Build the app's services and keep them and the settings on ``app.extensions``."""
    built = Services(settings).build()
    app.extensions[SETTINGS_EXTENSION] = settings
    app.extensions[EXTENSION] = built
    return built


def services(app: Any) -> Services:
    """The app's services: what every view of every door calls."""
    found: Services = app.extensions[EXTENSION]
    return found


def settings(app: Any) -> Settings:
    """The app's validated settings."""
    found: Settings = app.extensions[SETTINGS_EXTENSION]
    return found
