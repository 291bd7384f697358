"""Belgian enterprise / VAT numbers (ondernemingsnummer, numéro d'entreprise)."""

from __future__ import annotations

from stdnum.be import vat as be_vat
from stdnum.exceptions import ValidationError

from wattdesk.domain.errors import DomainError


def validate_be_vat(value: str) -> str:
    """Return ``"BE0403170701"`` style VAT number or raise DomainError (code ``vat.invalid``).

    Accepts the usual spellings: ``BE 0403.170.701``, ``0403170701``, the old
    9-digit form ``403170701``.
    """
    if not isinstance(value, str):
        raise DomainError("vat.invalid", "VAT number must be text")
    try:
        number = be_vat.validate(value)
    except ValidationError as exc:
        raise DomainError("vat.invalid", f"not a valid Belgian VAT number: {value!r}") from exc
    return f"BE{number}"


def is_valid_be_vat(value: str) -> bool:
    try:
        validate_be_vat(value)
    except DomainError:
        return False
    return True
