"""Where a policy bundle comes from, and how to tell cheaply that it changed.

Three sources, one shape (``fingerprint`` then ``fetch``):

- a folder: the fingerprint is a hash over every file's path, size and mtime (a stat walk,
  no reading); ``fetch`` loads the folder;
- a bundle file (``.tar.gz``): the fingerprint is its size and mtime; ``fetch`` hands its
  bytes to the archive loader;
- a URL: no fingerprint; ``fetch`` sends ``If-None-Match`` with the last ``ETag`` and a
  ``304`` means unchanged, a ``200`` hands the body to the archive loader.

The archive loader is a seam (``ArchiveLoader``); by default it is the OPA bundle reader,
``gatekeeper.engine.bundle_archive.load_bundle_bytes`` (manifest revision and roots checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import requests

from gatekeeper.domain.errors import BundleError
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.bundle import load_bundle
from gatekeeper.engine.bundle_archive import ARCHIVE_SUFFIXES, load_bundle_bytes, read_capped

# (archive bytes, where they came from) -> a loaded bundle; BundleError when it does not load.
ArchiveLoader = Callable[[bytes, str], PolicyBundle]

URL_PREFIXES = ("http://", "https://")
FETCH_TIMEOUT_SECONDS = 10.0


def shown_url(location: str) -> str:
    """A location fit for a log line or a status page: a URL loses its user and password."""
    if "@" not in location or "://" not in location:
        return location
    parts = urlsplit(location)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class PolicySource(Protocol):
    """A place a bundle is read from."""

    location: str

    def fingerprint(self) -> str | None:
        """A cheap token that changes when the bundle may have changed; None: always fetch."""
        ...

    def fetch(self) -> PolicyBundle | None:
        """The bundle now, or None when the source says it has not changed since the last
        fetch; BundleError when it cannot be read or does not load."""
        ...


class FolderSource:
    """A bundle folder on disk."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.location = self.folder.as_posix()

    def fingerprint(self) -> str | None:
        digest = hashlib.sha256()
        try:
            for path in sorted(self.folder.rglob("*")):
                rel = path.relative_to(self.folder)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                stat = path.stat()
                digest.update(f"{rel.as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError as exc:  # a file vanished mid-walk: a change; fetch says what is wrong
            digest.update(str(exc).encode())
        return digest.hexdigest()

    def fetch(self) -> PolicyBundle | None:
        return load_bundle(self.folder)


class ArchiveFileSource:
    """A bundle archive file on disk (``bundle.tar.gz``)."""

    def __init__(self, path: str | Path, loader: ArchiveLoader = load_bundle_bytes) -> None:
        self.path = Path(path)
        self.location = self.path.as_posix()
        self.loader = loader

    def fingerprint(self) -> str | None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            return f"missing: {exc.strerror}"
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def fetch(self) -> PolicyBundle | None:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise BundleError(self.location, f"cannot read the bundle file ({exc.strerror})"
                              ) from None
        return self.loader(raw, self.location)


class UrlSource:
    """A bundle served over HTTP(S), polled with ``If-None-Match``."""

    def __init__(self, url: str, loader: ArchiveLoader = load_bundle_bytes,
                 timeout: float = FETCH_TIMEOUT_SECONDS,
                 session: requests.Session | None = None) -> None:
        self.url = url
        self.location = shown_url(url)
        self.loader = loader
        self.timeout = timeout
        self.etag: str | None = None
        self._session = session or requests.Session()

    def fingerprint(self) -> str | None:
        return None

    def fetch(self) -> PolicyBundle | None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        try:
            with self._session.get(self.url, headers=headers, timeout=self.timeout,
                                   stream=True) as response:
                if response.status_code == 304:
                    return None
                if response.status_code != 200:
                    raise BundleError(self.location, f"the bundle server answered "
                                                     f"{response.status_code} {response.reason}")
                raw = read_capped(response.iter_content(chunk_size=65536), self.location)
                etag = response.headers.get("ETag")
        except requests.RequestException as exc:
            raise BundleError(self.location, f"the bundle server cannot be reached "
                                             f"({type(exc).__name__})") from None
        # Remembered before loading: a refused bundle is not fetched and refused again on
        # every poll, only when the server has something new.
        self.etag = etag
        return self.loader(raw, self.location)


def open_source(location: str | Path, loader: ArchiveLoader = load_bundle_bytes) -> PolicySource:
    """The source for ``GATEKEEPER_POLICIES``: a URL, an archive file, or a folder."""
    text = str(location)
    if text.startswith(URL_PREFIXES):
        return UrlSource(text, loader)
    if text.endswith(ARCHIVE_SUFFIXES):
        return ArchiveFileSource(text, loader)
    return FolderSource(location)
