"""Matching incoming payments to invoices, and spreading an amount over open items.

Pure: the service looks up what the references, the IBAN and the customers' open items point to,
and hands it in; nothing here reads the table or the clock.

The matching rule (written once, here):

1. A structured reference (OGM, "+++027/1000/00143+++") in the bank's structured field that
   belongs to an invoice: that invoice, whatever the amount or the account it came from (exact).
   One that belongs to an instalment of a payment plan (``+++YYY/9NNN/NNNCC+++``, see
   domain.instalments): the plan's invoices, oldest first (exact), so the instalment is paid.
2. Otherwise every signal scores points for a candidate invoice (or a customer's open invoices):

   ===========================================  ======
   signal                                       points
   ===========================================  ======
   a valid OGM of the invoice in the free text    3
     (or of an instalment: the plan's invoices)
   the invoice number in the free text            2
   the payer's IBAN is known for that customer    2
     (mandate, or an earlier booked payment), and
     for no other customer
   the amount equals what is open on it           1
   ===========================================  ======

   A candidate reaching **3 points** is booked (``confidence="high"``). Anything less, two
   candidates tied at the top, or signals that point at different customers, goes to the
   suspense queue with the best candidate as a suggestion for the operator. An amount alone is
   never enough (many customers pay the same round advance).

Allocation of a booked amount (partial and overpayments):
* first the matched invoice(s), oldest due date first, each up to what is open on it;
* then any surplus to the customer's other open invoices, oldest due date first;
* what is left stays as credit on the customer's account (a ledger entry naming no invoice),
  applied to the next invoices as they are issued (``apply_credit``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import ZERO, to_cents
from wattdesk.domain.ogm import ogm_digits

POINTS_OGM_IN_TEXT = 3
POINTS_INVOICE_NUMBER_IN_TEXT = 2
POINTS_KNOWN_IBAN = 2
POINTS_AMOUNT = 1
BOOKING_THRESHOLD = 3

# 12 digits, decorated as banks and customers write them: +++027/1000/00143+++, ***...***,
# 027/1000/00143, "027 1000 00143" or 027100000143.
_OGM_IN_TEXT = re.compile(r"(?<!\d)(?:[+*]{3}\s*)?(\d{3})\s*[/ ]?\s*(\d{4})\s*[/ ]?\s*(\d{5})(?:\s*[+*]{3})?(?!\d)")
_INVOICE_NUMBER_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{4})\s*[-/ ]\s*([A-Za-z])\s*[-/ ]\s*(\d{6})(?!\d)")


@dataclass(frozen=True)
class IncomingPayment:
    """What the bank (or an operator) tells us about money that came in."""

    amount: Decimal
    structured_reference: str | None = None
    free_text: str | None = None
    debtor_iban: str | None = None


@dataclass(frozen=True)
class OpenInvoice:
    number: str
    customer_id: str
    ogm: str  # 12 digits
    open_amount: Decimal  # may be 0 (already paid: a payment on it is an overpayment)
    due_date: date | None = None


@dataclass(frozen=True)
class PlanInstalment:
    """An instalment of a payment plan, as its OGM points to it (issue 7: each instalment has its
    own structured reference): the plan's invoices, oldest first, carry what is paid on it."""

    customer_id: str
    plan_id: str
    number: int
    invoices: tuple[OpenInvoice, ...]  # the plan's invoices, oldest first (open amount may be 0)


@dataclass(frozen=True)
class Match:
    """``outcome``: "invoice" (book on ``invoice_numbers`` of ``customer_id``) or "suspense"."""

    outcome: str
    confidence: str  # exact | high | low | none
    customer_id: str | None = None
    invoice_numbers: tuple[str, ...] = ()
    score: int = 0
    reasons: tuple[str, ...] = ()
    suggestion: dict | None = None
    instalment: tuple[str, int] | None = None  # (plan id, instalment number) the payment quotes


@dataclass(frozen=True)
class Allocation:
    lines: tuple[tuple[str, Decimal], ...]  # (invoice number, amount paid on it) in order
    unallocated: Decimal  # stays as credit on the account (>= 0)

    @property
    def total(self) -> Decimal:
        return sum((amount for _number, amount in self.lines), ZERO) + self.unallocated


@dataclass(frozen=True)
class References:
    ogms: tuple[str, ...] = ()  # valid 12-digit OGMs, in the order found
    invoice_numbers: tuple[str, ...] = ()
    structured_ogm: str | None = None


def structured_ogm(reference: str | None) -> str | None:
    """The 12 digits of a structured reference, or None if it is not a valid OGM."""
    if not reference:
        return None
    try:
        return ogm_digits(reference)
    except DomainError:
        return None


def references_in(payment: IncomingPayment) -> References:
    """Every valid OGM and invoice number the payment names (structured field and free text)."""
    found_ogms: list[str] = []
    text = payment.free_text or ""
    for match in _OGM_IN_TEXT.finditer(text):
        digits = "".join(match.groups())
        try:
            valid = ogm_digits(digits)
        except DomainError:
            continue  # a typo'd OGM is no reference at all (its check digits protect us)
        if valid not in found_ogms:
            found_ogms.append(valid)
    numbers: list[str] = []
    for match in _INVOICE_NUMBER_IN_TEXT.finditer(text):
        number = f"{match.group(1)}-{match.group(2).upper()}-{match.group(3)}"
        if number not in numbers:
            numbers.append(number)
    return References(ogms=tuple(found_ogms), invoice_numbers=tuple(numbers), structured_ogm=structured_ogm(payment.structured_reference))


def _by_due(invoices: Iterable[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=lambda invoice: (invoice.due_date or date.max, invoice.number))


def match_payment(
    payment: IncomingPayment,
    invoices_by_ogm: Mapping[str, OpenInvoice],
    invoices_by_number: Mapping[str, OpenInvoice],
    customers_of_iban: Sequence[str],
    open_invoices_of: Mapping[str, Sequence[OpenInvoice]],
    instalments_by_ogm: Mapping[str, PlanInstalment] | None = None,
) -> Match:
    """Applies the rule of the module docstring.

    ``invoices_by_ogm`` / ``invoices_by_number``: the invoices the references of
    ``references_in(payment)`` point to (any status); ``customers_of_iban``: the customers the
    payer's IBAN is known for; ``open_invoices_of``: open invoices of every customer named above;
    ``instalments_by_ogm``: the payment-plan instalments the references point to.
    """
    if payment.amount <= 0:
        raise DomainError("payment.amount", "an incoming payment has a positive amount")
    instalments_by_ogm = instalments_by_ogm or {}
    refs = references_in(payment)
    if refs.structured_ogm and refs.structured_ogm in invoices_by_ogm:
        invoice = invoices_by_ogm[refs.structured_ogm]
        return Match("invoice", "exact", invoice.customer_id, (invoice.number,), score=99, reasons=("structured_reference",))
    if refs.structured_ogm and refs.structured_ogm in instalments_by_ogm:
        instalment = instalments_by_ogm[refs.structured_ogm]
        numbers = tuple(invoice.number for invoice in instalment.invoices)
        return Match("invoice", "exact", instalment.customer_id, numbers, score=99, reasons=("instalment_reference",), instalment=(instalment.plan_id, instalment.number))

    # Candidates: an invoice named in the text, or the open invoices of the IBAN's customer.
    named: dict[str, tuple[OpenInvoice, int, str]] = {}
    for digits in (*((refs.structured_ogm,) if refs.structured_ogm else ()), *refs.ogms):
        if digits in invoices_by_ogm:
            invoice = invoices_by_ogm[digits]
            named.setdefault(invoice.number, (invoice, POINTS_OGM_IN_TEXT, "ogm_in_text"))
    quoted_instalment: tuple[str, int] | None = None
    for digits in refs.ogms:
        if digits in instalments_by_ogm:
            instalment = instalments_by_ogm[digits]
            quoted_instalment = quoted_instalment or (instalment.plan_id, instalment.number)
            for invoice in instalment.invoices:
                named.setdefault(invoice.number, (invoice, POINTS_OGM_IN_TEXT, "instalment_ogm_in_text"))
    for number in refs.invoice_numbers:
        if number in invoices_by_number and number not in named:
            named[number] = (invoices_by_number[number], POINTS_INVOICE_NUMBER_IN_TEXT, "invoice_number_in_text")

    iban_customer = customers_of_iban[0] if len(set(customers_of_iban)) == 1 else None
    scored: list[tuple[int, str, tuple[str, ...], tuple[str, ...]]] = []  # (score, customer, invoices, reasons)

    by_customer: dict[str, list[tuple[OpenInvoice, int, str]]] = {}
    for entry in named.values():
        by_customer.setdefault(entry[0].customer_id, []).append(entry)
    for customer_id, entries in by_customer.items():
        invoices = _by_due(entry[0] for entry in entries)
        score = max(points for _invoice, points, _why in entries)
        reasons = [why for _invoice, points, why in entries if points == score][:1]
        if iban_customer == customer_id:
            score += POINTS_KNOWN_IBAN
            reasons.append("known_iban")
        open_total = sum((invoice.open_amount for invoice in invoices), ZERO)
        if open_total > 0 and payment.amount == open_total:
            score += POINTS_AMOUNT
            reasons.append("amount")
        scored.append((score, customer_id, tuple(invoice.number for invoice in invoices), tuple(reasons)))

    if iban_customer and iban_customer not in by_customer:
        open_invoices = [invoice for invoice in _by_due(open_invoices_of.get(iban_customer, ())) if invoice.open_amount > 0]
        exact = [invoice for invoice in open_invoices if invoice.open_amount == payment.amount]
        total = sum((invoice.open_amount for invoice in open_invoices), ZERO)
        if exact:
            scored.append((POINTS_KNOWN_IBAN + POINTS_AMOUNT, iban_customer, (exact[0].number,), ("known_iban", "amount")))
        elif open_invoices and payment.amount == total:
            scored.append((POINTS_KNOWN_IBAN + POINTS_AMOUNT, iban_customer, tuple(invoice.number for invoice in open_invoices), ("known_iban", "amount_of_all_open_items")))
        else:
            scored.append((POINTS_KNOWN_IBAN, iban_customer, (), ("known_iban",)))

    if not scored:
        return Match("suspense", "none", reasons=("no_reference_or_known_account",))
    scored.sort(key=lambda item: -item[0])
    best = scored[0]
    suggestion = {"customer_id": best[1], "invoice_numbers": list(best[2]), "score": best[0], "reasons": list(best[3])}
    if len(scored) > 1 and scored[1][0] == best[0]:
        return Match("suspense", "low", score=best[0], reasons=("ambiguous",), suggestion=suggestion)
    if iban_customer and best[1] != iban_customer and best[0] < BOOKING_THRESHOLD + POINTS_KNOWN_IBAN:
        # The text names one customer's invoice, the account belongs to another: let a person look.
        return Match("suspense", "low", score=best[0], reasons=("reference_and_account_disagree",), suggestion=suggestion)
    if best[0] >= BOOKING_THRESHOLD and best[2]:
        quoted = quoted_instalment if quoted_instalment and "instalment_ogm_in_text" in best[3] else None
        return Match("invoice", "high", best[1], best[2], score=best[0], reasons=best[3], instalment=quoted)
    return Match("suspense", "low", score=best[0], reasons=("below_threshold",), suggestion=suggestion)


def allocate(amount: Decimal, targets: Sequence[str], open_invoices: Sequence[OpenInvoice]) -> Allocation:
    """Spreads ``amount`` over ``targets`` first (in the order given), then the other open
    invoices oldest due first; the rest is unallocated credit. Amounts are whole cents."""
    remaining = to_cents(amount)
    if remaining <= 0:
        raise DomainError("payment.amount", "only a positive amount can be allocated")
    open_by_number = {invoice.number: invoice for invoice in open_invoices}
    order = [number for number in targets] + [invoice.number for invoice in _by_due(open_invoices) if invoice.number not in targets]
    lines: list[tuple[str, Decimal]] = []
    for number in order:
        if remaining <= 0:
            break
        invoice = open_by_number.get(number)
        if invoice is None or invoice.open_amount <= 0:
            continue
        paid = min(remaining, invoice.open_amount)
        lines.append((number, paid))
        remaining -= paid
    return Allocation(tuple(lines), remaining)


def apply_credit(credit: Decimal, open_invoices: Sequence[OpenInvoice]) -> Allocation:
    """Credit held on the account (> 0) spread over open invoices, oldest due first."""
    if credit <= 0:
        return Allocation((), ZERO)
    return allocate(credit, (), open_invoices)

