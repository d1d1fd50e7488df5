"""Where replayed requests come from: JSON files (examples or bare requests) or the ledger.

Sources yield :class:`Pending` entries (raw JSON text, or a recorded body and requester);
workers :meth:`~Pending.resolve` them into engine inputs built exactly as the service builds
them, so parsing and validation run in parallel too. A request the service would reject
whatever the policy says becomes an :class:`Item` with a ``problem``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gatekeeper.domain import AccessRequest, Principal, ValidationError
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.domain.roles import ENGINEER
from gatekeeper.domain.situation import context_input
from gatekeeper.policyci.errors import SourceError
from gatekeeper.service.decisions import build_input


@dataclass(frozen=True)
class Item:
    """One request to replay: its label and engine input, or why it cannot be replayed."""

    label: str
    input: dict[str, Any] | None = None
    problem: str | None = None


def _principal(ident: Any) -> Principal:
    if not isinstance(ident, Mapping):
        return ANONYMOUS_ENGINEER
    return Principal(
        subject=str(ident.get("subject", "example")),
        role=str(ident.get("role", ENGINEER)),
        organisation=ident.get("organisation"),
    )


def make_item(label: str, body: Any, principal: Principal, now: datetime,
              context: Any = None) -> Item:
    """Validate ``body`` as the service does and build the engine input (``context``: an
    example's ``input.context``; none is read from the ledger)."""
    try:
        request = AccessRequest.from_mapping(body)
        context = context_input(context)
    except ValidationError as exc:
        problems = "; ".join(f"{e.field or 'body'}: {e.problem}" for e in exc.errors)
        return Item(label, problem=problems)
    except ValueError as exc:
        return Item(label, problem=str(exc))
    return Item(label, build_input(request, principal, now, context))


def item_from_document(label: str, doc: Any, default_now: datetime) -> Item:
    """A bare request, or an example ``{request, identity, now, context, expect}``."""
    if isinstance(doc, Mapping) and isinstance(doc.get("request"), Mapping):
        now = default_now
        if doc.get("now") is not None:
            try:
                now = parse_timestamp(str(doc["now"]))
            except ValueError:
                return Item(label, problem=f"now: {doc['now']!r} is not an RFC 3339 timestamp")
        return make_item(label, doc["request"], _principal(doc.get("identity")), now,
                         doc.get("context"))
    return make_item(label, doc, ANONYMOUS_ENGINEER, default_now)


@dataclass(frozen=True)
class Pending:
    """A request not yet parsed: JSON ``text`` (one document, a list, or a JSON-lines line)
    or a recorded ``body`` with its requester; ``line`` is set for JSON-lines entries."""

    label: str
    now: datetime
    text: str | None = None
    body: Any = None
    principal: Principal | None = None
    line: int | None = None

    def resolve(self) -> list[Item]:
        """The items this entry holds; SourceError (file:line:column) for invalid JSON."""
        if self.text is None:
            return [make_item(self.label, self.body, self.principal or ANONYMOUS_ENGINEER,
                              self.now)]
        try:
            doc = json.loads(self.text)
        except json.JSONDecodeError as exc:
            where = f"{self.line}:{exc.colno}" if self.line else f"{exc.lineno}:{exc.colno}"
            raise SourceError(f"{self.label}:{where}: invalid JSON: {exc.msg}") from None
        if self.line is not None:
            return [item_from_document(f"{self.label}:{self.line}", doc, self.now)]
        if isinstance(doc, list):
            return [item_from_document(f"{self.label}[{i}]", d, self.now)
                    for i, d in enumerate(doc)]
        return [item_from_document(self.label, doc, self.now)]


def resolve_all(entries: Any) -> list[Item]:
    """Every item of a source, resolved in this process (tests and small runs)."""
    return [item for entry in entries for item in entry.resolve()]


class FileSource:
    """``*.json`` files under a folder (or one file); ``.jsonl`` files hold one per line."""

    def __init__(self, path: Path, now: datetime) -> None:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        self.path = path
        self.now = now
        if path.is_dir():
            self.files = sorted(
                p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()
            )
        else:
            self.files = [path]
        self.description = str(path)

    @property
    def total(self) -> int:
        """Number of files plus JSON-lines lines: the progress bar's length."""
        count = 0
        for file in self.files:
            if file.suffix != ".jsonl":
                count += 1
                continue
            try:
                with file.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        count += block.count(b"\n")
            except OSError:
                return count
        return count

    def __iter__(self) -> Iterator[Pending]:
        for file in self.files:
            label = str(file)
            try:
                if file.suffix == ".jsonl":
                    with file.open(encoding="utf-8") as handle:
                        for lineno, line in enumerate(handle, 1):
                            if line.strip():
                                yield Pending(label, self.now, text=line, line=lineno)
                    continue
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                raise SourceError(f"{label}: cannot read: {reason}") from None
            yield Pending(label, self.now, text=text)
