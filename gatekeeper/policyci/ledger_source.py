"""Recorded requests from the ledger: each replayed as its requester, at its creation time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from gatekeeper.domain import Principal
from gatekeeper.domain.roles import CUSTOMER, ENGINEER
from gatekeeper.ledger.database import is_sqlite, redact_url
from gatekeeper.ledger.models import AccessRequestRow
from gatekeeper.policyci.errors import SourceError
from gatekeeper.policyci.sources import Pending

log = structlog.get_logger(__name__)
BATCH = 2000


def _problem(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class LedgerSource:
    """Rows of ``access_requests`` created at or after ``since``, oldest first."""

    def __init__(self, url: str, since: datetime | None = None) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise SourceError(f"--ledger {url!r}: not a database URL") from None
        self.label = redact_url(parsed)
        self.description = f"ledger {self.label}" + (f" since {since:%Y-%m-%d}" if since else "")
        database = parsed.database or ""
        file_db = is_sqlite(parsed) and database not in ("", ":memory:")
        if file_db and not Path(database).is_file():
            raise SourceError(f"ledger {self.label}: database file does not exist")
        self.since = since
        self.engine = self._connect(parsed)
        self._total = self._count()

    def _connect(self, parsed: Any) -> Engine:
        args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            args["connect_timeout"] = 5
        try:
            engine = create_engine(parsed, connect_args=args)
            with engine.connect():
                pass
        except NoSuchModuleError:
            raise SourceError(f"ledger {self.label}: unsupported database driver") from None
        except (DBAPIError, SQLAlchemyError) as exc:
            raise SourceError(f"ledger {self.label}: cannot connect: {_problem(exc)}") from None
        return engine

    def _where(self, stmt: Any) -> Any:
        if self.since is not None:
            stmt = stmt.where(AccessRequestRow.created_at >= self.since)
        return stmt

    def _count(self) -> int:
        try:
            with self.engine.connect() as conn:
                stmt = self._where(select(func.count()).select_from(AccessRequestRow))
                return int(conn.execute(stmt).scalar_one())
        except SQLAlchemyError as exc:
            raise SourceError(
                f"ledger {self.label}: cannot read access_requests: {_problem(exc)}"
            ) from None

    @property
    def total(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[Pending]:
        table = AccessRequestRow.__table__
        role = table.c.get("requester_role")
        columns: list[Any] = [
            AccessRequestRow.id,
            AccessRequestRow.request_json,
            AccessRequestRow.requester_subject,
            AccessRequestRow.requester_organisation,
            AccessRequestRow.created_at,
        ]
        if role is not None:
            columns.append(role)
        stmt = self._where(select(*columns)).order_by(
            AccessRequestRow.created_at, AccessRequestRow.id
        )
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(yield_per=BATCH).execute(stmt)
                for row in result:
                    yield self._item(row, role is not None)
        except SQLAlchemyError as exc:
            raise SourceError(
                f"ledger {self.label}: reading access_requests failed: {_problem(exc)}"
            ) from None
        finally:
            self.engine.dispose()

    @staticmethod
    def _item(row: Any, has_role: bool) -> Pending:
        organisation = row.requester_organisation
        # Without a stored role: a requester tied to a customer organisation is that customer.
        role = row.requester_role if has_role else (CUSTOMER if organisation else ENGINEER)
        principal = Principal(row.requester_subject, role, organisation)
        return Pending(f"ledger:{row.id}", row.created_at, body=row.request_json,
                       principal=principal)
