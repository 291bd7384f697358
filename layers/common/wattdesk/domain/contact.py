"""Customer contact details: e-mail addresses and phone numbers."""

from __future__ import annotations

import re

import phonenumbers

from wattdesk.domain.errors import DomainError

# Syntax check only (deliverability is proven by the confirmation mail).
# Deliberately stricter than RFC 5322: no quoted local parts, no IP literals,
# ASCII only (internationalised domains must arrive as punycode "xn--").
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL_RE = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+{_TLD})")

# RFC 5321 limits; longer addresses bounce at most mail servers anyway.
_MAX_LOCAL = 64
_MAX_ADDRESS = 254


def validate_email(value: str) -> str:
    """Return the address with its domain lower-cased, or raise DomainError (``email.invalid``).

    The local part keeps its case: it is, strictly speaking, case-sensitive.
    """
    if not isinstance(value, str):
        raise DomainError("email.invalid", "e-mail address must be text")
    address = value.strip()
    match = _EMAIL_RE.fullmatch(address)
    if not match or len(address) > _MAX_ADDRESS or len(match["local"]) > _MAX_LOCAL:
        raise DomainError("email.invalid", f"not a valid e-mail address: {value!r}")
    return f"{match['local']}@{match['domain'].lower()}"


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except DomainError:
        return False
    return True


def validate_phone(value: str, default_region: str = "BE") -> str:
    """Return the number in E.164 (``+32470123456``) or raise DomainError (``phone.invalid``).

    National numbers (``0470 12 34 56``) are read in ``default_region``.
    """
    if not isinstance(value, str):
        raise DomainError("phone.invalid", "phone number must be text")
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError("phone.invalid", f"not a phone number: {value!r}") from exc
    # is_valid_number checks the number plan (length and prefixes), not just digits.
    if not phonenumbers.is_valid_number(number):
        raise DomainError("phone.invalid", f"not a valid phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_email(value: str) -> str:
    """Mask an address for display/logs: ``jan.peeters@example.be`` -> ``j***@example.be``.

    The domain stays visible so a customer can tell which mailbox was used.
    """
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain.lower()}"


def mask_phone(value: str) -> str:
    """Mask a phone number for display/logs: ``+32470123456`` -> ``+32 ******* 56``.

    Keeps the country calling code and the last two digits.
    """
    digits = re.sub(r"\D", "", value)
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        number = None
    # Only trust the parse for plausible numbers; phonenumbers is lenient with junk.
    if number is not None and phonenumbers.is_possible_number(number):
        national = str(number.national_number)
        return f"+{number.country_code} {'*' * (len(national) - 2)} {national[-2:]}"
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]
