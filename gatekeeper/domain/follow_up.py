"""The follow-up of a chosen alternative: the request the policy decides in its own right.

Choosing an alternative does not copy the parent's answer (its re-provisioning downtime, its
conditions): the follow-up is a request of its own, the same customer, environment, need and
time, with the alternative's access and ``alternative`` naming it, and the policy decides it.
The service asks the engine for that decision; the request record links it (record.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from gatekeeper.domain.decision import Alternative
from gatekeeper.domain.request import AccessRequest

# What a follow-up's access is when the MSP does the work (the catalogue's word for it).
NO_ACCESS = "none"


def follow_up_request(parent: AccessRequest, alternative: Alternative,
                      now: datetime) -> AccessRequest:
    """The request that takes ``alternative`` instead of ``parent``: the policy's input.

    It keeps the need, systems, duration and urgency; takes the alternative's ``access``
    (``none`` when the MSP does the work); and starts no earlier than now + the alternative's
    lead time. The same inputs give the same request, so the service can decide it before the
    transition and the record can rebuild it under the lock.
    """
    access = alternative.get("access")
    request = replace(parent, access=access if isinstance(access, str) else NO_ACCESS,
                      alternative=alternative.id)
    lead = float(alternative.lead_time_hours or 0)
    if lead > 0:
        earliest = (now + timedelta(hours=lead)).replace(microsecond=0)
        if request.start is None or request.start < earliest:
            request = replace(request, start=earliest)
    return request
