"""Planned-outage notices (issue 10): customers opt in per delivery point; ops post an outage per
postcode (and streets) with its period; every affected opted-in customer is mailed once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal_support import stored_customer, token_of

pytestmark = pytest.mark.workflow

OUTAGE = {"postcode": "9000", "streets": ["Kerkstraat"], "starts_at": "2027-01-12T08:00:00+01:00", "ends_at": "2027-01-12T12:30:00+01:00", "reason": "Werken aan de cabine"}


@pytest.fixture
def street(runtime):
    runtime.reset(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    runtime.only_schedules("nothing")
    people = {
        "opted_in": stored_customer(11, language="nl", street="Kerkstraat"),
        "opted_in_fr": stored_customer(12, language="fr", street="KERKSTRAAT "),  # the same street, typed otherwise
        "not_opted_in": stored_customer(13, street="Kerkstraat"),
        "other_street": stored_customer(14, street="Veldstraat"),
        "other_postcode": stored_customer(15, street="Kerkstraat", postcode="1000"),
        "opted_out_again": stored_customer(16, street="Kerkstraat"),
    }
    for name in ("opted_in", "opted_in_fr", "other_street", "other_postcode", "opted_out_again"):
        person = people[name]
        response = runtime.handle_api("PUT", "/me/outage-notices", token_of(runtime, person), {"delivery_points": [{"ean": person["ean"], "opt_in": True}]})
        assert response.status == 200, response.body
        assert response.json()["delivery_points"] == [{"ean": person["ean"], "opt_in": True, "postcode": person["postcode"], "street": person["street"]}]
    last = people["opted_out_again"]
    assert runtime.handle_api("PUT", "/me/outage-notices", token_of(runtime, last), {"delivery_points": [{"ean": last["ean"], "opt_in": False}]}).status == 200
    return people


def notices(runtime, person) -> list[dict]:
    return [mail for mail in runtime.outbox(person["email"]) if "12" in mail["subject"] and ("onderbreking" in mail["subject"].lower() or "coupure" in mail["subject"].lower())]


def test_an_outage_mails_the_opted_in_customers_of_the_street_once(runtime, operator, street):
    posted = runtime.handle_api("POST", "/ops/outages", operator, OUTAGE)
    assert posted.status == 201, posted.body
    assert posted.json()["affected_delivery_points"] == 2 and posted.json()["mailed"] == 2
    nl = notices(runtime, street["opted_in"])
    assert len(nl) == 1 and nl[0]["subject"] == "Geplande onderbreking op 12 januari 2027"
    assert "Van: 12 januari 2027 08:00" in nl[0]["text"] and "Tot: 12 januari 2027 12:30" in nl[0]["text"] and street["opted_in"]["ean"] in nl[0]["text"]
    assert notices(runtime, street["opted_in_fr"])[0]["language"] == "fr"
    for name in ("not_opted_in", "other_street", "other_postcode", "opted_out_again"):
        assert notices(runtime, street[name]) == [], name

    # Posted again (a double click, a retry): the same outage, nobody mailed twice.
    again = runtime.handle_api("POST", "/ops/outages", operator, OUTAGE)
    assert again.status == 200 and again.json()["outage_id"] == posted.json()["outage_id"] and again.json()["mailed"] == 0
    assert len(notices(runtime, street["opted_in"])) == 1
    listed = runtime.handle_api("GET", "/ops/outages", operator).json()["items"]
    assert [(item["outage_id"], item["mailed"], item["posted_by"]) for item in listed] == [(posted.json()["outage_id"], 2, "an.operator@wattdesk.example")]


def test_an_outage_of_a_whole_postcode_reaches_every_street_and_bad_periods_are_refused(runtime, operator, street):
    whole = runtime.handle_api("POST", "/ops/outages", operator, {**OUTAGE, "streets": []})
    assert whole.status == 201 and whole.json()["mailed"] == 3
    assert len(notices(runtime, street["other_street"])) == 1
    backwards = runtime.handle_api("POST", "/ops/outages", operator, {**OUTAGE, "ends_at": "2027-01-12T07:00:00+01:00"})
    assert backwards.status == 400 and backwards.json()["errors"][0]["code"] == "outage.period"
    nowhere = runtime.handle_api("POST", "/ops/outages", operator, {**OUTAGE, "postcode": "0001"})
    assert nowhere.status == 400


def test_customers_opt_in_only_for_their_own_delivery_points_and_the_choice_is_audited(runtime, operator, street):
    me, other = street["not_opted_in"], street["opted_in"]
    headers = token_of(runtime, me)
    assert runtime.handle_api("GET", "/me/outage-notices", headers).json()["delivery_points"][0]["opt_in"] is False
    foreign = runtime.handle_api("PUT", "/me/outage-notices", headers, {"delivery_points": [{"ean": other["ean"], "opt_in": False}]})
    assert foreign.status == 404
    assert runtime.handle_api("GET", "/me/outage-notices", token_of(runtime, other)).json()["delivery_points"][0]["opt_in"] is True
    assert runtime.handle_api("GET", "/me/overview", token_of(runtime, other)).json()["contracts"][0]["delivery_points"][0]["outage_notices"] is True
    audit = runtime.handle_api("GET", f"/ops/customers/{street['opted_out_again']['customer_id']}", operator).json()["audit"]
    changes = [entry["details"]["choices"] for entry in audit if entry["action"] == "outage_notices_changed"]
    assert changes == [{street["opted_out_again"]["ean"]: False}, {street["opted_out_again"]["ean"]: True}]
