"""The ``opa`` engine: the decision evaluated on an OPA server, through ``opa-python-client``.

The policy stays where the OPA server has it; Gatekeeper keeps its own copy of the bundle
(GATEKEEPER_POLICIES) for the catalogue and to know which revision to expect. Before the
first decision, and again after any failure, the engine checks that the server holds a
bundle with that revision (``GET /v1/data/system/bundles``, where OPA keeps each bundle's
manifest) and a rule at the entry point (``GET /v1/policies``). Every query asks for OPA's
provenance too, so an answer from another revision (the server loaded a new bundle) is
refused. While a check fails, every evaluation raises ``EngineError`` naming the server and
the cause -- down, slow, an error, no entry point, another revision -- and the service
answers 503: never a guess.

Each thread has its own client (a ``requests`` session), so connections are reused and no
session is shared between threads.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
import urllib3
from opa_client.errors import PolicyNotFoundError
from opa_client.opa import OpaClient

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle
from gatekeeper.engine.opa_server import OpaServer
from gatekeeper.engine.refs import path_parts
from gatekeeper.engine.regorus_engine import input_json

log = structlog.get_logger(__name__)

# A failed check is repeated at most this often; meanwhile decisions fail with its cause.
RECHECK_SECONDS = 1.0
# The code Gatekeeper's Data API gives a path that names no package and no data.
UNKNOWN_PATH_CODE = "unknown_data_path"
_MAX_DETAIL = 200


def _client(server: OpaServer) -> OpaClient:
    """An ``OpaClient`` for ``server``; the URL may carry a path prefix (a proxy)."""
    parts = urlsplit(server.url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    prefix = parts.path.strip("/")
    # The client takes verification from ``ssl``: a CA file path, or True for the system's.
    ssl: bool | str = (server.ca_file or True) if https else False
    client = OpaClient(host=parts.hostname or "", port=port, ssl=ssl,
                       version=f"{prefix}/v1" if prefix else "v1", token=server.token,
                       retries=1, timeout=server.timeout_seconds)
    session = client._session  # the client has no option for these: its session's own
    if https and not server.verify:
        session.verify = False
    if https and (server.ca_file or not server.verify):
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's verify
        session.trust_env = False
    return client


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "…"


class OpaEngine:
    """Evaluates on an OPA server; ``bundle`` is Gatekeeper's copy (the revision to expect)."""

    name = "opa"

    def __init__(self, bundle: PolicyBundle, server: OpaServer | None = None,
                 entrypoint: str = DECISION_PATH) -> None:
        if server is None:
            raise EngineError("engine 'opa' needs the OPA server's address: set "
                              "GATEKEEPER_OPA_URL")
        self.bundle = bundle
        self.server = server
        self.entrypoint = entrypoint
        self._local = threading.local()
        self._lock = threading.RLock()
        self._problem: str | None = "not checked yet"
        self._checked_at = 0.0
        self._ensure_ready(force=True, raise_error=False)

    # -- the clients ------------------------------------------------------------------------

    def _thread_client(self) -> OpaClient:
        client: OpaClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = _client(self.server)
        return client

    def prepare_thread(self) -> None:
        """Build this thread's client (no request is sent)."""
        self._thread_client()

    def _fail(self, cause: str) -> EngineError:
        return EngineError(f"OPA server {self.server.url}: {cause}")

    def _call(self, what: str, call: Any) -> Any:
        """Run one client call; every failure becomes an ``EngineError`` naming its cause."""
        try:
            return call()
        except requests.ConnectionError as exc:  # Timeout too; a retried one arrives as this
            timed_out, cause = _network_cause(exc)
            if timed_out:
                raise self._unreachable(f"{what}: no answer within "
                                        f"{self.server.timeout_seconds:g} s") from None
            raise self._unreachable(f"{what}: cannot connect ({cause})") from None
        except requests.HTTPError as exc:
            raise self._fail(f"{what}: {_http_problem(exc.response)}") from None
        except PolicyNotFoundError as exc:  # get_data: an error status, or no result at all
            if exc.expression == "PolicyNotFoundError":
                return {}
            detail = "" if exc.message == "requested data not found" else \
                f": {_short(str(exc.message))}"
            raise self._fail(f"{what}: refused ({exc.expression}{detail})") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._fail(f"{what}: {_short(str(exc))}") from None

    def _unreachable(self, cause: str) -> EngineError:
        """The server is down or slow: decisions fail with this cause, without asking it
        again, until the next check (``RECHECK_SECONDS``)."""
        error = self._fail(cause)
        self._mark_failed(error.detail)
        return error

    # -- the start check --------------------------------------------------------------------

    @property
    def problem(self) -> str | None:
        """Why the server may not decide now (None: it holds the expected bundle)."""
        return self._problem

    def unavailable(self) -> str | None:
        """``problem``, checking the server again first when a check is due (``/readyz``)."""
        self._ensure_ready(raise_error=False)
        return self._problem

    def _check(self) -> None:
        client = self._thread_client()
        found = self._call("reading its bundles (/v1/data/system/bundles)",
                           lambda: client.get_data("system/bundles"))
        bundles = found.get("result")
        revisions = _revisions(bundles)
        if not revisions:
            raise self._fail("holds no bundle (nothing under data.system.bundles)")
        if self.bundle.revision not in revisions.values():
            served = ", ".join(f"{name}: {rev or 'none'}" for name, rev in revisions.items())
            raise self._fail(f"serves another revision ({served}), not "
                             f"{self.bundle.revision}")
        info = self._call("listing its policies (/v1/policies)",
                          lambda: client.get_policies_info())
        wanted = f"{client.root_url}/data/" + "/".join(path_parts(self.entrypoint))
        if not any(wanted in entry.get("rules", []) for entry in info.values()):
            raise self._fail(f"has no rule at the entry point {self.entrypoint}")

    def _ensure_ready(self, *, force: bool = False, raise_error: bool = True) -> None:
        """Check the server unless it passed; a failed check is repeated at most every
        ``RECHECK_SECONDS`` (meanwhile its cause is raised again)."""
        if self._problem is None:
            return
        with self._lock:
            now = time.monotonic()
            if self._problem is not None and (force or now - self._checked_at
                                              >= RECHECK_SECONDS):
                self._checked_at = now
                try:
                    self._check()
                except EngineError as exc:
                    self._problem = exc.detail
                    log.warning("opa_server_check_failed", problem=exc.detail)
                else:
                    self._problem = None
                    log.info("opa_server_checked", url=self.server.url,
                             revision=self.bundle.revision)
            problem = self._problem
        if problem is not None and raise_error:
            raise EngineError(problem)

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Value of ``path`` for ``input`` on the server; None when undefined."""
        parts = path_parts(path)
        input_json(input)  # a non-JSON input is the caller's bug: say so before sending it
        self._ensure_ready()
        client = self._thread_client()
        try:
            answer = self._call(f"evaluating {path}", lambda: client.query_rule(
                dict(input), "/".join(parts),
                query_params={"provenance": "true", "strict-builtin-errors": "true"}))
        except EngineError as exc:
            if UNKNOWN_PATH_CODE in exc.detail:
                return None
            raise
        if not isinstance(answer, dict):
            raise self._fail(f"evaluating {path}: the answer is not a JSON object")
        revisions = _revisions((answer.get("provenance") or {}).get("bundles"))
        if revisions and self.bundle.revision not in revisions.values():
            served = ", ".join(f"{rev}" for rev in revisions.values())
            error = self._fail(f"answered from revision {served}, not {self.bundle.revision}")
            self._mark_failed(error.detail)
            raise error
        return answer.get("result")

    def _mark_failed(self, problem: str) -> None:
        """The server may not decide: check it again, ``RECHECK_SECONDS`` from now."""
        with self._lock:
            self._problem = problem
            self._checked_at = time.monotonic()


def _revisions(bundles: Any) -> dict[str, str]:
    """Bundle name -> revision, from ``data.system.bundles`` (``{name: {manifest: …}}``) or
    OPA's provenance (``{name: {revision: …}}``)."""
    if not isinstance(bundles, dict):
        return {}
    found: dict[str, str] = {}
    for name, entry in bundles.items():
        if not isinstance(entry, dict):
            continue
        manifest = entry.get("manifest")
        revision = manifest.get("revision") if isinstance(manifest, dict) \
            else entry.get("revision")
        found[str(name)] = revision if isinstance(revision, str) else ""
    return found


_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")


def _network_cause(exc: requests.RequestException) -> tuple[bool, str]:
    """(timed out?, the cause in a few words) of a failed connection: the operating
    system's error when there is one ("[Errno 111] Connection refused")."""
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError: the last error
    refused = isinstance(reason, urllib3.exceptions.NewConnectionError)  # a TimeoutError too
    if not refused and (isinstance(exc, requests.Timeout)
                        or isinstance(reason, urllib3.exceptions.TimeoutError)):
        return True, "timed out"
    text = str(reason)
    found = _ERRNO.search(text)
    return False, _short(found.group(0).strip() if found else text)


def _http_problem(response: requests.Response | None) -> str:
    """``HTTP 500: <the server's message>`` from an OPA error or a problem+json body."""
    if response is None:
        return "an HTTP error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("detail") or body.get("message") or json.dumps(body)
        code = body.get("code")
        text = f"{code}: {message}" if code else str(message)
    else:
        text = response.text or response.reason or ""
    return f"HTTP {response.status_code}: {_short(text)}"
