"""Query parameters, form fields and URL parts the ledger cannot store are refused (422).

The JSON door checks its bodies in ``api/jsonbody.py``; this hook covers everything else a
caller can type, on both doors, before authentication or any view touches a database, so
SQLite and PostgreSQL answer such input alike.
"""

from __future__ import annotations

from flask import Flask, request

from gatekeeper.domain import FieldError, ValidationError
from gatekeeper.domain.text import text_problem

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_input() -> None:
    """Raise a ValidationError naming each parameter, field or URL part with bad text."""
    errors: list[FieldError] = []

    def check(name: str, value: object) -> None:
        if not isinstance(value, str):
            return
        problem = text_problem(name) or text_problem(value)
        if problem:
            errors.append(FieldError(name if not text_problem(name) else "(name)", problem))

    for name, value in (request.view_args or {}).items():
        check(name, value)
    for name, value in request.args.items(multi=True):
        check(name, value)
    if request.mimetype in FORMS:
        for name, value in request.form.items(multi=True):
            check(name, value)
    if errors:
        raise ValidationError(errors)


def init_app(app: Flask) -> None:
    """Run first of all before-request hooks: before the guard looks anything up."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_input)
