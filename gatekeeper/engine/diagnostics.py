"""Turn raw engine error text into short, located messages (file, line, problem).

regorus reports errors as a source snippet plus a Rust backtrace; regopy as an s-expression
error tree. Callers want ``file:line: message`` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LOCATION = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)")
_ERROR_LINE = re.compile(r"^error:\s*(?P<msg>.*)$", re.MULTILINE)
MAX_MESSAGE = 240  # engines may dump whole values into a message; keep it readable
_REGOPY_ERROR = re.compile(r"\(error \d+:(?P<file>[^|\n]*)\|(?P<offset>\d+)\|\d+\s*\(errormsg ")


def shorten(message: str, limit: int = MAX_MESSAGE) -> str:
    """Cut an over-long message (e.g. one embedding a large set) to ``limit`` characters."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Diagnostic:
    """One located problem; ``file``/``line`` are None when the engine gave no location."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where = f"{where}:{self.column}"
        return f"{where}: {self.message}"


def strip_backtrace(text: str) -> str:
    """Drop the Rust ``Stack backtrace:`` tail that regorus appends to every error."""
    return text.split("Stack backtrace:", 1)[0].strip()


def parse_regorus_error(error: BaseException | str) -> Diagnostic:
    """Extract file, line, column and the ``error:`` message from a regorus error."""
    text = strip_backtrace(str(error))
    location = _LOCATION.search(text)
    messages = _ERROR_LINE.findall(text)
    message = shorten(messages[-1] if messages else text)
    if location is None:
        return Diagnostic(message or "unknown engine error")
    return Diagnostic(
        message,
        location.group("file"),
        int(location.group("line")),
        int(location.group("col")),
    )


def parse_regopy_error(text: str, sources: dict[str, str] | None = None) -> Diagnostic:
    """Extract the first error of a rego-cpp error tree; offsets become lines via ``sources``."""
    match = _REGOPY_ERROR.search(text)
    if match is None:
        return Diagnostic(shorten(text) or "unknown engine error")
    rest = text[match.end() :]
    length, _, tail = rest.partition(":")
    message = tail[: int(length)] if length.isdigit() else tail.split(")", 1)[0]
    file = match.group("file") or None
    line = None
    if file and sources and file in sources:
        line = sources[file].encode()[: int(match.group("offset"))].count(b"\n") + 1
    return Diagnostic(shorten(message), file, line)
