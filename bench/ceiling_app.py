"""The ceiling for the decision benchmark: the bare echo plus one engine evaluation.

Each request parses its JSON body as the echo does, then asks the engine for the decision of
one fixed engine input (the full-admin example with its context, built at start as
``gatekeeper check`` builds it) and sends the decision back. No token check, no validation,
no ledger, no log: whatever ``POST /v1/decisions`` costs beyond this is the service's own
Python. Its share of the echo is the most any Python request path on this engine could get.
Engine: ``GATEKEEPER_ENGINE`` (default ``regorus-rvm``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, Response, jsonify, request

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from engines import ROOT, example_inputs  # noqa: E402

from gatekeeper.engine import create_engine, load_bundle  # noqa: E402

_INPUT = next(item for name, item in example_inputs() if "full_admin" in name)
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
