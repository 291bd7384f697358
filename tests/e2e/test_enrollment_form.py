"""The enrollment web form (web/enroll/) in Debian's Chromium, against the local runtime process.

The runtime runs with a frozen clock at START; the form takes "today" from it (GET /_local/clock on
a loopback host), like the API does. Needs /usr/bin/chromium: `make browser`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from support import ROOT
from wattdesk.domain.ean import ean_with_check_digit, validate_ean
from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import validate_iban
from wattdesk.domain.contact import validate_email
from wattdesk.domain.postcodes import validate_postcode
from wattdesk.domain.vat_number import validate_be_vat

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

START = "2027-01-04T09:00:00Z"
TODAY = date(2027, 1, 4)  # START in Brussels
SCREENSHOTS = ROOT / "docs" / "screenshots"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def open_form(browser, server) -> Iterator[Callable[..., Any]]:
    """Open /enroll/ in a fresh browser context; any JavaScript error fails the test."""
    contexts, errors = [], []

    def open_(lang: str | None = "en", *, width: int = 1000, height: int = 900, locale: str = "en-GB"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.base}/enroll/" + (f"?lang={lang}" if lang else ""))
        page.wait_for_selector("html[data-ready='true']", timeout=10_000)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def visible_step(page) -> int:
    return int(page.locator("section.step:not([hidden])").get_attribute("data-step"))


def fill_valid_enrollment(page, *, start_date: date) -> None:
    """All five steps with valid data (by element id: the same in every language), up to the review."""
    page.fill("#customer-first_name", "Camille")
    page.fill("#customer-last_name", "Dubois")
    page.fill("#customer-email", "camille.dubois@example.org")
    page.fill("#customer-phone", "+32 470 12 34 56")
    page.fill("#customer-birth_date", "1986-04-12")
    page.click("#next")
    page.fill("#supply_address-street", "Rue de la Station")
    page.fill("#supply_address-number", "14")
    page.fill("#supply_address-box", "B")
    page.fill("#supply_address-postcode", "5000")
    page.click("#next")
    page.check("#energy-electricity")
    page.check("input[name='dp-electricity-situation'][value='switch']")
    page.fill("#dp-electricity-ean", "541414930000123454")
    page.select_option("#dp-electricity-meter_type", "dual")
    page.click("#next")
    page.check("input[name='product_code'][value='ELEC-FIX-1Y']")
    page.fill("#start_date", start_date.isoformat())
    page.check("input[name='payment_method'][value='direct_debit']")
    page.fill("#payment-iban", "BE71 0961 2345 6769")
    page.fill("#payment-account_holder", "Camille Dubois")
    page.click("#next")
    assert visible_step(page) == 5


def expected_body(language: str, start_date: date) -> dict[str, Any]:
    """What fill_valid_enrollment sends: the contract's shape (shared/api-examples/enrollment.json)."""
    return {
        "channel": "web",
        "customer": {
            "type": "residential",
            "first_name": "Camille",
            "last_name": "Dubois",
            "email": "camille.dubois@example.org",
            "phone": "+32 470 12 34 56",
            "language": language,
            "birth_date": "1986-04-12",
        },
        "supply_address": {"street": "Rue de la Station", "number": "14", "box": "B", "postcode": "5000", "city": "Namur"},
        "correspondence_address": None,
        "delivery_points": [
            {"energy": "electricity", "ean": "541414930000123454", "meter_type": "dual", "situation": "switch", "known_annual_kwh": None}
        ],
        "product_code": "ELEC-FIX-1Y",
        "start_date": start_date.isoformat(),
        "payment": {"method": "direct_debit", "iban": "BE71096123456769", "account_holder": "Camille Dubois"},
        "billing_frequency": "monthly",
        "referral_code": None,
        "consents": {"terms_accepted": True, "privacy_accepted": True, "marketing": False},
    }


def domain_code(validate: Callable[[str], Any], value: str) -> str | None:
    try:
        validate(value)
    except DomainError as error:
        return error.code
    return None


def _be_iban(bban: str) -> str:
    """A Belgian IBAN with correct ISO check digits around any 12-digit BBAN."""
    numeric = int(bban + "111400")  # "BE00" with B=11, E=14
    return f"BE{98 - numeric % 97:02d}{bban}"


EANS = [
    "541414930000123454",
    "541414930000123455",  # check digit off by one
    "541414930000123445",  # two digits swapped
    "5414 1493 0000 1234 54",
    "541414-930000-123454",
    "541414.930000.123454",
    "\t541414930000123454\n",
    "541414930000123454\u00a0",  # no-break space: whitespace for Python
    "541414930000123454\x1c",  # a Python whitespace that JavaScript's \s does not know
    "541414930000123454\ufeff",  # the reverse: JavaScript whitespace, not Python's
    "541414930000123454\u200b",
    "54141493000012345",  # 17 digits
    "5414149300001234540",  # 19 digits
    "54141493000012345a",
    "\uff15\uff14" + "1414930000123454",  # full-width digits
    "\u0665\u0664" + "1414930000123454",  # Arabic-Indic digits
    ean_with_check_digit("44141493000012345"),  # valid GS1, not Belgian
    ean_with_check_digit("54000000000000000"),
    ean_with_check_digit("54999999999999999"),
    ean_with_check_digit("54123456789012345"),
    "",
]

IBANS = [
    "BE71096123456769",
    "BE71 0961 2345 6769",
    "be71096123456769",
    "BE71 0961 2345 6769\n",
    "BE71-0961-2345-6769",  # dashes are not removed
    "BE71096123456768",  # ISO check fails
    "BE7109612345676",  # too short for Belgium
    "BE710961234567690",
    _be_iban("096123456768"),  # ISO check right, Belgian national check wrong
    _be_iban("000000000097"),  # national check 0 counts as 97
    _be_iban("000000000000"),
    "NL91ABNA0417164300",
    "nl91 abna 0417 1643 00",
    "NL91ABNA041716430",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "IT60X0542811101000000123456",
    "GB29NWBK60161331926819",
    "CH9300762011623852957",
    "NO9386011117947",
    "AD1200012030200359100100",
    "TR330006100519786457841326",  # valid, outside SEPA
    "XK051212012345678906",  # valid, outside SEPA
    "US12345678901234567890",  # no IBAN country
    "",
]

VATS = [
    "BE0403170701",
    "BE 0403.170.701",
    "be0403170701",
    "0403170701",
    "403170701",  # old 9-digit form
    "BE 403.170.701",
    "BE-0403-170-701",
    "BE(0)403170701",
    "BE0403\u2013170\u2013701",  # en dashes
    "BE\uff10\uff14\uff10\uff13170701",  # full-width digits
    "BE0403170701\t",
    "BE0403170702",
    "BE2403170701",  # first digit must be 0 or 1
    "BE04031707011",
    "BE0000000097",  # 97 - (0 mod 97) = 97
    "BE0000009700",  # stdnum accepts 00 when the first 8 digits are a multiple of 97
    "BE0000000000",
    "BEO403170701",  # letter O
    "NL0403170701",
    "",
]

POSTCODES = [
    "1000",
    "5000",
    "9000",
    "3500",
    "1001",  # not a postcode
    "1011",  # reserved for an organisation
    "0000",
    "9999",
    "B-1000",
    "BE-1000",
    "be 1000",
    "B1000",
    "BE-\t1000",
    " 1000 ",
    "B - 1000",
    "10000",
    "100",
    "abcd",
    "\u0661\u0660\u0660\u0660",  # Arabic-Indic digits
    "",
]

EMAILS = [
    "camille.dubois@example.org",
    " jan@example.be ",
    "jan@",
    "jan@example",
    "jan..peeters@example.be",
    "x@xn--80ak6aa92e.com",
    "\u00fc@example.be",
    "a" * 65 + "@example.be",
    "jan@-example.be",
]


def test_validation_rules_match_the_domain(open_form):
    page = open_form("en")
    browser_codes = page.evaluate(
        """async (cases) => {
            const v = await import('/enroll/validation.js');
            const postcodes = await (await fetch('/enroll/postcodes.json')).json();
            return {
                ean: cases.ean.map((x) => v.validateEan(x)),
                iban: cases.iban.map((x) => v.validateIban(x)),
                vat: cases.vat.map((x) => v.validateVat(x)),
                postcode: cases.postcode.map((x) => v.validatePostcode(x, postcodes)),
                email: cases.email.map((x) => v.validateEmail(x)),
                registry: Object.fromEntries(Object.entries(v.IBAN_SPECS).map(([c, s]) => [c, [s.length, s.bban, s.sepa]])),
            };
        }""",
        {"ean": EANS, "iban": IBANS, "vat": VATS, "postcode": POSTCODES, "email": EMAILS},
    )
    for kind, values, validate in (
        ("ean", EANS, validate_ean),
        ("iban", IBANS, validate_iban),
        ("vat", VATS, validate_be_vat),
        ("postcode", POSTCODES, validate_postcode),
        ("email", EMAILS, validate_email),
    ):
        expected = [domain_code(validate, value) for value in values]
        mismatches = [(value, want, got) for value, want, got in zip(values, expected, browser_codes[kind]) if want != got]
        assert mismatches == [], f"{kind}: (value, domain, browser) differ"
        assert None in expected and any(expected), f"{kind}: the list needs good and bad values"

    # validation.js carries a copy of schwifty's IBAN registry; it must be the same.
    import itertools
    import string

    from schwifty import registry
    from schwifty.exceptions import InvalidCountryCode

    specs = {}
    for first, second in itertools.product(string.ascii_uppercase, repeat=2):
        try:
            spec = registry.get_iban_spec(first + second)
        except InvalidCountryCode:
            continue
        specs[first + second] = [spec.iban_length, spec.bban_spec, spec.in_sepa_zone]
    assert browser_codes["registry"] == specs


def test_every_text_and_error_code_is_translated(open_form):
    page = open_form("en")
    tables = page.evaluate(
        """async () => {
            const i18n = await import('/enroll/i18n.js');
            const keys = (o) => Object.keys(o).sort();
            return {
                languages: i18n.LANGUAGES,
                texts: Object.fromEntries(i18n.LANGUAGES.map((l) => [l, keys(i18n.TEXTS[l])])),
                errors: Object.fromEntries(i18n.LANGUAGES.map((l) => [l, keys(i18n.ERRORS[l])])),
                used: [...new Set([...document.querySelectorAll('[data-i18n]')].map((n) => n.dataset.i18n))],
            };
        }"""
    )
    assert tables["languages"] == ["nl", "fr", "de", "en"]
    for table in ("texts", "errors"):
        english = tables[table]["en"]
        for language in tables["languages"]:
            assert tables[table][language] == english, f"{table}: {language} has other keys than en"
    assert set(tables["used"]) <= set(tables["texts"]["en"])
    api_codes = {
        "ean.check_digit", "ean.format", "ean.prefix", "ean.required", "iban.invalid", "iban.required", "iban.not_sepa",
        "iban.be_national_check", "email.invalid", "phone.invalid", "postcode.unknown", "postcode.format", "vat.invalid",
        "vat.required", "company_name.required", "start_date.past", "start_date.switch_notice", "meter_type.not_for_gas",
        "consents.terms_required", "consents.privacy_required", "product.unknown", "product.not_offered",
        "product.wrong_energy", "product.customer_type", "account_holder.required", "referral.format",
    }  # fmt: skip
    assert api_codes <= set(tables["errors"]["en"])


def test_dutch_form_shows_field_errors(open_form):
    page = open_form("nl")
    assert page.evaluate("document.documentElement.lang") == "nl"
    expect(page.locator("h1")).to_have_text("Klant worden")

    # Labels are bound to their inputs: the form can be filled by label.
    page.get_by_label("Voornaam").fill("Jan")
    page.get_by_label("Achternaam").fill("Peeters")
    page.get_by_label("E-mailadres").fill("jan.peeters@")
    page.get_by_label("Telefoonnummer").fill("12 34")
    page.get_by_role("button", name="Volgende").click()

    expect(page.locator("#customer-email-error")).to_have_text("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.be.")
    expect(page.locator("#customer-phone-error")).to_have_text(
        "Vul een geldig telefoonnummer in. Een buitenlands nummer begint met + en de landcode."
    )
    expect(page.locator("#form-alert")).to_have_text("Verbeter 2 fouten om verder te gaan.")
    assert focused_id(page) == "customer-email"
    assert page.get_attribute("#customer-email", "aria-invalid") == "true"
    assert "customer-email-error" in page.get_attribute("#customer-email", "aria-describedby").split()
    assert page.get_attribute("#customer-phone", "aria-describedby").split() == ["customer-phone-hint", "customer-phone-error"]
    assert visible_step(page) == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enroll-step1-nl.png"), full_page=True)

    # Fixed: the errors go, and Enter in a field moves on like the button.
    page.get_by_label("E-mailadres").fill("jan.peeters@example.be")
    page.get_by_label("Telefoonnummer").fill("0470 12 34 56")
    page.get_by_label("Telefoonnummer").press("Enter")
    assert visible_step(page) == 2
    assert focused_id(page) == "step2-title"
    assert page.locator(".field-error").count() == 0

    supply = page.locator("#supply_address")
    supply.get_by_label("Straat").fill("Veldstraat")
    supply.get_by_label("Huisnummer").fill("1")
    supply.get_by_label("Postcode").fill("1001")
    page.get_by_role("button", name="Volgende").click()
    expect(page.locator("#supply_address-postcode-error")).to_have_text("Deze postcode bestaat niet in België.")
    assert focused_id(page) == "supply_address-postcode"
    supply.get_by_label("Postcode").fill("9000")
    expect(supply.get_by_label("Gemeente")).to_have_value("Gent")  # filled from the postcode list
    page.get_by_role("button", name="Volgende").click()
    assert visible_step(page) == 3

    page.get_by_label("Elektriciteit", exact=True).check()
    page.locator("#dp-electricity").get_by_label("EAN-code").fill("541414930000123455")
    page.get_by_role("button", name="Volgende").click()
    expect(page.locator("#dp-electricity-ean-error")).to_have_text("Deze EAN-code bevat een tikfout: het controlecijfer klopt niet.")
    assert focused_id(page) == "dp-electricity-ean"
    assert visible_step(page) == 3


def test_french_enrollment_through_the_five_steps(open_form, server):
    start_date = TODAY + timedelta(days=40)
    page = open_form("fr")
    fill_valid_enrollment(page, start_date=start_date)

    # Step 4 offered the electricity products for residential customers, by their French names.
    review = page.locator("#review")
    expect(review).to_contain_text("Électricité Fixe 1 an")
    expect(review).to_contain_text("13 février 2027")
    expect(review).to_contain_text("Rue de la Station 14 bte B, 5000 Namur")
    expect(review).to_contain_text("BE71 0961 2345 6769")

    page.get_by_label("J'accepte les conditions générales.").check()
    page.get_by_label("J'ai lu la déclaration de confidentialité", exact=False).check()
    key = page.evaluate("sessionStorage.getItem('wattdesk.enroll.idempotency-key')")
    assert UUID_RE.fullmatch(key)
    with page.expect_response(lambda r: r.url.endswith("/enrollments") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Envoyer ma demande").click()
    response = answer.value
    request = response.request
    assert json.loads(request.post_data) == expected_body("fr", start_date)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == key
    if response.status == 404:
        pytest.fail("POST /enrollments answered 404: the enrollment API is not in the local runtime yet", pytrace=False)
    assert response.status == 202, response.text()
    created = response.json()

    confirmation = page.locator("#confirmation")
    expect(confirmation).to_be_visible()
    expect(page.locator("#confirm-title")).to_have_text("Demande d'adhésion reçue")
    expect(page.locator("#confirm-id")).to_have_text(f"Votre numéro de demande : {created['enrollment_id']}")
    expect(confirmation).to_contain_text("Ceci n'est pas encore un contrat")
    expect(confirmation).to_contain_text("Un e-mail est en route vers camille.dubois@example.org.")
    # The link opens the status page (status.html) with the status URL's id and token.
    link = page.get_by_role("link", name="Suivre ma demande")
    token = created["status_url"].split("?token=")[1]
    assert link.get_attribute("href") == f"{server.base}/enroll/status.html?id={created['enrollment_id']}&token={token}&lang=fr"
    assert focused_id(page) == "confirm-title"
    # The form session is over: the next enrollment gets a new key.
    assert page.evaluate("sessionStorage.getItem('wattdesk.enroll.idempotency-key')") is None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "enroll-confirmation-fr.png"), full_page=True)

    status, followed, _ = server.request("GET", created["status_url"])
    assert status == 200, followed


def test_api_answers_are_mapped_back_to_the_form(open_form):
    """400: errors next to their fields (by code, else the API's message); other: retry, same key."""
    answers = [
        (400, {"errors": [
            {"field": "delivery_points[0].ean", "code": "ean.check_digit", "message": "The EAN's last digit does not match."},
            {"field": "supply_address.street", "code": "dso.street_unknown", "message": "The grid operator does not know this street."},
            {"field": None, "code": "something.else", "message": "A problem without a field."},
        ]}),
        (503, {"message": "Service unavailable"}),
        (202, {"enrollment_id": "e-123", "status": "RECEIVED", "status_url": "/enrollments/e-123?token=t"}),
    ]  # fmt: skip
    sent = []

    def answer(route):
        sent.append(route.request)
        status, body = answers[len(sent) - 1]
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page = open_form("de")
    page.route("**/enrollments", answer)
    fill_valid_enrollment(page, start_date=TODAY + timedelta(days=31))
    page.check("#consents-terms_accepted")
    page.check("#consents-privacy_accepted")
    page.get_by_role("button", name="Anmeldung absenden").click()

    # The step of the first error, its German text, focus on it; unknown codes keep the API's message.
    expect(page.locator("#dp-electricity-ean-error")).to_have_text("Dieser EAN-Code enthält einen Tippfehler: Die Prüfziffer stimmt nicht.")
    assert visible_step(page) == 3
    assert focused_id(page) == "dp-electricity-ean"
    expect(page.locator("#supply_address-street-error")).to_have_text("The grid operator does not know this street.")
    expect(page.locator("#form-alert")).to_contain_text("Unsere Prüfung hat Probleme in Ihrer Anmeldung gefunden.")
    expect(page.locator("#form-alert")).to_contain_text("A problem without a field.")

    page.click("#next")
    page.click("#next")
    page.get_by_role("button", name="Anmeldung absenden").click()
    expect(page.locator("#form-alert")).to_contain_text("Beim Senden ist ein Fehler aufgetreten.")
    retry = page.get_by_role("button", name="Erneut versuchen")
    expect(retry).to_be_focused()
    retry.click()
    expect(page.locator("#confirm-title")).to_have_text("Anmeldung erhalten")

    keys = [request.headers["idempotency-key"] for request in sent]
    assert len(keys) == 3 and all(UUID_RE.fullmatch(key) for key in keys)
    assert keys[0] != keys[1], "a refused (400) enrollment creates nothing: the corrected one gets a new key"
    assert keys[1] == keys[2], "a retry after a failure must send the same key"


def test_language_switch_default_language_and_narrow_screen(open_form):
    page = open_form("en")
    page.fill("#customer-email", "nope")
    page.click("#next")
    expect(page.locator("#customer-email-error")).to_have_text("Enter a valid email address, for example name@example.be.")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("#customer-email-error")).to_have_text("Saisissez une adresse e-mail valide, par exemple nom@exemple.be.")
    expect(page.get_by_label("Adresse e-mail")).to_have_value("nope")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert "lang=fr" in page.url
    assert page.get_attribute("button[data-lang='fr']", "aria-pressed") == "true"
    assert page.input_value("#customer-language") == "fr"  # follows the page until the customer picks one

    # Without ?lang= the browser's language decides.
    german = open_form(None, locale="de-BE")
    expect(german.locator("h1")).to_have_text("Kunde werden")

    # On a phone the fields are in one column.
    phone = open_form("nl", width=375, height=740)
    first = phone.locator("#customer-first_name").bounding_box()
    last = phone.locator("#customer-last_name").bounding_box()
    assert last["y"] > first["y"] and abs(last["x"] - first["x"]) < 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_postcode_and_product_files_are_up_to_date():
    script = ROOT / "web" / "enroll" / "build_postcodes.py"
    spec = importlib.util.spec_from_file_location("build_enroll_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs = module.outputs()
    assert {path.name for path in outputs} == {"postcodes.json", "products.json"}
    for path, text in outputs.items():
        assert Path(path).read_text(encoding="utf-8") == text, f"{path.name} is out of date: run web/enroll/build_postcodes.py"
    products = json.loads(outputs[script.parent / "products.json"])
    assert {p["code"] for p in products} >= {"ELEC-FIX-1Y", "GAS-FIX-1Y"}
    assert json.loads(outputs[script.parent / "postcodes.json"])["5000"] == "Namur"
