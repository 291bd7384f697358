"""Ops manage products and their price periods (issue 5, /ops/products); rules in
domain/products.py, storage (versioned, audited, seeded from the catalogue) in stores/products.py."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from wattdesk.domain import products as rules
from wattdesk.domain.errors import DomainError
from wattdesk.stores import prices as index_store
from wattdesk.stores import products as store


class ProductNotFound(LookupError):
    pass


class VersionConflict(Exception):
    pass


def view(code: str, with_audit: bool = True) -> dict[str, Any]:
    found = store.get(code)
    if found is None:
        raise ProductNotFound(code)
    product, version, periods, prices_version = found
    result = {**rules.product_json(product), "version": version, "prices_version": prices_version, "periods": [rules.period_json(p) for p in periods]}
    if with_audit:
        result["audit"] = [
            {"at": entry.at, "actor": entry.actor, "action": entry.action, "details": json.loads(entry.details)} for entry in store.audit_trail(code)
        ]
    return result


def listing(on: date | None = None) -> list[dict[str, Any]]:
    items = []
    for product, version, periods, prices_version in store.all_products():
        current = next((p for p in periods if on and p.covers(on)), None)
        items.append(
            {
                **rules.product_json(product), "version": version, "prices_version": prices_version, "periods": len(periods),
                "offered": product.offered_on(on) if on else None, "current_prices": rules.period_json(current) if current else None,
            }
        )
    return items


def create(code: str, data: dict[str, Any], actor: str, at: datetime) -> dict[str, Any]:
    product = rules.parse_product(code, data)
    periods = rules.parse_periods(product, data.get("periods") or [])
    try:
        store.create(product, periods, actor, at)
    except store.Conflict as exc:
        raise DomainError("product.exists", f"There is already a product {code}.", "code") from exc
    return view(code)


def _check_version(given: int | None, current: int, what: str) -> None:
    if given is not None and given != current:
        raise VersionConflict(f"{what} changed since version {given} (now {current}); read it again.")


def update(code: str, data: dict[str, Any], actor: str, at: datetime, version: int | None = None) -> dict[str, Any]:
    found = store.get(code)
    if found is None:
        raise ProductNotFound(code)
    previous, current_version, periods, _pv = found
    _check_version(version, current_version, "The product")
    product = rules.parse_product(code, data)
    # The product must stay consistent with its prices (same kind, registers priced, validity covered).
    rules.parse_periods(product, [rules.period_json(p) for p in periods])
    try:
        store.update(product, current_version, previous, actor, at)
    except store.Conflict as exc:
        raise VersionConflict("The product changed meanwhile; read it again.") from exc
    return view(code)


def set_prices(code: str, rows: list[dict[str, Any]], actor: str, at: datetime, today: date, version: int | None = None) -> dict[str, Any]:
    found = store.get(code)
    if found is None:
        raise ProductNotFound(code)
    product, _v, previous, prices_version = found
    _check_version(version, prices_version, "The prices")
    periods = rules.parse_periods(product, rows)
    rules.check_history(previous, periods, today)
    try:
        store.set_prices(code, periods, prices_version, previous, actor, at)
    except store.Conflict as exc:
        raise VersionConflict("The prices changed meanwhile; read them again.") from exc
    return view(code)


def alerts(status: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": alert.kind, "subject": alert.subject, "status": alert.status, "message": alert.message, "raised_at": alert.raised_at,
            "first_run_id": alert.first_run_id, "resolved_at": alert.resolved_at, "resolved_by": alert.resolved_by,
        }
        for alert in index_store.alerts(status)
    ]
