"""Live policy reload in one process: a changed folder, archive or URL is served after the next
look; a bundle that does not load, fails its schemas or its own tests is refused and the last
good one keeps serving; ``GET /v1/status`` and the metrics say what happened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import Principal
from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.policy_store import PolicyStore, policy_tests_pass
from gatekeeper.service.reloader import PolicyWatcher
from gatekeeper.service.verdicts import SharedVerdicts
from gatekeeper.settings import Settings
from tests.cli_helpers import ROOT
from tests.conftest import POLICIES, authed_client, load_example
from tests.ops_servers import BundleServer, tar_gz

ENGINEER = Principal("eve@msp.example", "engineer", None)
CUSTOMERS = Path("customers") / "data.yaml"


def copy_policies(into: Path) -> Path:
    shutil.copytree(POLICIES, into)
    return into


def set_reprovision_hours(folder: Path, hours: object, was: int = 16) -> None:
    """An environment's re-provisioning time (Globex production's by default, 16 hours:
    what a full-admin request there costs in downtime; no Rego test pins it)."""
    path = folder / CUSTOMERS
    text = path.read_text()
    assert text.count(f"reprovision_hours: {was}\n") == 1
    path.write_text(text.replace(f"reprovision_hours: {was}\n", f"reprovision_hours: {hours}\n"))


def downtime_hours(store: PolicyStore) -> float:
    body = load_example("19_full_admin_troubleshooting")["request"]
    _, decision = DecisionService(store).decide(body, ENGINEER)
    figures = [c.get("downtime_hours") for c in decision.to_dict()["consequences"]]
    found = [f for f in figures if f is not None]
    assert found, decision.to_dict()["consequences"]
    return float(found[0])


def reloads(result: str, trigger: str) -> float:
    return REGISTRY.get_sample_value("gatekeeper_policy_reloads_total",
                                     {"result": result, "trigger": trigger}) or 0.0


def store_for(location: Any) -> PolicyStore:
    store = PolicyStore(location, "regorus", reload_vet=policy_tests_pass)
    store.load()
    return store


def test_a_changed_figure_is_served_after_the_next_look(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "policies")
    store = store_for(folder)
    first = store.current.bundle.revision
    assert downtime_hours(store) == 16
    assert store.reload("poll") == "unchanged"
    set_reprovision_hours(folder, 30)
    before = reloads("loaded", "poll")
    assert store.reload("poll") == "loaded"
    assert store.current.bundle.revision != first
    assert downtime_hours(store) == 30
    assert reloads("loaded", "poll") == before + 1
    assert store.status()["revision"] == store.current.bundle.revision
    assert store.status()["last_refused"] is None


@pytest.mark.parametrize(("breakage", "named"), [
    # does not load: a Rego syntax error, named with its file and line
    (lambda f: (f / "gatekeeper" / "decision.rego").write_text(
        (f / "gatekeeper" / "decision.rego").read_text() + "\nbroken if {\n"),
     "decision.rego"),
    # fails its schema: a re-provisioning time that is not a number
    (lambda f: set_reprovision_hours(f, "soon"), "reprovision_hours"),
    # fails its own tests: a figure they pin down (Acme production's 24 hours)
    (lambda f: set_reprovision_hours(f, 25, was=24), "policy test(s) failed"),
])
def test_a_bad_bundle_is_refused_and_the_last_good_one_serves(
        tmp_path: Path, breakage: Any, named: str) -> None:
    folder = copy_policies(tmp_path / "policies")
    store = store_for(folder)
    good = store.current.bundle.revision
    breakage(folder)
    before = reloads("refused", "poll")
    with capture_logs() as events:
        assert store.reload("poll") == "refused"
    assert store.current.bundle.revision == good and store.ready
    assert downtime_hours(store) == 16
    refused = store.status()["last_refused"]
    assert named in refused["reason"]
    assert reloads("refused", "poll") == before + 1
    logged = [e for e in events if e["event"] == "policy_reload_refused"]
    assert len(logged) == 1 and named in logged[0]["reason"]
    assert logged[0]["serving"] == good
    # not tried again until the source changes; a signal forces another look
    assert store.reload("poll") == "unchanged"
    assert store.reload("signal", force=True) == "refused"


def test_an_archive_file_is_watched_by_size_and_time(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "policies")
    archive = tmp_path / "gatekeeper.tar.gz"
    archive.write_bytes(tar_gz(folder))
    store = store_for(archive)
    folder_revision = PolicyStore(folder, "regorus").load().bundle.revision
    assert store.current.bundle.revision == folder_revision  # same files, same revision
    set_reprovision_hours(folder, 30)
    archive.write_bytes(tar_gz(folder))
    assert store.reload("poll") == "loaded"
    assert downtime_hours(store) == 30
    archive.write_bytes(b"not a tar file at all")
    assert store.reload("poll") == "refused"
    assert "not a readable .tar.gz bundle" in store.status()["last_refused"]["reason"]
    assert downtime_hours(store) == 30


def test_a_bundle_url_is_polled_with_if_none_match(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "policies")
    with BundleServer(tar_gz(folder)) as server:
        store = store_for(server.url.replace("http://", "http://ops:s3cret@"))
        assert store.status()["source"] == server.url  # no password on show
        first = store.current.bundle.revision
        assert store.reload("poll") == "unchanged"
        assert server.requests[-1][1] == 304 and server.requests[-1][0] is not None
        set_reprovision_hours(folder, 30)
        server.serve(tar_gz(folder))
        assert store.reload("poll") == "loaded"
        assert store.current.bundle.revision != first and downtime_hours(store) == 30
        server.serve(b"<html>maintenance</html>")  # garbage: refused, once
        assert store.reload("poll") == "refused"
        assert store.reload("poll") == "unchanged"  # the same garbage: 304, not refused again
        assert downtime_hours(store) == 30
    # the server is gone: unreachable is refused and the last good bundle serves
    assert store.reload("poll") == "refused"
    assert "cannot be reached" in store.status()["last_refused"]["reason"]
    assert "s3cret" not in str(store.status())
    assert downtime_hours(store) == 30


def test_the_watcher_polls_and_wakes_on_a_trigger(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "policies")
    store = store_for(folder)
    watcher = PolicyWatcher(store, poll_seconds=0).start()  # only when triggered
    try:
        set_reprovision_hours(folder, 30)
        time.sleep(0.3)
        assert downtime_hours(store) == 16  # no timer: nothing happened
        watcher.trigger()
        deadline = time.monotonic() + 30
        while downtime_hours(store) != 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert downtime_hours(store) == 30
    finally:
        watcher.stop()


def test_status_reports_the_serving_and_the_refused_bundle(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "policies")
    app = create_app({"TESTING": True, "POLICIES": str(folder), "ENGINE": "regorus",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}"})
    client: FlaskClient = authed_client(app)
    shown = client.get("/v1/status").get_json()
    store = services(app).store
    assert shown["policy"]["revision"] == store.current.bundle.revision
    assert shown["policy"]["loaded_at"].endswith("Z") and shown["policy"]["last_refused"] is None
    (folder / "gatekeeper" / "decision.rego").write_text("package gatekeeper.decision\n+\n")
    assert store.reload("signal", force=True) == "refused"
    shown = client.get("/v1/status").get_json()["policy"]
    assert shown["revision"] == store.current.bundle.revision
    assert shown["last_refused"]["revision"] is None
    assert "decision.rego" in shown["last_refused"]["reason"]
    assert client.get("/readyz").status_code == 200


def test_workers_share_one_verdict_a_revision(tmp_path: Path) -> None:
    """Two stores (two workers) meeting the same new bundle run its checks once."""
    folder = copy_policies(tmp_path / "policies")
    runs: list[str] = []

    def counting(bundle: Any, engine: Any) -> None:
        runs.append(bundle.revision)
        policy_tests_pass(bundle, engine)

    stores = [PolicyStore(folder, "regorus", reload_vet=counting) for _ in range(2)]
    for store in stores:
        store.load()
        store.verdicts = SharedVerdicts(tmp_path / "verdicts")

    def reload_all() -> list[str]:
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda s: s.reload("poll"), stores))

    set_reprovision_hours(folder, 30)
    assert reload_all() == ["loaded", "loaded"]
    assert len(runs) == 1 and all(downtime_hours(s) == 30 for s in stores)
    set_reprovision_hours(folder, 25, was=24)  # fails the bundle's own tests
    assert reload_all() == ["refused", "refused"]
    assert len(runs) == 2
    reasons = {s.status()["last_refused"]["reason"] for s in stores}
    assert len(reasons) == 1 and "policy test(s) failed" in reasons.pop()


def test_check_and_test_read_a_bundle_url_and_name_one_that_cannot_be_read(
        tmp_path: Path) -> None:
    """check and test read GATEKEEPER_POLICIES as serve does, a URL too (#21); one that
    cannot be downloaded is a one-line error naming it."""
    url = "https://bundles.example/gatekeeper.tar.gz"
    assert Settings.from_env({"GATEKEEPER_POLICIES": url}).policy_location == url
    env = {**os.environ, "GATEKEEPER_POLICIES": url,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    for command, prefix in (("test", "error: "), ("check", "error: cannot load: ")):
        done = subprocess.run([sys.executable, "-m", "gatekeeper", command], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"{prefix}{url}: cannot download the bundle: ")
        assert len(done.stderr.strip().splitlines()) == 1
