"""IBAN validation for SEPA direct debit mandates and refunds (via schwifty)."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import InvalidBBANChecksum, SchwiftyException

from wattdesk.domain.errors import DomainError


def validate_iban(value: str) -> str:
    """Return the compact upper-case IBAN or raise DomainError.

    Codes: ``iban.invalid`` (structure, length, country or ISO check digits),
    ``iban.not_sepa`` (we can only collect/refund inside SEPA),
    ``iban.be_national_check`` (Belgian account number mod-97 check).
    """
    if not isinstance(value, str):
        raise DomainError("iban.invalid", "IBAN must be text")
    try:
        iban = IBAN(value)
    except SchwiftyException as exc:
        raise DomainError("iban.invalid", f"not a valid IBAN: {exc}") from exc
    if not iban.in_sepa_zone:
        raise DomainError("iban.not_sepa", f"IBANs from {iban.country_code} are outside the SEPA zone")
    if iban.country_code == "BE":
        # Only checked for Belgium: schwifty warns (NationalChecksumNotVerified)
        # for countries without a known national algorithm, and most customers are Belgian.
        try:
            iban.validate(validate_bban=True)
        except InvalidBBANChecksum as exc:
            raise DomainError(
                "iban.be_national_check", "Belgian account number check digits do not match"
            ) from exc
    return iban.compact


def is_valid_iban(value: str) -> bool:
    try:
        validate_iban(value)
    except DomainError:
        return False
    return True


def mask_iban(value: str) -> str:
    """Mask an IBAN for display/logs: ``BE71 **** **** 6769``.

    Keeps the country code, the check digits and the last four characters, which
    is what a customer needs to recognise their account, in the usual groups of
    four (``NL91 **** **** **43 00``). Does not validate, so it is safe to call
    on whatever is stored.
    """
    compact = "".join(value.split()).upper()
    if len(compact) <= 8:
        # Too short to reveal anything safely.
        return "*" * len(compact)
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
