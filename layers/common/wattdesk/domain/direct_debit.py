"""SEPA Core direct debit rules: collection dates, pre-notification, sequence types, mandate
expiry and what an R-transaction (reject / return / refund) means.

Pure: dates are parameters. Sources:
* EPC SEPA Core Direct Debit Scheme Rulebook (EPC016-09), chapter 4.3: pre-notification at least
  14 calendar days before the due date "unless otherwise agreed"; our terms agree on 5 days
  (issue 7), so ``PRE_NOTIFICATION_DAYS = 5`` is the agreed term, not the scheme default.
* Same rulebook, since version 9.0 (Nov 2016): first and recurrent collections both reach the
  debtor bank one TARGET business day before the due date (D-1); collections are settled only on
  TARGET2 business days (the ECB calendar: weekends, 1 Jan, Good Friday, Easter Monday, 1 May,
  25 and 26 Dec are closed).
* Rulebook 4.3: a mandate is no longer valid when no collection was presented under it for 36
  months (``MANDATE_EXPIRY_MONTHS``).
* pain.008.001.02 sequence types: FRST for the first collection under a mandate, RCUR after it.
  When a FRST is rejected before settlement, the next one is again FRST; a FRST returned after
  settlement counts as used (the next is RCUR). We also start over with FRST when the mandate's
  IBAN changes (amendment to another account: the safe reading of the rulebook's "SMNDA").
* R-transaction reason codes: ISO 20022 ExternalReturnReason1Code as used by Febelfin/EPC
  (EPC173-14 "Guidance on reason codes for SDD R-transactions").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from wattdesk.domain.errors import DomainError

PRE_NOTIFICATION_DAYS = 5
MANDATE_EXPIRY_MONTHS = 36
MAX_CONSECUTIVE_FAILURES = 2  # then the customer is switched to transfer (issue 7)
MAX_ATTEMPTS_PER_INVOICE = 2  # the first presentation and at most one re-presentation
TRANSFER_TERM_DAYS = 15  # an invoice that can no longer be collected: pay by transfer within

_DAY = timedelta(days=1)


@cache
def _target_closed(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year).keys())


def is_target_day(day: date) -> bool:
    """A TARGET2 business day: the days SEPA collections settle on."""
    return day.weekday() < 5 and day not in _target_closed(day.year)


def next_target_day(day: date) -> date:
    """``day`` itself if it is a TARGET day, else the next one."""
    while not is_target_day(day):
        day += _DAY
    return day


def previous_target_day(day: date) -> date:
    """The TARGET day strictly before ``day``."""
    day -= _DAY
    while not is_target_day(day):
        day -= _DAY
    return day


def collection_date(due_date: date, notified_on: date) -> date:
    """The date we ask the bank to collect: the invoice's due date, but never sooner than
    ``PRE_NOTIFICATION_DAYS`` calendar days after the pre-notification, on a TARGET day."""
    earliest = notified_on + timedelta(days=PRE_NOTIFICATION_DAYS)
    return next_target_day(max(due_date, earliest))


def submission_date(collection: date) -> date:
    """The day the pain.008 file goes to the bank: one TARGET day before the collection (D-1)."""
    return previous_target_day(collection)


def notification_date(due_date: date) -> date:
    """The first day the daily sweep pre-notifies an invoice: early enough that the collection
    falls on the due date (we do not pre-notify months ahead of a date that is not certain)."""
    return due_date - timedelta(days=PRE_NOTIFICATION_DAYS + 3)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def mandate_expired(signed_on: date, last_collected_on: date | None, on: date) -> bool:
    """True when no collection was presented for 36 months (from signature if never used)."""
    return on >= _add_months(last_collected_on or signed_on, MANDATE_EXPIRY_MONTHS)


def sequence_type(settled_collections: int) -> str:
    """FRST for the first collection under a mandate (or under its current IBAN), RCUR after.

    ``settled_collections`` counts collections of the mandate's current IBAN that were not
    rejected before settlement (a return after settlement still counts)."""
    if settled_collections < 0:
        raise DomainError("mandate.collections", "the number of collections cannot be negative")
    return "FRST" if settled_collections == 0 else "RCUR"


@dataclass(frozen=True)
class ReasonCode:
    code: str
    kind: str  # reject (before settlement) | return (debtor bank, after) | refund (debtor asked)
    text: dict[str, str]  # what we tell the customer, per language
    represent: bool  # worth presenting again (e.g. insufficient funds)
    our_fault: bool  # a creditor-side problem: not the customer's failure


def _text(nl: str, fr: str, de: str, en: str) -> dict[str, str]:
    return {"nl": nl, "fr": fr, "de": de, "en": en}


_NO_FUNDS = _text("onvoldoende saldo op de rekening", "provision insuffisante sur le compte", "unzureichende Deckung des Kontos", "insufficient funds on the account")
_ACCOUNT = _text("de rekening is afgesloten of niet bruikbaar", "le compte est clôturé ou inutilisable", "das Konto ist aufgelöst oder nicht nutzbar", "the account is closed or cannot be used")
_REFUSED = _text("de betaling werd geweigerd door de rekeninghouder of de bank", "le paiement a été refusé par le titulaire du compte ou la banque", "die Zahlung wurde vom Kontoinhaber oder der Bank abgelehnt", "the payment was refused by the account holder or the bank")
_MANDATE = _text("de bank kent geen geldig mandaat", "la banque ne connaît pas de mandat valable", "der Bank liegt kein gültiges Mandat vor", "the bank holds no valid mandate")
_REFUND = _text("u vroeg uw bank de betaling terug te storten", "vous avez demandé à votre banque de rembourser le paiement", "Sie haben Ihre Bank um Erstattung gebeten", "you asked your bank to refund the payment")
_TECHNICAL = _text("een technisch probleem bij de banken", "un problème technique entre les banques", "ein technisches Problem zwischen den Banken", "a technical problem between the banks")
_DECEASED = _text("de rekeninghouder is overleden", "le titulaire du compte est décédé", "der Kontoinhaber ist verstorben", "the account holder has died")

REASON_CODES: dict[str, ReasonCode] = {
    "AC01": ReasonCode("AC01", "reject", _ACCOUNT, represent=False, our_fault=False),  # incorrect account number
    "AC04": ReasonCode("AC04", "reject", _ACCOUNT, represent=False, our_fault=False),  # closed account
    "AC06": ReasonCode("AC06", "reject", _ACCOUNT, represent=False, our_fault=False),  # blocked account
    "AC13": ReasonCode("AC13", "reject", _ACCOUNT, represent=False, our_fault=False),  # debtor is a consumer account (B2B)
    "AG01": ReasonCode("AG01", "reject", _REFUSED, represent=False, our_fault=False),  # transaction forbidden on this account
    "AG02": ReasonCode("AG02", "reject", _TECHNICAL, represent=True, our_fault=True),  # invalid bank operation code
    "AM04": ReasonCode("AM04", "return", _NO_FUNDS, represent=True, our_fault=False),  # insufficient funds
    "AM05": ReasonCode("AM05", "reject", _TECHNICAL, represent=False, our_fault=True),  # duplicate collection
    "BE05": ReasonCode("BE05", "reject", _TECHNICAL, represent=True, our_fault=True),  # unrecognised initiating party
    "FF01": ReasonCode("FF01", "reject", _TECHNICAL, represent=True, our_fault=True),  # invalid file format
    "MD01": ReasonCode("MD01", "return", _MANDATE, represent=False, our_fault=False),  # no mandate / unauthorised
    "MD02": ReasonCode("MD02", "reject", _MANDATE, represent=False, our_fault=True),  # mandate data missing or wrong
    "MD06": ReasonCode("MD06", "refund", _REFUND, represent=False, our_fault=False),  # debtor's refund request (8 weeks)
    "MD07": ReasonCode("MD07", "return", _DECEASED, represent=False, our_fault=False),  # debtor deceased
    "MS02": ReasonCode("MS02", "return", _REFUSED, represent=False, our_fault=False),  # refused by the debtor
    "MS03": ReasonCode("MS03", "return", _REFUSED, represent=True, our_fault=False),  # reason not specified
    "RC01": ReasonCode("RC01", "reject", _TECHNICAL, represent=True, our_fault=True),  # BIC incorrect
    "RR01": ReasonCode("RR01", "reject", _TECHNICAL, represent=True, our_fault=True),  # regulatory: debtor account/id missing
    "RR02": ReasonCode("RR02", "reject", _TECHNICAL, represent=True, our_fault=True),  # regulatory: debtor name/address missing
    "RR03": ReasonCode("RR03", "reject", _TECHNICAL, represent=True, our_fault=True),  # regulatory: creditor name/address missing
    "RR04": ReasonCode("RR04", "reject", _TECHNICAL, represent=True, our_fault=True),  # regulatory reason
    "SL01": ReasonCode("SL01", "reject", _REFUSED, represent=False, our_fault=False),  # specific service of the debtor bank (blocking)
    "CNOR": ReasonCode("CNOR", "reject", _TECHNICAL, represent=True, our_fault=True),  # creditor bank not registered
    "DNOR": ReasonCode("DNOR", "reject", _ACCOUNT, represent=False, our_fault=False),  # debtor bank not registered
}


def reason(code: str) -> ReasonCode:
    """The meaning of a reason code; an unknown code counts as "not specified" (MS03)."""
    normalised = (code or "").strip().upper()
    known = REASON_CODES.get(normalised)
    if known is not None:
        return known
    fallback = REASON_CODES["MS03"]
    return ReasonCode(normalised or "MS03", fallback.kind, fallback.text, fallback.represent, fallback.our_fault)


def consecutive_failures(outcomes: list[tuple[str, str]]) -> int:
    """Failed collections in a row at the end of a mandate's history.

    ``outcomes``: (collection date ISO + end-to-end id, result) with result ``collected``,
    ``failed`` or ``excused`` (a creditor-side problem: neither a failure nor a success). The
    order is the order of the collection dates, not of the bank's messages: a return that
    arrives after the next collection went through does not make two failures in a row."""
    count = 0
    for _key, result in sorted(outcomes, reverse=True):
        if result == "collected":
            break
        if result == "failed":
            count += 1
    return count


@dataclass(frozen=True)
class FailureOutcome:
    consecutive_failures: int
    switch_to_transfer: bool
    represent: bool


def outcome_of(code: str) -> str:
    """How an R-transaction with this code counts in the mandate's history."""
    return "excused" if reason(code).our_fault else "failed"


def after_failure(failures_in_a_row: int, code: str, attempts_so_far: int) -> FailureOutcome:
    """What follows an R-transaction, given the failures in a row including this one
    (``consecutive_failures``): two switch the customer to transfer; otherwise the invoice is
    presented again when the reason allows it and it had only one presentation so far."""
    meaning = reason(code)
    switch = failures_in_a_row >= MAX_CONSECUTIVE_FAILURES
    represent = (not switch) and meaning.represent and attempts_so_far < MAX_ATTEMPTS_PER_INVOICE
    return FailureOutcome(failures_in_a_row, switch, represent)


def transfer_due_date(returned_on: date) -> date:
    """A reopened invoice that is not presented again: to be paid by transfer by this date."""
    return returned_on + timedelta(days=TRANSFER_TERM_DAYS)


MANDATE_REFERENCE_PREFIX = "WD"


def mandate_reference(customer_id: str, sequence: int) -> str:
    """Unique mandate reference (max 35 characters, SEPA character set): WD<24 hex>-<nn>."""
    digits = "".join(ch for ch in customer_id.lower() if ch in "0123456789abcdef")[:24].upper()
    if len(digits) < 8 or not 1 <= sequence <= 99:
        raise DomainError("mandate.reference", "cannot build a mandate reference from this customer id")
    return f"{MANDATE_REFERENCE_PREFIX}{digits}-{sequence:02d}"


def end_to_end_id(invoice_number: str, attempt: int) -> str:
    """The EndToEndId of one presentation: what the bank quotes back in an R-transaction."""
    return f"{invoice_number}-{attempt}"
