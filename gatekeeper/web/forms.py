"""Reading the browser's forms into the service layer's JSON bodies, with per-field errors.

Form-level input validation only (is it filled in, is it a number, is the reason more than a
throw-away word); the service validates the body again and the policy decides.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from gatekeeper.domain import FieldError
from gatekeeper.domain.request import MAX_DURATION_HOURS, URGENCIES, format_timestamp
from gatekeeper.web.present import from_input_value

# Words that carry no reason on their own: "asap", "urgent", "need it", "see ticket" ...
THROWAWAY_WORDS = frozenset((
    "asap", "urgent", "urgently", "now", "today", "please", "pls", "plz", "need", "needed",
    "needs", "it", "its", "required", "important", "because", "bc", "test", "testing", "tbd",
    "todo", "fyi", "na", "n", "a", "none", "nothing", "see", "ticket", "x", "xx", "xxx", "ok",
    "yes", "y", "no", "reason", "why", "just", "do", "this", "that",
))
JUSTIFICATION_HINT = (
    "Say in a sentence why this is needed — for example what waits or breaks without it."
)


def justification_problem(text: str) -> str | None:
    """Why a justification is too thin to act on, or None when it explains something.

    Refused: empty, fewer than two meaningful words, or fewer than ten letters in all —
    "", ".", "asap", "urgent", "need it now", "see ticket".
    """
    words = re.findall(r"[^\W_]+", text.lower())
    meaningful = [w for w in words if w not in THROWAWAY_WORDS]
    letters = sum(ch.isalpha() for ch in text)
    if not text.strip():
        return "Tell us why you need this. " + JUSTIFICATION_HINT
    if len(meaningful) < 2 or letters < 10:
        shown = text.strip()[:40]
        return f"“{shown}” does not tell the MSP why. " + JUSTIFICATION_HINT
    return None


@dataclass
class FormResult:
    """A parsed form: the body for the service, the values to show again, and the errors."""

    body: dict[str, Any]
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, problem: str) -> None:
        self.errors.setdefault(name, []).append(problem)

    @property
    def ok(self) -> bool:
        return not self.errors


# Service field names -> the form field that shows the problem.
FIELD_OF = {"customer": "environment", "environment": "environment", "start": "start"}
FORM_FIELDS = ("environment", "purpose", "need", "access", "systems", "start",
               "duration_hours", "justification", "urgency", "ticket")


def field_of(service_field: str) -> str:
    """Where a service FieldError belongs on the form (``systems.2`` -> ``systems``)."""
    head = service_field.split(".", 1)[0]
    head = FIELD_OF.get(head, head)
    return head if head in FORM_FIELDS else ""


def merge_service_errors(result: FormResult, errors: Iterable[FieldError]) -> None:
    for error in errors:
        result.add(field_of(error.field), _sentence(error.problem))


def _sentence(problem: str) -> str:
    return problem[:1].upper() + problem[1:] if problem else problem


def new_form_values(customers: list[dict[str, Any]]) -> dict[str, Any]:
    """Defaults of an empty form: the only environment preselected when there is one."""
    targets = [f"{c['id']}/{e['id']}" for c in customers for e in c["environments"]]
    return {
        "environment": targets[0] if len(targets) == 1 else "",
        "purpose": "", "need": "", "access": "", "systems": [], "start": "",
        "duration_hours": "", "justification": "", "urgency": "normal", "ticket": "",
        "idempotency_key": str(uuid.uuid4()),
    }


def parse_new_request(
    form: MultiDict[str, str], customers: list[dict[str, Any]], timezones: Mapping[str, str]
) -> FormResult:
    """The access-request form -> a JSON body for ``RequestService.submit``."""
    values: dict[str, Any] = {name: form.get(name, "").strip() for name in FORM_FIELDS}
    values["systems"] = form.getlist("systems")
    values["idempotency_key"] = form.get("idempotency_key", "") or str(uuid.uuid4())
    result = FormResult(body={}, values=values)

    known = {f"{c['id']}/{e['id']}": (c, e) for c in customers for e in c["environments"]}
    customer_id = environment_id = ""
    if not values["environment"]:
        result.add("environment", "Choose the environment the access is for.")
    elif values["environment"] not in known:
        result.add("environment", "Choose one of the environments listed.")
    else:
        customer_id, environment_id = values["environment"].split("/", 1)

    if not values["purpose"]:
        result.add("purpose", "Choose what you need to accomplish.")
    if not values["need"]:
        result.add("need", "Describe in your own words what you need to get done.")
    elif len(values["need"]) < 5:
        result.add("need", "Say a little more about what you need to get done.")
    if not values["access"]:
        result.add("access", "Choose the access you would like.")

    systems: list[str] = []
    for item in values["systems"]:
        target, _, system = item.rpartition("/")
        if customer_id and target != values["environment"]:
            env_name = known.get(target, ({}, {"name": target}))[1].get("name", target)
            result.add("systems", f"{system} belongs to {env_name}, not to the environment "
                                  "you chose; untick it or choose that environment.")
        elif system:
            systems.append(system)

    start = None
    if values["start"]:
        try:
            start = from_input_value(values["start"], timezones.get(customer_id))
        except (ValueError, OverflowError):  # e.g. 0001-01-01 00:00 east of UTC
            result.add("start", "Give a date and time, e.g. 2026-11-23 09:00, or leave it empty "
                                "to start as soon as access is granted.")

    duration: float | None = None
    if not values["duration_hours"]:
        result.add("duration_hours", "Say for how many hours you need the access.")
    else:
        try:
            duration = float(values["duration_hours"].replace(",", "."))
            if not 0 < duration <= MAX_DURATION_HOURS:
                raise ValueError
        except ValueError:
            result.add("duration_hours",
                       f"Give a number of hours above 0 and at most {MAX_DURATION_HOURS}.")

    problem = justification_problem(values["justification"])
    if problem:
        result.add("justification", problem)
    if values["urgency"] not in URGENCIES:
        result.add("urgency", "Choose how urgent this is.")
    if len(values["ticket"]) > 200:
        result.add("ticket", "A ticket reference has at most 200 characters.")

    result.body = {
        "customer": customer_id,
        "environment": environment_id,
        "access": values["access"],
        "purpose": values["purpose"],
        "need": values["need"],
        "systems": systems,
        "duration_hours": duration,
        "justification": values["justification"],
        "urgency": values["urgency"] or "normal",
    }
    if start is not None:
        result.body["start"] = format_timestamp(start)
    if values["ticket"]:
        result.body["ticket"] = values["ticket"]
    return result


def reason(form: Mapping[str, str]) -> str | None:
    text = (form.get("reason") or "").strip()
    return text or None


def parse_approval(
    form: MultiDict[str, str], current_duration: float
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The console's approve form -> ``{"duration_hours"?, "systems"?, "reason"?}``."""
    body: dict[str, Any] = {"reason": reason(form)}
    errors: dict[str, list[str]] = {}
    raw = (form.get("duration_hours") or "").strip()
    if raw:
        try:
            duration = float(raw.replace(",", "."))
        except ValueError:
            errors["duration_hours"] = ["Give a number of hours, or leave it empty."]
        else:
            if duration != current_duration:
                body["duration_hours"] = duration
    if form.get("narrow_systems"):
        body["systems"] = form.getlist("systems")
        if not body["systems"]:
            errors["systems"] = ["Tick at least one system, or grant the whole request."]
    return body, errors
