"""Products and their price periods, managed by ops (issue 5, /ops/products).

Keys (docs/data-model.md, docs/products.md):
  PRODUCT#<code> / PRODUCT            the product (JSON of domain.products.product_json), version
  PRODUCT#<code> / PRICES             its price periods (JSON list), version
  PRODUCT#<code> / AUDIT#<at>#<n>     who changed what (the previous and the new value)
  CATALOGUE      / SEEDED             the catalogue of domain/catalogue.py was loaded once
PRODUCT items are listed on GSI1 ``PRODUCTS``, PRICES items on ``PRICESCHEDULES`` (sort key the
code): the whole catalogue is two queries.

The store is the source of products and prices for billing. An empty table is seeded once from
the catalogue in code (domain/catalogue.py, domain/pricing.PRICE_BOOK_EXAMPLE): the seed and its
marker are one transaction, so two first readers cannot seed twice. Every change is conditional
on the version read (no lost update) and written with its audit entry in one transaction.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from wattdesk.domain import products as rules
from wattdesk.domain.catalogue import PRODUCTS, Product
from wattdesk.domain.pricing import PRICE_BOOK_EXAMPLE, PriceBook, PricePeriod
from wattdesk.stores.base import WattDeskItem, transaction_connection
from wattdesk.stores.enrollments import AuditEntry

LIST_KEY = "PRODUCTS"
PRICES_LIST_KEY = "PRICESCHEDULES"


class ProductRecord(WattDeskItem):
    data = UnicodeAttribute()  # product_json
    version = NumberAttribute(default=1)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class PriceSchedule(WattDeskItem):
    periods = UnicodeAttribute()  # JSON list of period_json
    version = NumberAttribute(default=1)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class SeedMarker(WattDeskItem):
    at = UnicodeAttribute()


class Conflict(Exception):
    """The product changed (or appeared) since it was read; read again."""


def _product_item(product: Product, version: int, actor: str, at: datetime) -> ProductRecord:
    return ProductRecord(
        f"PRODUCT#{product.code}", "PRODUCT", data=json.dumps(rules.product_json(product), sort_keys=True), version=version, updated_at=at.isoformat(), updated_by=actor,
        GSI1PK=LIST_KEY, GSI1SK=product.code,
    )


def _prices_item(code: str, periods: list[PricePeriod], version: int, actor: str, at: datetime) -> PriceSchedule:
    return PriceSchedule(
        f"PRODUCT#{code}", "PRICES", periods=json.dumps([rules.period_json(p) for p in periods], sort_keys=True), version=version, updated_at=at.isoformat(), updated_by=actor,
        GSI1PK=PRICES_LIST_KEY, GSI1SK=code,
    )


def _audit(code: str, actor: str, action: str, at: datetime, **details: Any) -> AuditEntry:
    return AuditEntry(
        f"PRODUCT#{code}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action=action, details=json.dumps(details, sort_keys=True, default=str)
    )


def _product(record: ProductRecord) -> Product:
    data = json.loads(record.data)
    return rules.parse_product(data["code"], data)


def _periods(code: str, record: PriceSchedule) -> list[PricePeriod]:
    return [rules.period_from_json(code, row) for row in json.loads(record.periods)]


def ensure_seeded(at: datetime | None = None) -> None:
    """Loads the catalogue in code into an empty store, once."""
    try:
        SeedMarker.get("CATALOGUE", "SEEDED")
        return
    except DoesNotExist:
        pass
    from wattdesk import clock

    at = at or clock.now()
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(SeedMarker("CATALOGUE", "SEEDED", at=at.isoformat()), condition=SeedMarker.PK.does_not_exist())
            for product in PRODUCTS.values():
                transaction.save(_product_item(product, 1, "seed", at), condition=ProductRecord.PK.does_not_exist())
                transaction.save(_prices_item(product.code, list(PRICE_BOOK_EXAMPLE.periods_for(product.code)), 1, "seed", at), condition=PriceSchedule.PK.does_not_exist())
    except TransactWriteError:
        pass  # another reader seeded first


def all_products() -> list[tuple[Product, int, list[PricePeriod], int]]:
    """(product, version, price periods, prices version) of every product, by code."""
    ensure_seeded()
    products = {item.GSI1SK: item for item in ProductRecord.work_list.query(LIST_KEY)}
    schedules = {item.GSI1SK: item for item in PriceSchedule.work_list.query(PRICES_LIST_KEY)}
    return [
        (_product(products[code]), int(products[code].version), _periods(code, schedules[code]) if code in schedules else [], int(schedules[code].version) if code in schedules else 0)
        for code in sorted(products)
    ]


def get(code: str) -> tuple[Product, int, list[PricePeriod], int] | None:
    ensure_seeded()
    try:
        record = ProductRecord.get(f"PRODUCT#{code}", "PRODUCT", consistent_read=True)
    except DoesNotExist:
        return None
    try:
        schedule = PriceSchedule.get(f"PRODUCT#{code}", "PRICES", consistent_read=True)
        periods, prices_version = _periods(code, schedule), int(schedule.version)
    except DoesNotExist:
        periods, prices_version = [], 0
    return _product(record), int(record.version), periods, prices_version


def catalogue() -> dict[str, Product]:
    """Every product ops store, by code (the source for billing and product changes)."""
    return {product.code: product for product, _v, _p, _pv in all_products()}


def price_book() -> PriceBook:
    """The price periods of every product, as the domain prices with them."""
    return PriceBook(period for _product, _v, periods, _pv in all_products() for period in periods)


def periods_of(code: str) -> list[PricePeriod]:
    found = get(code)
    return found[2] if found else []


def _write(items: list[tuple[WattDeskItem, Any]], audit: AuditEntry) -> None:
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            for item, condition in items:
                transaction.save(item, condition=condition)
            transaction.save(audit, condition=AuditEntry.PK.does_not_exist())
    except TransactWriteError as exc:
        codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict(audit.PK) from exc
        raise


def create(product: Product, periods: list[PricePeriod], actor: str, at: datetime) -> None:
    """A new product with its price periods, both or neither. Conflict when the code exists."""
    ensure_seeded(at)
    _write(
        [(_product_item(product, 1, actor, at), ProductRecord.PK.does_not_exist()), (_prices_item(product.code, periods, 1, actor, at), PriceSchedule.PK.does_not_exist())],
        _audit(product.code, actor, "product_created", at, product=rules.product_json(product), periods=[rules.period_json(p) for p in periods]),
    )


def update(product: Product, expected_version: int, previous: Product, actor: str, at: datetime) -> None:
    _write(
        [(_product_item(product, expected_version + 1, actor, at), ProductRecord.version == expected_version)],
        _audit(product.code, actor, "product_changed", at, **{"from": rules.product_json(previous), "to": rules.product_json(product)}),
    )


def set_prices(code: str, periods: list[PricePeriod], expected_version: int, previous: list[PricePeriod], actor: str, at: datetime) -> None:
    condition = PriceSchedule.version == expected_version if expected_version else PriceSchedule.PK.does_not_exist()
    _write(
        [(_prices_item(code, periods, expected_version + 1, actor, at), condition)],
        _audit(code, actor, "prices_changed", at, **{"from": [rules.period_json(p) for p in previous], "to": [rules.period_json(p) for p in periods]}),
    )


def audit_trail(code: str) -> list[AuditEntry]:
    return list(AuditEntry.query(f"PRODUCT#{code}", AuditEntry.SK.startswith("AUDIT#")))
