"""Products and their price periods as ops manage them (issue 5, ``/ops/products``).

A product (``catalogue.Product``) says what is sold: code, names in nl/fr/de/en, energy, customer
types, ``fixed`` or ``variable``, validity, indicative energy prices per register (what the first
advance is computed with), yearly fee and an average of network costs and levies per kWh.
Its *price periods* (``pricing.PricePeriod``) say what each day of supply costs.

Rules, written down once (every refusal is a DomainError naming the field):

* ``product.code``: 3 to 40 capitals, digits and dashes; ``product.names``: a name in each of
  nl, fr, de and en; ``product.energy``: electricity or gas; ``product.customer_types``: a
  non-empty subset of residential and professional; ``product.kind``: fixed or variable;
  ``product.validity``: ``valid_until`` not before ``valid_from``; ``product.prices``: a positive
  price per kWh for each register, registers of the energy (gas: single; electricity: single,
  day, night, exclusive_night), fees and levies not negative.
* Price periods (``price.*``): ``PriceBook.validate`` is the authority (no overlap, no gap).
  On top: the periods cover the product's whole validity (``price.coverage``), a fixed product is
  priced per kWh and a variable one by formulas ``a x index + b`` on a known index name
  (``price.kind``), each period prices every register the product sells (``price.register``),
  and history is never rewritten (``price.history``): the prices of a day before today stay as
  they were (invoices were made with them); only the future changes, e.g. an open period is
  closed and a new one follows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from wattdesk.domain.catalogue import Product
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import LANGUAGES
from wattdesk.domain.pricing import PriceBook, PricePeriod, VariableFormula

CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")
INDEX_RE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
ENERGIES = ("electricity", "gas")
CUSTOMER_TYPES = ("residential", "professional")
KINDS = ("fixed", "variable")
REGISTERS_OF = {"electricity": ("single", "day", "night", "exclusive_night"), "gas": ("single",)}
ONE_DAY = timedelta(days=1)


def _decimal(value: Any, code: str, field: str, what: str, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(code, f"{what} is a number such as 0.1350.", field) from exc
    if not number.is_finite() or number < 0 or (positive and number == 0) or number.as_tuple().exponent < -6:
        raise DomainError(code, f"{what} is a {'positive' if positive else 'non-negative'} number with at most 6 decimals.", field)
    return number


def _day(value: Any, code: str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError(code, "A date is written YYYY-MM-DD.", field) from exc


def parse_product(code: str, data: Mapping[str, Any]) -> Product:
    """A product from what ops send (strings for numbers and dates)."""
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise DomainError("product.code", "A product code is 3 to 40 capitals, digits and dashes, e.g. ELEC-FIX-1Y.", "code")
    names = data.get("names") or {}
    for language in LANGUAGES:
        name = names.get(language) if isinstance(names, Mapping) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            raise DomainError("product.names", f"The product needs a name in {language} (1 to 80 characters).", f"names.{language}")
    energy = data.get("energy")
    if energy not in ENERGIES:
        raise DomainError("product.energy", "The energy is electricity or gas.", "energy")
    types = data.get("customer_types") or []
    if not types or not isinstance(types, Sequence) or any(t not in CUSTOMER_TYPES for t in types):
        raise DomainError("product.customer_types", "Customer types are residential and/or professional.", "customer_types")
    kind = data.get("kind")
    if kind not in KINDS:
        raise DomainError("product.kind", "A product is fixed or variable.", "kind")
    valid_from = _day(data.get("valid_from"), "product.validity", "valid_from")
    valid_until = _day(data["valid_until"], "product.validity", "valid_until") if data.get("valid_until") else None
    if valid_until is not None and valid_until < valid_from:
        raise DomainError("product.validity", "The product cannot stop being offered before it starts.", "valid_until")
    prices = data.get("energy_prices") or {}
    if not isinstance(prices, Mapping) or not prices:
        raise DomainError("product.prices", "Give an indicative price per kWh for each register sold.", "energy_prices")
    energy_prices = {}
    for register, value in prices.items():
        if register not in REGISTERS_OF[energy]:
            raise DomainError("product.prices", f"{energy} has no register {register!r}; registers: {', '.join(REGISTERS_OF[energy])}.", f"energy_prices.{register}")
        energy_prices[register] = _decimal(value, "product.prices", f"energy_prices.{register}", "A price per kWh", positive=True)
    return Product(
        code=code,
        names={language: names[language].strip() for language in LANGUAGES},
        energy=energy,
        customer_types=frozenset(types),
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        energy_prices=energy_prices,
        yearly_fee=_decimal(data.get("yearly_fee", "0"), "product.prices", "yearly_fee", "The yearly fee"),
        network_and_levies_per_kwh=_decimal(data.get("network_and_levies_per_kwh", "0"), "product.prices", "network_and_levies_per_kwh", "Network costs and levies per kWh"),
    )


def product_json(product: Product) -> dict[str, Any]:
    return {
        "code": product.code,
        "names": dict(product.names),
        "energy": product.energy,
        "customer_types": sorted(product.customer_types),
        "kind": product.kind,
        "valid_from": product.valid_from.isoformat(),
        "valid_until": product.valid_until.isoformat() if product.valid_until else None,
        "energy_prices": {register: str(price) for register, price in product.energy_prices.items()},
        "yearly_fee": str(product.yearly_fee),
        "network_and_levies_per_kwh": str(product.network_and_levies_per_kwh),
    }


def parse_periods(product: Product, rows: Sequence[Mapping[str, Any]]) -> list[PricePeriod]:
    """Price periods from what ops send: ``[{valid_from, valid_until, energy_prices, yearly_fee}]``
    where a fixed register price is a number and a variable one ``{"a", "b", "index"}``."""
    if not rows:
        raise DomainError("price.period", "Give at least one price period.", "periods")
    periods = []
    for n, row in enumerate(rows):
        field = f"periods[{n}]"
        valid_from = _day(row.get("valid_from"), "price.period", f"{field}.valid_from")
        valid_until = _day(row["valid_until"], "price.period", f"{field}.valid_until") if row.get("valid_until") else None
        if valid_until is not None and valid_until < valid_from:
            raise DomainError("price.period", "A price period cannot end before it starts.", f"{field}.valid_until")
        prices: dict[str, Decimal | VariableFormula] = {}
        for register, value in (row.get("energy_prices") or {}).items():
            where = f"{field}.energy_prices.{register}"
            if register not in REGISTERS_OF[product.energy]:
                raise DomainError("price.register", f"{product.energy} has no register {register!r}.", where)
            if isinstance(value, Mapping):
                if product.kind != "variable":
                    raise DomainError("price.kind", f"{product.code} is a fixed product: give a price per kWh, not a formula.", where)
                index = value.get("index")
                if not isinstance(index, str) or not INDEX_RE.fullmatch(index):
                    raise DomainError("price.formula", "A formula names its index in capitals, e.g. BELPEX_ELEC.", f"{where}.index")
                a = _decimal(value.get("a"), "price.formula", f"{where}.a", "Coefficient a", positive=True)
                b = _decimal(value.get("b", "0"), "price.formula", f"{where}.b", "Coefficient b")
                prices[register] = VariableFormula(a, b, index)
            else:
                if product.kind != "fixed":
                    raise DomainError("price.kind", f"{product.code} is a variable product: give a formula {{a, b, index}}.", where)
                prices[register] = _decimal(value, "price.period", where, "A price per kWh", positive=True)
        missing = [r for r in product.energy_prices if r not in prices]
        if missing:
            raise DomainError("price.register", f"Every period prices the registers sold: {', '.join(missing)} missing.", f"{field}.energy_prices")
        fee = _decimal(row.get("yearly_fee", "0"), "price.period", f"{field}.yearly_fee", "The yearly fee")
        periods.append((n, PricePeriod(product.code, valid_from, valid_until, prices, fee)))
    # Overlaps and gaps, named by the field of the period where they start.
    ordered = sorted(periods, key=lambda item: item[1].valid_from)
    for (_, previous), (n, following) in zip(ordered, ordered[1:], strict=False):
        if previous.valid_until is None or following.valid_from <= previous.valid_until:
            raise DomainError("price.overlap", f"Two price periods both cover {following.valid_from.isoformat()}.", f"periods[{n}].valid_from")
        if following.valid_from > previous.valid_until + ONE_DAY:
            raise DomainError("price.gap", f"No prices from {(previous.valid_until + ONE_DAY).isoformat()} to {(following.valid_from - ONE_DAY).isoformat()}.", f"periods[{n}].valid_from")
    book = PriceBook(period for _, period in periods)
    try:
        book.validate()  # the authority on overlaps and gaps
    except DomainError as exc:
        raise exc.with_field("periods") from exc
    first, last = ordered[0][1], ordered[-1][1]
    if first.valid_from > product.valid_from:
        raise DomainError("price.coverage", f"The product is offered from {product.valid_from.isoformat()}: prices must start then.", f"periods[{ordered[0][0]}].valid_from")
    if last.valid_until is not None and (product.valid_until is None or last.valid_until < product.valid_until):
        raise DomainError("price.coverage", "The prices stop before the product does: leave the last period open or extend it.", f"periods[{ordered[-1][0]}].valid_until")
    return [period for _, period in ordered]


def check_history(old: Sequence[PricePeriod], new: Sequence[PricePeriod], today: date) -> None:
    """The prices of every day before ``today`` are the same in ``new`` as in ``old``."""
    if not old:
        return
    for period in old:
        if period.valid_from >= today:
            continue
        last_past = today - ONE_DAY if period.valid_until is None else min(period.valid_until, today - ONE_DAY)
        same = next((p for p in new if p.valid_from == period.valid_from), None)
        if same is None or same.energy_prices != period.energy_prices or same.yearly_fee != period.yearly_fee or (same.valid_until is not None and same.valid_until < last_past):
            raise DomainError(
                "price.history",
                f"The prices from {period.valid_from.isoformat()} were used already: days before {today.isoformat()} keep their prices (change from {today.isoformat()} on).",
                "periods",
            )


def period_json(period: PricePeriod) -> dict[str, Any]:
    return {
        "valid_from": period.valid_from.isoformat(),
        "valid_until": period.valid_until.isoformat() if period.valid_until else None,
        "energy_prices": {
            register: ({"a": str(price.a), "b": str(price.b), "index": price.index_name} if isinstance(price, VariableFormula) else str(price))
            for register, price in period.energy_prices.items()
        },
        "yearly_fee": str(period.yearly_fee),
    }


def period_from_json(code: str, row: Mapping[str, Any]) -> PricePeriod:
    """A stored period (as period_json wrote it) back as a PricePeriod."""
    prices: dict[str, Decimal | VariableFormula] = {
        register: (VariableFormula(Decimal(value["a"]), Decimal(value["b"]), value["index"]) if isinstance(value, Mapping) else Decimal(value))
        for register, value in row["energy_prices"].items()
    }
    return PricePeriod(
        code, date.fromisoformat(row["valid_from"]), date.fromisoformat(row["valid_until"]) if row.get("valid_until") else None, prices, Decimal(row["yearly_fee"])
    )


def variable_indexes(periods: Sequence[PricePeriod], start: date, end: date) -> list[tuple[str, str]]:
    """(index name, "YYYY-MM") that pricing ``[start, end)`` with ``periods`` needs: one value per
    month of supply for every register priced by a formula, sorted."""
    needed: set[tuple[str, str]] = set()
    month = start.replace(day=1)
    while month < end:
        following = (month + timedelta(days=32)).replace(day=1)
        first, stop = max(start, month), min(end, following)  # the month's days in [start, end)
        for period in periods:
            if period.valid_from < stop and (period.valid_until is None or period.valid_until >= first):
                for price in period.energy_prices.values():
                    if isinstance(price, VariableFormula):
                        needed.add((price.index_name, f"{month.year:04d}-{month.month:02d}"))
        month = following
    return sorted(needed)
