"""The ceiling for the decision benchmark: the bare echo plus one engine evaluation.

Each request parses its JSON body as the echo does, then asks the engine for the decision of
one fixed engine input (the full-admin example with its context, built at start as
``gatekeeper check`` builds it) and sends the decision back. No token check, no validation,
no ledger, no log: whatever ``POST /v1/decisions`` costs beyond this is the service's own
Python. Its share of the echo is the most any Python request path on this engine could get.
Engine: ``GATEKEEPER_ENGINE`` (default ``regorus-rvm``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, jsonify, request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatekeeper.engine import create_engine, load_bundle  # noqa: E402
from gatekeeper.policyci.sources import item_from_document  # noqa: E402

_EXAMPLE = next(p for p in sorted((ROOT / "examples" / "requests").glob("*.json"))
                if "full_admin" in p.name)
_ITEM = item_from_document(_EXAMPLE.name, json.loads(_EXAMPLE.read_text()), datetime.now(UTC))
if _ITEM.input is None:
    raise SystemExit(f"{_EXAMPLE}: {_ITEM.problem}")
_INPUT = _ITEM.input
_ENGINE = create_engine(os.environ.get("GATEKEEPER_ENGINE", "regorus-rvm"),
                        load_bundle(Path(os.environ.get("GATEKEEPER_POLICIES",
                                                        ROOT / "policies"))))
_ENGINE.evaluate(_INPUT)  # fail at start, not on the first request

app = Flask(__name__)


@app.post("/echo")
def echo_and_decide() -> Response:
    """Parse the JSON body, evaluate the fixed input, answer with the decision."""
    request.get_json()
    return jsonify(_ENGINE.evaluate(_INPUT))
