"""The enrollment as customers, phone agents and group purchases send it.

Field names are the public contract (see ../shared/api-examples/enrollment.json): add fields,
never rename. This model checks shape only (types, required fields, allowed values); the
business rules are in wattdesk.domain.enrollment_rules, one function per rule.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["nl", "fr", "de", "en"]
Energy = Literal["electricity", "gas"]
MeterType = Literal["single", "dual", "exclusive_night"]
Situation = Literal["switch", "move_in", "new_connection"]
Channel = Literal["web", "phone", "group_purchase"]
BillingFrequency = Literal["monthly", "bimonthly", "quarterly"]
PaymentMethod = Literal["direct_debit", "transfer"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Customer(_Strict):
    type: Literal["residential", "professional"]
    first_name: str = Field(min_length=1, max_length=80)
    last_name: str = Field(min_length=1, max_length=80)
    email: str = Field(min_length=3, max_length=254)
    phone: str = Field(min_length=6, max_length=30)
    language: Language
    birth_date: date | None = None
    company_name: str | None = Field(default=None, max_length=160)
    vat_number: str | None = Field(default=None, max_length=20)


class Address(_Strict):
    street: str = Field(min_length=1, max_length=120)
    number: str = Field(min_length=1, max_length=10)
    box: str | None = Field(default=None, max_length=10)
    postcode: str = Field(min_length=4, max_length=8)
    city: str = Field(min_length=1, max_length=80)


class DeliveryPoint(_Strict):
    energy: Energy
    # Missing on a move-in is a soft problem (the operator finds it), not a hard error.
    ean: str | None = Field(default=None, max_length=24)
    meter_type: MeterType
    situation: Situation
    known_annual_kwh: int | None = Field(default=None, ge=0, le=10_000_000)
    # Added field: the product of this point when it differs from the enrollment's product_code
    # (a dual-fuel enrollment names the gas product here, the electricity one at the top).
    product_code: str | None = Field(default=None, max_length=40)


class Payment(_Strict):
    method: PaymentMethod
    iban: str | None = Field(default=None, max_length=42)
    account_holder: str | None = Field(default=None, max_length=120)


class Consents(_Strict):
    terms_accepted: bool
    privacy_accepted: bool
    marketing: bool = False


class EnrollmentRequest(_Strict):
    def product_for(self, index: int) -> str:
        return self.delivery_points[index].product_code or self.product_code

    channel: Channel
    customer: Customer
    supply_address: Address
    correspondence_address: Address | None = None
    delivery_points: list[DeliveryPoint] = Field(min_length=1, max_length=2)
    product_code: str = Field(min_length=1, max_length=40)
    start_date: date
    payment: Payment
    billing_frequency: BillingFrequency
    referral_code: str | None = Field(default=None, max_length=20)
    consents: Consents
    # Group purchases set these; web and phone leave them out.
    campaign_code: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one_point_per_energy(self) -> EnrollmentRequest:
        energies = [point.energy for point in self.delivery_points]
        if len(set(energies)) != len(energies):
            raise ValueError("at most one delivery point per energy (one electricity, one gas)")
        return self
