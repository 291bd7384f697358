"""The public complaint form (web/complaint/) in Debian's Chromium against the local runtime:
a French complaint with a PDF reaches the desk and the reporter gets the number by mail; the
browser refuses a missing address before sending anything."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 1000}, locale="en-GB")
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def outbox(server, to: str) -> list[dict]:
    status, mails, _ = server.request("GET", f"/_local/outbox?to={quote(to)}")
    assert status == 200
    return mails if isinstance(mails, list) else json.loads(mails)


def test_french_complaint_with_a_pdf_gets_its_number_on_screen_and_by_mail(page, server):
    from playwright.sync_api import expect

    page.goto(server.base + "/complaint/index.html?lang=fr")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("h1")).to_have_text("Introduire une plainte")
    page.fill("#reporter-name", "Marie Lambert")
    page.fill("#reporter-email", "marie.form@example.org")
    page.select_option("#nature", "meter_reading")
    page.fill("#description", "Mon relevé de compteur a été estimé alors que je l'avais envoyé.")
    page.set_input_files("#attachments", files=[{"name": "releve.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#submit")
    expect(page.locator("#done h2")).to_be_visible(timeout=30_000)  # the first call loads the handler
    number = page.locator("#done-number").inner_text()
    assert number.startswith("C-2027-")
    expect(page.locator("#done-due")).to_have_text("11 janvier 2027")  # Monday 4 January + 5 working days
    mails = outbox(server, "marie.form@example.org")
    assert len(mails) == 1 and mails[0]["language"] == "fr" and number in mails[0]["subject"]


def test_missing_email_is_marked_before_anything_is_sent(page, server):
    from playwright.sync_api import expect

    page.goto(server.base + "/complaint/index.html?lang=nl")
    page.wait_for_selector("html[data-ready='true']")
    page.fill("#reporter-name", "Piet Janssens")
    page.select_option("#nature", "service")
    page.fill("#description", "Niemand neemt de telefoon op.")
    page.click("#submit")
    expect(page.locator("#form-alert")).to_have_text("Controleer de aangeduide velden.")
    expect(page.locator("#reporter-email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#done")).to_be_hidden()
