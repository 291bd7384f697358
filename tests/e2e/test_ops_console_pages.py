"""The ops console (web/ops/) in Debian's Chromium against the local runtime process.

An operator signs in, finds a blocked enrollment (a move-in without EAN) in the one queue, opens
it, corrects the EAN; validation runs again, the grid operator accepts and the enrollment is
confirmed. Another blocked enrollment (a suspected duplicate) is confirmed as it is. The confirmed
customer is found by EAN in the customer search, with the audit trail. Screenshots of the main
pages go to docs/screenshots/.

Needs /usr/bin/chromium: `make browser`.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from support import ROOT, LocalServer, load_event
from wattdesk.domain.ean import ean_with_check_digit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

SCREENSHOTS = ROOT / "docs" / "screenshots"
OPERATOR = "anna.desk@wattdesk.example"
_serial = itertools.count(1)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    # A handler's first call loads it (and the machine is shared): up to 20 s before a page changes.
    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(locator)


def fresh_ean() -> str:
    return ean_with_check_digit(f"5414149{next(_serial) + 900:07d}100")  # 100: the simulated DSO accepts


def status_of(server: LocalServer, status_url: str) -> str:
    status, view, _ = server.request("GET", status_url)
    assert status == 200, view
    return view["status"]


def wait_for(server: LocalServer, status_url: str, wanted: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while (current := status_of(server, status_url)) != wanted:
        if time.monotonic() > deadline:
            operator = {"Authorization": server.request("POST", "/_local/login", {"username": OPERATOR, "groups": ["operators"]})[1]["id_token"]}
            view = server.request("GET", "/ops/enrollments/" + status_url.split("/")[2].split("?")[0], headers=operator)[1]
            raise AssertionError(f"still {current}, wanted {wanted}: {view.get('block_reasons')}")
        time.sleep(0.2)


def blocked_enrollment(server: LocalServer, *, first_name: str, email: str, ean: str | None) -> dict[str, Any]:
    """A French move-in starting today; without an EAN it waits with ean.missing_on_move_in."""
    body = copy.deepcopy(load_event("enrollment_api/enrollment_body"))
    body["customer"].update(first_name=first_name, email=email)
    body["delivery_points"][0].update(situation="move_in", ean=ean)
    body["start_date"] = server.request("GET", "/_local/clock")[1]["now"][:10]
    status, created, _ = server.request("POST", "/enrollments", body)
    assert status == 202, created
    return created


@pytest.fixture
def open_page(browser, server) -> Iterator[Callable[..., Any]]:
    contexts, errors = [], []

    def open_(path: str, *, width: int = 1200, height: int = 900, locale: str = "en-GB"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
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


def sign_in(open_page, path: str = "/ops/index.html", **options):
    """The local runtime's staff sign-in (on AWS: Cognito's managed login), then `path`."""
    page = open_page(path, **options)
    page.wait_for_url("**/ops/signin.html?next=*")
    page.wait_for_selector("#local-signin:not([hidden])")
    page.get_by_label("E-mail address").fill(OPERATOR)
    expect(page.get_by_label("Operator")).to_be_checked()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("html[data-ready='true']")
    return page


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_operator_works_a_blocked_enrollment_from_the_queue_to_confirmation(open_page, server):
    created = blocked_enrollment(server, first_name="Élise", email="elise.martin@example.org", ean=None)
    wait_for(server, created["status_url"], "BLOCKED")

    queue = sign_in(open_page)
    expect(queue.locator("h1")).to_have_text("Work queue")
    queue.get_by_label("Kind of work").select_option("blocked_enrollment")
    queue.get_by_label("Service level").select_option("ok")
    queue.get_by_role("button", name="Show").click()
    assert "kind=blocked_enrollment" in queue.url and "sla=ok" in queue.url
    row = queue.locator("#queue tbody tr").filter(has_text="Élise Dubois")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Blocked enrollments")
    expect(row).to_contain_text("ean.missing_on_move_in")
    expect(row.locator(".badge")).to_have_text("In time")
    shoot(queue, "ops-queue.png")

    # Keyboard only: Tab to the item's link and open it.
    row.get_by_role("link").focus()
    queue.keyboard.press("Enter")
    queue.wait_for_url("**/ops/enrollment.html?id=*")
    queue.wait_for_selector("html[data-ready='true']")
    page = queue
    expect(page.locator("#enrollment-customer")).to_have_text("Élise Dubois")
    expect(page.locator("#enrollment-status")).to_have_text("Blocked")
    expect(page.locator("#reasons")).to_contain_text("Move-in without an EAN code.")
    field = page.get_by_label("Field")
    expect(field.locator("option:checked")).to_have_text("EAN code, delivery point 1")  # the blocking field, chosen
    shoot(page, "ops-enrollment-blocked.png")

    # A typo is refused with the API's rules; nothing changes.
    page.get_by_label("Correct value").fill("541414930000123455")
    page.get_by_role("button", name="Correct and validate again").click()
    expect(page.locator("#action-result")).to_have_text("The EAN's last digit does not match the others; please check it for a typo.")
    expect(page.locator("#enrollment-status")).to_have_text("Blocked")

    ean = fresh_ean()
    page.get_by_label("Correct value").fill(" ".join(ean[i : i + 6] for i in range(0, 18, 6)))  # as printed on a bill
    page.get_by_label("Note (for the history)").fill("EAN read from the customer's photo of the meter")
    with page.expect_response(lambda r: r.url.endswith("/corrections")) as answer:
        page.get_by_role("button", name="Correct and validate again").click()
    assert answer.value.status == 200, answer.value.text()
    assert answer.value.request.post_data_json["changes"] == {"delivery_points[0].ean": ean}
    expect(page.locator("#enrollment-status")).to_have_text("Waiting for the grid operator", timeout=30_000)
    expect(page.locator("#action-result")).to_have_text("Corrected; the request is validated again. Status now: Waiting for the grid operator.")
    expect(page.locator("#correct-form")).to_be_hidden()

    # The grid operator accepts: the enrollment is confirmed; history and audit show who did what.
    assert server.request("POST", "/_local/dso/answers", [{"ean": ean, "outcome": "accept", "eav_kwh": 3200}])[0] == 200
    wait_for(server, created["status_url"], "CONFIRMED")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#enrollment-status")).to_have_text("Confirmed")
    expect(page.locator("#history li").last).to_contain_text("Confirmed")
    expect(page.locator("#history li")).to_contain_text(["Received", "Blocked", "Waiting for the grid operator", "Confirmed"])
    expect(page.locator("#audit li").filter(has_text=f"Corrected — {OPERATOR}")).to_have_count(1)
    shoot(page, "ops-enrollment-confirmed.png")

    # Off the queue.
    page.goto(server.base + "/ops/index.html?kind=blocked_enrollment")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#queue")).not_to_contain_text("Élise Dubois")

    # The new customer is found by EAN (IBAN masked) in another tab, signed in anew.
    search = sign_in(open_page, "/ops/customers.html")
    search.get_by_label("Search").fill(ean)
    search.get_by_role("button", name="Search").click()
    result = search.locator("#results tbody tr")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Élise Dubois")
    expect(result).to_contain_text("EAN")
    expect(result).to_contain_text("BE71 **** **** 6769")
    shoot(search, "ops-customer-search.png")
    result.get_by_role("link").click()
    search.wait_for_url("**/ops/customer.html?id=*")
    search.wait_for_selector("html[data-ready='true']")
    expect(search.locator("h1")).to_contain_text("Élise Dubois")
    expect(search.locator("#customer")).to_contain_text(ean)
    shoot(search, "ops-customer.png")


def test_operator_confirms_a_suspected_duplicate_as_it_is(open_page, server):
    first = blocked_enrollment(server, first_name="Noah", email="noah.lambert@example.org", ean=fresh_ean())
    wait_for(server, first["status_url"], "AWAITING_DSO")
    second = blocked_enrollment(server, first_name="Noah", email="noah.lambert@example.org", ean=fresh_ean())
    wait_for(server, second["status_url"], "BLOCKED")
    enrollment_id = second["enrollment_id"]

    page = sign_in(open_page, f"/ops/enrollment.html?id={enrollment_id}")
    page.get_by_role("button", name="Français").click()
    page.wait_for_url("**lang=fr", wait_until="commit")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#reasons")).to_contain_text("Doublon possible (même e-mail).")
    # Rejecting needs a reason, checked before anything is sent.
    page.get_by_role("button", name="Refuser").click()
    expect(page.locator("#action-result")).to_have_text("Un refus nécessite un motif ; le client le lit.")
    page.get_by_role("button", name="Confirmer : vers le gestionnaire de réseau").click()
    expect(page.locator("#enrollment-status")).to_have_text("En attente du gestionnaire de réseau", timeout=30_000)
    assert status_of(server, second["status_url"]) == "AWAITING_DSO"
    expect(page.locator("#audit li").filter(has_text=f"Confirmée — {OPERATOR}")).to_have_count(1)


def customer_portal(open_page, customer_id: str, email: str, path: str):
    """The portal's local sign-in (no password on the local runtime: the token gets this customer id)."""
    page = open_page(f"/portal/signin.html?next={quote(path, safe='')}")  # encoded: the URL must not end with `path` yet
    page.get_by_text("Local runtime: sign in without a password").click()
    local = page.locator("#local-signin")
    local.get_by_label("E-mail address").fill(email)
    local.get_by_label("Customer id (sets the token's customer)").fill(customer_id)
    local.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("html[data-ready='true']")
    return page


def test_customer_requests_and_readings_are_worked_from_the_queue_and_the_customer_sees_the_outcome(open_page, server):
    import uuid

    ean = fresh_ean()
    created = blocked_enrollment(server, first_name="Lucas", email="lucas.renard@example.org", ean=ean)
    wait_for(server, created["status_url"], "AWAITING_DSO")
    assert server.request("POST", "/_local/dso/answers", [{"ean": ean, "outcome": "accept", "eav_kwh": 3500}])[0] == 200
    wait_for(server, created["status_url"], "CONFIRMED")
    customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{created['enrollment_id']}"))  # services/enrollment.confirm
    start = server.request("GET", "/_local/clock")[1]["now"][:10]
    opening = {"ean": ean, "reading_date": start, "kind": "opening", "registers": [{"register": "day", "value_kwh": "1000"}, {"register": "night", "value_kwh": "500"}]}
    assert server.request("POST", "/_local/dso/readings", [opening])[1]["stored"] == 1
    assert server.request("POST", "/_local/clock", {"advance_days": 3})[0] == 200

    # The customer asks for a bigger breaker and sends a reading far above the expected consumption.
    portal = customer_portal(open_page, customer_id, "lucas.renard@example.org", "/portal/requests.html")
    portal.get_by_label("What do you need?").select_option("breaker_size")
    portal.get_by_label("Breaker size you would like (A)").fill("40")
    portal.get_by_label("Message").fill("We installed a heat pump.")
    portal.get_by_role("button", name="Send the request").click()
    expect(portal.locator("#request-result")).to_contain_text("We received your request and will handle it by")
    expect(portal.locator("#requests li.card")).to_contain_text(["Another breaker size Received"])

    readings = customer_portal(open_page, customer_id, "lucas.renard@example.org", "/portal/readings.html")
    readings.get_by_label("Day (kWh)").fill("9000")
    readings.get_by_label("Night (kWh)").fill("520")
    readings.get_by_role("button", name="Send my reading").click()
    expect(readings.locator("#reading-result")).to_contain_text("We received your reading, but it looks unusual; a colleague will check it.")
    expect(readings.locator("#reading-result")).to_contain_text("Day: the consumption looks very high")
    expect(readings.locator("#history tbody tr").first.locator(".badge")).to_have_text("Being checked")

    # The operator works both from the queue.
    queue = sign_in(open_page, "/ops/index.html?kind=staff_request")
    queue.locator("#queue tbody tr").filter(has_text="breaker size").get_by_role("link").click()
    queue.wait_for_url("**/ops/item.html?kind=staff_request&id=*")
    queue.wait_for_selector("html[data-ready='true']")
    expect(queue.locator("#facts")).to_contain_text("We installed a heat pump.")
    queue.get_by_label("New status").select_option("DONE")
    queue.get_by_label("Note (the customer reads it)").fill("The grid operator changes the breaker to 40 A on 12 January.")
    queue.get_by_label("New breaker size (A)").fill("40")
    queue.get_by_role("button", name="Change the status").click()
    expect(queue.locator("#action-result")).to_have_text("Done.")
    expect(queue.locator("#history li").last).to_contain_text("Done")
    expect(queue.locator("#actions")).to_contain_text("No actions left.")
    shoot(queue, "ops-item-staff-request.png")

    queue.goto(server.base + "/ops/index.html?kind=reading_review")
    queue.wait_for_selector("html[data-ready='true']")
    queue.locator("#queue tbody tr").filter(has_text=ean).get_by_role("link").click()
    queue.wait_for_url("**/ops/item.html?kind=reading_review&id=*")
    queue.wait_for_selector("html[data-ready='true']")
    queue.get_by_label("Decision").select_option("accept")
    queue.get_by_label("Reason").fill("Heat pump installed; confirmed by phone.")
    queue.get_by_role("button", name="Decide").click()
    expect(queue.locator("#action-result")).to_have_text("Done.")
    expect(queue.locator("#facts")).to_contain_text("ACCEPTED")

    # The customer sees the outcomes.
    portal.reload()
    portal.wait_for_selector("html[data-ready='true']")
    expect(portal.locator("#requests li.card").first).to_contain_text("Done")
    expect(portal.locator("#requests li.card").first).to_contain_text("The grid operator changes the breaker to 40 A on 12 January.")
    readings.reload()
    readings.wait_for_selector("html[data-ready='true']")
    expect(readings.locator("#history tbody tr").first.locator(".badge")).to_have_text("Accepted")
    overview = customer_portal(open_page, customer_id, "lucas.renard@example.org", "/portal/index.html")
    expect(overview.get_by_role("cell", name="40 A")).to_be_visible()
