"""Engine ``opa`` across the wire: pointed at a second Gatekeeper (``gatekeeper serve`` in a
subprocess) through its Data API with ``opa-python-client``, it answers every example and
1,000 synthetic requests exactly as the embedded engine does; and it fails closed -- a 503
naming the server and the cause -- while the server is down, slow, failing, lacks the entry
point or serves another revision, and recovers once the server is right."""

from __future__ import annotations

import http.server
import itertools
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain.errors import EngineError, GatekeeperError
from gatekeeper.engine import DEFAULT_ENGINE, Engine, OpaServer, create_engine, load_bundle
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.expectations import example_input
from gatekeeper.engine.opa_engine import OpaEngine
from gatekeeper.policyci.engine_agreement import synthetic_samples
from tests.conftest import load_example
from tests.opa_fixtures import ServerFor, ci_token, opa_servers, server_env  # noqa: F401
from tests.serve_helpers import serving
from tests.test_engine_contract import EXAMPLES, FIXTURES, REPO

SYNTHETIC = 1000


@pytest.fixture(scope="module")
def bundle() -> PolicyBundle:
    return load_bundle(REPO / "policies")


@pytest.fixture(scope="module")
def embedded(bundle: PolicyBundle) -> Engine:
    return create_engine(DEFAULT_ENGINE, bundle)


@pytest.fixture(scope="module")
def remote(bundle: PolicyBundle, opa_servers: ServerFor) -> Engine:  # noqa: F811
    """Engine opa on a Gatekeeper serving the same policies with the default engine."""
    engine = create_engine("opa", bundle, opa=opa_servers(REPO / "policies", DEFAULT_ENGINE))
    assert isinstance(engine, OpaEngine) and engine.problem is None, engine.problem
    return engine


def answer(engine: Engine, payload: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", engine.evaluate(payload)
    except GatekeeperError as exc:
        return "error", type(exc).__name__


def test_every_example_is_answered_as_the_embedded_engine_does(
        remote: Engine, embedded: Engine) -> None:
    assert EXAMPLES
    for example in EXAMPLES:
        payload = example_input(json.loads(example.read_text(encoding="utf-8")))
        got, expected = remote.evaluate(payload), embedded.evaluate(payload)
        assert expected is not None, example.name
        assert got == expected, f"{example.name}: opa differs from {embedded.name}"


def test_a_thousand_synthetic_requests_are_answered_as_the_embedded_engine_does(
        remote: Engine, embedded: Engine, bundle: PolicyBundle) -> None:
    samples = list(itertools.islice(
        synthetic_samples(bundle.data, SYNTHETIC * 2, datetime.now(UTC)), SYNTHETIC))
    assert len(samples) == SYNTHETIC
    with ThreadPoolExecutor(max_workers=4) as pool:  # each thread its own client
        remote_answers = list(pool.map(lambda s: answer(remote, s.input), samples))
    differing = [s.label for s, got in zip(samples, remote_answers, strict=True)
                 if got != answer(embedded, s.input)]
    assert differing == [], f"{len(differing)} differ, first: {differing[:3]}"
    assert sum(kind == "value" and value is not None for kind, value in remote_answers) > 900


# ---- failing closed ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def basic() -> PolicyBundle:
    return load_bundle(FIXTURES / "basic", schema_dir=None)


def problem_of(bundle: PolicyBundle, server: OpaServer, **options: Any) -> str:
    engine = OpaEngine(bundle, server, **options)
    assert engine.problem is not None
    with pytest.raises(EngineError) as caught:
        engine.evaluate({"request": {"customer": "acme", "access": "read_only"}})
    assert str(caught.value) == engine.problem
    return engine.problem


def test_a_server_that_is_down_fails_closed_naming_it(basic: PolicyBundle) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    problem = problem_of(basic, OpaServer(url, timeout_seconds=2))
    assert problem.startswith(f"OPA server {url}: ")
    assert "cannot connect" in problem


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_slow_server_fails_closed_after_the_timeout(basic: PolicyBundle,
                                                      silent_server: str) -> None:
    started = time.monotonic()
    problem = problem_of(basic, OpaServer(silent_server, timeout_seconds=0.3))
    assert f"OPA server {silent_server}: " in problem
    assert "no answer within 0.3 s" in problem
    assert time.monotonic() - started < 5


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"code": "internal_error", "message": "storage is broken"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_answering_errors_fails_closed_with_its_message(
        basic: PolicyBundle, failing_server: str) -> None:
    problem = problem_of(basic, OpaServer(failing_server))
    assert problem.startswith(f"OPA server {failing_server}: ")
    assert "internal_error: storage is broken" in problem


def test_another_revision_fails_closed_naming_both(
        basic: PolicyBundle, opa_servers: ServerFor) -> None:  # noqa: F811
    served = load_bundle(REPO / "policies")
    problem = problem_of(basic, opa_servers(REPO / "policies", DEFAULT_ENGINE))
    assert f"serves another revision (gatekeeper: {served.revision})" in problem
    assert f"not {basic.revision}" in problem


def test_a_missing_entry_point_fails_closed(
        basic: PolicyBundle, opa_servers: ServerFor) -> None:  # noqa: F811
    problem = problem_of(basic, opa_servers(FIXTURES / "basic"),
                         entrypoint="data.gatekeeper.verdict")
    assert "has no rule at the entry point data.gatekeeper.verdict" in problem


def test_a_wrong_token_fails_closed(basic: PolicyBundle,
                                    opa_servers: ServerFor) -> None:  # noqa: F811
    server = opa_servers(FIXTURES / "basic")
    problem = problem_of(basic, OpaServer(server.url, token="gk_not-a-token"))
    assert "refused (unauthenticated)" in problem


def test_the_service_answers_503_until_the_server_is_up_then_decides(
        tmp_path: Path) -> None:
    """GATEKEEPER_ENGINE=opa with the server down: the app starts, every decision is a 503
    problem naming the server and the cause; once it serves the bundle, decisions flow."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(REPO / "policies", tmp_path)
    app = create_app({"TESTING": True, "POLICIES": str(REPO / "policies"), "ENGINE": "opa",
                      "OPA_URL": url, "OPA_TIMEOUT_SECONDS": 15, "OPA_TOKEN": ci_token(env),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = \
        f"Bearer {services(app).identity.create_token('t', 'engineer').token}"
    body = load_example("full_admin")["request"]
    refused = client.post("/v1/decisions", json=body)
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.json is not None
    assert refused.json["detail"].startswith(f"OPA server {url}: ")
    assert "cannot connect" in refused.json["detail"]
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json is not None
    assert not_ready.json["detail"].startswith(f"engine opa: OPA server {url}: ")
    with serving(env, tmp_path, port=port):
        deadline = time.monotonic() + 10
        answered = client.post("/v1/decisions", json=body)
        while answered.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.3)  # a failed check is repeated at most once a second
            answered = client.post("/v1/decisions", json=body)
    assert answered.status_code == 200, answered.json
    assert answered.json is not None
    assert answered.json["policy"]["engine"] == "opa"
    assert answered.json["outcome"] == load_example("full_admin")["expect"]["outcome"]
    assert client.get("/readyz").status_code == 200
    # The server comes back with another bundle: the answer's provenance gives it away.
    with serving(server_env(FIXTURES / "basic", tmp_path), tmp_path, port=port):
        swapped = client.post("/v1/decisions", json=body)
    assert swapped.status_code == 503
    assert swapped.json is not None
    assert "answered from revision" in swapped.json["detail"]
    services(app).close()


# ---- connections and TLS ----------------------------------------------------------------


def test_one_thread_reuses_one_connection(basic: PolicyBundle,
                                          opa_servers: ServerFor) -> None:  # noqa: F811
    engine = OpaEngine(basic, opa_servers(FIXTURES / "basic"))
    for ticket in range(20):
        engine.evaluate({"request": {"customer": "acme", "access": "read_only",
                                     "ticket": f"T-{ticket}"}})
    pools = engine._thread_client()._session.get_adapter("http://").poolmanager.pools
    # keys(): urllib3's pool container refuses plain iteration
    made = [pools[key].num_connections for key in pools.keys()]  # noqa: SIM118
    assert made == [1], "the checks and 20 decisions on one connection"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate: tuple[Path, Path],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Gatekeeper's Data API over HTTPS (werkzeug's server with a self-signed certificate)."""
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("tls-server")
    app = create_app({"TESTING": True, "POLICIES": str(FIXTURES / "basic"),
                      "ENGINE": "regorus", "DATABASE_URL": f"sqlite:///{folder / 'gk.db'}",
                      "INSTANCE_PATH": str(folder)})
    token = services(app).identity.create_token("tls", "ci").token
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         ssl_context=(str(certificate[0]), str(certificate[1])))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}", token
    server.shutdown()
    services(app).close()


def test_tls_with_the_servers_ca_file(basic: PolicyBundle, tls_server: tuple[str, str],
                                      certificate: tuple[Path, Path]) -> None:
    url, token = tls_server
    engine = OpaEngine(basic, OpaServer(url, token=token, ca_file=str(certificate[0])))
    assert engine.problem is None
    decision = engine.evaluate({"request": {"customer": "acme", "access": "read_only",
                                            "ticket": "T-7"}})
    assert decision == {"outcome": "allow", "consequences": [], "echo": "T-7"}


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_tls_refuses_a_certificate_it_cannot_verify(basic: PolicyBundle,
                                                    tls_server: tuple[str, str]) -> None:
    url, token = tls_server
    problem = problem_of(basic, OpaServer(url, token=token))
    assert problem.startswith(f"OPA server {url}: ")
    assert "certificate verify failed" in problem.lower()
    unchecked = OpaEngine(basic, OpaServer(url, token=token, verify=False))
    assert unchecked.problem is None


def test_a_plain_opa_client_uses_gatekeeper_unchanged(
        opa_servers: ServerFor, bundle: PolicyBundle, embedded: Engine) -> None:  # noqa: F811
    """opa-python-client's own calls, as a team would make them against OPA."""
    from opa_client.opa import OpaClient

    server = opa_servers(REPO / "policies", DEFAULT_ENGINE)
    host, port = server.url.removeprefix("http://").split(":")
    with OpaClient(host=host, port=int(port), token=server.token, timeout=15) as client:
        assert client.check_health()
        assert client.check_connection()
        rules = {url for info in client.get_policies_info().values() for url in info["rules"]}
        assert f"{client.root_url}/data/gatekeeper/decision" in rules
        assert client.get_data("customers/acme/tier") == {"result": "gold"}
        payload = example_input(load_example("break_glass"))
        assert client.query_rule(payload, "gatekeeper", "decision") == {
            "result": embedded.evaluate(payload)}
        manifest = client.get_data("system/bundles")["result"]["gatekeeper"]["manifest"]
        assert manifest["revision"] == bundle.revision
