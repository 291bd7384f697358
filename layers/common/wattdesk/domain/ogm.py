"""Belgian structured communication (OGM / VCS, "+++123/4567/89012+++")."""

from __future__ import annotations

import re

from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError

from wattdesk.domain.errors import DomainError

_BASE_LIMIT = 10**10  # the base is 10 digits

# Banks print it with +++ or *** around it and slashes between 3/4/5 digits;
# customers type it with spaces or without any decoration.
_DECORATED = re.compile(r"(\+{3}|\*{3})?([\d\s/]+?)(\+{3}|\*{3})?")


def make_ogm(base10: int) -> str:
    """Build ``+++123/4567/89012+++`` from a 10-digit base (check = base mod 97, 0 -> 97)."""
    if isinstance(base10, bool) or not isinstance(base10, int) or not 0 <= base10 < _BASE_LIMIT:
        raise DomainError("ogm.format", "OGM base must be an integer of at most 10 digits")
    base = f"{base10:010d}"
    return f"+++{ogm_vcs.format(base + ogm_vcs.calc_check_digits(base))}+++"


def ogm_digits(value: str) -> str:
    """Return the 12 digits of a valid OGM (raises like ``validate_ogm``)."""
    if not isinstance(value, str):
        raise DomainError("ogm.format", "OGM must be text")
    match = _DECORATED.fullmatch(value.strip())
    if not match:
        raise DomainError("ogm.format", "OGM must be 12 digits, optionally as +++123/4567/89012+++")
    opening, body, closing = match.groups()
    # "+++...***" or a lone "+++" is a copy/paste accident, not an OGM.
    if (opening or closing) and (opening is None or closing is None or opening[0] != closing[0]):
        raise DomainError("ogm.format", "OGM delimiters must be +++...+++ or ***...***")
    digits = re.sub(r"[\s/]", "", body)
    if len(digits) != 12 or not (digits.isascii() and digits.isdigit()):
        raise DomainError("ogm.format", "OGM must contain exactly 12 digits")
    try:
        return ogm_vcs.validate(digits)
    except ValidationError as exc:
        # Format and length were checked above, so this is the checksum (stdnum also
        # refuses all zeros, whose check digits cannot be 00 anyway).
        raise DomainError("ogm.check", "OGM check digits do not match; check for a typo") from exc


def validate_ogm(value: str) -> str:
    """Return the canonical ``+++123/4567/89012+++`` form or raise DomainError.

    Codes: ``ogm.format``, ``ogm.check``.
    """
    return f"+++{ogm_vcs.format(ogm_digits(value))}+++"
