"""Prices over time, network tariffs, and the invoice lines of a consumption period.

Prices change over time, so every computation takes the prices valid on each day of the period
and splits lines where something changes. Dates follow two conventions:

* a ``PricePeriod`` runs from ``valid_from`` to ``valid_until`` *inclusive* (like
  ``catalogue.Product``); ``valid_until=None`` means "until further notice";
* a consumption or billing period is half-open, ``[start, end)``: ``end`` is the first day not
  included, so consecutive periods chain without overlap (2027-01-01 -> 2027-02-01 is January).
  Line parameters ``from`` / ``to`` are the first and last day supplied, both inclusive, as the
  customer reads them.

Rounding rules of this module (money rules are in ``invoice``; ``money.to_cents`` stays the only
rounding of amounts):

* kWh quantities keep 3 decimals (ROUND_HALF_UP). A register's kWh are spread over the days with
  cumulative rounding, so the quantities of a register's lines add up exactly to its kWh.
* Derived unit prices (a variable formula ``a * index + b``, a yearly fee per day
  ``fee / 365`` or ``/ 366`` in a leap year, a price-change factor) are rounded to 6 decimals
  (ROUND_HALF_UP) before the line is made, so every amount is ``to_cents(quantity * printed
  unit price)`` and can be checked by the customer. Over a whole year the daily fee adds up to
  the yearly fee to the cent (the error is below 366 * 0.0000005 < 0.005).

Consumption profile: this module spreads each register's kWh *evenly per day* over the period
(a flat daily profile). The settlement issue replaces it with the standard load profile (SLP),
which weighs winter days more than summer days.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from wattdesk.domain.advance import vat_rate
from wattdesk.domain.catalogue import PRODUCTS, Product
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import LANGUAGES, InvoiceLine, make_line
from wattdesk.domain.money import to_cents

PRICE_PLACES = Decimal("0.000001")  # unit prices: 6 decimals
KWH_PLACES = Decimal("0.001")  # quantities: 3 decimals

# Printing order of registers on an invoice.
REGISTER_ORDER: tuple[str, ...] = ("single", "day", "night", "exclusive_night")

ONE_DAY = timedelta(days=1)


def round_price(value: Decimal) -> Decimal:
    """A unit price rounded to 6 decimals, ROUND_HALF_UP."""
    return value.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def round_kwh(value: Decimal) -> Decimal:
    """A quantity of kWh rounded to 3 decimals, ROUND_HALF_UP."""
    return value.quantize(KWH_PLACES, rounding=ROUND_HALF_UP)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _finite(value: object, code: str, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(code, f"{what} must be a finite Decimal, got {value!r}")
    return value


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --- price periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariableFormula:
    """Energy price of a variable product for one month: ``a * index + b`` euro per kWh.

    ``index`` is the value of ``index_name`` for the month of supply (e.g. BELPEX_ELEC in euro
    per MWh, so ``a`` is small: 0.00110 * 85.00 + 0.0250 = 0.1185 euro/kWh).
    """

    a: Decimal
    b: Decimal
    index_name: str

    def __post_init__(self) -> None:
        _finite(self.a, "price.formula", "formula coefficient a")
        _finite(self.b, "price.formula", "formula coefficient b")
        if not isinstance(self.index_name, str) or not self.index_name:
            raise DomainError("price.formula", "a variable formula needs an index name")

    def price(self, index_value: Decimal) -> Decimal:
        return round_price(self.a * index_value + self.b)


@dataclass(frozen=True)
class PricePeriod:
    """The prices of one product from ``valid_from`` to ``valid_until`` (inclusive; None = open).

    ``energy_prices`` maps a register (single, day, night, exclusive_night) to a price per kWh
    (fixed products) or to a ``VariableFormula`` (variable products). Prices exclude VAT.
    Code: ``price.period`` (inconsistent period).
    """

    product_code: str
    valid_from: date
    valid_until: date | None
    energy_prices: dict[str, Decimal | VariableFormula]
    yearly_fee: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.product_code, str) or not self.product_code:
            raise DomainError("price.period", "a price period needs a product code")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise DomainError("price.period", f"{self.product_code}: period ends ({self.valid_until}) before it starts ({self.valid_from})")
        if not self.energy_prices:
            raise DomainError("price.period", f"{self.product_code}: a price period needs at least one register price")
        for register, price in self.energy_prices.items():
            if not isinstance(price, VariableFormula):
                _finite(price, "price.period", f"{self.product_code} price of register {register}")
        _finite(self.yearly_fee, "price.period", f"{self.product_code} yearly fee")
        if self.yearly_fee < 0:
            raise DomainError("price.period", f"{self.product_code}: yearly fee cannot be negative")
        # A private copy: the caller's dict must not change a frozen period afterwards.
        object.__setattr__(self, "energy_prices", dict(self.energy_prices))

    @property
    def kind(self) -> str:
        """``"variable"`` when a register follows a formula, else ``"fixed"``."""
        return "variable" if any(isinstance(p, VariableFormula) for p in self.energy_prices.values()) else "fixed"

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class PriceBook:
    """All price periods, per product. Construction only groups them; ``validate()`` checks them
    (ops load a book, validate it, then use it). ``periods_between`` refuses overlapping periods
    of the product it is asked about, so an unvalidated book never yields an ambiguous price."""

    def __init__(self, periods: Iterable[PricePeriod]) -> None:
        grouped: dict[str, list[PricePeriod]] = {}
        for period in periods:
            if not isinstance(period, PricePeriod):
                raise DomainError("price.period", f"not a PricePeriod: {period!r}")
            grouped.setdefault(period.product_code, []).append(period)
        self._periods = {code: tuple(sorted(items, key=lambda p: p.valid_from)) for code, items in grouped.items()}

    def products(self) -> tuple[str, ...]:
        return tuple(sorted(self._periods))

    def periods_for(self, product_code: str) -> tuple[PricePeriod, ...]:
        """The product's periods, oldest first. Code: ``price.unknown_product``."""
        periods = self._periods.get(product_code)
        if not periods:
            raise DomainError("price.unknown_product", f"no prices for product {product_code!r}")
        return periods

    def _check(self, product_code: str, *, gaps: bool) -> None:
        periods = self.periods_for(product_code)
        for previous, following in zip(periods, periods[1:], strict=False):
            if previous.valid_until is None or following.valid_from <= previous.valid_until:
                raise DomainError("price.overlap", f"{product_code}: two price periods both cover {following.valid_from.isoformat()}")
            if gaps and following.valid_from > previous.valid_until + ONE_DAY:
                first = previous.valid_until + ONE_DAY
                raise DomainError("price.gap", f"{product_code}: no prices from {first.isoformat()} to {(following.valid_from - ONE_DAY).isoformat()}")

    def validate(self) -> None:
        """Refuse overlapping periods (``price.overlap``) and holes between periods (``price.gap``)
        of any product; the first problem found (products in alphabetical order) is raised."""
        for code in self.products():
            self._check(code, gaps=True)

    def periods_between(self, product_code: str, start: date, end: date) -> list[tuple[PricePeriod, date, date]]:
        """``(period, segment start, segment end)`` covering ``[start, end)`` exactly, in order
        (segment ends are exclusive too). Codes: ``price.gap`` naming the first day without a
        price, ``price.overlap``, ``price.unknown_product``, ``price.range`` (end before start)."""
        if end < start:
            raise DomainError("price.range", f"period ends ({end}) before it starts ({start})")
        self._check(product_code, gaps=False)
        periods = self.periods_for(product_code)
        segments: list[tuple[PricePeriod, date, date]] = []
        cursor = start
        while cursor < end:
            period = next((p for p in periods if p.covers(cursor)), None)
            if period is None:
                raise DomainError("price.gap", f"{product_code}: no prices on {cursor.isoformat()}")
            until = end if period.valid_until is None else min(end, period.valid_until + ONE_DAY)
            segments.append((period, cursor, until))
            cursor = until
        return segments


# --- indexes ------------------------------------------------------------------------------------

_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class MissingIndex(DomainError):
    """No index value for a month: billing of the contract stops; a value is never guessed."""

    def __init__(self, index_name: str, month: str) -> None:
        super().__init__("price.index_missing", f"no value of index {index_name} for {month}: billing of this contract waits until it is loaded")
        self.index_name = index_name
        self.month = month


class IndexValues(Mapping[tuple[str, str], Decimal]):
    """Monthly index values: ``(index_name, "YYYY-MM") -> Decimal``. Code: ``price.index_value``."""

    def __init__(self, values: Mapping[tuple[str, str], Decimal] | None = None) -> None:
        checked: dict[tuple[str, str], Decimal] = {}
        for key, value in (values or {}).items():
            if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and key[0] and isinstance(key[1], str) and _MONTH_RE.fullmatch(key[1])):
                raise DomainError("price.index_value", f"index key must be (name, 'YYYY-MM'), got {key!r}")
            checked[key] = _finite(value, "price.index_value", f"index {key[0]} {key[1]}")
        self._values = checked

    def __getitem__(self, key: tuple[str, str]) -> Decimal:
        return self._values[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def value(self, index_name: str, month: str) -> Decimal:
        """The index of ``month`` ("YYYY-MM"), or ``MissingIndex``."""
        try:
            return self._values[(index_name, month)]
        except KeyError:
            raise MissingIndex(index_name, month) from None


# --- network tariffs ----------------------------------------------------------------------------

REGIONS: tuple[str, ...] = ("flanders", "wallonia", "brussels")


@dataclass(frozen=True)
class NetworkTariff:
    """Network costs for one energy in one region and year, euro excluding VAT."""

    network_per_kwh: Decimal  # distribution + transmission
    levies_per_kwh: Decimal  # federal contribution, excise, regional levies
    yearly_fee: Decimal  # fixed network fee (metering, data management), prorated per day

    def __post_init__(self) -> None:
        for name in ("network_per_kwh", "levies_per_kwh", "yearly_fee"):
            if _finite(getattr(self, name), "network.tariff", name) < 0:
                raise DomainError("network.tariff", f"{name} cannot be negative")


@dataclass(frozen=True)
class NetworkTariffs:
    """Network tariffs per (region, calendar year), each a mapping energy -> NetworkTariff."""

    rows: Mapping[tuple[str, int], Mapping[str, NetworkTariff]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for (region, _year), tariffs in self.rows.items():
            if region not in REGIONS:
                raise DomainError("network.region", f"unknown region {region!r}; expected one of {', '.join(REGIONS)}")
            if not all(isinstance(t, NetworkTariff) for t in tariffs.values()):
                raise DomainError("network.tariff", f"tariffs of {region} must be NetworkTariff values")

    def network_tariffs_for(self, region: str, day: date) -> Mapping[str, NetworkTariff]:
        """The tariffs (energy -> NetworkTariff) of ``region`` valid on ``day``.

        Codes: ``network.region`` (unknown region), ``network.no_tariff`` (no row for that year).
        """
        if region not in REGIONS:
            raise DomainError("network.region", f"unknown region {region!r}; expected one of {', '.join(REGIONS)}")
        tariffs = self.rows.get((region, day.year))
        if tariffs is None:
            raise DomainError("network.no_tariff", f"no network tariffs for {region} in {day.year}")
        return tariffs

    def tariff(self, region: str, day: date, energy: str) -> NetworkTariff:
        """One energy's tariff. Code: ``network.no_tariff`` also when the energy is missing."""
        tariff = self.network_tariffs_for(region, day).get(energy)
        if tariff is None:
            raise DomainError("network.no_tariff", f"no {energy} network tariff for {region} in {day.year}")
        return tariff


def _tariff(network: str, levies: str, fee: str) -> NetworkTariff:
    return NetworkTariff(Decimal(network), Decimal(levies), Decimal(fee))


# EXAMPLE values only, plausible orders of magnitude. The real tariffs are approved each year
# by the regulators (VREG for Flanders, CWaPE for Wallonia, Brugel for Brussels), differ per DSO
# area inside a region, and are loaded by ops; they are not maintained in code.
NETWORK_TARIFFS_EXAMPLE = NetworkTariffs(
    {
        ("flanders", 2026): {"electricity": _tariff("0.0720", "0.0495", "95.00"), "gas": _tariff("0.0165", "0.0085", "24.00")},
        ("flanders", 2027): {"electricity": _tariff("0.0745", "0.0505", "98.00"), "gas": _tariff("0.0170", "0.0088", "25.00")},
        ("flanders", 2028): {"electricity": _tariff("0.0770", "0.0515", "101.00"), "gas": _tariff("0.0176", "0.0090", "26.00")},
        ("wallonia", 2026): {"electricity": _tariff("0.1050", "0.0480", "35.00"), "gas": _tariff("0.0210", "0.0082", "30.00")},
        ("wallonia", 2027): {"electricity": _tariff("0.1085", "0.0490", "36.00"), "gas": _tariff("0.0218", "0.0085", "31.00")},
        ("wallonia", 2028): {"electricity": _tariff("0.1120", "0.0500", "37.00"), "gas": _tariff("0.0225", "0.0087", "32.00")},
        ("brussels", 2026): {"electricity": _tariff("0.0850", "0.0470", "30.00"), "gas": _tariff("0.0190", "0.0080", "28.00")},
        ("brussels", 2027): {"electricity": _tariff("0.0875", "0.0480", "31.00"), "gas": _tariff("0.0196", "0.0083", "29.00")},
        ("brussels", 2028): {"electricity": _tariff("0.0900", "0.0490", "32.00"), "gas": _tariff("0.0202", "0.0085", "30.00")},
    }
)


# --- consumption lines --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    key: Hashable
    start: date  # first day
    end: date  # exclusive
    days: int
    cumulative_days: int  # days from the period start to this segment's end

    @property
    def last(self) -> date:
        return self.end - ONE_DAY


def _segments(days: list[date], key_of: Callable[[date], Hashable]) -> list[_Segment]:
    """Consecutive days with the same key, as segments."""
    segments: list[_Segment] = []
    first, current = 0, key_of(days[0])
    for i in range(1, len(days) + 1):
        key = key_of(days[i]) if i < len(days) else None
        if i == len(days) or key != current:
            segments.append(_Segment(current, days[first], days[i - 1] + ONE_DAY, i - first, i))
            first, current = i, key
    return segments


def _check_kwh(register: str, kwh: object) -> Decimal:
    value = _finite(kwh, "consumption.kwh", f"kWh of register {register}")
    if value < 0:
        raise DomainError("consumption.kwh", f"kWh of register {register} cannot be negative")
    if value != value.quantize(KWH_PLACES):
        raise DomainError("consumption.kwh", f"kWh of register {register} has more than 3 decimals: {value}")
    return value


def _span(segment: _Segment) -> dict[str, str]:
    return {"from": segment.start.isoformat(), "to": segment.last.isoformat()}


def consumption_lines(
    product_code: str,
    registers_kwh: Mapping[str, Decimal],
    period_start: date,
    period_end: date,
    price_book: PriceBook,
    indexes: IndexValues | Mapping[tuple[str, str], Decimal],
    network: NetworkTariffs,
    region: str,
    customer_type: str,
    language: str,
    *,
    products: Mapping[str, Product] = PRODUCTS,
    vat_rate_for: Callable[[str, date], Decimal] = vat_rate,
) -> list[InvoiceLine]:
    """Invoice lines for the kWh of each register consumed over ``[period_start, period_end)``.

    Each register's kWh are spread evenly per day (flat profile, see the module docstring), then:

    * ``"energy"``: one line per (register, segment), segments split at price-period changes,
      at month boundaries for a register priced by a formula (one index value per month) and at
      VAT rate changes; unit kWh. Parameters: product, product_code, register, from, to (+ index,
      index_month, index_value for a formula).
    * ``"network"`` and ``"levies"``: one line each per segment of the network table (calendar
      year, VAT rate), on the kWh of all registers; ``"network_fee"``: the yearly network fee of
      the table prorated per day. Parameters: region, year, from, to (+ days_in_year for the fee).
    * ``"fixed_fee"``: the product's yearly fee prorated per day (days / 365, or / 366 in a leap
      year), split at price periods, years and VAT changes; unit day. Parameters: product,
      product_code, days_in_year, from, to.

    Each line's VAT rate is ``vat_rate_for(customer_type, first day of its segment)``
    (``advance.vat_rate`` unless a caller passes its own table, e.g. a future change).
    ``language`` chooses the product name in the parameters; ``products`` gives each product's
    energy (electricity or gas) and name.

    Codes: ``consumption.period``, ``consumption.registers``, ``consumption.kwh``,
    ``invoice.language``, ``price.unknown_product``, ``price.register`` (no price for a register),
    ``price.gap``, ``price.overlap``, ``price.index_missing`` (MissingIndex), ``network.*``,
    ``vat.*``.
    """
    return consumption_lines_by_profile(
        product_code, registers_kwh, period_start, period_end, price_book, indexes, network, region, customer_type, language,
        day_weight=_flat_day, products=products, vat_rate_for=vat_rate_for,
    )


def _flat_day(_day: date) -> Decimal:
    return Decimal(1)


# --- example price book -------------------------------------------------------------------------

PRICE_CHANGE = date(2027, 7, 1)
PRICE_CHANGE_FACTOR = Decimal("1.05")

# Variable formulas: BELPEX_ELEC (day-ahead electricity, euro/MWh) and ZTP_GAS (gas, euro/MWh).
_VARIABLE_FORMULAS: dict[str, dict[str, VariableFormula]] = {
    "ELEC-VAR-1Y": {
        "single": VariableFormula(Decimal("0.00105"), Decimal("0.0230"), "BELPEX_ELEC"),
        "day": VariableFormula(Decimal("0.00110"), Decimal("0.0250"), "BELPEX_ELEC"),
        "night": VariableFormula(Decimal("0.00095"), Decimal("0.0180"), "BELPEX_ELEC"),
        "exclusive_night": VariableFormula(Decimal("0.00090"), Decimal("0.0160"), "BELPEX_ELEC"),
    },
    "GAS-VAR-1Y": {"single": VariableFormula(Decimal("0.00095"), Decimal("0.0100"), "ZTP_GAS")},
}


def _example_periods() -> Iterator[PricePeriod]:
    start = date(2026, 1, 1)
    for code in ("ELEC-FIX-1Y", "ELEC-VAR-1Y", "ELEC-PRO-FIX-3Y", "GAS-FIX-1Y", "GAS-VAR-1Y"):
        product = PRODUCTS[code]
        if product.kind == "variable":
            yield PricePeriod(code, start, None, dict(_VARIABLE_FORMULAS[code]), product.yearly_fee)
            continue
        yield PricePeriod(code, start, PRICE_CHANGE - ONE_DAY, dict(product.energy_prices), product.yearly_fee)
        raised = {register: round_price(price * PRICE_CHANGE_FACTOR) for register, price in product.energy_prices.items()}
        yield PricePeriod(code, PRICE_CHANGE, None, raised, to_cents(product.yearly_fee * PRICE_CHANGE_FACTOR))


# The five catalogue products: fixed ones at catalogue prices from 2026-01-01 and 5 % dearer
# from 2027-07-01; variable ones on a formula. Example data, as the catalogue is.
PRICE_BOOK_EXAMPLE = PriceBook(_example_periods())


def index_names(price_book: PriceBook) -> frozenset[str]:
    """The indexes some variable price formula of the book refers to: the only ones ops load."""
    names = set()
    for code in price_book.products():
        for period in price_book.periods_for(code):
            for price in period.energy_prices.values():
                if isinstance(price, VariableFormula):
                    names.add(price.index_name)
    return frozenset(names)


def parse_index_value(name: str, month: str, text: str, known: frozenset[str]) -> Decimal:
    """An index value as ops load it: a known index, a month YYYY-MM, a positive number with at
    most 5 decimals. Codes: index.unknown, index.month, index.value."""
    if name not in known:
        raise DomainError("index.unknown", f"No price formula uses an index called {name}; known: {', '.join(sorted(known))}.", "name")
    if not _MONTH_RE.fullmatch(month):
        raise DomainError("index.month", "The month is written YYYY-MM, e.g. 2027-03.", "month")
    try:
        value = Decimal(text)
    except (ArithmeticError, ValueError) as exc:
        raise DomainError("index.value", "The index value is a number such as 85.12.", "value") from exc
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -5:
        raise DomainError("index.value", "The index value is a positive number with at most 5 decimals.", "value")
    return value


# --- consumption lines by a load profile (settlement issue, #6) ---------------------------------
# Each register's kWh are spread over the days by a daily weight: the standard load profile
# (``load_profile.day_weight``) for readings and settlement, a constant weight for
# ``consumption_lines`` (the flat profile of billing).


def _spread_by_weight(kwh: Decimal, segments: list[_Segment], cumulative: list[Decimal]) -> list[Decimal]:
    """kWh per segment in proportion of its days' weights, cumulatively rounded to 3 decimals so
    the parts add up to ``kwh`` exactly. ``cumulative[i]`` = sum of the weights of days [0, i)."""
    total = cumulative[-1]
    parts: list[Decimal] = []
    given = Decimal("0.000")
    for segment in segments:
        running = round_kwh(kwh * cumulative[segment.cumulative_days] / total) if total else round_kwh(kwh * segment.cumulative_days / (len(cumulative) - 1))
        parts.append(running - given)
        given = running
    return parts


def consumption_lines_by_profile(
    product_code: str,
    registers_kwh: Mapping[str, Decimal],
    period_start: date,
    period_end: date,
    price_book: PriceBook,
    indexes: IndexValues | Mapping[tuple[str, str], Decimal],
    network: NetworkTariffs,
    region: str,
    customer_type: str,
    language: str,
    *,
    day_weight: Callable[[date], Decimal],
    extra_parameters: Mapping[str, str] | None = None,
    products: Mapping[str, Product] = PRODUCTS,
    vat_rate_for: Callable[[str, date], Decimal] = vat_rate,
) -> list[InvoiceLine]:
    """``consumption_lines`` with the kWh spread by ``day_weight(day)`` (a profile) rather than
    evenly: energy, network and levies lines of a segment get the kWh of its days' weights; the
    daily fees do not depend on consumption and are the same. ``extra_parameters`` go on every
    energy, network and levies line (e.g. ``{"reading": "estimated"}``). Same codes as
    ``consumption_lines``."""
    if period_end <= period_start:
        raise DomainError("consumption.period", f"period must end after it starts ({period_start} -> {period_end})")
    if language not in LANGUAGES:
        raise DomainError("invoice.language", f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    product = products.get(product_code)
    if product is None:
        raise DomainError("price.unknown_product", f"unknown product {product_code!r}")
    if not registers_kwh:
        raise DomainError("consumption.registers", "at least one register reading is needed")
    kwh_of = {register: _check_kwh(register, kwh) for register, kwh in registers_kwh.items()}
    registers = sorted(kwh_of, key=lambda r: (REGISTER_ORDER.index(r) if r in REGISTER_ORDER else len(REGISTER_ORDER), r))
    index_values = indexes if isinstance(indexes, IndexValues) else IndexValues(indexes)
    extra = dict(extra_parameters or {})

    price_segments = price_book.periods_between(product_code, period_start, period_end)
    days = [period_start + timedelta(days=n) for n in range((period_end - period_start).days)]
    cumulative = [Decimal(0)]
    for day in days:
        cumulative.append(cumulative[-1] + _finite(day_weight(day), "consumption.weight", f"weight of {day}"))
    period_of: dict[date, PricePeriod] = {}
    for period, start, end in price_segments:
        for n in range((end - start).days):
            period_of[start + timedelta(days=n)] = period
    for period, _start, _end in price_segments:
        missing = [r for r in registers if r not in period.energy_prices]
        if missing:
            raise DomainError("price.register", f"{product_code} has no price for register(s) {', '.join(missing)} from {period.valid_from}")
    rate_cache: dict[date, Decimal] = {}

    def rate(day: date) -> Decimal:
        if day not in rate_cache:
            rate_cache[day] = vat_rate_for(customer_type, day)
        return rate_cache[day]

    name = product.name(language)
    product_params = {"product": name, "product_code": product_code}
    lines: list[InvoiceLine] = []

    for register in registers:

        def energy_key(day: date, register: str = register) -> Hashable:
            period = period_of[day]
            variable = isinstance(period.energy_prices[register], VariableFormula)
            return (period.valid_from, _month(day) if variable else None, rate(day))

        segments = _segments(days, energy_key)
        for segment, quantity in zip(segments, _spread_by_weight(kwh_of[register], segments, cumulative), strict=True):
            price = period_of[segment.start].energy_prices[register]
            params = {**product_params, "register": register, **_span(segment), **extra}
            if isinstance(price, VariableFormula):
                month = _month(segment.start)
                index = index_values.value(price.index_name, month)
                unit_price = price.price(index)
                params |= {"index": price.index_name, "index_month": month, "index_value": f"{index}"}
            else:
                unit_price = round_price(price)
            lines.append(make_line("energy", params, quantity, "kWh", unit_price, rate(segment.start)))

    all_kwh = sum(kwh_of.values(), Decimal("0.000"))
    segments = _segments(days, lambda day: (day.year, rate(day)))
    for segment, quantity in zip(segments, _spread_by_weight(all_kwh, segments, cumulative), strict=True):
        tariff = network.tariff(region, segment.start, product.energy)
        year = segment.start.year
        params = {"region": region, "year": f"{year}", **_span(segment)}
        vat_of = rate(segment.start)
        lines.append(make_line("network", params | extra, quantity, "kWh", round_price(tariff.network_per_kwh), vat_of))
        lines.append(make_line("levies", params | extra, quantity, "kWh", round_price(tariff.levies_per_kwh), vat_of))
        per_day = round_price(tariff.yearly_fee / days_in_year(year))
        lines.append(make_line("network_fee", params | {"days_in_year": f"{days_in_year(year)}"}, Decimal(segment.days), "day", per_day, vat_of))

    segments = _segments(days, lambda day: (period_of[day].valid_from, day.year, rate(day)))
    for segment in segments:
        year = segment.start.year
        per_day = round_price(period_of[segment.start].yearly_fee / days_in_year(year))
        params = {**product_params, "days_in_year": f"{days_in_year(year)}", **_span(segment)}
        lines.append(make_line("fixed_fee", params, Decimal(segment.days), "day", per_day, rate(segment.start)))
    return lines
