"""Business rules of an enrollment, one function per rule.

Two kinds of rules:

* hard problems (``check_*(request, ...) -> list[ValidationProblem]``): stateless, the API answers
  400 with all of them at once (``hard_problems``) and nothing is stored;
* block reasons (``check_*(request, context) -> list[BlockReason]``): need what the store knows, or
  are soft; the enrollment is stored and waits for an After-Sales operator (``block_reasons``).

Each rule has its own stable codes (switch on the code, never on the message). Field paths are
the API's (``delivery_points[0].ean``). Messages are English sentences for a person and never
repeat the customer's input (problems and reasons end up in logs).

Block rules assume the request passed ``hard_problems``; where a value is still malformed they
skip it rather than raise, since the hard rule already reports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.contact import validate_email, validate_phone
from wattdesk.domain.ean import validate_ean
from wattdesk.domain.enrollment_request import Address, EnrollmentRequest
from wattdesk.domain.errors import DomainError, ValidationProblem
from wattdesk.domain.iban import validate_iban
from wattdesk.domain.postcodes import validate_postcode
from wattdesk.domain.vat_number import validate_be_vat

_V = TypeVar("_V")

# Legal notice for a supplier switch in Belgium: the new contract starts at the earliest 30 days
# after the request (the DSO needs the time to process the switch).
SWITCH_NOTICE_DAYS = 30

# Referral codes are printed and read out on the phone: letters and digits only.
_REFERRAL_RE = re.compile(r"[A-Z0-9]{6,12}")

# Sentences for the codes of the reused validators: theirs are short fragments and some repeat
# the input value, which must not reach logs.
_MESSAGES: dict[str, str] = {
    "ean.format": "The EAN must have 18 digits.",
    "ean.prefix": "A Belgian EAN starts with 54.",
    "ean.check_digit": "The EAN's last digit does not match the others; please check it for a typo.",
    "iban.invalid": "The IBAN is not valid; please check it for a typo.",
    "iban.not_sepa": "The IBAN must be from a bank in the SEPA zone.",
    "iban.be_national_check": "The Belgian account number in the IBAN is not valid; please check it for a typo.",
    "email.invalid": "The e-mail address is not valid.",
    "phone.invalid": "The phone number is not valid.",
    "postcode.format": "A Belgian postal code has 4 digits.",
    "postcode.unknown": "This postal code does not exist in Belgium.",
    "vat.invalid": "The VAT number is not a valid Belgian VAT number.",
}


@dataclass(frozen=True)
class BlockReason:
    """A soft problem: the enrollment waits for an After-Sales operator."""

    code: str
    field: str | None
    message: str


@dataclass(frozen=True)
class DsoRegisterEntry:
    """What the grid operator's access register says about one EAN."""

    postcode: str
    street: str
    number: str
    holder_name: str | None  # last name on the register, None if unknown


@dataclass(frozen=True)
class EnrollmentContext:
    """What the store knows, loaded before the block rules run."""

    today: date  # Belgian calendar date of "now"
    active_eans: Mapping[str, str]  # EAN -> contract id (active or starting contracts)
    open_enrollment_eans: Mapping[str, str]  # EAN -> enrollment id of OTHER open enrollments
    open_enrollment_people: Mapping[str, str]  # normalised e-mail -> id of OTHER open enrollments
    referral_codes: Mapping[str, str]  # upper-case code -> owner's lower-case e-mail
    dso_register: Mapping[str, DsoRegisterEntry]  # EAN -> register entry (may miss EANs)


# --- helpers ------------------------------------------------------------------------------------


def _problem(error: DomainError, field: str) -> ValidationProblem:
    return ValidationProblem(field=field, code=error.code, message=_MESSAGES.get(error.code, error.message))


def _blank(value: str | None) -> bool:
    # Forms send "" for an empty optional field; the model strips whitespace already.
    return value is None or not value.strip()


def _point_field(index: int, name: str) -> str:
    return f"delivery_points[{index}].{name}"


def _valid_ean_or_none(value: str | None) -> str | None:
    """The normalised EAN, or None when missing or malformed (a hard rule reports that)."""
    if _blank(value):
        return None
    try:
        return validate_ean(value)  # type: ignore[arg-type]
    except DomainError:
        return None


def _lookup(table: Mapping[str, _V], ean: str | None) -> _V | None:
    """The value of the point's EAN in a context table, or None (also for a missing or bad EAN).

    Tables should be keyed by the normalised EAN; the EAN as typed (e.g. with spaces) is tried
    too, so a loader that keyed by the raw value does not silently miss a block.
    """
    normalised = _valid_ean_or_none(ean)
    if normalised is None:
        return None
    for key in (normalised, ean.strip()):  # type: ignore[union-attr]
        if key in table:
            return table[key]
    return None


def _normalise_email(value: str) -> str:
    return value.strip().lower()


def _normalise_referral(value: str) -> str:
    return value.strip().upper()


def _normalise_text(value: str) -> str:
    """Compare names and streets the way a person would.

    Case-insensitive (casefold also turns German "ß" into "ss"), accents dropped ("Liège" ==
    "Liege"), punctuation and spaces ignored ("Van den Bossche" == "Vandenbossche",
    "Saint-Jean" == "Saint Jean").
    """
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", "", without_accents)


# Flemish street names end in "straat", commonly shortened to "str." or "str".
_STREET_ABBREVIATION = re.compile(r"str\b\.?", re.IGNORECASE)


def _normalise_street(value: str) -> str:
    return _normalise_text(_STREET_ABBREVIATION.sub("straat", value))


def _normalise_number(value: str) -> str:
    # "14 A", "14a" and "14A" are the same house.
    return re.sub(r"\s+", "", value).casefold()


def _normalise_postcode(value: str) -> str:
    try:
        return validate_postcode(value)
    except DomainError:
        return value.strip()


# --- hard rules (stateless) ---------------------------------------------------------------------


def check_eans(request: EnrollmentRequest) -> list[ValidationProblem]:
    """Each EAN given is a valid Belgian GSRN; a switch needs one.

    A new connection has no EAN yet (the DSO assigns it) and a missing EAN on a move-in is a
    block reason (``check_ean_missing_on_move_in``), not a hard problem.
    """
    problems: list[ValidationProblem] = []
    for index, point in enumerate(request.delivery_points):
        field = _point_field(index, "ean")
        if _blank(point.ean):
            if point.situation == "switch":
                problems.append(
                    ValidationProblem(field, "ean.required", "The EAN is required to switch supplier; it is on your current energy bill.")
                )
            continue
        try:
            validate_ean(point.ean)  # type: ignore[arg-type]
        except DomainError as error:
            problems.append(_problem(error, field))
    return problems


def check_gas_meter_type(request: EnrollmentRequest) -> list[ValidationProblem]:
    """A gas meter has a single register: day/night meter types exist for electricity only."""
    return [
        ValidationProblem(_point_field(index, "meter_type"), "meter_type.not_for_gas", "A gas meter must have the meter type 'single'.")
        for index, point in enumerate(request.delivery_points)
        if point.energy == "gas" and point.meter_type != "single"
    ]


def check_payment(request: EnrollmentRequest) -> list[ValidationProblem]:
    """Direct debit needs an IBAN and an account holder for the SEPA mandate.

    An IBAN given with a bank transfer is still checked: it is kept for refunds.
    """
    payment = request.payment
    problems: list[ValidationProblem] = []
    direct_debit = payment.method == "direct_debit"
    if _blank(payment.iban):
        if direct_debit:
            problems.append(ValidationProblem("payment.iban", "iban.required", "The IBAN is required for payment by direct debit."))
    else:
        try:
            validate_iban(payment.iban)  # type: ignore[arg-type]
        except DomainError as error:
            problems.append(_problem(error, "payment.iban"))
    if direct_debit and _blank(payment.account_holder):
        problems.append(
            ValidationProblem(
                "payment.account_holder", "account_holder.required", "The account holder's name is required for payment by direct debit."
            )
        )
    return problems


def check_email(request: EnrollmentRequest) -> list[ValidationProblem]:
    """The e-mail address is syntactically valid (the confirmation mail proves it exists)."""
    try:
        validate_email(request.customer.email)
    except DomainError as error:
        return [_problem(error, "customer.email")]
    return []


def check_phone(request: EnrollmentRequest) -> list[ValidationProblem]:
    """The phone number is valid; national numbers are read as Belgian."""
    try:
        validate_phone(request.customer.phone, "BE")
    except DomainError as error:
        return [_problem(error, "customer.phone")]
    return []


def check_postcodes(request: EnrollmentRequest) -> list[ValidationProblem]:
    """The supply address, and the correspondence address when given, have a Belgian postal code.

    The correspondence address is Belgian too: letters and dunning go by bpost.
    """
    addresses: list[tuple[str, Address]] = [("supply_address", request.supply_address)]
    if request.correspondence_address is not None:
        addresses.append(("correspondence_address", request.correspondence_address))
    problems: list[ValidationProblem] = []
    for name, address in addresses:
        try:
            validate_postcode(address.postcode)
        except DomainError as error:
            problems.append(_problem(error, f"{name}.postcode"))
    return problems


def earliest_start_date(request: EnrollmentRequest, today: date) -> date:
    """The earliest start date the request's situations allow (a switch needs 30 days' notice)."""
    if any(point.situation == "switch" for point in request.delivery_points):
        return today + timedelta(days=SWITCH_NOTICE_DAYS)
    # A move-in or a new connection may start today: the customer needs energy now.
    return today


def check_start_date(request: EnrollmentRequest, today: date) -> list[ValidationProblem]:
    """The start date is not in the past and respects the switch notice.

    Only one problem is reported: a past date for a switch is reported as past (with the
    earliest possible date in the message), not twice.
    """
    earliest = earliest_start_date(request, today)
    if request.start_date < today:
        return [
            ValidationProblem(
                "start_date", "start_date.past", f"The start date cannot be in the past; the earliest possible date is {earliest.isoformat()}."
            )
        ]
    if request.start_date < earliest:
        return [
            ValidationProblem(
                "start_date",
                "start_date.switch_notice",
                f"A supplier switch needs {SWITCH_NOTICE_DAYS} days' notice; the earliest possible start date is {earliest.isoformat()}.",
            )
        ]
    return []


def check_professional(request: EnrollmentRequest) -> list[ValidationProblem]:
    """A professional customer gives a company name and a valid Belgian VAT number.

    A residential customer's VAT number, if sent, is ignored.
    """
    customer = request.customer
    if customer.type != "professional":
        return []
    problems: list[ValidationProblem] = []
    if _blank(customer.company_name):
        problems.append(ValidationProblem("customer.company_name", "company_name.required", "The company name is required for a professional customer."))
    if _blank(customer.vat_number):
        problems.append(ValidationProblem("customer.vat_number", "vat.required", "The VAT number is required for a professional customer."))
    else:
        try:
            validate_be_vat(customer.vat_number)  # type: ignore[arg-type]
        except DomainError as error:
            problems.append(_problem(error, "customer.vat_number"))
    return problems


def check_product(request: EnrollmentRequest) -> list[ValidationProblem]:
    """Each point's product (its own product_code, else the enrollment's) exists, is offered on the
    start date, is for that point's energy and for the customer type."""
    problems: list[ValidationProblem] = []
    for index, point in enumerate(request.delivery_points):
        code = request.product_for(index)
        field = _point_field(index, "product_code") if point.product_code else "product_code"
        product = PRODUCTS.get(code)
        if product is None:
            problems.append(ValidationProblem(field, "product.unknown", "This product does not exist."))
            continue
        if not product.offered_on(request.start_date):
            problems.append(ValidationProblem(field, "product.not_offered", f"This product is not offered on the start date {request.start_date.isoformat()}."))
        if point.energy != product.energy:
            problems.append(ValidationProblem(_point_field(index, "energy"), "product.wrong_energy", f"The product is for {product.energy}, not for {point.energy}."))
        if request.customer.type not in product.customer_types:
            problems.append(ValidationProblem(field, "product.customer_type", f"This product is not offered to {request.customer.type} customers."))
    # The same problem reported for two points under the shared product_code is said once.
    unique: list[ValidationProblem] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return unique


def check_consents(request: EnrollmentRequest) -> list[ValidationProblem]:
    """The terms and the privacy notice must be accepted (marketing is optional)."""
    problems: list[ValidationProblem] = []
    if not request.consents.terms_accepted:
        problems.append(ValidationProblem("consents.terms_accepted", "consents.terms_required", "The terms and conditions must be accepted."))
    if not request.consents.privacy_accepted:
        problems.append(ValidationProblem("consents.privacy_accepted", "consents.privacy_required", "The privacy notice must be accepted."))
    return problems


def check_referral_format(request: EnrollmentRequest) -> list[ValidationProblem]:
    """A referral code, when given, is 6 to 12 letters or digits (case does not matter)."""
    code = request.referral_code
    if _blank(code) or _REFERRAL_RE.fullmatch(_normalise_referral(code)):  # type: ignore[arg-type]
        return []
    return [ValidationProblem("referral_code", "referral.format", "A referral code has 6 to 12 letters or digits.")]


def hard_problems(request: EnrollmentRequest, today: date) -> list[ValidationProblem]:
    """Every stateless problem of the request, all at once (the API answers 400 with them)."""
    return [
        *check_eans(request),
        *check_gas_meter_type(request),
        *check_payment(request),
        *check_email(request),
        *check_phone(request),
        *check_postcodes(request),
        *check_start_date(request, today),
        *check_professional(request),
        *check_product(request),
        *check_consents(request),
        *check_referral_format(request),
    ]


# --- block reasons (stateful or soft) -----------------------------------------------------------


def check_ean_already_supplied(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """We already supply (or are about to supply) this EAN: a renewal or a mistake, not a switch."""
    reasons: list[BlockReason] = []
    for index, point in enumerate(request.delivery_points):
        found = _lookup(context.active_eans, point.ean)
        if found is not None:
            reasons.append(
                BlockReason(
                    "ean.already_supplied",
                    _point_field(index, "ean"),
                    f"This EAN already has an active or starting contract with us ({found}).",
                )
            )
    return reasons


def check_ean_open_enrollment(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """Another open enrollment has the same EAN: probably a double submission."""
    reasons: list[BlockReason] = []
    for index, point in enumerate(request.delivery_points):
        found = _lookup(context.open_enrollment_eans, point.ean)
        if found is not None:
            reasons.append(BlockReason("ean.open_enrollment", _point_field(index, "ean"), f"Another open enrollment ({found}) has this EAN."))
    return reasons


def check_ean_missing_on_move_in(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """A move-in without EAN: the operator looks it up from the address with the DSO."""
    return [
        BlockReason(
            "ean.missing_on_move_in",
            _point_field(index, "ean"),
            "The EAN is missing for this move-in; look it up with the grid operator from the supply address.",
        )
        for index, point in enumerate(request.delivery_points)
        if point.situation == "move_in" and _blank(point.ean)
    ]


def check_duplicate_person(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """The same e-mail address has another open enrollment: probably a double submission."""
    other = context.open_enrollment_people.get(_normalise_email(request.customer.email))
    if other is None:
        return []
    return [BlockReason("duplicate.suspected", "customer.email", f"Another open enrollment ({other}) has the same e-mail address.")]


def check_referral_code(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """The referral code exists and does not belong to the customer (no self-referral bonus)."""
    if _blank(request.referral_code):
        return []
    code = _normalise_referral(request.referral_code)  # type: ignore[arg-type]
    if not _REFERRAL_RE.fullmatch(code):
        return []  # a hard problem (referral.format)
    owner = context.referral_codes.get(code)
    if owner is None:
        return [BlockReason("referral.unknown", "referral_code", "This referral code is unknown.")]
    if _normalise_email(owner) == _normalise_email(request.customer.email):
        return [BlockReason("referral.own", "referral_code", "Customers cannot use their own referral code.")]
    return []


def check_dso_address(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """The supply address matches the DSO register's address for each EAN.

    A mismatch usually means a wrong EAN (a neighbour's meter). An EAN the register does not know
    is no block here: the DSO answers the switch request itself.
    """
    address = request.supply_address
    reasons: list[BlockReason] = []
    for index, point in enumerate(request.delivery_points):
        entry = _lookup(context.dso_register, point.ean)
        if entry is None:
            continue
        differences = [
            part
            for part, differs in (
                ("postal code", _normalise_postcode(entry.postcode) != _normalise_postcode(address.postcode)),
                ("street", _normalise_street(entry.street) != _normalise_street(address.street)),
                ("house number", _normalise_number(entry.number) != _normalise_number(address.number)),
            )
            if differs
        ]
        if differences:
            reasons.append(
                BlockReason(
                    "dso.address_mismatch",
                    _point_field(index, "ean"),
                    f"The grid operator's register has another address for this EAN (different {', '.join(differences)}).",
                )
            )
    return reasons


def check_dso_name(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """On a switch, the register's holder is the customer.

    On a move-in the register still names the previous occupant, so no check. A professional
    customer matches on the last name or on the company name (registers hold either).
    """
    customer = request.customer
    accepted = {_normalise_text(customer.last_name)}
    if customer.type == "professional" and not _blank(customer.company_name):
        accepted.add(_normalise_text(customer.company_name))  # type: ignore[arg-type]
    reasons: list[BlockReason] = []
    for index, point in enumerate(request.delivery_points):
        if point.situation != "switch":
            continue
        entry = _lookup(context.dso_register, point.ean)
        if entry is None or _blank(entry.holder_name):
            continue
        if _normalise_text(entry.holder_name) not in accepted:  # type: ignore[arg-type]
            reasons.append(
                BlockReason(
                    "dso.name_mismatch",
                    _point_field(index, "ean"),
                    "The grid operator's register has another holder's name for this EAN.",
                )
            )
    return reasons


def block_reasons(request: EnrollmentRequest, context: EnrollmentContext) -> list[BlockReason]:
    """Every reason for the enrollment to wait for an After-Sales operator (empty: it goes on)."""
    return [
        *check_ean_already_supplied(request, context),
        *check_ean_open_enrollment(request, context),
        *check_ean_missing_on_move_in(request, context),
        *check_duplicate_person(request, context),
        *check_referral_code(request, context),
        *check_dso_address(request, context),
        *check_dso_name(request, context),
    ]
