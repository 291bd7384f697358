"""A customer's change of product on a running (or not yet started) contract.

Rules, written down once:
* Before the contract start, the new product applies from the start (nothing was supplied yet).
* From the start on, it applies from the first day of the month in which it is asked (Brussels
  date): the month is billed on one product, and an advance already issued for that month is
  corrected by a credit note and a new advance invoice at the new product's advance.
* The new product must exist, be offered on that date, be of the contract's energy and allow the
  customer's type, and differ from the current one.
* The computed advance is recomputed for the new product from the delivery points' EAV; a
  customer-chosen advance is dropped (it was chosen against the old product's amount) and the
  customer may choose again within the new bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from wattdesk.domain.catalogue import Product
from wattdesk.domain.errors import DomainError


def effective_date(contract_start: date, asked_on: date) -> date:
    if asked_on < contract_start:
        return contract_start
    return asked_on.replace(day=1)


def check_new_product(products: Mapping[str, Product], current_code: str, new_code: str, energies: set[str], customer_type: str, on: date) -> Product:
    """The new product, or DomainError: product.unknown, product.same, product.not_offered,
    product.energy, product.customer_type (all on field ``product_code``)."""
    product = products.get(new_code)
    if product is None:
        raise DomainError("product.unknown", f"There is no product {new_code}.", "product_code")
    if new_code == current_code:
        raise DomainError("product.same", "The contract already has this product.", "product_code")
    if not product.offered_on(on):
        raise DomainError("product.not_offered", f"{product.code} is not offered on {on.isoformat()}.", "product_code")
    if energies != {product.energy}:
        raise DomainError("product.energy", f"{product.code} supplies {product.energy}; this contract supplies {', '.join(sorted(energies))}.", "product_code")
    if customer_type not in product.customer_types:
        raise DomainError("product.customer_type", f"{product.code} is not offered to {customer_type} customers.", "product_code")
    return product
