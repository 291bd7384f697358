"""Belgian postal codes: existence check and region (which drives network tariffs and levies)."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Literal

from wattdesk.domain.errors import DomainError

Region = Literal["brussels", "flanders", "wallonia"]

# Customers often write the old international form "B-1000" or "BE-1000".
_POSTCODE_RE = re.compile(r"(?:BE?-?\s*)?(\d{4})", re.IGNORECASE)


@cache
def _postcodes() -> dict[str, str]:
    """Code -> main municipality, read once from the packaged bpost list."""
    text = files("wattdesk.domain").joinpath("data", "be_postcodes.txt").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        code, _, name = line.partition(";")
        table[code] = name
    return table


def validate_postcode(value: str) -> str:
    """Return the 4-digit postal code or raise DomainError.

    Codes: ``postcode.format`` (not 4 digits), ``postcode.unknown`` (not in
    the bpost list, e.g. 1001).
    """
    if not isinstance(value, str):
        raise DomainError("postcode.format", "postal code must be text")
    match = _POSTCODE_RE.fullmatch(value.strip())
    # isascii(): \d would also match non-Latin digits.
    if not match or not match[1].isascii():
        raise DomainError("postcode.format", "a Belgian postal code has 4 digits")
    code = match[1]
    if code not in _postcodes():
        raise DomainError("postcode.unknown", f"{code} is not a Belgian postal code")
    return code


def is_valid_postcode(value: str) -> bool:
    try:
        validate_postcode(value)
    except DomainError:
        return False
    return True


def municipality_of(postcode: str) -> str:
    """Main municipality of a postal code (informational: for display, not for matching)."""
    return _postcodes()[validate_postcode(postcode)]


def region_of(postcode: str) -> Region:
    """Region of a postal code by the official bpost ranges.

    1000-1299 Brussels, 1300-1499 Wallonia (Walloon Brabant), 1500-3999
    Flanders, 4000-7999 Wallonia, 8000-9999 Flanders. Raises DomainError for
    codes that do not exist.
    """
    number = int(validate_postcode(postcode))
    if number < 1300:
        return "brussels"
    if number < 1500:
        return "wallonia"
    if number < 4000:
        return "flanders"
    if number < 8000:
        return "wallonia"
    return "flanders"


def all_postcodes() -> frozenset[str]:
    """Every known postal code (for pickers and test data)."""
    return frozenset(_postcodes())
