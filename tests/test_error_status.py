"""One error-to-status map: the same domain error answers the same status through both doors."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Blueprint, Flask

import gatekeeper.domain.errors as errors_module
import gatekeeper.policyci.errors  # noqa: F401 - its SourceError is a GatekeeperError too
from gatekeeper.domain import (
    AuthenticationError,
    BundleError,
    ConflictError,
    FieldError,
    GatekeeperError,
    MalformedBodyError,
    TooManyAttemptsError,
    ValidationError,
)
from gatekeeper.server.authorizer import PUBLIC_ATTRIBUTE
from gatekeeper.server.errors import DEFAULT_STATUS, STATUS_BY_ERROR, status_for
from gatekeeper.web.common import html_errors


def _subclasses(cls: type[GatekeeperError]) -> set[type[GatekeeperError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


ERRORS = sorted(_subclasses(GatekeeperError), key=lambda c: c.__name__)


def sample(cls: type[GatekeeperError]) -> GatekeeperError:
    """One instance of ``cls``, whatever its constructor asks for."""
    if issubclass(cls, ValidationError):
        return cls([FieldError("need", "is required")])
    if issubclass(cls, BundleError):
        return cls("data/catalog.json", "not valid", line=3)
    if issubclass(cls, AuthenticationError):
        return cls("the token is unknown", reason="unknown")
    if issubclass(cls, TooManyAttemptsError):
        return cls("wait a minute", retry_after=60)
    if issubclass(cls, ConflictError):
        return cls("the request was decided meanwhile", state="approved")
    return cls("it went wrong")


@pytest.fixture
def raising_app(app: Flask, tmp_path: Path) -> Flask:
    """The app with one public JSON endpoint and one public web page that raise on demand."""
    by_name = {cls.__name__: cls for cls in ERRORS}

    def raise_it(name: str) -> str:
        raise sample(by_name[name])

    api = Blueprint("raising_api", "gatekeeper.api.raising", root_path=str(tmp_path))
    web = Blueprint("raising_web", "gatekeeper.web.raising", root_path=str(tmp_path))
    html_errors(web)
    for bp in (api, web):
        view = bp.route("/raise/<name>", endpoint="raise_it")(raise_it)
        setattr(view, PUBLIC_ATTRIBUTE, True)
    app.register_blueprint(api, url_prefix="/v1/test")
    app.register_blueprint(web, url_prefix="/test")
    return app


def test_every_domain_error_module_class_is_covered() -> None:
    """The parametrization below really walks every error the domain defines."""
    defined = {v for v in vars(errors_module).values()
               if isinstance(v, type) and issubclass(v, GatekeeperError)}
    assert defined <= set(ERRORS)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_both_doors_answer_the_status_of_the_one_map(raising_app: Flask,
                                                     cls: type[GatekeeperError]) -> None:
    expected = status_for(sample(cls))
    client = raising_app.test_client()
    api = client.get(f"/v1/test/raise/{cls.__name__}")
    page = client.get(f"/test/raise/{cls.__name__}")
    assert api.status_code == expected and api.content_type == "application/problem+json"
    assert page.status_code == expected and "text/html" in page.content_type
    assert api.get_json()["status"] == expected


@pytest.mark.parametrize(("cls", "status"), [
    (ConflictError, 409), (ValidationError, 422), (AuthenticationError, 401),
    (TooManyAttemptsError, 429), (BundleError, 503), (GatekeeperError, DEFAULT_STATUS),
])
def test_the_map_names_the_status_of_each_kind_of_error(cls: type[GatekeeperError],
                                                        status: int) -> None:
    assert status_for(sample(cls)) == status


def test_the_most_specific_class_wins() -> None:
    """A malformed body is a validation error, but its own 400, whatever the map's order."""
    assert STATUS_BY_ERROR[ValidationError] == 422
    assert status_for(sample(MalformedBodyError)) == 400
