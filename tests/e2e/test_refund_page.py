"""The public refund page (web/refund/) in Debian's Chromium against the local runtime process.

A Dutch-speaking customer paying by transfer (no account on file) is compensated for a complaint
by refund; the next morning's hand-over sweep makes it a refund that waits for an IBAN and mails
the link. In the browser the customer opens the link, enters an account number whose Belgian
check digits are wrong and sees the error at the field, then a good one and sees the confirmation;
the refund then waits for an approver (a new account counts as a changed one).

Needs /usr/bin/chromium: `make browser`.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from support import LocalServer, load_event
from wattdesk.domain.ean import ean_with_check_digit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

OPERATOR = "an.operator@wattdesk.example"
EMAIL = "jana.refund@example.org"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    # A handler's first call loads it (and the machine is shared): up to 20 s before a page changes.
    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(locator)


def call(server: LocalServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, expected: int = 200) -> Any:
    status, answer, _ = server.request(method, path, body, headers)
    assert status == expected, (path, answer)
    return answer


def wait_for(server: LocalServer, status_url: str, wanted: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while (status := call(server, "GET", status_url)["status"]) != wanted:
        assert time.monotonic() < deadline, f"still {status}, wanted {wanted}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def link(server: LocalServer) -> dict[str, str]:
    """The path of the IBAN link mailed to a customer compensated by refund, and the refund id."""
    body = copy.deepcopy(load_event("enrollment_api/enrollment_body"))
    ean = ean_with_check_digit(f"5414149{9123:07d}100")  # ...100: the simulated grid operator accepts
    body["customer"].update(first_name="Jana", last_name="Wouters", email=EMAIL, language="nl")
    body["delivery_points"][0].update(ean=ean, situation="move_in")
    body["payment"] = {"method": "transfer"}
    body["start_date"] = call(server, "GET", "/_local/clock")["now"][:10]
    created = call(server, "POST", "/enrollments", body, expected=202)
    wait_for(server, created["status_url"], "AWAITING_DSO")
    call(server, "POST", "/_local/dso/answers", [{"ean": ean, "outcome": "accept", "eav_kwh": 3500}])
    wait_for(server, created["status_url"], "CONFIRMED")
    operator = {"Authorization": call(server, "POST", "/_local/login", {"username": OPERATOR, "groups": ["operators"]})["id_token"]}
    customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{created['enrollment_id']}"))  # services/enrollment.confirm

    phoned = copy.deepcopy(load_event("complaints_api/phone"))
    phoned["reporter"].update(customer_number=customer_id, email=EMAIL, language="nl")
    number = call(server, "POST", "/ops/complaints", {**phoned, "nature": "billing"}, operator, 201)["complaint_number"]
    call(server, "POST", f"/ops/complaints/{number}/assessment", {"assessment": "admissible"}, operator)
    call(server, "POST", f"/ops/complaints/{number}/resolutions", {"kind": "compensation", "amount": "25.00", "method": "refund"}, operator, 201)
    call(server, "POST", "/_local/clock", {"to": "2027-01-05T06:00:00Z"})  # the 06:00 hand-over sweep
    texts = [mail["text"] for mail in call(server, "GET", f"/_local/outbox?to={quote(EMAIL)}") if "/refund/?r=" in mail["text"]]
    assert len(texts) == 1
    path = re.search(r"https?://[^/\s]+(/refund/\?r=\S+)", texts[0]).group(1)
    return {"path": path, "refund_id": re.search(r"r=(RF[0-9A-F]{16})", path).group(1), "operator": operator["Authorization"]}


@pytest.fixture
def page(browser, server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 420, "height": 900}, locale="en-GB")
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_customer_enters_a_wrong_then_a_good_iban_from_the_mailed_link(page, server, link):
    page.goto(server.base + link["path"])
    page.wait_for_selector("html[data-ready='true']")
    # The customer's language (Dutch), though the browser speaks English.
    expect(page.locator("h1")).to_have_text("Uw terugbetaling")
    expect(page.locator("#greeting")).to_have_text("Beste Jana,")
    expect(page.locator("#amount")).to_have_text(re.compile(r"€\s?25,00"))

    page.fill("#iban", "BE98 0961 2345 6768")  # ISO check digits right, Belgian check digits wrong
    page.fill("#account_holder", "Jana Wouters")
    page.click("#submit")
    expect(page.locator("#form-alert")).to_have_text("Controleer de aangeduide velden.")
    expect(page.locator("#iban-error")).to_have_text("Dit Belgische rekeningnummer bestaat niet: kijk de laatste twee cijfers na.")
    expect(page.locator("#iban")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#done")).to_be_hidden()

    page.fill("#iban", "be68 5390 0754 7034")
    page.click("#submit")
    expect(page.locator("#done h2")).to_have_text("Bedankt")
    expect(page.locator("#done-iban")).to_have_text("7034")
    expect(page.locator("#done-next")).to_have_text("Een collega controleert elk nieuw rekeningnummer eerst. U krijgt een e-mail zodra het geld onderweg is.")

    refund = call(server, "GET", f"/ops/refunds/{link['refund_id']}", headers={"Authorization": link["operator"]})
    assert (refund["status"], refund["iban"], refund["approval_reasons"]) == ("AWAITING_APPROVAL", "BE68 **** **** 7034", ["iban_changed_recently"])
    # The link is spent: opened again, it says so and offers no form.
    page.goto(server.base + link["path"] + "&lang=fr")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#gone")).to_contain_text("Ce lien n’est pas (ou plus) valable.")
    expect(page.locator("#iban-form")).to_be_hidden()


def test_an_incomplete_link_says_so(page, server):
    page.goto(server.base + "/refund/?r=RF0000&lang=de")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#gone")).to_have_text("Dieser Link ist unvollständig. Öffnen Sie ihn erneut aus unserer E-Mail.")
    expect(page.locator("#iban-form")).to_be_hidden()
