"""Resolve ``--base``/``--head`` to loaded bundles: a git revision, a folder or the working tree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gatekeeper.domain import BundleError
from gatekeeper.engine import load_bundle
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.policyci import gitsource
from gatekeeper.policyci.errors import SourceError
from gatekeeper.policyci.impact import SideInfo


def _load(path: Path, role: str, shown: str, tmp: Path | None = None) -> PolicyBundle:
    try:
        return load_bundle(path)
    except BundleError as exc:
        message = exc.detail
        if tmp is not None:
            message = message.replace(tmp.as_posix(), shown)
        raise SourceError(f"{role} bundle does not load: {message}") from None


@contextmanager
def open_side(role: str, spec: str | None, folder: Path, repo: Path | None) -> Iterator[
    tuple[SideInfo, PolicyBundle]
]:
    """Yield the side's description and bundle; temporary files vanish on exit.

    ``spec`` None is the working-tree ``folder``; an existing directory is read as is;
    anything else is a git revision whose copy of ``folder`` is read from the object store.
    """
    if spec is None or Path(spec).is_dir():
        path = folder if spec is None else Path(spec)
        if not path.is_dir():
            raise SourceError(f"{role}: {path} is not a directory")
        bundle = _load(path, role, str(path))
        label = "working tree" if spec is None else str(path)
        yield SideInfo(spec or str(path), label, revision=bundle.revision), bundle
        return
    root = gitsource.repo_root(repo or (folder if folder.is_dir() else Path.cwd()))
    rel = gitsource.folder_in_repo(root, folder)
    rev = gitsource.resolve(root, spec)
    with gitsource.RevisionCheckout(root, rev, rel) as tmp:
        shown = f"{rel or '.'}@{rev.short}"
        bundle = _load(tmp, f"{role} {spec} ({rev.short})", shown, tmp)
        yield (
            SideInfo(spec, f"git {rel or '.'}", rev.commit, rev.subject, bundle.revision),
            bundle,
        )
