"""Read a policy folder at a git revision straight from the object store, no checkout needed.

``git ls-tree -r`` lists the blobs under the folder and one ``git cat-file --batch`` process
streams their contents into a temporary directory that ``load_bundle`` can read.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import structlog

from gatekeeper.policyci.errors import SourceError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Revision:
    """A resolved revision: what the user typed, the commit it names and its one-line subject."""

    spec: str
    commit: str
    subject: str

    @property
    def short(self) -> str:
        return self.commit[:10]


def _git(repo: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], input=input, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise SourceError("git is not installed or not on PATH") from None


def repo_root(start: Path) -> Path:
    """The top of the git working tree containing ``start``; SourceError outside one."""
    result = _git(start, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise SourceError(f"{start}: not inside a git repository")
    return Path(result.stdout.decode().strip())


def folder_in_repo(root: Path, folder: Path) -> str:
    """``folder`` as a POSIX path relative to the repository root (what ls-tree expects)."""
    absolute = folder if folder.is_absolute() else Path.cwd() / folder
    try:
        rel = Path(os.path.realpath(absolute)).relative_to(os.path.realpath(root))
    except ValueError:
        raise SourceError(f"{folder}: is not inside the git repository at {root}") from None
    return rel.as_posix() if str(rel) != "." else ""


def resolve(root: Path, spec: str) -> Revision:
    """Resolve ``spec`` (branch, tag, sha, HEAD~1 ...) to a commit; SourceError when unknown."""
    if not spec or spec.startswith("-"):
        raise SourceError(f"{spec!r}: not a git revision")
    verify = f"{spec}^{{commit}}"
    result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", verify)
    if result.returncode != 0:
        raise SourceError(f"unknown git revision {spec!r} in {root}")
    commit = result.stdout.decode().strip()
    subject = _git(root, "log", "-1", "--format=%s", commit).stdout.decode().strip()
    return Revision(spec, commit, subject)


def _list_blobs(root: Path, rev: Revision, folder: str) -> list[tuple[str, str, str]]:
    """(mode, object id, path) of every file under ``folder`` at ``rev``."""
    args = ["ls-tree", "-r", "-z", "--full-tree", rev.commit]
    if folder:
        args += ["--", folder]
    result = _git(root, *args)
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        problem = lines[-1] if lines else "git ls-tree failed"
        raise SourceError(f"{rev.spec}: cannot list {folder or '.'}: {problem}")
    blobs = []
    for entry in result.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        if kind == "blob":
            blobs.append((mode, oid, path.decode("utf-8", errors="surrogateescape")))
    return blobs


def _cat_blobs(root: Path, oids: list[str]) -> list[bytes]:
    """Contents of ``oids`` in order, read through a single ``git cat-file --batch``."""
    if not oids:
        return []
    result = _git(root, "cat-file", "--batch", input="".join(f"{o}\n" for o in oids).encode())
    if result.returncode != 0:
        raise SourceError(f"git cat-file failed: {result.stderr.decode(errors='replace').strip()}")
    out, pos, contents = result.stdout, 0, []
    for oid in oids:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].decode().split()
        if len(header) < 3 or header[1] != "blob":
            raise SourceError(f"git object {oid} is missing from the repository")
        size = int(header[2])
        start = header_end + 1
        contents.append(out[start : start + size])
        pos = start + size + 1  # the blob is followed by a newline
    return contents


def export_folder(root: Path, rev: Revision, folder: str, target: Path) -> int:
    """Write ``folder`` as it is at ``rev`` into ``target``; returns the number of files."""
    blobs = _list_blobs(root, rev, folder)
    regular = [(mode, oid, path) for mode, oid, path in blobs if mode != "120000"]
    if not regular:
        raise SourceError(f"{folder or '.'}/ does not exist or is empty at revision {rev.spec}")
    prefix = PurePosixPath(folder) if folder else None
    for (_, _, path), data in zip(regular, _cat_blobs(root, [oid for _, oid, _ in regular]),
                                  strict=True):
        rel = PurePosixPath(path).relative_to(prefix) if prefix else PurePosixPath(path)
        if ".." in rel.parts:
            continue
        dest = target.joinpath(*rel.parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    log.debug("git_folder_exported", rev=rev.commit, folder=folder, files=len(regular))
    return len(regular)


class RevisionCheckout:
    """Context manager: the policy folder at a revision, materialised in a temporary directory."""

    def __init__(self, root: Path, rev: Revision, folder: str) -> None:
        self.root, self.rev, self.folder = root, rev, folder
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        self._tmp = tempfile.TemporaryDirectory(prefix=f"gatekeeper-{self.rev.short}-")
        path = Path(self._tmp.name)
        try:
            export_folder(self.root, self.rev, self.folder, path)
        except BaseException:
            self._tmp.cleanup()
            raise
        return path

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
