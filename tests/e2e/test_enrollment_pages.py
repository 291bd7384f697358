"""The enrollment pages in Debian's Chromium, against the local runtime process: the form with
electricity and gas together, the customer's status page (status.html) and fix page (fix.html),
and the browser's phone check against libphonenumber (wattdesk.domain.contact.validate_phone).

The runtime runs with a frozen clock at START. Needs /usr/bin/chromium: `make browser`.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import phonenumbers
import pytest

from support import ROOT, LocalServer, load_event
from wattdesk.domain.contact import validate_phone
from wattdesk.domain.ean import ean_with_check_digit
from wattdesk.domain.errors import DomainError

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

START = "2027-01-04T09:00:00Z"
TODAY = date(2027, 1, 4)  # START in Brussels
SCREENSHOTS = ROOT / "docs" / "screenshots"
PUBLIC_BASE_URL = "http://127.0.0.1:3000"  # the mails' base (settings.public_base_url)
_serial = itertools.count(1)


@pytest.fixture
def open_page(browser, server) -> Iterator[Callable[..., Any]]:
    """Open a page of the site in a fresh browser context; any JavaScript error fails the test."""
    contexts, errors = [], []

    def open_(path: str, *, locale: str = "en-GB", width: int = 1000, height: int = 900, routes: dict[str, Callable] | None = None):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        for pattern, handler in (routes or {}).items():
            page.route(pattern, handler)
        page.goto(server.base + path)
        page.wait_for_selector("html[data-ready='true']", timeout=10_000)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def fresh_ean(marker: str = "100") -> str:
    """A valid EAN no other test uses; the last three digits before the check digit choose the
    simulated grid operator's answer (100: accepted)."""
    return ean_with_check_digit(f"5414149{next(_serial) + 500:07d}" + marker)


def fresh_email(name: str) -> str:
    return f"{name}.{next(_serial)}@example.org"


def enrollment_body(**changes: Any) -> dict[str, Any]:
    """events/enrollment_api/enrollment_body.json (French, electricity) with a fresh EAN and e-mail,
    starting 40 days after START."""
    body = copy.deepcopy(load_event("enrollment_api/enrollment_body"))
    body["customer"]["email"] = fresh_email("camille")
    body["delivery_points"][0]["ean"] = fresh_ean()
    body["start_date"] = (TODAY + timedelta(days=40)).isoformat()
    body.update(changes)
    return body


def submitted(server: LocalServer, body: dict[str, Any]) -> dict[str, Any]:
    status, created, _ = server.request("POST", "/enrollments", body)
    assert status == 202, created
    return created


def wait_for_status(server: LocalServer, status_url: str, wanted: str, timeout_s: float = 30) -> dict[str, Any]:
    """The workflow runs in the runtime's background: poll the status URL until it says `wanted`."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, view, _ = server.request("GET", status_url)
        assert status == 200, view
        if view["status"] == wanted or time.monotonic() > deadline:
            assert view["status"] == wanted, f"still {view['status']} after {timeout_s} s: {view}"
            return view
        time.sleep(0.2)


def link_parts(status_url: str) -> tuple[str, str]:
    """(enrollment id, token) of a status URL (/enrollments/<id>?token=<token>)."""
    split = urlsplit(status_url)
    return split.path.rsplit("/", 1)[-1], parse_qs(split.query)["token"][0]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def visible_step(page) -> int:
    return int(page.locator("section.step:not([hidden])").get_attribute("data-step"))


# ------------------------------------------------------------------------------------------------
# Task 1: electricity and gas in one enrollment


def test_dual_fuel_enrollment_from_the_form(open_page, server):
    start_date = TODAY + timedelta(days=40)
    gas_ean = fresh_ean()
    electricity_ean = fresh_ean()  # not shared with the module's other enrollments (ean.open_enrollment)
    email = fresh_email("dual.fuel")
    page = open_page("/enroll/?lang=fr")
    page.fill("#customer-first_name", "Camille")
    page.fill("#customer-last_name", "Dubois")
    page.fill("#customer-email", email)
    page.fill("#customer-phone", "0470 12 34 56")
    page.click("#next")
    page.fill("#supply_address-street", "Rue de la Station")
    page.fill("#supply_address-number", "14")
    page.fill("#supply_address-postcode", "5000")
    page.click("#next")
    assert visible_step(page) == 3
    # Both energies: no "one enrollment covers one energy" message any more.
    page.check("#energy-electricity")
    page.check("#energy-gas")
    assert page.locator("#energies-dual").count() == 0
    page.fill("#dp-electricity-ean", electricity_ean)
    page.select_option("#dp-electricity-meter_type", "dual")
    page.fill("#dp-gas-ean", gas_ean)
    page.click("#next")
    assert visible_step(page) == 4

    # One product list per energy, each with only that energy's products.
    expect(page.locator("#product-dual-hint")).to_have_text("Vous avez choisi l'électricité et le gaz : choisissez un produit pour chacun.")
    expect(page.locator("#product-legend")).to_have_text("Votre produit électricité")
    expect(page.locator("#product-gas > legend")).to_have_text("Votre produit gaz")
    electricity = page.locator("input[name='product_code']")
    gas = page.locator("input[name='gas_product_code']")
    assert {electricity.nth(i).get_attribute("value") for i in range(electricity.count())} == {"ELEC-FIX-1Y", "ELEC-VAR-1Y"}
    assert {gas.nth(i).get_attribute("value") for i in range(gas.count())} == {"GAS-FIX-1Y", "GAS-VAR-1Y"}

    # Nothing chosen: an error on each list.
    page.fill("#start_date", start_date.isoformat())
    page.fill("#payment-iban", "BE71 0961 2345 6769")
    page.fill("#payment-account_holder", "Camille Dubois")
    page.click("#next")
    expect(page.locator("#product-error")).to_have_text("Choisissez un produit.")
    expect(page.locator("#product-gas-error")).to_have_text("Choisissez un produit.")
    assert page.evaluate("document.activeElement.name") == "product_code"

    # Back to one energy: one list again, the form's usual title, no gas list.
    page.click("#back")
    page.uncheck("#energy-gas")
    page.click("#next")
    expect(page.locator("#product-legend")).to_have_text("Choisissez votre produit")
    expect(page.locator("#product-gas")).to_be_hidden()
    expect(page.locator("#product-dual-hint")).to_be_hidden()
    page.click("#back")
    page.check("#energy-gas")  # the gas details typed before are still there
    page.click("#next")
    page.check("input[name='product_code'][value='ELEC-FIX-1Y']")
    page.check("input[name='gas_product_code'][value='GAS-VAR-1Y']")
    page.click("#next")
    assert visible_step(page) == 5

    review = page.locator("#review")
    expect(review).to_contain_text("Produit électricité")
    expect(review).to_contain_text("Électricité Fixe 1 an")
    expect(review).to_contain_text("Produit gaz")
    expect(review).to_contain_text("Gaz Variable")
    expect(review).to_contain_text(gas_ean)
    page.check("#consents-terms_accepted")
    page.check("#consents-privacy_accepted")
    with page.expect_response(lambda r: r.url.endswith("/enrollments") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Envoyer ma demande").click()
    response = answer.value
    sent = json.loads(response.request.post_data)
    assert sent["product_code"] == "ELEC-FIX-1Y"
    assert sent["delivery_points"] == [
        {"energy": "electricity", "ean": electricity_ean, "meter_type": "dual", "situation": "switch", "known_annual_kwh": None},
        {"energy": "gas", "ean": gas_ean, "meter_type": "single", "situation": "switch", "known_annual_kwh": None, "product_code": "GAS-VAR-1Y"},
    ]
    assert response.status == 202, response.text()
    created = response.json()
    expect(page.locator("#confirm-title")).to_have_text("Demande d'adhésion reçue")
    # The confirmation links to the status page, with the status URL's id and token.
    enrollment_id, token = link_parts(created["status_url"])
    link = page.get_by_role("link", name="Suivre ma demande")
    assert link.get_attribute("href") == f"{server.base}/enroll/status.html?id={enrollment_id}&token={token}&lang=fr"
    # The API took both products: the enrollment goes on to the grid operator.
    wait_for_status(server, created["status_url"], "AWAITING_DSO")


# ------------------------------------------------------------------------------------------------
# Task 2: the status page


def test_status_page_follows_and_cancels(open_page, server):
    created = submitted(server, enrollment_body())
    wait_for_status(server, created["status_url"], "AWAITING_DSO")
    enrollment_id, token = link_parts(created["status_url"])

    # Opened from the mail in a French browser: no ?lang=, the browser's language.
    page = open_page(f"/enroll/status.html?id={enrollment_id}&token={token}", locale="fr-BE")
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("h1")).to_have_text("Votre demande d'adhésion")
    expect(page.locator("#current-status")).to_have_text("En attente du gestionnaire de réseau")
    expect(page.locator("#current-text")).to_contain_text("Nous avons demandé au gestionnaire de réseau de confirmer votre raccordement")
    expect(page.locator("#enrollment-number")).to_have_text(f"Votre numéro de demande : {enrollment_id}")
    history = page.locator("#history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_have_text("4 janvier 2027 à 10:00 Reçue")
    expect(history.nth(1)).to_contain_text("En cours de vérification")
    expect(history.nth(2)).to_contain_text("En attente du gestionnaire de réseau")
    assert history.nth(0).locator("time").get_attribute("datetime").startswith("2027-01-04T09:00:00")
    expect(page.locator("#contract")).to_be_hidden()  # no contract before confirmation
    expect(page.locator("#cancel-title")).to_have_text("Annuler votre demande")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enroll-status-fr.png"), full_page=True)

    # A confirmation step; "no" changes nothing.
    cancel = page.get_by_role("button", name="Annuler ma demande", exact=True)
    cancel.click()
    expect(page.locator("#cancel-question")).to_have_text("Voulez-vous vraiment annuler votre demande ? Vous ne pourrez pas revenir en arrière.")
    assert focused_id(page) == "cancel-question"
    expect(cancel).to_be_hidden()  # the question replaces the button
    page.get_by_role("button", name="Non, ne rien changer").click()
    expect(page.locator("#cancel-confirm")).to_be_hidden()
    assert focused_id(page) == "cancel"
    assert wait_for_status(server, created["status_url"], "AWAITING_DSO")

    cancel.click()
    with page.expect_response(lambda r: "/enrollments/" in r.url and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Oui, annuler ma demande").click()
    assert json.loads(answer.value.request.post_data) == {"action": "cancel"}
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator("#action-result")).to_have_text("Votre demande est annulée. Nous vous envoyons une confirmation par e-mail.")
    expect(page.locator("#current-status")).to_have_text("Annulée")
    expect(page.locator("#cancel-section")).to_be_hidden()
    expect(history.last).to_contain_text("Annulée", timeout=15_000)  # once the workflow has written it
    assert wait_for_status(server, created["status_url"], "CANCELLED")

    # Opened again later, on a phone: cancelled, nothing left to cancel, nothing wider than the screen.
    again = open_page(f"/enroll/status.html?id={enrollment_id}&token={token}&lang=nl", locale="fr-BE", width=375, height=740)
    expect(again.locator("#current-status")).to_have_text("Geannuleerd")
    expect(again.locator("#cancel-section")).to_be_hidden()
    expect(again.locator("#history li")).to_have_count(4)
    assert again.evaluate("document.documentElement.scrollWidth") <= 375


def test_status_page_says_when_the_link_is_wrong_or_it_is_too_late(open_page, server):
    created = submitted(server, enrollment_body())
    enrollment_id, token = link_parts(created["status_url"])
    wait_for_status(server, created["status_url"], "AWAITING_DSO")

    wrong = open_page(f"/enroll/status.html?id={enrollment_id}&token=not-the-token&lang=fr")
    expect(wrong.locator("#page-alert")).to_have_text("Ce lien n'est pas valide. Vérifiez que vous avez ouvert le lien complet de notre e-mail.")
    expect(wrong.locator("#view")).to_be_hidden()
    missing = open_page("/enroll/status.html?lang=de")
    expect(missing.locator("#page-alert")).to_contain_text("Dieser Link ist ungültig.")

    # A confirmed enrollment offers the withdrawal and the contract; the API's 409 is shown by its code.
    view = {
        "enrollment_id": enrollment_id,
        "status": "CONFIRMED",
        "history": [
            {"at": "2027-01-04T09:00:00+00:00", "status": "RECEIVED"},
            {"at": "2027-01-05T06:00:00+00:00", "status": "CONFIRMED"},
        ],
        "requested_fields": [],
        "contract_available": True,
    }

    def answer(route):
        if route.request.method == "POST":
            error = {"field": None, "code": "enrollment.withdrawal_period_over", "message": "The 14-day withdrawal period is over."}
            route.fulfill(status=409, content_type="application/json", body=json.dumps({"errors": [error]}))
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(view))

    page = open_page(f"/enroll/status.html?id={enrollment_id}&token={token}&lang=fr", routes={"**/enrollments/*": answer})
    expect(page.locator("#current-status")).to_have_text("Contrat confirmé")
    contract = page.get_by_role("link", name="Télécharger mon contrat (PDF)")
    assert contract.get_attribute("href") == f"/enrollments/{enrollment_id}/contract?token={token}"
    page.get_by_role("button", name="Renoncer à mon contrat").click()
    page.get_by_role("button", name="Oui, renoncer à mon contrat").click()
    expect(page.locator("#page-alert")).to_have_text(
        "Le délai de renonciation de 14 jours est dépassé, ou la fourniture a déjà commencé. Pour mettre fin à votre contrat, contactez-nous."
    )
    assert focused_id(page) == "page-alert"
    expect(page.locator("#current-status")).to_have_text("Contrat confirmé")

    # Cancelled elsewhere (another tab, a phone call) while the page was open: the API's 409
    # enrollment.closed, in words, and the page shows the status it has now.
    open_too_long = open_page(f"/enroll/status.html?id={enrollment_id}&token={token}&lang=fr")
    expect(open_too_long.locator("#current-status")).to_have_text("En attente du gestionnaire de réseau")
    assert server.request("POST", created["status_url"], {"action": "cancel"})[0] == 200
    wait_for_status(server, created["status_url"], "CANCELLED")
    open_too_long.get_by_role("button", name="Annuler ma demande", exact=True).click()
    with open_too_long.expect_response(lambda r: "/enrollments/" in r.url and r.request.method == "POST") as answer:
        open_too_long.get_by_role("button", name="Oui, annuler ma demande").click()
    assert (answer.value.status, answer.value.json()["errors"][0]["code"]) == (409, "enrollment.closed")
    expect(open_too_long.locator("#page-alert")).to_have_text("Cette demande est déjà clôturée.")
    expect(open_too_long.locator("#current-status")).to_have_text("Annulée")
    expect(open_too_long.locator("#cancel-section")).to_be_hidden()


# ------------------------------------------------------------------------------------------------
# Task 3: the fix page


def test_customer_fixes_the_asked_field_on_the_fix_page(open_page, server):
    body = enrollment_body(start_date=TODAY.isoformat())
    body["delivery_points"][0].update(situation="move_in", ean=None)
    email = body["customer"]["email"]
    created = submitted(server, body)
    enrollment_id = created["enrollment_id"]
    wait_for_status(server, created["status_url"], "BLOCKED")

    status, login, _ = server.request("POST", "/_local/login", {"username": "op@wattdesk.example", "groups": ["operators"]})
    assert status == 200, login
    operator = {"Authorization": login["id_token"]}
    status, asked, _ = server.request("POST", f"/ops/enrollments/{enrollment_id}/customer-request", {"fields": ["delivery_points[0].ean"]}, operator)
    assert status == 200, asked

    status, mails, _ = server.request("GET", f"/_local/outbox?to={email}")
    assert status == 200
    link = re.search(r"(\S+/enroll/fix\.html\?id=\S+&token=\S+)", mails[-1]["text"])
    assert link, mails[-1]["text"]
    assert link.group(1).startswith(PUBLIC_BASE_URL + "/enroll/fix.html?id=" + enrollment_id)
    # The mail's base is the deployed site's; here the page is served by the local runtime.
    page = open_page(link.group(1).removeprefix(PUBLIC_BASE_URL))

    # The enrollment's language (French), though the browser is English.
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("h1")).to_have_text("Compléter votre demande")
    expect(page.locator("#fix-fields input, #fix-fields select")).to_have_count(1)
    expect(page.locator("#fix-fields legend")).to_have_text("Votre raccordement")
    ean = page.get_by_label("Code EAN")
    expect(ean).to_have_value("")

    ean.fill("541414930000123455")
    page.get_by_role("button", name="Envoyer").click()
    error = page.locator(".field-error")
    expect(error).to_have_text("Ce code EAN contient une faute de frappe : le chiffre de contrôle ne correspond pas.")
    expect(page.locator("#page-alert")).to_have_text("Veuillez corriger 1 erreur pour continuer.")
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    assert error.get_attribute("id") in ean.get_attribute("aria-describedby").split()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enroll-fix-fr.png"), full_page=True)

    good = fresh_ean()
    ean.fill(" ".join(good[i : i + 6] for i in range(0, 18, 6)))  # as printed on a bill
    with page.expect_response(lambda r: "/answer" in r.url and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Envoyer").click()
    assert json.loads(answer.value.request.post_data) == {"changes": {"delivery_points[0].ean": good}}
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator("#done-title")).to_have_text("Merci !")
    expect(page.locator("#done")).to_contain_text("Merci, nous vérifions à nouveau votre demande avec ces informations.")
    expect(page.locator("#fix-form")).to_be_hidden()
    assert focused_id(page) == "done-title"

    view = wait_for_status(server, created["status_url"], "AWAITING_DSO")
    assert "AWAITING_CUSTOMER" in [entry["status"] for entry in view["history"]]

    # The link served its purpose: opened again, it says so.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#page-alert")).to_contain_text("Ce lien n'est pas valide ou a déjà été utilisé.")


def test_fix_page_shows_the_apis_answers(open_page, server):
    """Several asked fields, labelled as on the form; a 400 by field and code; a 409 "no longer needed"."""
    answers = []

    def api(route):
        if route.request.method == "GET":
            asked = {
                "enrollment_id": "e-1",
                "status": "AWAITING_CUSTOMER",
                "language": "nl",
                "fields": {"customer.phone": "02 123 45 67", "supply_address.postcode": "1001", "supply_address.city": "Brussel", "payment.iban": "BE71096123456769", "start_date": "2027-01-04"},
            }
            route.fulfill(status=200, content_type="application/json", body=json.dumps(asked))
            return
        answers.append(json.loads(route.request.post_data))
        if len(answers) == 1:
            error = {"field": "start_date", "code": "start_date.switch_notice", "message": "Too early."}
            route.fulfill(status=400, content_type="application/json", body=json.dumps({"errors": [error]}))
        else:
            error = {"field": None, "code": "enrollment.not_awaiting_customer", "message": "Not waiting."}
            route.fulfill(status=409, content_type="application/json", body=json.dumps({"errors": [error]}))

    page = open_page("/enroll/fix.html?id=e-1&token=t", routes={"**/enrollments/*/answer*": api})
    assert page.evaluate("document.documentElement.lang") == "nl"
    expect(page.get_by_label("Telefoonnummer")).to_have_value("02 123 45 67")
    expect(page.get_by_label("IBAN-rekeningnummer")).to_have_value("BE71 0961 2345 6769")
    expect(page.locator("#fix-fields legend")).to_have_text(["Over u", "Leveringsadres", "Betaling", "Andere gegevens"])
    page.get_by_role("button", name="Versturen").click()
    # The values on file are checked as typed: 02 1.. is no Brussels number, 1001 no postcode.
    expect(page.locator("#fix-customer-phone-error")).to_contain_text("Vul een geldig telefoonnummer in")
    expect(page.locator("#fix-supply_address-postcode-error")).to_have_text("Deze postcode bestaat niet in België.")
    assert focused_id(page) == "fix-customer-phone"
    assert answers == []

    page.get_by_label("Telefoonnummer").fill("02 223 45 67")
    page.get_by_label("Postcode").fill("B-1000")
    page.get_by_role("button", name="Versturen").click()
    expect(page.locator("#fix-start_date-error")).to_have_text(
        "Bij een verandering van leverancier is de vroegste startdatum 3 februari 2027 (30 dagen na vandaag)."
    )
    assert answers[0] == {
        "changes": {"customer.phone": "02 223 45 67", "supply_address.postcode": "1000", "supply_address.city": "Brussel", "payment.iban": "BE71096123456769", "start_date": "2027-01-04"}
    }
    page.get_by_label("Gewenste startdatum").fill("2027-02-03")
    page.get_by_role("button", name="Versturen").click()
    expect(page.locator("#page-alert")).to_have_text("Dit is niet meer nodig: uw inschrijving wacht niet meer op deze gegevens.")
    expect(page.locator("#fix-form")).to_be_hidden()


# ------------------------------------------------------------------------------------------------
# Task 4: the browser's phone check is libphonenumber's for Belgian numbers

PHONES_BE = [
    "0470 12 34 56",  # mobile
    "0470123456",
    "+32 470 12 34 56",
    "+32470123456",
    "0032 470 12 34 56",
    "+32 (0)470 12 34 56",  # the "(0)" many people write
    "0470/12.34.56",
    "0470-12-34-56",
    "0499 99 99 99",
    "0456 12 34 56",
    "0440 12 34 56",  # 044 is not a mobile range
    "0470 12 34 5",  # one digit short
    "0470 12 34 567",  # one digit too many
    "02 223 45 67",  # Brussels
    "02 123 45 67",  # no Brussels number starts with 21
    "+32 2 223 45 67",
    "03 212 34 56",  # Antwerp
    "09 210 10 10",  # Ghent
    "010 45 67 89",  # Wavre (two-digit zone)
    "081 22 33 44",  # Namur
    "071 12 34 56",  # Charleroi
    "0800 12 345",  # toll-free
    "0902 12 345",  # premium rate
    "078 15 15 15",  # national number (UAN)
    "02 223 45 6",  # landline one digit short
    "02 223 45 678",  # landline one digit too many
    "470 12 34 56",  # without the trunk 0: libphonenumber reads it as national
    "32 470 12 34 56",  # without + or 00: too long to be national, so +32
    "Tel. 0470 12 34 56",  # leading text is ignored
    "0470 12 34 56 ext. 12",  # so is an extension
    "0470 12 34 56 / 0470 65 43 21",  # two numbers
    "0470 12 34 56 #",
    "0470_12_34_56",
    "0470,12,34,56",
    "\uff10\uff14\uff17\uff10 12 34 56",  # full-width digits
    "+32 0",
    "12 34",
    "",
]

PHONES_FOREIGN = [
    "+33 1 23 45 67 89",  # France
    "+31 6 12345678",  # the Netherlands
    "+352 621 123 456",  # Luxembourg
    "+49 30 123456",  # Germany
    "0049 30 123456",
    "+44 20 7946 0958",  # United Kingdom
    "+1 202 555 0123",  # United States
    "+33 1 23",  # too short for E.164
    "+49 1234 5678 9012 3456",  # longer than E.164
    "+33 9 99 99 99 99 9",  # French length wrong: 7 to 15 digits is all the browser checks
    "+999 1234567",  # no such country code
    "00 470 12 34 56",  # 00 + 47: Norway (a Belgian mobile with 00 for 0?)
]

# Foreign numbers: the browser checks the length only, the API the country's numbering plan.
FOREIGN_DIFFERENCES = {
    "+33 9 99 99 99 99 9": ("phone.invalid", None),
    "+999 1234567": ("phone.invalid", None),
    "00 470 12 34 56": ("phone.invalid", None),
}


def python_phone(value: str) -> str | None:
    try:
        validate_phone(value, "BE")
    except DomainError as error:
        return error.code
    return None


def test_phone_check_matches_libphonenumber(open_page):
    page = open_page("/enroll/?lang=en")
    browser = page.evaluate(
        """async (cases) => {
            const v = await import('/enroll/validation.js');
            return { codes: cases.map((x) => v.validatePhone(x)), metadata: v.BE_PHONE_METADATA, patterns: v.PHONE_PATTERNS };
        }""",
        PHONES_BE + PHONES_FOREIGN,
    )
    codes = dict(zip(PHONES_BE + PHONES_FOREIGN, browser["codes"], strict=True))

    belgian = [(value, python_phone(value), codes[value]) for value in PHONES_BE]
    assert [case for case in belgian if case[1] != case[2]] == [], "(number, API, browser) differ on Belgian numbers"
    assert sum(case[1] is None for case in belgian) >= 10 and sum(case[1] is not None for case in belgian) >= 10
    for value in PHONES_BE:  # really read as Belgian numbers (or not numbers at all)
        try:
            assert phonenumbers.parse(value, "BE").country_code == 32, value
        except phonenumbers.NumberParseException:
            pass
    foreign = {value: (python_phone(value), codes[value]) for value in PHONES_FOREIGN}
    assert {value: pair for value, pair in foreign.items() if pair[0] != pair[1]} == FOREIGN_DIFFERENCES

    # validation.js carries Belgium's metadata and libphonenumber's parsing patterns: the same as the library's.
    from phonenumbers import phonenumberutil
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region("BE")
    types = {}
    for name in ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip", "pager", "uan", "voicemail"):
        desc = getattr(metadata, name)
        if desc is not None and desc.national_number_pattern:
            assert desc.possible_length_local_only in ((), None), name
            types[name] = {"pattern": desc.national_number_pattern, "lengths": list(desc.possible_length)}
    assert browser["metadata"] == {
        "country_code": metadata.country_code,
        "international_prefix": metadata.international_prefix,
        "national_prefix_for_parsing": metadata.national_prefix_for_parsing,
        "general_desc": {"pattern": metadata.general_desc.national_number_pattern, "lengths": list(metadata.general_desc.possible_length)},
        "types": types,
    }
    assert metadata.national_prefix_transform_rule is None and not metadata.same_mobile_and_fixed_line_pattern
    assert phonenumberutil.COUNTRY_CODE_TO_REGION_CODE[32] == ("BE",)
    unicode_digits = lambda pattern: pattern.replace("\\d", "\\p{Nd}")  # noqa: E731 - Python's \d is Unicode
    assert browser["patterns"] == {
        "valid_phone_number": unicode_digits(phonenumberutil._VALID_PHONE_NUMBER),
        "extn_for_parsing": unicode_digits(phonenumberutil._EXTN_PATTERNS_FOR_PARSING),
    }
