"""Product change on a contract: the new product from its effective date, and the correction of
an advance already issued for that month (credit note + new advance invoice). Every step is
idempotent, so a retried request completes what an interrupted one started."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.domain import advance as advance_rules
from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain import product_change as rules
from wattdesk.domain.advance import vat_rate
from wattdesk.services import billing
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import invoices as store
from wattdesk.stores import products as products_store
from wattdesk.stores.base import plain

MONTHS_BACK = {"monthly": 0, "bimonthly": 1, "quarterly": 2}


class ContractNotFound(LookupError):
    pass


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _advance_covering(contract: contracts.ContractRecord, month_start: date, change_no: int) -> str | None:
    """The advance invoice that now covers `month_start`'s month: the one issued for it (a bimonthly
    or quarterly advance may have been issued a month or two before), or the replacement an
    earlier product change issued for the same period."""
    for back in range(MONTHS_BACK[contract.billing_frequency] + 1):
        number = store.issued_number(contract.contract_id, f"advance#{billing.period_of(_months_before(month_start, back))}")
        if number:
            period = store.get_by_number(number).period
            for earlier in range(change_no - 1, 0, -1):
                replacement = store.issued_number(contract.contract_id, f"product-change-{earlier}-advance")
                if replacement and store.get_by_number(replacement).period == period:
                    return replacement
            return number
    return None


def _issue(new: store.NewInvoice) -> str:
    try:
        return billing.issue_numbered(new, clock.now()).number
    except store.AlreadyIssued as exc:
        return exc.number


def correct_issued_advance(customer_id: str, contract_id: str, effective: date, change_no: int) -> dict[str, str] | None:
    """Credits the advance already issued for the effective month in full and issues a new advance
    for the same period at the contract's current advance; both are mailed. None when there was
    nothing to correct. The invoices are keyed by the change (its number in the contract's
    product history), so a retry finishes this change's correction and never starts another."""
    contract = contracts.get_contract(customer_id, contract_id)
    customer = contracts.get_customer(customer_id)
    done = store.issued_number(contract_id, f"product-change-{change_no}-credit-note")
    number = store.get_by_number(done).corrects if done else _advance_covering(contract, effective, change_no)
    if number is None:
        return None
    original = store.get_by_number(number)
    today = clock.today_in_brussels()
    credit_lines = invoice_rules.credit_note_lines([billing.line_from_json(row) for row in original.lines], list(range(len(original.lines))), Decimal("0.00"))
    credit_series = invoice_rules.SERIES[invoice_rules.InvoiceKind.CREDIT_NOTE]
    credit_number = _issue(
        store.NewInvoice(
            kind="credit_note", series=credit_series, year=today.year, customer_id=customer_id, contract_id=contract_id, period=original.period,
            issue_date=today.isoformat(), due_date=None, language=customer.language, lines=billing.json_ready(credit_lines),
            totals=billing.json_ready(invoice_rules.totals(credit_lines)), corrects=original.number, once_key=f"product-change-{change_no}-credit-note",
        ),
    )
    amount = Decimal(contract.advance_amount or contract.first_advance)
    lines = invoice_rules.advance_invoice_lines(amount, vat_rate(customer.customer_type, effective), {"month": original.period})
    advance_series = invoice_rules.SERIES[invoice_rules.InvoiceKind.ADVANCE]
    new_number = _issue(
        store.NewInvoice(
            kind="advance", series=advance_series, year=today.year, customer_id=customer_id, contract_id=contract_id, period=original.period,
            issue_date=today.isoformat(), due_date=invoice_rules.due_date(today).isoformat(), language=customer.language,
            lines=billing.json_ready(lines), totals=billing.json_ready(invoice_rules.totals(lines)), once_key=f"product-change-{change_no}-advance",
        ),
    )
    billing.send_invoice(customer_id, credit_number)
    billing.send_invoice(customer_id, new_number)
    return {"corrected": original.number, "credit_note": credit_number, "new_invoice": new_number}


def change_product(customer_id: str, contract_id: str, new_code: str, actor: str, reason: str | None) -> dict[str, Any]:
    try:
        contract = contracts.get_contract(customer_id, contract_id)
    except contracts.ContractRecord.DoesNotExist as exc:
        raise ContractNotFound(contract_id) from exc
    customer = contracts.get_customer(customer_id)
    today = clock.today_in_brussels()
    effective = rules.effective_date(date.fromisoformat(contract.start_date), today)
    history = plain(list(contract.product_history or []))
    # A retried request: the change is stored already; finish the correction and answer the same.
    repeated = contract.product_code == new_code and history and history[-1]["product_code"] == new_code and history[-1]["from"] == effective.isoformat()
    if not repeated:
        if contract.status not in billing.BILLABLE_STATUSES:
            from wattdesk.domain.errors import DomainError

            raise DomainError("contract.not_active", "Only a confirmed or active contract can change product.", "contract_id")
        points = plain(list(contract.delivery_points))
        product = rules.check_new_product(products_store.catalogue(), contract.product_code, new_code, {p["energy"] for p in points}, customer.customer_type, effective)
        computed = advance_rules.first_advance(
            [(int(p.get("eav_kwh") or 0), p["meter_type"], product) for p in points], customer.customer_type, contract.billing_frequency, effective
        )
        contract = contracts.change_product(customer_id, contract_id, contract.product_code, new_code, effective.isoformat(), str(computed), actor, reason, clock.now())
    # From the start on, the month's advance may already be issued; before it, nothing was.
    change_no = len(contract.product_history or [])
    correction = correct_issued_advance(customer_id, contract_id, effective, change_no) if effective <= today else None
    return {
        "contract_id": contract_id,
        "product_code": contract.product_code,
        "effective_from": effective.isoformat(),
        "advance": contract.advance_amount or contract.first_advance,
        "correction": correction,
    }
