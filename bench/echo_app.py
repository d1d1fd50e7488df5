"""The floor for the decision benchmark: a bare Flask app that echoes a JSON body."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/echo")
def echo():  # type: ignore[no-untyped-def]
    """Parse the JSON body and send it back: HTTP + Flask + JSON, no policy."""
    return jsonify(request.get_json())
