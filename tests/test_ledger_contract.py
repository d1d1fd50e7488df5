"""The Ledger contract, run against SQLite and PostgreSQL through real connections."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from gatekeeper.domain import (
    AccessRequest,
    ConflictError,
    Decision,
    Grant,
    NotFoundError,
    PolicyRef,
    UnavailableError,
    ValidationError,
)
from gatekeeper.ledger import (
    Change,
    Database,
    Event,
    IdempotencyConflict,
    NewRequest,
    RequestQuery,
    RequestRecord,
    SituationQuery,
    SqlLedger,
    StoredResponse,
    current_revision,
    downgrade,
    head_revision,
    open_ledger,
    upgrade,
)
from gatekeeper.ledger.models import Base

T0 = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)
REQUEST = AccessRequest(customer="acme", environment="production", access="full_admin",
                        purpose="software_install", need="install ✓", justification="ERP",
                        duration_hours=8.0)
DECISION = Decision("d-1", "allow_with_consequences", "Costs downtime", PolicyRef("rev", "test"))


def make_record(
    at: datetime = T0, customer: str = "acme", state: str = "awaiting_acceptance",
    requester: str = "alice", **kw: object,
) -> RequestRecord:
    events = (
        Event(requester, at, None, "submitted", "submit"),
        Event("gatekeeper", at, "submitted", state, "decide", None, {"outcome": "x"}),
    )
    fields: dict[str, object] = dict(
        id=str(uuid.uuid4()), customer=customer, environment="production",
        requester_subject=requester, requester_organisation=customer, state=state,
        request=REQUEST, decision=DECISION,
        policy_revision="rev", outcome="allow_with_consequences", created_at=at,
        updated_at=at, grant=Grant(8.0), events=events,
    )
    fields.update(kw)
    return RequestRecord(**fields)  # type: ignore[arg-type]


def test_migrations_create_exactly_the_models(ledger: SqlLedger) -> None:
    with ledger.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert current_revision(ledger.db) == head_revision()
    names = set(inspect(ledger.db.engine).get_table_names())
    assert {"access_requests", "events", "idempotency_keys", "alembic_version"} <= names


def test_upgrade_is_idempotent_and_downgrade_reverses(db_url: str) -> None:
    db = Database(db_url)
    assert upgrade(db) == head_revision()
    assert upgrade(db) == head_revision()
    assert downgrade(db, "base") is None
    assert "access_requests" not in inspect(db.engine).get_table_names()
    assert upgrade(db) == head_revision()
    db.dispose()


def test_create_then_get_round_trips_everything(ledger: SqlLedger) -> None:
    record = make_record(grant_starts_at=T0, grant_ends_at=T0 + timedelta(hours=8))
    created = ledger.create(NewRequest(record))
    got = ledger.get(record.id)
    assert created == got
    assert got.request == REQUEST and got.request.need == "install ✓"
    assert got.decision == DECISION
    assert got.created_at == T0 and got.created_at.tzinfo is not None
    assert got.grant_ends_at == T0 + timedelta(hours=8)
    assert [(e.seq, e.action, e.from_state, e.to_state) for e in got.events] == [
        (1, "submit", None, "submitted"),
        (2, "decide", "submitted", "awaiting_acceptance"),
    ]
    assert got.version == 1


def test_unknown_id_is_not_found(ledger: SqlLedger) -> None:
    with pytest.raises(NotFoundError):
        ledger.get("no-such-id")
    with pytest.raises(NotFoundError):
        ledger.transition("no-such-id", lambda r: pytest.fail("step must not run"))


def test_idempotency_key_is_recorded_with_the_request_and_taken_once(ledger: SqlLedger) -> None:
    first = make_record()
    stored = StoredResponse("alice", "key-1", "h1", first.id, 201, {"id": first.id})
    ledger.create(NewRequest(first, stored))
    assert ledger.find_response("alice", "key-1") == stored
    assert ledger.find_response("bob", "key-1") is None  # keys are scoped by requester
    second = make_record()
    with pytest.raises(IdempotencyConflict) as caught:
        ledger.create(NewRequest(second, replace(stored, request_id=second.id)))
    assert caught.value.stored == stored
    with pytest.raises(NotFoundError):
        ledger.get(second.id)  # nothing of the loser was written
    assert ledger.count() == 1


def test_search_filters_and_pages_newest_first(ledger: SqlLedger) -> None:
    records = [
        make_record(at=T0 + timedelta(minutes=i), customer="acme" if i % 2 else "globex",
                    state="granted" if i % 3 == 0 else "awaiting_approval",
                    requester=f"user{i % 2}")
        for i in range(7)
    ]
    # two records at the very same instant must still page without loss or repeat
    records.append(make_record(at=T0 + timedelta(minutes=3), customer="acme"))
    for r in records:
        ledger.create(NewRequest(r))
    seen: list[str] = []
    cursor = None
    while True:
        page = ledger.search(RequestQuery(limit=3, cursor=cursor))
        assert len(page.items) <= 3
        seen += [r.id for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = [r.id for r in sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)]
    assert seen == expected
    acme = ledger.search(RequestQuery(customer="acme"))
    assert {r.customer for r in acme.items} == {"acme"} and len(acme.items) == 4
    granted = ledger.search(RequestQuery(states=("granted",)))
    assert {r.state for r in granted.items} == {"granted"} and len(granted.items) == 3
    by_user = ledger.search(RequestQuery(requester="user1"))
    assert len(by_user.items) == 3
    window = ledger.search(RequestQuery(created_from=T0 + timedelta(minutes=2),
                                        created_until=T0 + timedelta(minutes=4)))
    assert len(window.items) == 3
    assert window.items[0].events == ()  # listings carry no history


def test_a_foreign_cursor_is_a_validation_error(ledger: SqlLedger) -> None:
    with pytest.raises(ValidationError) as caught:
        ledger.search(RequestQuery(cursor="not-a-cursor"))
    assert caught.value.errors[0].field == "cursor"


def test_transition_applies_the_step_and_appends_one_event(ledger: SqlLedger) -> None:
    record = ledger.create(NewRequest(make_record()))
    at = T0 + timedelta(hours=1)

    def step(current: RequestRecord) -> Change:
        assert current.state == "awaiting_acceptance"
        event = Event("alice", at, current.state, "granted", "accept", "fine", {"c": [1]})
        return Change("granted", event, grant=Grant(4.0, ("a",)),
                      grant_starts_at=at, grant_ends_at=at + timedelta(hours=4))

    after = ledger.transition(record.id, step)
    assert after.state == "granted" and after.version == 2
    assert after.grant.to_dict() == {"duration_hours": 4.0, "systems": ["a"]}
    assert after.grant_ends_at == at + timedelta(hours=4)
    assert after.updated_at == at
    assert after.events[-1] == Event("alice", at, "awaiting_acceptance", "granted", "accept",
                                     "fine", {"c": [1]}, seq=3)


def test_a_failing_step_writes_nothing(ledger: SqlLedger) -> None:
    record = ledger.create(NewRequest(make_record()))

    def step(current: RequestRecord) -> Change:
        raise ConflictError("no", state=current.state)

    with pytest.raises(ConflictError):
        ledger.transition(record.id, step)
    assert ledger.get(record.id) == record


def test_a_transition_may_create_a_linked_follow_up(ledger: SqlLedger) -> None:
    parent = ledger.create(NewRequest(make_record()))
    child = make_record(parent_id=parent.id, alternative_id="software_portal", state="granted")

    def step(current: RequestRecord) -> Change:
        event = Event("alice", T0, current.state, "fulfilled_by_alternative", "choose")
        return Change("fulfilled_by_alternative", event, follow_up=child)

    after = ledger.transition(parent.id, step)
    assert after.follow_up_ids == (child.id,)
    linked = ledger.get(child.id)
    assert linked.parent_id == parent.id and linked.alternative_id == "software_portal"


def test_due_for_expiry_lists_only_ended_grants(ledger: SqlLedger) -> None:
    ended = make_record(state="granted", grant_ends_at=T0)
    running = make_record(state="granted", grant_ends_at=T0 + timedelta(hours=1))
    waiting = make_record(state="awaiting_approval")
    for r in (ended, running, waiting):
        ledger.create(NewRequest(r))
    assert ledger.due_for_expiry(T0) == [ended.id]
    assert sorted(ledger.due_for_expiry(T0 + timedelta(hours=2))) == sorted([ended.id, running.id])


def test_an_unreachable_database_is_unavailable(tmp_path: object) -> None:
    down = open_ledger("postgresql+psycopg://nobody@127.0.0.1:1/none", auto_upgrade=False)
    with pytest.raises(UnavailableError):
        down.get("x")
    with pytest.raises(UnavailableError):
        down.create(NewRequest(make_record()))
    with pytest.raises(UnavailableError):
        down.ping()


# -- the situation the policy decides with (input.context) ---------------------------------

def _with_downtime(hours: float) -> Decision:
    from gatekeeper.domain import Consequence

    downtime = Consequence(id="reprovisioning_downtime", rule="r", kind="downtime",
                           severity="high", summary="s", details={"downtime_hours": hours})
    return replace(DECISION, consequences=(downtime,))


def _situation_query(start: datetime, hours: float = 8.0) -> SituationQuery:
    return SituationQuery.around("acme", "production", start, hours)


def test_situation_counts_committed_downtime_of_the_month_and_overlaps(ledger: SqlLedger) -> None:
    """Granted, expired and accepted-awaiting-approval downtime of the month counts; an
    awaiting-approval request nobody accepted, another month, another environment and a
    withdrawn request do not. Overlaps are grants and open requests sharing the window."""
    start = datetime(2026, 11, 24, 8, tzinfo=UTC)
    at = datetime(2026, 11, 20, 9, tzinfo=UTC)

    def add(state: str, hours: float, begins: datetime, **kw: object) -> str:
        grant_kw: dict[str, object] = {}
        if state in ("granted", "expired", "revoked"):
            grant_kw = {"grant_starts_at": begins, "grant_ends_at": begins + timedelta(hours=8)}
        events: tuple[Event, ...] = (
            Event("alice", at, None, "submitted", "submit"),
            Event("gatekeeper", at, "submitted", state, "decide"),
        )
        if kw.pop("accepted", False):
            events += (Event("alice", at, "awaiting_acceptance", state, "accept", None,
                             {"consequences": ["reprovisioning_downtime"]}),)
        record = make_record(at=at, state=state, decision=_with_downtime(hours), events=events,
                             request=replace(REQUEST, start=begins,
                                             systems=tuple(kw.pop("systems", ()))),  # type: ignore[call-overload]
                             **grant_kw, **kw)
        for offset, event in enumerate(record.events):
            object.__setattr__(event, "seq", offset + 1)
        ledger.create(NewRequest(record))
        return record.id

    granted = add("granted", 8, start)
    expired = add("expired", 0.5, datetime(2026, 11, 2, 6, tzinfo=UTC))
    accepted = add("awaiting_approval", 4, datetime(2026, 11, 10, 8, tzinfo=UTC), accepted=True)
    waiting = add("awaiting_approval", 2, start + timedelta(hours=4), systems=["db-01"])
    pending = add("awaiting_acceptance", 8, start - timedelta(hours=2))
    add("granted", 8, datetime(2026, 10, 30, 8, tzinfo=UTC))  # last month
    add("withdrawn", 8, start)
    add("granted", 8, start, environment="staging")
    after = add("granted", 8, start + timedelta(hours=8))  # this month, but no overlap
    no_downtime = add("granted", 0, start - timedelta(hours=1))  # overlaps, no downtime

    situation = ledger.situation(_situation_query(start))
    used = {d.request_id: (d.state, d.downtime_hours) for d in situation.sla_downtime}
    assert used == {granted: ("granted", 8.0), expired: ("expired", 0.5),
                    accepted: ("awaiting_approval", 4.0), after: ("granted", 8.0)}
    overlapping = {o.request_id: o for o in situation.overlapping}
    assert set(overlapping) == {granted, waiting, pending, no_downtime}
    assert overlapping[waiting].systems == ("db-01",)
    assert overlapping[granted].starts_at == start
    assert overlapping[granted].ends_at == start + timedelta(hours=8)
    assert overlapping[pending].state == "awaiting_acceptance"
    as_input = situation.to_input()
    assert [d["request_id"] for d in as_input["sla_downtime"]] == sorted(used)
    assert as_input["overlapping"][0].keys() == {"request_id", "state", "access", "systems",
                                                 "starts_at", "ends_at"}


def test_situation_of_an_empty_ledger_is_empty(ledger: SqlLedger) -> None:
    situation = ledger.situation(_situation_query(datetime(2026, 12, 31, 23, tzinfo=UTC)))
    assert situation.to_input() == {"sla_downtime": [], "overlapping": []}
    query = _situation_query(datetime(2026, 12, 31, 23, tzinfo=UTC))
    assert (query.month_start, query.month_end) == (datetime(2026, 12, 1, tzinfo=UTC),
                                                    datetime(2027, 1, 1, tzinfo=UTC))


def test_the_sla_month_is_the_customers_own(ledger: SqlLedger) -> None:
    """A grant at 21:00 on 30 November in New York is 02:00 on 1 December in UTC: it is
    November's downtime there, as the customer's monthly report counts it."""
    new_york = ZoneInfo("America/New_York")
    begins = datetime(2026, 12, 1, 2, tzinfo=UTC)
    at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    late_november = make_record(
        at=at, state="granted", decision=_with_downtime(3),
        request=replace(REQUEST, start=begins),
        grant_starts_at=begins, grant_ends_at=begins + timedelta(hours=3))
    ledger.create(NewRequest(late_november))
    asked = datetime(2026, 11, 25, 15, tzinfo=UTC)
    local = SituationQuery.around("acme", "production", asked, 1, zone=new_york)
    # November in New York: from 00:00 EDT on the 1st (DST ends at 02:00 that day) to
    # 00:00 EST on 1 December
    assert (local.month_start, local.month_end) == (datetime(2026, 11, 1, 4, tzinfo=UTC),
                                                    datetime(2026, 12, 1, 5, tzinfo=UTC))
    assert [d.request_id for d in ledger.situation(local).sla_downtime] == [late_november.id]
    in_utc = SituationQuery.around("acme", "production", asked, 1)
    assert ledger.situation(in_utc).sla_downtime == ()
    # a request asked for 1 December 03:00 UTC is still in New York's November
    boundary = SituationQuery.around("acme", "production", datetime(2026, 12, 1, 3, tzinfo=UTC),
                                     1, zone=new_york)
    assert boundary.month_start == local.month_start


def test_situation_leaves_out_the_excluded_request(ledger: SqlLedger) -> None:
    """An extension is decided without its own grant: neither an overlap of the new window
    nor downtime already used; every other request still counts."""
    begins = datetime(2026, 11, 24, 8, tzinfo=UTC)
    at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    window = {"grant_starts_at": begins, "grant_ends_at": begins + timedelta(hours=8)}
    own = make_record(at=at, state="granted", decision=_with_downtime(8),
                      request=replace(REQUEST, start=begins), **window)
    other = make_record(at=at, state="granted", decision=_with_downtime(2),
                        request=replace(REQUEST, start=begins), **window)
    for record in (own, other):
        ledger.create(NewRequest(record))
    # the extension's window: 4 hours from the grant's end, still overlapping the other grant
    query = SituationQuery.around("acme", "production", begins + timedelta(hours=7), 4,
                                  exclude=own.id)
    situation = ledger.situation(query)
    assert [o.request_id for o in situation.overlapping] == [other.id]
    assert [d.request_id for d in situation.sla_downtime] == [other.id]
    unfiltered = ledger.situation(replace(query, exclude=None))
    assert {o.request_id for o in unfiltered.overlapping} == {own.id, other.id}
    assert {d.request_id for d in unfiltered.sla_downtime} == {own.id, other.id}


def test_a_decision_counts_the_downtime_of_the_customers_own_month(tmp_path: Path) -> None:
    """Through the app: Globex (New York) was granted 3 hours of downtime at 21:00 on
    30 November local time; a request for late November counts them as used this month."""
    from gatekeeper.app import create_app
    from gatekeeper.bootstrap import services
    from gatekeeper.domain import Principal
    from tests.conftest import POLICIES

    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "AUTH": "off",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'month.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    svc = services(app)
    begins = datetime(2026, 12, 1, 2, tzinfo=UTC)
    granted = make_record(
        at=datetime(2026, 11, 20, 9, tzinfo=UTC), customer="globex", state="granted",
        decision=_with_downtime(3),
        request=replace(REQUEST, customer="globex", start=begins),
        grant_starts_at=begins, grant_ends_at=begins + timedelta(hours=3))
    svc.ledger.create(NewRequest(granted))
    body = {"customer": "globex", "environment": "production", "access": "full_admin",
            "purpose": "software_install", "need": "install the ERP client",
            "justification": "vendor", "duration_hours": 2, "start": "2026-11-27T15:00:00Z"}
    engineer = Principal("eng@msp.example", "engineer", None)
    _, decision = svc.decisions.decide(body, engineer,
                                       now=datetime(2026, 11, 26, 15, tzinfo=UTC))
    (sla,) = [c for c in decision.consequences if c.kind == "sla"]
    assert sla.details["sla_minutes_used_this_month"] == 180
    svc.ledger.close()
