"""OPA's Data API on Gatekeeper's bundle: ``POST|GET /v1/data/{path}`` and ``GET /v1/policies``.

Answers as OPA does -- ``{"result": …}``, no ``result`` key when the value is undefined --
with OPA's ``?metrics``, ``?provenance``, ``?pretty`` and ``?strict-builtin-errors`` (always
strict here). ``?explain`` other than ``off`` is refused: the engines keep no trace, and a
decision's ``reasons[]`` name every rule that fired. Errors are problem+json like every
other endpoint: a malformed body 400, a bad path or input 422, a path under no root 404, an
engine failure 503.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue

from gatekeeper import __version__, jsontext
from gatekeeper.api.decisions import json_response
from gatekeeper.api.jsonbody import json_body
from gatekeeper.bootstrap import services
from gatekeeper.domain import FieldError, MalformedBodyError, ValidationError
from gatekeeper.service import opa_data

bp = Blueprint("opa_data", __name__, url_prefix="/v1")

_OFF = ("", "off", "false", "0")


def _flag(name: str) -> bool:
    """OPA's boolean query parameters: present (``?metrics``) or ``=true``."""
    value = request.args.get(name)
    return value is not None and value.strip().lower() not in ("false", "0")


def _check_explain() -> None:
    explain = request.args.get("explain")
    if explain is not None and explain.strip().lower() not in _OFF:
        raise ValidationError([FieldError(
            "explain", "explanations are not available: Gatekeeper's engines keep no trace; "
                       "use ?explain=off, or a decision's reasons[]")])


def _answer(path: str, input: Any, has_input: bool) -> ResponseReturnValue:
    _check_explain()
    parts = opa_data.data_path(path)
    loaded = services(current_app).store.current
    started = time.perf_counter_ns()
    defined, value = opa_data.query(loaded, parts, input if has_input else None)
    body: dict[str, Any] = {"result": value} if defined else {}
    if _flag("metrics") or _flag("instrument"):
        body["metrics"] = {"timer_rego_query_eval_ns": time.perf_counter_ns() - started}
    if _flag("provenance"):
        body["provenance"] = {
            "version": f"gatekeeper {__version__}",
            "bundles": {opa_data.BUNDLE_NAME: {"revision": loaded.bundle.revision}}}
    if request.method == "POST" and not has_input:
        body["warning"] = {"code": "api_usage_warning",
                           "message": "'input' key missing from the request"}
    if _flag("pretty"):
        return current_app.response_class(json.dumps(body, indent=2) + "\n",
                                          mimetype="application/json")
    return json_response(body)


@bp.post("/data/<path:path>")
def query_post(path: str) -> ResponseReturnValue:
    """The value of ``data.<path>`` for the body's ``input``."""
    if not request.get_data(cache=True):
        return _answer(path, None, False)
    body = json_body()
    if not isinstance(body, dict):
        raise MalformedBodyError([FieldError("", "the body must be a JSON object, e.g. "
                                                 '{"input": {…}}')],
                                 detail="the body is not a JSON object")
    return _answer(path, body.get("input"), "input" in body)


@bp.get("/data/<path:path>")
def query_get(path: str) -> ResponseReturnValue:
    """The value of ``data.<path>``, for ``?input=<JSON>`` when given."""
    raw = request.args.get("input")
    if raw is None:
        return _answer(path, None, False)
    try:
        input = jsontext.loads(raw)
    except ValueError as exc:
        raise MalformedBodyError([FieldError("input", f"malformed JSON: {exc}")],
                                 detail="the input parameter is not valid JSON") from None
    return _answer(path, input, True)


@bp.get("/policies", strict_slashes=False)
def policies() -> ResponseReturnValue:
    """The bundle's modules as OPA lists them (id, raw text, package and rule heads)."""
    loaded = services(current_app).store.current
    return json_response({"result": opa_data.policies_document(loaded.bundle)})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
