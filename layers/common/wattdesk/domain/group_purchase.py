"""Group purchases: the organiser's file, row by row, as enrollment payloads (pure: no I/O, no clock).

An organiser's file has a header row naming the columns of COLUMNS (case and surrounding spaces
do not matter, a UTF-8 byte-order mark is dropped, unknown columns are ignored and listed). Each
row becomes the enrollment payload of ../shared/api-examples/enrollment.json with
``channel: "group_purchase"``, the campaign's product(s) and the campaign code; the enrollment's
own rules then judge it (wattdesk.services.enrollment.check, and the Enrollment workflow).

The idempotency key of a row is campaign + the row's EAN + the customer's e-mail (see row_key).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# ------------------------------------------------------------------ columns
# column -> (required column?, where it goes in the enrollment payload, what it holds)
COLUMNS: dict[str, tuple[bool, str, str]] = {
    "row_reference": (False, "-", "the organiser's own reference for the row, echoed in the report"),
    "customer_type": (False, "customer.type", "residential (default) or professional"),
    "first_name": (True, "customer.first_name", "first name"),
    "last_name": (True, "customer.last_name", "last name"),
    "company_name": (False, "customer.company_name", "company (professional customers)"),
    "vat_number": (False, "customer.vat_number", "Belgian VAT number (professional customers)"),
    "email": (True, "customer.email", "e-mail address"),
    "phone": (True, "customer.phone", "phone number (Belgian numbers may omit +32)"),
    "language": (True, "customer.language", "nl, fr, de or en"),
    "birth_date": (False, "customer.birth_date", "YYYY-MM-DD or DD/MM/YYYY"),
    "street": (True, "supply_address.street", "street of the supply address"),
    "number": (True, "supply_address.number", "house number"),
    "box": (False, "supply_address.box", "box"),
    "postcode": (True, "supply_address.postcode", "Belgian postcode"),
    "city": (True, "supply_address.city", "city"),
    "ean": (True, "delivery_points[0].ean", "EAN of the campaign's energy (may be empty on a move-in)"),
    "meter_type": (True, "delivery_points[0].meter_type", "single, dual or exclusive_night"),
    "situation": (True, "delivery_points[0].situation", "switch, move_in or new_connection"),
    "known_annual_kwh": (False, "delivery_points[0].known_annual_kwh", "yearly consumption in kWh, if known"),
    "gas_ean": (False, "delivery_points[1].ean", "EAN of a gas point (campaigns with a gas product)"),
    "gas_situation": (False, "delivery_points[1].situation", "situation of the gas point (default: as situation)"),
    "gas_known_annual_kwh": (False, "delivery_points[1].known_annual_kwh", "yearly gas consumption in kWh"),
    "start_date": (False, "start_date", "requested start (default: the campaign's start date)"),
    "payment_method": (False, "payment.method", "direct_debit (default when an IBAN is given) or transfer"),
    "iban": (True, "payment.iban", "IBAN for direct debit (empty: bank transfer)"),
    "account_holder": (False, "payment.account_holder", "account holder (default: first and last name)"),
    "billing_frequency": (False, "billing_frequency", "monthly (default), bimonthly or quarterly"),
    "referral_code": (False, "referral_code", "a customer's referral code"),
    "terms_accepted": (True, "consents.terms_accepted", "yes/no: the customer accepted our terms"),
    "privacy_accepted": (True, "consents.privacy_accepted", "yes/no: the customer accepted the privacy notice"),
    "marketing": (False, "consents.marketing", "yes/no (default no)"),
}
REQUIRED_COLUMNS = tuple(name for name, (required, _, _) in COLUMNS.items() if required)
# Columns whose digits must survive a spreadsheet: an 18-digit EAN stored as a number is corrupted.
IDENTIFIER_COLUMNS = ("ean", "gas_ean", "phone", "iban", "vat_number")

_TRUE = {"yes", "y", "ja", "j", "oui", "o", "true", "1", "x", "waar", "vrai"}
_FALSE = {"no", "n", "nee", "non", "false", "0", "", "nein", "onwaar", "faux"}

REPORT_FIELDS = ("row", "row_reference", "outcome", "enrollment_id", "error_codes", "columns")
OUTCOMES = ("processing", "waiting", "confirmed", "blocked", "rejected", "duplicate", "failed", "cancelled")
# Outcomes that end a row's part in the import (the grid operator's answer may come later).
DONE_OUTCOMES = frozenset(OUTCOMES) - {"processing"}


@dataclass(frozen=True)
class CampaignTerms:
    """What an import applies to every row (a snapshot of the campaign when the file came in)."""

    campaign_code: str
    product_code: str
    product_energy: str  # energy of product_code: the energy of the `ean` column
    gas_product_code: str | None = None
    start_date: date | None = None


@dataclass(frozen=True)
class ShapeProblem:
    code: str
    message: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileShape:
    """The header's verdict: the column name of each file column (None: ignored)."""

    columns: tuple[str | None, ...]
    ignored: tuple[str, ...]
    problems: tuple[ShapeProblem, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RowProblem:
    code: str
    column: str | None
    message: str


def normalise_header(name: Any) -> str:
    text = "" if name is None else str(name)
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower())


def check_shape(header: list[Any], row_count: int, max_rows: int) -> FileShape:
    """Missing or repeated columns, no rows, too many rows: the whole file is refused."""
    names = [normalise_header(name) for name in header]
    columns = tuple(name if name in COLUMNS else None for name in names)
    ignored = tuple(original for original, name in zip(header, names) if name not in COLUMNS and name)
    problems = []
    missing = tuple(name for name in REQUIRED_COLUMNS if name not in names)
    if missing:
        problems.append(ShapeProblem("file.missing_columns", f"The file lacks the column(s) {', '.join(missing)}; nothing was imported.", missing))
    repeated = tuple(sorted({name for name in names if name in COLUMNS and names.count(name) > 1}))
    if repeated:
        problems.append(ShapeProblem("file.repeated_columns", f"The column(s) {', '.join(repeated)} appear more than once.", repeated))
    if row_count == 0:
        problems.append(ShapeProblem("file.no_rows", "The file has a header but no rows."))
    if row_count > max_rows:
        problems.append(ShapeProblem("file.too_many_rows", f"The file has {row_count} rows; at most {max_rows} are taken per file (split it)."))
    return FileShape(columns=columns, ignored=ignored, problems=tuple(problems))


def row_values(shape: FileShape, cells: list[Any]) -> dict[str, str]:
    """The row's cells by column name, as trimmed text (missing trailing cells are empty)."""
    values: dict[str, str] = {}
    for index, name in enumerate(shape.columns):
        if name is None:
            continue
        cell = cells[index] if index < len(cells) else None
        values[name] = cell_text(cell)
    return values


def cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def number_cell_problems(values: dict[str, Any]) -> list[RowProblem]:
    """Spreadsheet cells holding identifiers as numbers lose digits past 15: refuse them by name."""
    problems = []
    for column in IDENTIFIER_COLUMNS:
        cell = values.get(column)
        if isinstance(cell, (int, float)) and not isinstance(cell, bool) and len(str(int(cell))) > 15:
            problems.append(RowProblem("cell.stored_as_number", column, f"{column} was stored as a number and lost digits; format the column as text."))
    return problems


def _yes_no(value: str, column: str, problems: list[RowProblem], default: bool = False) -> bool:
    text = value.strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(RowProblem("cell.yes_no", column, f"{column} must be yes or no."))
    return default


def _date(value: str, column: str, problems: list[RowProblem]) -> str | None:
    text = value.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    problems.append(RowProblem("cell.date", column, f"{column} must be a date (YYYY-MM-DD or DD/MM/YYYY)."))
    return None


def _optional(value: str) -> str | None:
    return value or None


def _kwh(value: str) -> str | None:
    # "3 500" is 3500; anything else goes to the enrollment model, which names the error.
    text = value.replace(" ", "").replace("\u00a0", "")
    return text or None


def _phone(value: str) -> str:
    # A spreadsheet drops the leading 0 of "0470..." when the column is numeric.
    digits = value.replace(" ", "")
    if digits.isdigit() and len(digits) == 9 and digits[0] in "4":
        return "0" + digits
    return value


def to_payload(values: dict[str, str], terms: CampaignTerms) -> tuple[dict[str, Any], list[RowProblem]]:
    """The enrollment payload for one row, and the problems of cells the payload cannot carry."""
    problems: list[RowProblem] = []
    first, last = values.get("first_name", ""), values.get("last_name", "")
    iban = values.get("iban", "").replace(" ", "")
    method = (values.get("payment_method") or ("direct_debit" if iban else "transfer")).strip().lower()
    start = _date(values.get("start_date", ""), "start_date", problems) or (terms.start_date.isoformat() if terms.start_date else None)
    if start is None:
        problems.append(RowProblem("cell.start_date_missing", "start_date", "The row has no start date and the campaign sets none."))
    point: dict[str, Any] = {
        "energy": terms.product_energy,
        "ean": _optional(values.get("ean", "").replace(" ", "")),
        "meter_type": values.get("meter_type", "").lower() or "single",
        "situation": values.get("situation", "").lower(),
        "known_annual_kwh": _kwh(values.get("known_annual_kwh", "")),
    }
    points = [point]
    gas_ean = values.get("gas_ean", "").replace(" ", "")
    if gas_ean:
        if not terms.gas_product_code or terms.product_energy == "gas":
            problems.append(RowProblem("campaign.gas_not_offered", "gas_ean", "This campaign offers no gas product; leave gas_ean empty."))
        else:
            points.append(
                {
                    "energy": "gas",
                    "ean": gas_ean,
                    "meter_type": "single",
                    "situation": (values.get("gas_situation") or values.get("situation", "")).lower(),
                    "known_annual_kwh": _kwh(values.get("gas_known_annual_kwh", "")),
                    "product_code": terms.gas_product_code,
                }
            )
    payload: dict[str, Any] = {
        "channel": "group_purchase",
        "campaign_code": terms.campaign_code,
        "customer": {
            "type": (values.get("customer_type") or "residential").lower(),
            "first_name": first,
            "last_name": last,
            "email": values.get("email", ""),
            "phone": _phone(values.get("phone", "")),
            "language": values.get("language", "").lower(),
            "birth_date": _date(values.get("birth_date", ""), "birth_date", problems),
            "company_name": _optional(values.get("company_name", "")),
            "vat_number": _optional(values.get("vat_number", "")),
        },
        "supply_address": {
            "street": values.get("street", ""),
            "number": values.get("number", ""),
            "box": _optional(values.get("box", "")),
            "postcode": values.get("postcode", ""),
            "city": values.get("city", ""),
        },
        "correspondence_address": None,
        "delivery_points": points,
        "product_code": terms.product_code,
        "start_date": start or "",
        "payment": {
            "method": method,
            "iban": iban or None,
            "account_holder": values.get("account_holder") or (f"{first} {last}".strip() if iban else None),
        },
        "billing_frequency": (values.get("billing_frequency") or "monthly").lower(),
        "referral_code": _optional(values.get("referral_code", "")),
        "consents": {
            "terms_accepted": _yes_no(values.get("terms_accepted", ""), "terms_accepted", problems),
            "privacy_accepted": _yes_no(values.get("privacy_accepted", ""), "privacy_accepted", problems),
            "marketing": _yes_no(values.get("marketing", ""), "marketing", problems),
        },
    }
    return payload, problems


_FIELD_TO_COLUMN = {path: name for name, (_, path, _) in COLUMNS.items() if path != "-"}


def column_of(field_path: str | None) -> str | None:
    """The file column an enrollment field path came from ("delivery_points[0].ean" -> "ean")."""
    if not field_path:
        return None
    path = field_path
    while path:
        if path in _FIELD_TO_COLUMN:
            return _FIELD_TO_COLUMN[path]
        if "." not in path:
            break
        path = path.rsplit(".", 1)[0]
    top = {"delivery_points[0]": "ean", "delivery_points[1]": "gas_ean", "delivery_points": "ean", "payment": "iban", "consents": "terms_accepted"}
    return top.get(path)


def normalised_email(email: str) -> str:
    """As the enrollment stores it: the domain lower-cased; for the key, the whole address."""
    return email.strip().lower()


def row_key(campaign_code: str, ean: str | None, email: str) -> str:
    """The row's idempotency key: campaign + EAN (compact; "-" when empty) + e-mail (lower-cased),
    hashed so that the key item holds no personal data in clear."""
    text = f"{campaign_code.strip().upper()}|{(ean or '-').replace(' ', '')}|{normalised_email(email)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_id_for(campaign_code: str, content: bytes) -> str:
    """Same campaign and same bytes: the same import (a second upload changes nothing)."""
    digest = hashlib.sha256(campaign_code.strip().upper().encode() + b"\x00" + content).hexdigest()
    slug = re.sub(r"[^A-Za-z0-9]", "", campaign_code.upper())[:24] or "CAMPAIGN"
    return f"gp-{slug}-{digest[:20]}"


def outcome_of_status(status: str) -> str:
    """Where an enrollment's status puts its row."""
    return {
        "RECEIVED": "processing",
        "VALIDATING": "processing",
        "AWAITING_DSO": "waiting",
        "BLOCKED": "blocked",
        "AWAITING_CUSTOMER": "blocked",
        "CONFIRMED": "confirmed",
        "REJECTED": "rejected",
        "CANCELLED": "cancelled",
    }.get(status, "processing")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A report cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
