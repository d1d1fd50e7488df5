"""OPA bundle archives in and out: ``gatekeeper bundle build`` writes one, and serve, eval and
check read one (a file or a URL) as they read the folder; a corrupt archive, a bad manifest or
conflicting roots are refused with the file and the problem."""

from __future__ import annotations

import gzip
import http.server
import io
import json
import re
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain.errors import BundleError
from gatekeeper.engine import load_bundle
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.bundle_archive import (
    build_archive,
    load_bundle_bytes,
    load_policy_source,
    roots_of,
)
from tests.cli_helpers import ROOT, run_cli
from tests.conftest import authed_client, load_example

POLICIES = ROOT / "policies"


@pytest.fixture(scope="module")
def bundle() -> PolicyBundle:
    return load_bundle(POLICIES)


@pytest.fixture(scope="module")
def archive(bundle: PolicyBundle) -> bytes:
    return build_archive(bundle)


def members(raw: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def archive_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in files.items():
            raw = body.encode() if isinstance(body, str) else body
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def test_the_archive_holds_manifest_modules_and_merged_data(bundle: PolicyBundle,
                                                           archive: bytes) -> None:
    inside = members(archive)
    manifest = json.loads(inside.pop(".manifest"))
    assert manifest == {"revision": bundle.revision, "roots": roots_of(bundle),
                        "rego_version": 1}
    assert set(manifest["roots"]) >= {"catalog", "customers", "gatekeeper", "sla_tiers"}
    assert json.loads(inside.pop("data.json")) == bundle.data
    assert {k: v.decode() for k, v in inside.items()} == bundle.modules


def test_with_tests_the_archive_holds_the_test_modules_too(bundle: PolicyBundle) -> None:
    inside = members(build_archive(bundle, with_tests=True))
    assert json.loads(inside.pop(".manifest"))["roots"] == roots_of(bundle, with_tests=True)
    inside.pop("data.json")
    assert {k: v.decode() for k, v in inside.items()} == {**bundle.modules,
                                                          **bundle.test_modules}
    loaded = load_bundle_bytes(build_archive(bundle, with_tests=True), "tested.tar.gz")
    assert loaded.test_modules == bundle.test_modules


def test_the_archive_is_reproducible(archive: bytes) -> None:
    assert build_archive(load_bundle(POLICIES)) == archive


def test_loading_the_archive_gives_what_the_folder_gives(bundle: PolicyBundle,
                                                        archive: bytes) -> None:
    loaded = load_bundle_bytes(archive, "bundle.tar.gz")
    assert (loaded.revision, loaded.modules, loaded.test_modules, loaded.data) == (
        bundle.revision, bundle.modules, {}, bundle.data)
    assert loaded.root == "bundle.tar.gz"


def test_views_in_the_archive_are_computed_again_not_trusted(archive: bytes,
                                                             bundle: PolicyBundle) -> None:
    inside = members(archive)
    data = json.loads(inside["data.json"])
    data["views"] = {"profiles": {"acme": "forged"}}
    inside["data.json"] = json.dumps(data).encode()
    loaded = load_bundle_bytes(archive_of(dict(inside)), "forged.tar.gz")
    assert loaded.data["views"] == bundle.data["views"]


def with_manifest(archive: bytes, manifest: object) -> bytes:
    inside: dict[str, bytes | str] = dict(members(archive))
    inside[".manifest"] = manifest if isinstance(manifest, str) else json.dumps(manifest)
    return archive_of(inside)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda a: b"not an archive at all", "not a readable .tar.gz bundle"),
    (lambda a: a[: len(a) // 2], "not a readable .tar.gz bundle"),
    (lambda a: gzip.compress(b"plain text, not a tar"), "not a readable .tar.gz bundle"),
    (lambda a: with_manifest(a, "{revision"), ".manifest: not valid JSON"),
    (lambda a: with_manifest(a, ["a list"]), ".manifest: must be a JSON object"),
    (lambda a: with_manifest(a, {"revision": 7}), ".manifest: revision must be a text"),
    (lambda a: with_manifest(a, {"roots": "gatekeeper"}), ".manifest: roots must be a list"),
    (lambda a: with_manifest(a, {"roots": ["gatekeeper", "gatekeeper/rules", "catalog"]}),
     "roots 'gatekeeper' and 'gatekeeper/rules' overlap"),
    (lambda a: with_manifest(a, {"roots": ["gatekeeper", "catalog", "customers", "views"]}),
     "data key 'sla_tiers' lies outside the roots"),
    (lambda a: with_manifest(a, {"roots": ["catalog", "customers", "sla_tiers", "views",
                                           "gatekeeper/rules"]}),
     "(package gatekeeper.alternatives) lies outside the roots"),
    (lambda a: archive_of({**members(a), "../escape.rego": "package x"}),
     "../escape.rego: a path outside the bundle"),
], ids=["garbage", "truncated", "gzip-of-text", "manifest-not-json", "manifest-not-object",
        "revision-not-text", "roots-not-list", "overlapping-roots", "data-outside-roots",
        "package-outside-roots", "path-escape"])
def test_bad_archives_are_refused_naming_the_file(archive: bytes, change: object,
                                                  problem: str) -> None:
    with pytest.raises(BundleError) as caught:
        load_bundle_bytes(change(archive), "dist/policy.tar.gz")  # type: ignore[operator]
    assert caught.value.detail.startswith("dist/policy.tar.gz")
    assert problem in caught.value.detail


def test_a_link_in_the_archive_is_refused(archive: bytes) -> None:
    buffer = io.BytesIO(gzip.decompress(archive))
    with tarfile.open(fileobj=buffer, mode="a") as tar:
        link = tarfile.TarInfo("gatekeeper/link.rego")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(BundleError, match=r"link\.rego: only regular files"):
        load_bundle_bytes(gzip.compress(buffer.getvalue()), "linked.tar.gz")


def test_a_broken_module_in_the_archive_names_it(archive: bytes) -> None:
    inside: dict[str, bytes | str] = dict(members(archive))
    inside["gatekeeper/decision.rego"] = "package gatekeeper\n\ndecision := [\n"
    with pytest.raises(BundleError) as caught:
        load_bundle_bytes(archive_of(inside), "broken.tar.gz")
    assert caught.value.file == "broken.tar.gz/gatekeeper/decision.rego"
    assert caught.value.line is not None


# ---- the CLI and serve ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    done = run_cli(folder, "bundle", "build", "--policies", str(POLICIES), "--out",
                   "policy.tar.gz")
    assert done.returncode == 0, done.stderr
    assert "wrote policy.tar.gz: revision sha256:" in done.stderr
    assert "and 0 test module(s)" in done.stderr
    return folder / "policy.tar.gz"


@pytest.fixture(scope="module")
def built_with_tests(built: Path) -> Path:
    done = run_cli(built.parent, "bundle", "build", "--policies", str(POLICIES), "--out",
                   "tested.tar.gz", "--with-tests")
    assert done.returncode == 0, done.stderr
    return built.parent / "tested.tar.gz"


def test_bundle_build_writes_the_archive(built: Path, archive: bytes) -> None:
    assert built.read_bytes() == archive


def test_bundle_build_refuses_a_broken_folder_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "policies" / "gatekeeper"
    broken.mkdir(parents=True)
    (broken / "decision.rego").write_text("package gatekeeper\n\ndecision := [\n")
    done = run_cli(tmp_path, "bundle", "build", "--policies", "policies", "--out", "out.tar.gz")
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot build: policies/gatekeeper/decision.rego:")
    assert not (tmp_path / "out.tar.gz").exists()


def test_check_and_eval_read_the_archive(built: Path, built_with_tests: Path) -> None:
    checked = run_cli(ROOT, "check", "--policies", str(built_with_tests), "--synthetic", "20",
                      "--min-coverage", "90")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"gatekeeper check {built_with_tests}" in checked.stdout
    assert re.search(r"ok   tests     [1-9]\d* passed, 0 failed", checked.stdout)
    assert re.search(r"ok   examples  (\d+) of \1 example\(s\) hold", checked.stdout)
    example = ROOT / "examples" / "requests" / "01_full_admin_software_install_acme.json"
    evaluated = run_cli(ROOT, "eval", str(example), "--json", "--policies", str(built))
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["policy"]["revision"] == load_bundle(POLICIES).revision


def test_check_refuses_a_corrupt_archive_with_the_file(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b not really gzip")
    done = run_cli(tmp_path, "check", "--policies", str(corrupt))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot load: {corrupt.as_posix()}: not a readable")


@pytest.fixture
def bundle_url(built: Path) -> Iterator[str]:
    """The built archive over http, as a bundle server would offer it."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(built.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{built.name}"
    server.shutdown()
    server.server_close()


def test_the_service_serves_a_bundle_from_a_url(bundle_url: str, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "POLICIES": bundle_url,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    assert services(app).store.current.bundle.revision == load_bundle(POLICIES).revision
    client = authed_client(app, "engineer")
    example = load_example("read_only")
    answered = client.post("/v1/decisions", json=example["request"])
    assert answered.status_code == 200, answered.json
    assert answered.json is not None
    assert answered.json["outcome"] == example["expect"]["outcome"]
    services(app).close()


def test_a_url_that_does_not_answer_is_named(tmp_path: Path, bundle_url: str) -> None:
    missing = bundle_url.rsplit("/", 1)[0] + "/no-such.tar.gz"
    with pytest.raises(BundleError) as caught:
        load_policy_source(missing)
    assert caught.value.detail.startswith(f"{missing}: cannot download the bundle: 404")


def test_serve_starts_from_the_archive(built: Path, tmp_path: Path) -> None:
    """``gatekeeper serve`` with GATEKEEPER_POLICIES naming the archive file."""
    import urllib.request

    from tests.opa_fixtures import server_env
    from tests.serve_helpers import serving

    with serving(server_env(built, tmp_path, engine="regorus-rvm"), tmp_path) as base, \
            urllib.request.urlopen(base + "/readyz", timeout=10) as ready:
        assert json.loads(ready.read())["policy"] == {
            "revision": load_bundle(POLICIES).revision, "engine": "regorus-rvm"}
