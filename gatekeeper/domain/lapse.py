"""A linked extension that still waits when its grant ends lapses with it.

An extension waits (for acceptance or an approver) as a linked request while the grant runs.
Once the grant is revoked or its time box ends, there is nothing left to extend: the ledger
closes the waiting extension in the same transaction, as the system, so no one is asked to
approve it and the requester's list shows it closed with the reason.
"""

from __future__ import annotations

from datetime import datetime

from gatekeeper.domain import lifecycle as lc
from gatekeeper.domain.lifecycle import Event
from gatekeeper.domain.record import Change, RequestRecord

# What ends a grant, and what the lapsed extension's history says about it.
_REASONS = {
    lc.REVOKED: "the access it would extend was revoked",
    lc.EXPIRED: "the access it would extend has ended",
}
GRANT_ENDINGS = tuple(_REASONS)


def lapses(child: RequestRecord) -> bool:
    """A linked request that still waits: only an extension can wait on a live grant."""
    return child.state in lc.OPEN_STATES


def lapse(child: RequestRecord, grant_state: str, at: datetime) -> Change:
    """Close a waiting extension whose grant moved to ``grant_state`` (revoked or expired)."""
    reason = _REASONS[grant_state]
    return Change(lc.WITHDRAWN, Event(lc.SYSTEM_ACTOR, at, child.state, lc.WITHDRAWN,
                                      "withdraw", reason,
                                      {"parent_id": child.parent_id, "grant": grant_state}))
