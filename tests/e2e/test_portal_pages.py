"""The customer portal (web/portal/) in Debian's Chromium against the local runtime process.

A Dutch-speaking customer enrolls (move-in, dual meter, paying by transfer), the grid operator
accepts, the contract is confirmed and the invitation mail arrives; the clock moves to 1 February,
when the scheduled billing run issues the first advance invoice. Then, in the browser: the
customer sets a password from the invitation link and signs in, sees the invoice and downloads its
PDF (and the payment QR code), enters a meter reading per register, and changes the advance within
its bounds after being refused outside them. Screenshots of the main pages go to docs/screenshots/.

Needs /usr/bin/chromium: `make browser`.
"""

from __future__ import annotations

import copy
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from support import ROOT, LocalServer, load_event
from wattdesk.domain.ean import ean_with_check_digit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

START = "2027-01-29T09:00:00Z"  # a Friday; supply starts that day, the first advance is billed on 1 February
BILLED = "2027-02-01T09:00:00Z"  # after the monthly billing run (06:00 Brussels on the 1st)
SCREENSHOTS = ROOT / "docs" / "screenshots"
PUBLIC_BASE_URL = "http://127.0.0.1:3000"  # the mails' base (settings.public_base_url)
PASSWORD = "Zonnige-Tuin-2027"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """This module's own runtime process, frozen at START (the conftest's starts on 4 January)."""
    log = tmp_path_factory.mktemp("portal") / "runtime.log"
    with LocalServer(log, "--no-state", "--frozen-clock", "--start", START) as running:
        yield running


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    # A handler's first call loads it (and the machine is shared): up to 20 s before a page changes.
    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(locator)


def fresh_ean() -> str:
    return ean_with_check_digit(f"5414149{next(_serial) + 700:07d}100")  # 100: the simulated DSO accepts


def wait_for(server: LocalServer, status_url: str, wanted: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        status, view, _ = server.request("GET", status_url)
        assert status == 200, view
        if view["status"] == wanted:
            return
        assert time.monotonic() < deadline, f"still {view['status']}, wanted {wanted}"
        time.sleep(0.2)


def mails(server: LocalServer, to: str) -> list[dict[str, Any]]:
    status, found, _ = server.request("GET", f"/_local/outbox?to={quote(to)}")
    assert status == 200
    return found


def invitation_path(server: LocalServer, email: str) -> str:
    """The one-time link of the portal invitation mail, as a path of the local site."""
    texts = [mail["text"] for mail in mails(server, email) if "/portal/activate.html?token=" in mail["text"]]
    assert len(texts) == 1, [mail["subject"] for mail in mails(server, email)]
    link = re.search(r"(\S+/portal/activate\.html\?token=\S+)", texts[0]).group(1)
    assert link.startswith(PUBLIC_BASE_URL)
    return link.removeprefix(PUBLIC_BASE_URL)


def confirmed_customer(server: LocalServer, first_name: str, email: str) -> dict[str, Any]:
    """A Dutch customer moving in today (electricity, dual meter, paying by transfer), confirmed
    (the simulated grid operator accepts at once)."""
    body = copy.deepcopy(load_event("enrollment_api/enrollment_body"))
    ean = fresh_ean()
    body["customer"].update(first_name=first_name, last_name="Peeters", email=email, language="nl")
    body["supply_address"] = {"street": "Kerkstraat", "number": "12", "box": None, "postcode": "2000", "city": "Antwerpen"}
    body["delivery_points"][0].update(ean=ean, situation="move_in", meter_type="dual")
    body["payment"] = {"method": "transfer"}
    body["start_date"] = server.request("GET", "/_local/clock")[1]["now"][:10]  # moving in today (UTC morning = Brussels day)
    status, created, _ = server.request("POST", "/enrollments", body)
    assert status == 202, created
    wait_for(server, created["status_url"], "AWAITING_DSO")
    status, answered, _ = server.request("POST", "/_local/dso/answers", [{"ean": ean, "outcome": "accept", "eav_kwh": 3500}])
    assert status == 200, answered
    wait_for(server, created["status_url"], "CONFIRMED")
    customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{created['enrollment_id']}"))  # services/enrollment.confirm
    return {"email": email, "ean": ean, "customer_id": customer_id, "customer_number": customer_id[:8].upper()}


@pytest.fixture(scope="module")
def customer(server: LocalServer) -> dict[str, Any]:
    """Confirmed on 29 January with the grid operator's opening reading; activated through the
    invitation's API; billed on 1 February (the scheduled run) with one open advance invoice."""
    account = confirmed_customer(server, "Lotte", "lotte.peeters@example.org")
    opening = {"ean": account["ean"], "reading_date": START[:10], "kind": "opening", "registers": [{"register": "day", "value_kwh": "12000"}, {"register": "night", "value_kwh": "8000"}]}
    status, stored, _ = server.request("POST", "/_local/dso/readings", [opening])
    assert status == 200 and stored["stored"] == 1, stored
    token = invitation_path(server, account["email"]).split("token=", 1)[1]
    status, activated, _ = server.request("POST", "/portal/activate", {"token": token, "password": PASSWORD})
    assert status == 200, activated
    status, moved, _ = server.request("POST", "/_local/clock", {"to": BILLED})
    assert status == 200, moved
    return account


@pytest.fixture
def open_page(browser, server) -> Iterator[Callable[..., Any]]:
    """A page of the site in a fresh browser context (sessionStorage is per context); any
    JavaScript error fails the test."""
    contexts, errors = [], []

    def open_(path: str, *, width: int = 1100, height: int = 900, locale: str = "nl-BE"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.base + path)
        page.wait_for_selector("html[data-ready='true']", timeout=15_000)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def signed_in(open_page, email: str, path: str = "/portal/index.html", **options):
    """Signs in on the sign-in page with e-mail and password, then opens `path`."""
    page = open_page(f"/portal/signin.html?next={quote(path, safe='')}", **options)  # encoded: the URL must not end with `path` yet
    form = page.get_by_role("form", name="Aanmelden")
    form.get_by_label("E-mailadres").fill(email)
    form.get_by_label("Wachtwoord").fill(PASSWORD)
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("html[data-ready='true']")
    return page


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


# ------------------------------------------------------------------------------------------------


def test_customer_sets_a_password_from_the_invitation_and_signs_in(open_page, server, customer):
    newcomer = confirmed_customer(server, "Jonas", "jonas.peeters@example.org")
    page = open_page(invitation_path(server, newcomer["email"]))
    expect(page.locator("h1")).to_have_text("Kies uw wachtwoord")

    # The pool's password policy, checked before anything is sent.
    page.get_by_label("Wachtwoord").fill("kort")
    page.get_by_role("button", name="Wachtwoord instellen").click()
    expect(page.locator("#page-alert")).to_contain_text("minstens 12 tekens")

    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Wachtwoord instellen").click()
    page.wait_for_url("**/portal/index.html")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("h1")).to_have_text("Mijn klantenzone")
    expect(page.locator("#you-heading")).to_have_text("Jonas Peeters")
    expect(page.get_by_text(f"Klantnummer {newcomer['customer_number']}")).to_be_visible()
    expect(page.locator("table code")).to_have_text(newcomer["ean"])

    # Signed out, the portal sends the customer to the sign-in page; a wrong password is refused.
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url("**/portal/signin.html")
    page.goto(server.base + "/portal/invoices.html")
    page.wait_for_url("**/portal/signin.html?next=*")
    page.wait_for_selector("html[data-ready='true']")
    form = page.get_by_role("form", name="Aanmelden")
    form.get_by_label("E-mailadres").fill(newcomer["email"])
    form.get_by_label("Wachtwoord").fill("Niet-Het-Wachtwoord-1")
    form.get_by_role("button", name="Aanmelden").click()
    expect(page.locator("#signin-alert")).to_have_text("E-mailadres of wachtwoord klopt niet.")
    form.get_by_label("Wachtwoord").fill(PASSWORD)
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/portal/invoices.html")  # back where the customer wanted to go

    # The link works once.
    again = open_page(invitation_path(server, newcomer["email"]))
    again.get_by_label("Wachtwoord").fill(PASSWORD)
    again.get_by_role("button", name="Wachtwoord instellen").click()
    expect(again.locator("#page-alert")).to_contain_text("Deze link is niet (meer) geldig.")


def test_overview_shows_contract_delivery_point_balance_and_next_advance(open_page, customer):
    page = signed_in(open_page, customer["email"])
    expect(page.locator("#balance")).to_have_text("€ 86,00")
    expect(page.get_by_text("1 openstaande factuur/facturen")).to_be_visible()
    expect(page.locator("table code")).to_have_text(customer["ean"])
    expect(page.get_by_role("cell", name="Tweevoudig (dag/nacht)")).to_be_visible()
    expect(page.locator("#next-advance")).to_have_text("€ 86,00")
    expect(page.get_by_text("Verwacht op 1 maart 2027")).to_be_visible()
    for name in ("Klacht", "Afbetalingsplan", "Terugbetalingen"):
        expect(page.get_by_role("navigation").get_by_role("link", name=name)).to_be_visible()
    shoot(page, "portal-overview.png")

    # Keyboard: the first Tab reaches the skip link, which moves to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # On a phone: nothing wider than the screen.
    phone = signed_in(open_page, customer["email"], width=375, height=740)
    expect(phone.locator("#balance")).to_have_text("€ 86,00")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "portal-overview-phone.png")


def test_customer_sees_the_invoice_downloads_its_pdf_and_gets_the_payment_qr_code(open_page, customer):
    page = signed_in(open_page, customer["email"], "/portal/invoices.html")
    row = page.locator("#invoices tbody tr").first
    expect(row).to_contain_text("Voorschot")
    expect(row).to_contain_text("€ 86,00")
    expect(row.locator(".badge")).to_have_text("Open")
    number = row.get_attribute("data-invoice")
    assert re.fullmatch(r"2027-A-\d{6}", number), number

    with page.expect_download() as download:
        page.get_by_role("button", name=f"Factuur {number} downloaden (PDF)").click()
    assert download.value.suggested_filename == f"invoice-{number}.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.get_by_role("button", name=f"Factuur {number} betalen met QR-code").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#qr-amount")).to_have_text("€ 86,00")
    expect(dialog.locator("#qr-ogm")).to_have_text(re.compile(r"^\+\+\+\d{3}/\d{4}/\d{5}\+\+\+$"))
    expect(dialog.get_by_role("img", name=f"QR-code om factuur {number} te betalen")).to_be_visible()
    shoot(page, "portal-invoices.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Betalen met QR-code"  # focus back on its button
    expect(page.locator("#payments")).to_contain_text("Nog geen betalingen.")


def test_customer_enters_a_reading_per_register_and_sees_history_and_yearly_consumption(open_page, customer):
    page = signed_in(open_page, customer["email"], "/portal/readings.html")
    expect(page.get_by_label("Datum van de meterstand")).to_have_value("2027-02-01")  # the runtime's today
    expect(page.locator("#registers legend")).to_have_text(f"Telwerken van meter {customer['ean']}")
    # A dual meter: day and night; a letter is refused in the browser.
    page.get_by_label("Dag (kWh)").fill("12040")
    page.get_by_label("Nacht (kWh)").fill("80x")
    page.get_by_role("button", name="Meterstand versturen").click()
    expect(page.locator("#reading-result")).to_have_text("Vul elk telwerk in met hele getallen (zonder komma).")
    assert page.evaluate("document.activeElement.id") == "register-night"

    page.get_by_label("Nacht (kWh)").fill("8025")
    with page.expect_response(lambda r: r.url.endswith("/readings") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Meterstand versturen").click()
    assert sent.value.status == 201, sent.value.text()
    assert sent.value.request.post_data_json["registers"] == [{"register": "day", "value_kwh": "12040"}, {"register": "night", "value_kwh": "8025"}]
    expect(page.locator("#reading-result")).to_have_text("Bedankt! We hebben uw meterstand van 1 februari 2027 goed ontvangen.")

    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(2)  # the customer's and the grid operator's opening reading
    expect(rows.first).to_contain_text("12.040 kWh")
    expect(rows.first).to_contain_text("Uzelf")
    expect(rows.last).to_contain_text("Netbeheerder")
    # 40 + 25 kWh between 29 January and 1 February, all in 2027.
    page.get_by_text("Als tabel").click()
    expect(page.locator("#chart tbody td")).to_have_text(["2027", "65 kWh"])
    expect(page.locator("#chart svg")).to_be_visible()
    shoot(page, "portal-readings.png")


def test_customer_changes_the_advance_within_bounds_and_is_refused_outside_them(open_page, customer):
    page = signed_in(open_page, customer["email"], "/portal/advance.html")
    card = page.locator("section[data-contract]")
    expect(card.locator(".computed")).to_have_text("€ 86,00")
    expect(card.locator(".bounds")).to_have_text("van € 68,80 tot € 258,00")
    amount = card.get_by_label("Nieuw voorschot (€)")

    amount.fill("300")
    card.get_by_role("button", name="Voorschot wijzigen").click()
    expect(card.locator(".result")).to_have_text("Dit voorschot is te hoog: het mag hoogstens € 258,00 zijn (3 keer het berekende € 86,00).")
    expect(amount).to_have_attribute("aria-invalid", "true")
    shoot(page, "portal-advance-refused.png")

    amount.fill("50")
    card.get_by_role("button", name="Voorschot wijzigen").click()
    expect(card.locator(".result")).to_have_text("Dit voorschot is te laag: het moet minstens € 68,80 zijn (80 % van het berekende € 86,00).")
    expect(card.locator(".current")).to_have_text("€ 86,00")

    amount.fill("95,50")
    card.get_by_role("button", name="Voorschot wijzigen").click()
    expect(card.locator(".result")).to_have_text("Uw voorschot is nu € 95,50.")
    expect(card.locator(".current")).to_have_text("€ 95,50")
    shoot(page, "portal-advance.png")

    # Kept: the overview shows the new advance.
    overview = signed_in(open_page, customer["email"])
    expect(overview.locator("section[aria-label^='Contract'] dd").filter(has_text="€ 95,50")).to_be_visible()


@pytest.mark.parametrize(
    ("language", "path", "heading", "shot"),
    [
        ("fr", "/portal/payment.html", "Mode de paiement et compte", "portal-payment-fr.png"),
        ("de", "/portal/contact.html", "Meine Kontaktdaten", "portal-contact-de.png"),
        ("en", "/portal/requests.html", "My requests", "portal-requests-en.png"),
        ("nl", "/portal/payment-plans.html", "Afbetalingsplannen", None),
    ],
)
def test_the_other_pages_speak_the_chosen_language(open_page, customer, language, path, heading, shot):
    page = signed_in(open_page, customer["email"], path)
    page.get_by_role("button", name={"fr": "Français", "de": "Deutsch", "en": "English", "nl": "Nederlands"}[language]).click()
    page.wait_for_url(f"**lang={language}", wait_until="commit")
    page.wait_for_selector("html[data-ready='true']", timeout=30_000)
    expect(page.locator("h1")).to_have_text(heading)
    assert page.evaluate("document.documentElement.lang") == language
    if shot:
        shoot(page, shot)


def test_customer_changes_contact_data_outage_notices_bank_account_and_payment_method(open_page, customer):
    page = signed_in(open_page, customer["email"], "/portal/contact.html")
    expect(page.get_by_label("E-mailadres")).to_have_value(customer["email"])
    page.get_by_label("Telefoonnummer").fill("0478 11 22 33")
    page.locator("#contact-form").get_by_role("button", name="Bewaren").click()
    expect(page.locator("#contact-result")).to_have_text("Uw gegevens zijn bewaard.")
    page.get_by_label(re.compile(customer["ean"])).check()
    page.locator("#outage-form").get_by_role("button", name="Bewaren").click()
    expect(page.locator("#outage-result")).to_have_text("Uw keuze is bewaard.")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.get_by_label(re.compile(customer["ean"]))).to_be_checked()
    expect(page.get_by_label("Telefoonnummer")).not_to_have_value("")
    assert page.get_by_label("Telefoonnummer").input_value().replace(" ", "").endswith("478112233")

    payment = signed_in(open_page, customer["email"], "/portal/payment.html")
    expect(payment.locator("#method-current")).to_have_text("Overschrijving")
    payment.locator("#bank-form").get_by_label("IBAN").fill("BE62 5100 0754 7061")
    payment.locator("#bank-form").get_by_label("Rekeninghouder").fill("Lotte Peeters")
    payment.get_by_role("button", name="Rekening wijzigen").click()
    expect(payment.locator("#bank-result")).to_have_text("Uw rekening is gewijzigd.")
    expect(payment.locator("#bank-current")).to_have_text("BE62 **** **** 7061")  # masked, never the whole IBAN

    payment.get_by_label("Domiciliëring (SEPA-mandaat)").check()
    payment.locator("#method-form").get_by_label("IBAN").fill("BE62 5100 0754 7061")
    payment.locator("#method-form").get_by_label("Rekeninghouder").fill("Lotte Peeters")
    payment.locator("#method-form").get_by_role("button", name="Bewaren").click()
    expect(payment.locator("#method-result")).to_have_text("Vink de toestemming voor de domiciliëring aan.")  # mandate.not_accepted
    payment.get_by_label("Ik geef WattDesk de toestemming").check()
    payment.locator("#method-form").get_by_role("button", name="Bewaren").click()
    expect(payment.locator("#method-result")).to_have_text("Uw betaalwijze is gewijzigd. U krijgt een bevestiging per e-mail.")
    expect(payment.locator("#method-current")).to_have_text("Domiciliëring (SEPA-mandaat)")
    shoot(payment, "portal-payment.png")


def test_every_text_of_the_portal_and_ops_pages_exists_in_the_four_languages():
    """No browser: the i18n files of web/shared, web/portal and web/ops have the same keys in
    nl/fr/de/en, and every fixed key the pages use (data-i18n, t('...')) is in them."""
    import json

    web = ROOT / "web"
    for area in ("shared", "portal", "ops"):
        keys = {language: set(json.loads((web / area / "i18n" / f"{language}.json").read_text(encoding="utf-8"))) for language in ("nl", "fr", "de", "en")}
        assert keys["nl"] == keys["fr"] == keys["de"] == keys["en"], {lang: sorted(keys["en"] ^ found) for lang, found in keys.items()}
    shared = set(json.loads((web / "shared" / "i18n" / "en.json").read_text(encoding="utf-8")))
    for area in ("portal", "ops"):
        known = shared | set(json.loads((web / area / "i18n" / "en.json").read_text(encoding="utf-8")))
        used = set()
        for page in (web / area).glob("*.html"):
            used |= set(re.findall(r'data-i18n="([^"]+)"', page.read_text(encoding="utf-8")))
        for script in [*(web / area).glob("*.js"), web / "shared" / "shell.js", web / "shared" / "signin.js"]:
            used |= {key for key in re.findall(r"\bt\('([a-z_]+\.[a-z_.]+)'", script.read_text(encoding="utf-8"))}
        if area == "ops":
            used -= {key for key in used if key.startswith("signin.") and key in {"signin.error.password", "signin.error.wrong", "signin.activated"}}  # the portal's form only
        assert sorted(used - known) == [], area
