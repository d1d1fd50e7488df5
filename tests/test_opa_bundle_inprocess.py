"""The archive ``gatekeeper bundle build`` writes, loaded into OPA's own evaluator in process
(the ``opa-golib-python-bindings`` wheel: OPA's Go library), answers every example exactly as
the embedded engine does.

The archive is read here with ``tarfile`` alone, as OPA reads a bundle -- every ``.rego``
file a module, ``data.json`` the data at the root, the ``.manifest`` roots owning each
package and data key -- not with Gatekeeper's loader, so the test shows the archive means
the same to OPA. The wheel is never a dependency of Gatekeeper: ``make test`` installs it
with ``--ignore-requires-python`` (it declares Python >= 3.14 and runs on 3.11); without it
this test skips and says how to install it.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.engine import DEFAULT_ENGINE, Engine, create_engine, load_bundle
from gatekeeper.engine.bundle_archive import build_archive
from gatekeeper.engine.expectations import example_input

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples" / "requests").glob("*.json"))
WHEEL = "opa-golib-python-bindings==0.4.4"

opa_bindings = pytest.importorskip(
    "opa_bindings",
    reason=f"OPA in process is not installed: pip install --ignore-requires-python '{WHEEL}' "
           "(make test does it)")


def read_as_opa_does(raw: bytes) -> tuple[dict[str, Any], dict[str, str], Any]:
    """(manifest, modules by path, data) of a bundle archive, by OPA's bundle rules."""
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        files = {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                 for m in tar if m.isfile()}
    manifest = json.loads(files.pop(".manifest"))
    data = json.loads(files.pop("data.json"))
    modules = {name: body.decode() for name, body in files.items() if name.endswith(".rego")}
    assert set(files) == set(modules), "only modules, data.json and .manifest"
    return manifest, modules, data


@pytest.fixture(scope="module")
def opa() -> Iterator[Any]:
    raw = build_archive(load_bundle(REPO / "policies"))
    manifest, modules, data = read_as_opa_does(raw)
    roots = manifest["roots"]
    for name, text in modules.items():
        package = next(line.split()[1] for line in text.splitlines()
                       if line.startswith("package "))
        assert package.split(".")[0] in roots, f"{name}: package {package} outside {roots}"
    assert set(data) <= set(roots)
    engine = opa_bindings.OpaEngine()
    for name, text in sorted(modules.items()):
        engine.add_policy(name, text)
    engine.add_data(data)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def embedded() -> Engine:
    return create_engine(DEFAULT_ENGINE, load_bundle(REPO / "policies"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_opa_answers_every_example_as_the_embedded_engine(opa: Any, embedded: Engine,
                                                          example: Path) -> None:
    payload = example_input(json.loads(example.read_text(encoding="utf-8")))
    expected = embedded.evaluate(payload)
    assert expected is not None
    assert opa.eval_document("gatekeeper.decision", payload) == expected
