"""Monthly reports per customer and the MSP's view across customers, from the ledger alone.

The figures are computed in ``report_figures``; this module picks the month in the customer's
time zone, checks who may see which report, gathers the records and the feedback, and writes
the plain-language lines a customer reads beside the figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog

from gatekeeper.domain import (
    FieldError,
    ForbiddenError,
    NotFoundError,
    Principal,
    RequestRecord,
    ValidationError,
)
from gatekeeper.domain.feedback import Feedback
from gatekeeper.domain.roles import is_customer_role
from gatekeeper.service import report_figures as fig
from gatekeeper.service import report_text
from gatekeeper.service.decisions import Clock, utc_now
from gatekeeper.service.report_figures import local_text, utc_text
from gatekeeper.service.zones import zone_of

log = structlog.get_logger(__name__)

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TREND_MONTHS = 6
EARLIEST_ZONE = "Pacific/Kiritimati"  # UTC+14: where a month begins first


class ReportSource(Protocol):
    def requests_between(self, start: datetime, end: datetime,
                         customer: str | None = None) -> list[RequestRecord]: ...

    def feedback_for(self, request_ids: Sequence[str]) -> list[Feedback]: ...


class DeadlineSource(Protocol):
    def at(self, customer: str, state: str, since: datetime, now: datetime
           ) -> Mapping[str, Any] | None: ...


class SecuritySource(Protocol):
    def of(self, customer: str, records: Sequence[RequestRecord]) -> list[RequestRecord]: ...


FIRST_YEAR, LAST_YEAR = 1971, 9998  # months whose trend and bounds are all real dates


@dataclass(frozen=True)
class Month:
    """A calendar month; its bounds are taken in a customer's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: Any, field: str = "month") -> Month:
        found = _MONTH.match(str(text or ""))
        if found is None:
            raise ValidationError([FieldError(field, "must be a month as YYYY-MM, like 2026-11")])
        month = cls(int(found.group(1)), int(found.group(2)))
        if not FIRST_YEAR <= month.year <= LAST_YEAR:  # a trend reaches six months back
            raise ValidationError([FieldError(
                field, f"must be a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12")])
        return month

    @classmethod
    def of(cls, at: datetime) -> Month:
        return cls(at.year, at.month)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def title(self) -> str:
        return datetime(self.year, self.month, 1).strftime("%B %Y")


class ReportService:
    """Builds the JSON document of a customer's month, and the overview of every customer."""

    def __init__(self, source: ReportSource, data: Callable[[], Mapping[str, Any]],
                 deadlines: DeadlineSource, security: SecuritySource,
                 clock: Clock = utc_now) -> None:
        self.source = source
        self.data = data  # the serving bundle's data (customers, sla_tiers)
        self.deadlines = deadlines
        self.security = security  # which requests are security items, in what order
        self.clock = clock

    def _customer(self, customer_id: str, principal: Principal) -> Mapping[str, Any]:
        """The customer's contract data; 404 for an unknown customer or another
        organisation's (a customer sees only its own reports)."""
        customers = self.data().get("customers") or {}
        if is_customer_role(principal.role) and customer_id != principal.organisation:
            raise NotFoundError(f"no report for customer {customer_id!r}")
        found = customers.get(customer_id)
        if not isinstance(found, Mapping):
            raise NotFoundError(f"no customer {customer_id!r}")
        return found

    def _month(self, text: Any, zone: ZoneInfo, now: datetime) -> Month:
        """The month asked for (none: the current one where ``zone`` is), 422 if it has not
        begun there."""
        if text is None:
            return Month.of(now.astimezone(zone))
        month = Month.parse(text)
        if month.start(zone) > now:
            raise ValidationError([FieldError(
                "month", f"{month.key} is in the future: a report covers a month that has begun")])
        return month

    def customer_report(self, customer_id: str, month_text: Any, principal: Principal,
                        now: datetime | None = None) -> dict[str, Any]:
        """The month's report of one customer (404 unknown or not theirs; 422 bad month)."""
        return self._build(customer_id, month_text, principal, now)[0]

    def _build(self, customer_id: str, month_text: Any, principal: Principal,
               now: datetime | None = None) -> tuple[dict[str, Any], list[RequestRecord]]:
        """The report and the month's records it was counted from."""
        now = now or self.clock()
        customer = self._customer(customer_id, principal)
        zone = zone_of(customer)
        month = self._month(month_text, zone, now)
        first = month.shift(1 - TREND_MONTHS)
        start, end = month.start(zone), month.shift(1).start(zone)
        history = self.source.requests_between(first.start(zone), end, customer_id)
        feedback = self.source.feedback_for([r.id for r in history])
        records = [r for r in history if start <= r.created_at < end]
        ids = {r.id for r in records}
        # SLA minutes fall in the month the grant starts, whenever it was asked for.
        granted = [r for r in history
                   if r.grant_starts_at is not None and start <= r.grant_starts_at < end]
        report = self._figures(customer_id, customer, records, granted,
                               [f for f in feedback if f.request_id in ids], zone, now)
        report.update(
            month=month.key, title=month.title,
            period={"start": utc_text(start), "end": utc_text(end)},
            generated_at=utc_text(now), generated_text=local_text(now, zone),
            trend=self._trend(first, history, feedback, zone),
            requests=[self._detail(r, feedback, zone) for r in records])
        report["summary"] = report_text.summary_lines(report)
        log.info("report_built", customer=customer_id, month=month.key,
                 requests=len(records), viewer=principal.subject)
        return report, records

    def _figures(self, customer_id: str, customer: Mapping[str, Any],
                 records: list[RequestRecord], granted: list[RequestRecord],
                 feedback: list[Feedback], zone: ZoneInfo, now: datetime) -> dict[str, Any]:
        tiers = self.data().get("sla_tiers") or {}

        def due_of(state: str, since: datetime, at: datetime) -> datetime | None:
            found = self.deadlines.at(customer_id, state, since, at)
            due = (found or {}).get("due")
            return datetime.fromisoformat(str(due).replace("Z", "+00:00")) if due else None

        answers = fig.answer_times(records, due_of, now, zone)
        tier = tiers.get(customer.get("tier")) or {}
        return {
            "customer": {"id": customer_id, "name": customer.get("name", customer_id),
                         "timezone": zone.key, "tier": customer.get("tier")},
            "empty": not records,
            "outcomes": fig.outcomes(records),
            "downtime_avoided": fig.downtime_avoided(records),
            "sla": fig.sla_used(granted, customer, tiers),
            "answer_times": {**answers, "within_hours": (tier.get("answer_within_hours") or {})
                             .get("awaiting_approval")},
            "grant_times": fig.grant_times(records, answers),
            "security": fig.security_items(self.security.of(customer_id, records), customer,
                                           zone, now),
            "feedback": fig.feedback_figures(feedback),
        }

    def _trend(self, first: Month, history: list[RequestRecord], feedback: list[Feedback],
               zone: ZoneInfo) -> list[dict[str, Any]]:
        """Per month of the last six: requests and what requesters said of them."""
        month_of = {r.id: Month.of(r.created_at.astimezone(zone)).key for r in history}
        rows = []
        for i in range(TREND_MONTHS):
            key = first.shift(i).key
            said = [f for f in feedback if month_of.get(f.request_id) == key]
            figures = fig.feedback_figures(said)
            rows.append({"month": key, "title": first.shift(i).title,
                         "requests": sum(1 for v in month_of.values() if v == key),
                         "feedback_answers": figures["answers"],
                         "helped_percent": figures["score_percent"]})
        return rows

    def _detail(self, record: RequestRecord, feedback: list[Feedback], zone: ZoneInfo
                ) -> dict[str, Any]:
        alternative = fig.chosen_alternative(record, {})
        return {
            "id": record.id, "asked_text": local_text(record.created_at, zone),
            "created_at": utc_text(record.created_at), "environment": record.environment,
            "access": record.request.access, "purpose": record.request.purpose,
            # what was asked, in words: a follow-up is named by the alternative it takes
            "what": (record.decision.chosen_alternative.title
                     if record.decision.chosen_alternative is not None
                     else record.request.access.replace("_", " ")),
            "requester": record.requester_subject, "outcome": record.outcome,
            "state": record.state, "answer": record.decision.summary,
            "alternative": ({"id": alternative.get("id"), "title": alternative.get("title")}
                            if alternative else None),
            "approved_by": record.approvers,
            "timeline": [{"at": utc_text(e.at), "at_text": local_text(e.at, zone),
                          "actor": e.actor, "action": e.action, "to": e.to_state}
                         for e in record.events],
            "feedback": [f.to_dict() for f in feedback if f.request_id == record.id],
        }

    def overview(self, month_text: Any, principal: Principal, sort: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
        """Every customer's month side by side, worst first, and the rules that hurt most."""
        now = now or self.clock()
        customers = self.data().get("customers") or {}
        rows = []
        everything: list[RequestRecord] = []
        if is_customer_role(principal.role):
            raise ForbiddenError("the overview of every customer is for the MSP's people")
        month = self._month(month_text, ZoneInfo(EARLIEST_ZONE), now)  # begun somewhere
        for cid in sorted(customers):
            zone = zone_of(customers[cid])
            if month.start(zone) > now:
                continue  # the month has not begun there yet
            report, records = self._build(cid, month.key, principal, now)
            everything += records
            rows.append(overview_row(report))
        return {"month": month.key, "title": month.title, "generated_at": utc_text(now),
                "sort": sort_rows(rows, sort), "customers": rows,
                "rules": fig.rules_that_hurt(everything)}


SORTS = ("worst", "name", "requests", "feedback", "late", "security", "sla")


def overview_row(report: Mapping[str, Any]) -> dict[str, Any]:
    answers = report["answer_times"]
    return {"customer": report["customer"]["id"], "name": report["customer"]["name"],
            "requests": report["outcomes"]["total"],
            "needs_approval": report["outcomes"]["needs_approval"],
            "deny": report["outcomes"]["deny"],
            "downtime_avoided_hours": report["downtime_avoided"]["hours"],
            "sla_used_minutes": report["sla"]["used_minutes"],
            "sla_over_budget": report["sla"]["over_budget"],
            "late": answers["late"] + answers["overdue"],
            "security_open": report["security"]["open"],
            "security_closed": report["security"]["closed"],
            "feedback_score": report["feedback"]["score_percent"],
            "feedback_answers": report["feedback"]["answers"]}


def sort_rows(rows: list[dict[str, Any]], sort: str | None) -> str:
    """Sort in place; ``worst`` (the default): lowest feedback score, then most deadlines
    missed, then most open security items. Returns the sort applied."""
    chosen = sort if sort in SORTS else "worst"
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "worst": lambda r: (r["feedback_score"] if r["feedback_score"] is not None else 101,
                            -r["late"], -r["security_open"], r["name"]),
        "name": lambda r: r["name"],
        "requests": lambda r: (-r["requests"], r["name"]),
        "feedback": lambda r: (r["feedback_score"] if r["feedback_score"] is not None else 101,
                               r["name"]),
        "late": lambda r: (-r["late"], r["name"]),
        "security": lambda r: (-r["security_open"], -r["security_closed"], r["name"]),
        "sla": lambda r: (-r["sla_used_minutes"], r["name"]),
    }
    rows.sort(key=keys[chosen])
    return chosen
