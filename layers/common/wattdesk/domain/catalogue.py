"""The product catalogue: what a customer can sign up for, and its prices.

Ops manage products and prices through /ops/products (stores/products.py, docs/products.md);
the catalogue here is the seed an empty store is loaded with, and what enrollment still reads.
Prices are in euro, excluding VAT; energy prices per kWh, fees per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Kind = Literal["fixed", "variable"]


@dataclass(frozen=True)
class Product:
    code: str
    names: dict[str, str]  # language -> name
    energy: Literal["electricity", "gas"]
    customer_types: frozenset[str]
    kind: Kind
    valid_from: date
    valid_until: date | None
    # register -> price per kWh (electricity: single, day, night, exclusive_night; gas: single)
    energy_prices: dict[str, Decimal]
    yearly_fee: Decimal
    # Network costs and levies per kWh, an average used for advances until the billing issue
    # brings the per-DSO-region table.
    network_and_levies_per_kwh: Decimal

    def offered_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


def _names(nl: str, fr: str, de: str, en: str) -> dict[str, str]:
    return {"nl": nl, "fr": fr, "de": de, "en": en}


PRODUCTS: dict[str, Product] = {
    product.code: product
    for product in (
        Product(
            code="ELEC-FIX-1Y",
            names=_names("Stroom Vast 1 jaar", "Électricité Fixe 1 an", "Strom Fest 1 Jahr", "Electricity Fixed 1 year"),
            energy="electricity",
            customer_types=frozenset({"residential", "professional"}),
            kind="fixed",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            energy_prices={"single": Decimal("0.1350"), "day": Decimal("0.1480"), "night": Decimal("0.1150"), "exclusive_night": Decimal("0.1050")},
            yearly_fee=Decimal("60.00"),
            network_and_levies_per_kwh=Decimal("0.1250"),
        ),
        Product(
            code="ELEC-VAR-1Y",
            names=_names("Stroom Variabel", "Électricité Variable", "Strom Variabel", "Electricity Variable"),
            energy="electricity",
            customer_types=frozenset({"residential", "professional"}),
            kind="variable",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            energy_prices={"single": Decimal("0.1290"), "day": Decimal("0.1420"), "night": Decimal("0.1090"), "exclusive_night": Decimal("0.0990")},
            yearly_fee=Decimal("48.00"),
            network_and_levies_per_kwh=Decimal("0.1250"),
        ),
        Product(
            code="ELEC-PRO-FIX-3Y",
            names=_names("Stroom Pro Vast 3 jaar", "Électricité Pro Fixe 3 ans", "Strom Pro Fest 3 Jahre", "Electricity Pro Fixed 3 years"),
            energy="electricity",
            customer_types=frozenset({"professional"}),
            kind="fixed",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            energy_prices={"single": Decimal("0.1250"), "day": Decimal("0.1380"), "night": Decimal("0.1080"), "exclusive_night": Decimal("0.0980")},
            yearly_fee=Decimal("90.00"),
            network_and_levies_per_kwh=Decimal("0.1100"),
        ),
        Product(
            code="GAS-FIX-1Y",
            names=_names("Gas Vast 1 jaar", "Gaz Fixe 1 an", "Gas Fest 1 Jahr", "Gas Fixed 1 year"),
            energy="gas",
            customer_types=frozenset({"residential", "professional"}),
            kind="fixed",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            energy_prices={"single": Decimal("0.0520")},
            yearly_fee=Decimal("60.00"),
            network_and_levies_per_kwh=Decimal("0.0250"),
        ),
        Product(
            code="GAS-VAR-1Y",
            names=_names("Gas Variabel", "Gaz Variable", "Gas Variabel", "Gas Variable"),
            energy="gas",
            customer_types=frozenset({"residential", "professional"}),
            kind="variable",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            energy_prices={"single": Decimal("0.0490")},
            yearly_fee=Decimal("48.00"),
            network_and_levies_per_kwh=Decimal("0.0250"),
        ),
    )
}

# Registers a meter type has, and how yearly consumption is split over them for an estimate
# (typical Belgian residential shares; the DSO's EAV replaces the estimate when it comes).
REGISTERS: dict[str, dict[str, Decimal]] = {
    "single": {"single": Decimal("1")},
    "dual": {"day": Decimal("0.55"), "night": Decimal("0.45")},
    "exclusive_night": {"single": Decimal("0.60"), "exclusive_night": Decimal("0.40")},
}


# Referral credit per product family (the energy of the product enrolled for), in euro excluding
# VAT, given to both the referrer and the new customer once per pair, on their next invoice.
# Marketing changes these; they are configuration kept with the catalogue.
REFERRAL_CREDITS: dict[str, Decimal] = {"electricity": Decimal("25.00"), "gas": Decimal("15.00")}


def referral_credit(energy: str) -> Decimal:
    return REFERRAL_CREDITS[energy]
