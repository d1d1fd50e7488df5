"""The OpenAPI document is the truth: Schemathesis generates requests for every operation from
the served document and checks each answer against it (no 5xx, a documented status, the
documented content type and response schema). Bounded here; `make fuzz` goes deeper."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from gatekeeper.app import create_app  # noqa: E402
from gatekeeper.bootstrap import services  # noqa: E402
from tests.conftest import POLICIES  # noqa: E402

EXAMPLES = int(os.environ.get("GATEKEEPER_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


FOLDER = Path(tempfile.mkdtemp(prefix="gatekeeper-fuzz-"))


def _app() -> Flask:
    """One app on a throw-away SQLite file, built at collection: Schemathesis reads its
    document to generate the tests (its fixture-based loader does not run on pytest 9)."""
    folder = FOLDER
    return create_app({"TESTING": True, "POLICIES": str(POLICIES),
                       "DATABASE_URL": f"sqlite:///{folder / 'fuzz.db'}",
                       "INSTANCE_PATH": str(folder), "LOG_LEVEL": "WARNING"})


APP = _app()
ENGINEER = {"Authorization": "Bearer "
            + services(APP).identity.create_token("fuzz", "engineer").token}
schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", APP)
# Valid requests and invalid ones: what the document forbids must be refused with a 4xx.
schema.config.generation.modes = list(GenerationMode)


@pytest.fixture(scope="module", autouse=True)
def _clean_up() -> Iterator[None]:
    yield
    services(APP).close()
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any) -> None:
    case.call_and_validate(headers=ENGINEER, checks=CHECKS)
