"""A short-lived memory of accepted API tokens, so most API calls skip the database read.

Only tokens that were *accepted* are remembered, keyed by the token's SHA-256 (never the
token), for ``seconds`` by the identity service's clock. The caller still checks expiry
against the clock on every call. Rejections are never remembered, so a token created a
moment ago works at once. Revoking a token through this process forgets it at once (and a
lookup that raced with the revocation is not stored); a revocation made by another process
(another worker, the CLI) takes effect here when the entry ages out, within ``seconds``.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

from gatekeeper.ledger.identity_sql import TokenRecord

DEFAULT_SECONDS = 2.0
MAX_ENTRIES = 4096


class TokenCache:
    """Bounded, thread-safe: token hash -> (record, when it was read). ``seconds=0`` is off."""

    def __init__(self, seconds: float = 0.0, max_entries: int = MAX_ENTRIES) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"token cache lifetime must be 0 or more seconds, not {seconds}")
        if max_entries < 1:
            raise ValueError("token cache needs room for at least one entry")
        self.enabled = seconds > 0
        self.lifetime = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self._entries: dict[str, tuple[TokenRecord, datetime]] = {}  # oldest insertion first
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every invalidation

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Take this before reading the database and hand it to :meth:`put`."""
        return self._generation

    def get(self, token_hash: str, now: datetime) -> TokenRecord | None:
        """The remembered record, or None when absent or older than the lifetime."""
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            record, read_at = entry
            age = now - read_at
            if timedelta(0) <= age < self.lifetime:
                return record
            del self._entries[token_hash]  # aged out (or the clock went back): read again
            return None

    def put(self, token_hash: str, record: TokenRecord, read_at: datetime,
            generation: int) -> None:
        """Remember an accepted record read at ``read_at`` (taken before the read).

        Skipped when any invalidation happened since ``generation`` was taken: the read may
        have seen the token just before it was revoked.
        """
        if not self.enabled:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._entries.pop(token_hash, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest goes first
            self._entries[token_hash] = (record, read_at)

    def replace(self, token_hash: str, record: TokenRecord) -> None:
        """Swap in a newer record (e.g. after ``last_used_at`` was written), same age."""
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is not None and entry[0].id == record.id:
                self._entries[token_hash] = (record, entry[1])

    def forget(self, token_id: str) -> None:
        """Drop every entry of one token (it was revoked here); lookups in flight are not stored."""
        with self._lock:
            self._generation += 1
            for key in [k for k, (record, _) in self._entries.items() if record.id == token_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
