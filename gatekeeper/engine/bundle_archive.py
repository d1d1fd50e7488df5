"""OPA bundle archives in and out: ``.tar.gz`` with ``.manifest``, Rego modules and data.json.

``build_archive`` writes a loaded bundle the way an OPA server loads it: every module, one
``data.json`` at the root holding all the data merged from the YAML files (with the bundle
views the loader computed, so OPA need not compute them per request), and a ``.manifest``
with the revision, the roots the bundle owns and ``rego_version`` 1. The ``*_test.rego``
files only ``with_tests`` (for ``opa test`` or ``gatekeeper check`` on the archive): OPA
keeps no test modules apart, and the decision's walk over ``data.gatekeeper.rules`` would
evaluate every ``*_test`` package beside the rules -- the same answers, 3.4 times the cost
(bench/opa_modes.py). The archive is byte-for-byte reproducible: sorted members, no
timestamps, no owners.

``load_bundle_bytes(raw, origin)`` is the way back: archive bytes (a file, a download) into
the ``PolicyBundle`` the folder loader returns, with the same checks (compile, schemas, entry
point) and the manifest's revision. A corrupt archive, a bad manifest, roots that overlap or
files outside the roots are a ``BundleError`` naming ``origin`` and the problem.
``load_policy_source`` picks folder, archive file or http(s) URL.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gatekeeper.domain.errors import BundleError
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle
from gatekeeper.engine.bundle import (
    DATA_FILE_NAMES,
    SCHEMA_DIR,
    VIEWS_KEY,
    is_views_module,
    load_bundle,
    load_files,
)

MANIFEST = ".manifest"
DATA_JSON = "data.json"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # compressed, as read or downloaded
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # what the members may add up to (no gzip bombs)
MAX_MEMBERS = 10_000
_PACKAGE_PREFIX = "package "


@dataclass(frozen=True)
class Manifest:
    """What an OPA ``.manifest`` says: the revision and the roots the bundle owns."""

    revision: str
    roots: tuple[str, ...]


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def package_of(text: str) -> str | None:
    """The dotted package of a module's text (``gatekeeper.rules.sla``), None when absent."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(_PACKAGE_PREFIX):
            return stripped[len(_PACKAGE_PREFIX):].split("#")[0].strip()
    return None


def roots_of(bundle: PolicyBundle, with_tests: bool = False) -> list[str]:
    """The top-level names the bundle owns: each data key and each package's first part."""
    tops = set(bundle.data)
    tests = list(bundle.test_modules.values()) if with_tests else []
    for text in [*bundle.modules.values(), *tests]:
        package = package_of(text)
        if package:
            tops.add(package.split(".")[0])
    return sorted(tops)


def _add(tar: tarfile.TarFile, name: str, raw: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(raw)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(raw))


def build_archive(bundle: PolicyBundle, *, with_tests: bool = False) -> bytes:
    """The bundle as an OPA bundle ``.tar.gz`` (see the module's description)."""
    manifest = {"revision": bundle.revision, "roots": roots_of(bundle, with_tests),
                "rego_version": 1}
    members = {MANIFEST: json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n",
               DATA_JSON: json.dumps(bundle.data, sort_keys=True,
                                     ensure_ascii=False).encode() + b"\n"}
    for rel, text in {**bundle.modules, **(bundle.test_modules if with_tests else {})}.items():
        members[rel] = text.encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            _add(tar, name, members[name])
    return buffer.getvalue()


# -- reading ------------------------------------------------------------------------------

def _member_name(origin: str, member: tarfile.TarInfo) -> str | None:
    """The member's path inside the bundle; None for folders; refused when unsafe."""
    if member.isdir():
        return None
    if not member.isfile():
        raise BundleError(origin, f"{member.name}: only regular files may be in a bundle")
    parts = PurePosixPath(member.name).parts
    if member.name.startswith("/") or not parts or ".." in parts:
        raise BundleError(origin, f"{member.name}: a path outside the bundle")
    return "/".join(parts)


def read_members(raw: bytes, origin: str) -> dict[str, bytes]:
    """Every file of the archive by its path inside it; ``BundleError`` when the archive is
    not a readable ``.tar.gz``, too big, or holds something other than plain files."""
    if len(raw) > MAX_ARCHIVE_BYTES:
        raise BundleError(origin, f"the archive is larger than {MAX_ARCHIVE_BYTES} bytes")
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise BundleError(origin, f"more than {MAX_MEMBERS} files in the archive")
                name = _member_name(origin, member)
                if name is None:
                    continue
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise BundleError(origin, f"the archive unpacks to more than "
                                              f"{MAX_UNPACKED_BYTES} bytes")
                if name in members:
                    raise BundleError(origin, f"{name}: the archive holds it twice")
                handle = tar.extractfile(member)
                members[name] = handle.read() if handle is not None else b""
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BundleError(origin, f"not a readable .tar.gz bundle: {exc}") from None
    return members


def parse_manifest(raw: bytes | None, origin: str) -> Manifest | None:
    """The ``.manifest``, checked: a JSON object, ``revision`` a text, ``roots`` a list of
    texts that do not overlap. None when the archive has none."""
    if raw is None:
        return None
    where = f"{origin}: {MANIFEST}"
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(where, f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BundleError(where, "must be a JSON object")
    revision = value.get("revision", "")
    if not isinstance(revision, str):
        raise BundleError(where, f"revision must be a text, not {revision!r}")
    roots = value.get("roots", [""])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise BundleError(where, f"roots must be a list of texts, not {roots!r}")
    cleaned = [r.strip("/") for r in roots]
    for i, first in enumerate(cleaned):
        for second in cleaned[i + 1:]:
            if _covers(first, second) or _covers(second, first):
                raise BundleError(where, f"roots {first!r} and {second!r} overlap")
    return Manifest(revision, tuple(cleaned))


def _covers(root: str, path: str) -> bool:
    """``root`` (``a/b``) owns ``path`` (``a/b/c``); the empty root owns everything."""
    return root == "" or path == root or path.startswith(root + "/")


def _check_roots(manifest: Manifest, origin: str, members: Mapping[str, bytes],
                 data: Mapping[str, Any]) -> None:
    """Every package and every data path must lie under one of the manifest's roots."""
    owned: list[tuple[str, str]] = [(f"data key {key!r}", key) for key in data]
    for name, raw in members.items():
        if name.endswith(".rego"):
            package = package_of(raw.decode("utf-8", errors="replace"))
            if package:
                owned.append((f"{name} (package {package})", package.replace(".", "/")))
        elif PurePosixPath(name).name == DATA_JSON and "/" in name:
            owned.append((name, name.rsplit("/", 1)[0]))
    for what, path in owned:
        if not any(_covers(root, path) for root in manifest.roots):
            raise BundleError(f"{origin}: {MANIFEST}",
                              f"{what} lies outside the roots {list(manifest.roots)}")


def _contents(raw: bytes, origin: str) -> tuple[Manifest | None, dict[str, bytes]]:
    """The archive's manifest and bundle files (modules and data files), roots checked;
    ``data.json``'s bundle views left out when package ``gatekeeper.views`` computes them."""
    members = read_members(raw, origin)
    manifest = parse_manifest(members.pop(MANIFEST, None), origin)
    files = {name: body for name, body in sorted(members.items())
             if name.endswith(".rego") or PurePosixPath(name).name in DATA_FILE_NAMES}
    root_data: dict[str, Any] = {}
    if DATA_JSON in files:
        try:
            parsed = json.loads(files[DATA_JSON].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BundleError(f"{origin}/{DATA_JSON}", f"invalid JSON: {exc}") from None
        root_data = parsed if isinstance(parsed, dict) else {}
        has_views = any(is_views_module(body.decode("utf-8", errors="replace"))
                        for name, body in files.items() if name.endswith(".rego"))
        if has_views and VIEWS_KEY in root_data:
            root_data = {k: v for k, v in root_data.items() if k != VIEWS_KEY}
            files[DATA_JSON] = json.dumps(root_data, ensure_ascii=False).encode("utf-8")
    if manifest is not None:
        _check_roots(manifest, origin, files, root_data)
    return manifest, files


def load_bundle_bytes(
    raw: bytes,
    origin: str,
    *,
    schema_dir: str | Path | None = SCHEMA_DIR,
    entrypoint: str | None = DECISION_PATH,
) -> PolicyBundle:
    """The ``PolicyBundle`` in an OPA bundle archive's bytes; ``origin`` (a file path or URL)
    is what errors name. Same checks as ``load_bundle``; the revision is the manifest's (else
    a hash of the archive's files). Bundle views in ``data.json`` are computed again from
    package ``gatekeeper.views``, never trusted."""
    manifest, files = _contents(raw, origin)
    return load_files(origin, sorted(files.items()), schema_dir=schema_dir,
                      entrypoint=entrypoint, revision=manifest.revision if manifest else None)


def unpack(raw: bytes, origin: str, dest: Path) -> Manifest | None:
    """Write the archive's modules and data files under ``dest`` (a fresh folder), for tools
    that read a folder (``gatekeeper check``); the same refusals as ``load_bundle_bytes``
    for a corrupt archive, a bad manifest or files outside the roots."""
    manifest, files = _contents(raw, origin)
    for name, body in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return manifest


def fetch(url: str, timeout: float = 30.0) -> bytes:
    """The bytes at an http(s) URL; a ``BundleError`` naming the URL when it cannot be read."""
    import requests

    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            response.raise_for_status()
            return read_capped(response.iter_content(chunk_size=65536), url)
    except requests.RequestException as exc:
        raise BundleError(url, f"cannot download the bundle: {exc}") from None


def read_capped(chunks: Any, origin: str) -> bytes:
    """The downloaded archive from its ``chunks``; a ``BundleError`` naming ``origin`` once it
    grows past ``MAX_ARCHIVE_BYTES``, before the rest is read (one-shot and polled fetches)."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_ARCHIVE_BYTES:
            raise BundleError(origin, f"the bundle is larger than "
                                      f"{MAX_ARCHIVE_BYTES // (1024 * 1024)} MiB")
        parts.append(chunk)
    return b"".join(parts)


def read_source(source: str | Path) -> bytes:
    """The archive bytes of a file path or an http(s) URL."""
    if is_url(source):
        return fetch(str(source))
    path = Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(path.as_posix(), f"cannot read: {exc.strerror or exc}") from None


def load_policy_source(source: str | Path, **options: Any) -> PolicyBundle:
    """A bundle from a folder, a ``.tar.gz`` file or an http(s) URL of one."""
    if not is_url(source) and Path(source).is_dir():
        return load_bundle(source, **options)
    origin = str(source) if is_url(source) else Path(source).as_posix()
    return load_bundle_bytes(read_source(source), origin, **options)
