"""What a requester may ask for: access levels, purposes, alternatives, customers, environments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekeeper.domain import FieldError, ForbiddenError, Principal, ValidationError
from gatekeeper.domain.roles import is_customer_role
from gatekeeper.engine.base import PolicyBundle


def visible_customers(data: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    """The customers this caller may request for: its own organisation for a customer role."""
    customers = data.get("customers", {}) or {}
    if is_customer_role(principal.role):
        return {k: v for k, v in customers.items() if k == principal.organisation}
    return dict(customers)


def build_catalog(bundle: PolicyBundle, principal: Principal) -> dict[str, Any]:
    """The catalogue document served at GET /v1/catalog."""
    catalog = bundle.data.get("catalog", {}) or {}

    def listing(section: str) -> list[dict[str, Any]]:
        items = catalog.get(section, {}) or {}
        return [{"id": key, **value} for key, value in sorted(items.items())]

    customers = []
    for cid, customer in sorted(visible_customers(bundle.data, principal).items()):
        environments = [
            {
                "id": eid,
                "name": env.get("title") or env.get("name", eid),
                "criticality": env.get("criticality"),
                "systems": env.get("systems", []),
            }
            for eid, env in sorted((customer.get("environments") or {}).items())
        ]
        customers.append(
            {
                "id": cid,
                "name": customer.get("name", cid),
                "tier": customer.get("tier"),
                "environments": environments,
            }
        )
    return {
        "access_levels": listing("access_levels"),
        "purposes": listing("purposes"),
        "alternatives": listing("alternatives"),
        "customers": customers,
        "policy": {"revision": bundle.revision},
    }


def check_known(bundle: PolicyBundle, principal: Principal, request: Any) -> None:
    """Reject ids the bundle does not know (or the caller may not see) naming each field.

    A customer credential asking for another organisation is refused outright (403).
    """
    if is_customer_role(principal.role) and request.customer != principal.organisation:
        raise ForbiddenError(f"this credential may only request for its own organisation "
                             f"({principal.organisation})")
    catalog = bundle.data.get("catalog", {}) or {}
    errors: list[FieldError] = []
    customers = visible_customers(bundle.data, principal)
    customer = customers.get(request.customer)
    if customer is None:
        errors.append(FieldError("customer", f"unknown customer {request.customer!r}"))
    elif request.environment not in (customer.get("environments") or {}):
        known = ", ".join(sorted(customer.get("environments") or {}))
        errors.append(
            FieldError(
                "environment",
                f"unknown environment {request.environment!r} for {request.customer} "
                f"(known: {known})",
            )
        )
    checked: tuple[tuple[str, str], ...] = (("access", "access_levels"), ("purpose", "purposes"))
    alternative_id = getattr(request, "alternative", None)
    if alternative_id is not None:
        errors += _alternative_problems(catalog, request, alternative_id)
        if request.access == "none":
            checked = (("purpose", "purposes"),)
    for name, section in checked:
        value = getattr(request, name)
        options = catalog.get(section) or {}
        if value not in options:
            errors.append(
                FieldError(name, f"unknown {name} {value!r} (known: {', '.join(sorted(options))})")
            )
    if errors:
        raise ValidationError(errors)


def _alternative_problems(catalog: Mapping[str, Any], request: Any,
                          alternative_id: str) -> list[FieldError]:
    """A follow-up names a catalogue alternative for its purpose, with that alternative's
    access (``none`` when the MSP does the work)."""
    alternative = (catalog.get("alternatives") or {}).get(alternative_id)
    if not isinstance(alternative, Mapping):
        return [FieldError("alternative", f"unknown alternative {alternative_id!r}")]
    errors = []
    if request.purpose not in (alternative.get("fulfils") or ()):
        errors.append(FieldError("alternative", f"{alternative_id!r} does not fulfil "
                                                f"{request.purpose!r}"))
    if request.access != alternative.get("access"):
        errors.append(FieldError("access", f"must be {alternative.get('access')!r}, the "
                                           f"access of {alternative_id!r}"))
    return errors
