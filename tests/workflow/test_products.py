"""Ops manage products and price periods at /ops/products (issue 5): seeded from the catalogue,
validated (no overlap, no gap, whole validity covered, history kept), audited, and used by billing."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from test_billing_run import MID_JANUARY, make_contract

pytestmark = pytest.mark.workflow

NAMES = {"nl": "Stroom Groen 1 jaar", "fr": "Électricité Verte 1 an", "de": "Ökostrom 1 Jahr", "en": "Green Electricity 1 year"}
GREEN = {
    "code": "ELEC-GREEN-1Y",
    "names": NAMES,
    "energy": "electricity",
    "customer_types": ["residential"],
    "kind": "fixed",
    "valid_from": "2027-01-01",
    "valid_until": None,
    "energy_prices": {"single": "0.1000", "day": "0.1100", "night": "0.0900"},
    "yearly_fee": "30.00",
    "network_and_levies_per_kwh": "0.1250",
    "periods": [
        {"valid_from": "2027-01-01", "valid_until": "2027-06-30", "energy_prices": {"single": "0.1000", "day": "0.1100", "night": "0.0900"}, "yearly_fee": "30.00"},
        {"valid_from": "2027-07-01", "valid_until": None, "energy_prices": {"single": "0.1050", "day": "0.1150", "night": "0.0950"}, "yearly_fee": "30.00"},
    ],
}


def error(response) -> tuple[int, str, str]:
    first = response.json()["errors"][0]
    return response.status, first["code"], first["field"]


def test_the_catalogue_is_seeded_and_ops_add_a_product_with_valid_price_periods(runtime, operator, customer):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    listed = runtime.handle_api("GET", "/ops/products", operator)
    assert listed.status == 200
    items = {item["code"]: item for item in listed.json()["items"]}
    assert sorted(items) == ["ELEC-FIX-1Y", "ELEC-PRO-FIX-3Y", "ELEC-VAR-1Y", "GAS-FIX-1Y", "GAS-VAR-1Y"]
    assert items["ELEC-FIX-1Y"]["current_prices"]["energy_prices"]["single"] == "0.1350" and items["ELEC-FIX-1Y"]["offered"] is True
    assert items["GAS-VAR-1Y"]["current_prices"]["energy_prices"]["single"] == {"a": "0.00095", "b": "0.0100", "index": "ZTP_GAS"}
    fixed = runtime.handle_api("GET", "/ops/products/ELEC-FIX-1Y", operator).json()
    # 5 % dearer from 1 July 2027 (the example price book), rounded to 6 decimals.
    assert [(p["valid_from"], p["valid_until"], p["energy_prices"]["single"]) for p in fixed["periods"]] == [("2026-01-01", "2027-06-30", "0.1350"), ("2027-07-01", None, "0.141750")]
    assert runtime.handle_api("GET", "/ops/products", customer).status == 403
    assert runtime.handle_api("GET", "/ops/products/NOPE-1", operator).status == 404

    # Refused with a clear 422 naming the field.
    overlap = copy.deepcopy(GREEN)
    overlap["periods"][1]["valid_from"] = "2027-06-30"
    assert error(runtime.handle_api("POST", "/ops/products", operator, overlap)) == (422, "price.overlap", "periods[1].valid_from")
    gap = copy.deepcopy(GREEN)
    gap["periods"][1]["valid_from"] = "2027-07-02"
    response = runtime.handle_api("POST", "/ops/products", operator, gap)
    assert error(response) == (422, "price.gap", "periods[1].valid_from") and "2027-07-01" in response.json()["errors"][0]["message"]
    late = copy.deepcopy(GREEN)
    late["periods"][0]["valid_from"] = "2027-02-01"
    assert error(runtime.handle_api("POST", "/ops/products", operator, late)) == (422, "price.coverage", "periods[0].valid_from")
    formula = copy.deepcopy(GREEN)
    formula["periods"][1]["energy_prices"]["single"] = {"a": "0.001", "b": "0.02", "index": "BELPEX_ELEC"}
    assert error(runtime.handle_api("POST", "/ops/products", operator, formula)) == (422, "price.kind", "periods[1].energy_prices.single")
    unpriced = copy.deepcopy(GREEN)
    del unpriced["periods"][0]["energy_prices"]["night"]
    assert error(runtime.handle_api("POST", "/ops/products", operator, unpriced)) == (422, "price.register", "periods[0].energy_prices")
    gas_day = {**copy.deepcopy(GREEN), "energy": "gas"}
    assert error(runtime.handle_api("POST", "/ops/products", operator, gas_day)) == (422, "product.prices", "energy_prices.day")
    assert runtime.handle_api("POST", "/ops/products", operator, {**GREEN, "names": {"nl": "x"}}).status == 400
    assert runtime.handle_api("POST", "/ops/products", customer, GREEN).status == 403

    created = runtime.handle_api("POST", "/ops/products", operator, GREEN)
    assert created.status == 201, created.body
    body = created.json()
    assert (body["code"], body["names"], body["version"], body["prices_version"]) == ("ELEC-GREEN-1Y", NAMES, 1, 1)
    assert [entry["action"] for entry in body["audit"]] == ["product_created"] and body["audit"][0]["actor"] == "an.operator@wattdesk.example"
    assert error(runtime.handle_api("POST", "/ops/products", operator, GREEN)) == (422, "product.exists", "code")
    assert len(runtime.handle_api("GET", "/ops/products", operator).json()["items"]) == 6


def test_price_changes_keep_history_and_are_audited_and_product_changes_stay_consistent(runtime, operator):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    url = "/ops/products/ELEC-FIX-1Y"
    current = runtime.handle_api("GET", url, operator).json()
    periods = current["periods"]

    # From 1 March a new price: the open history period is closed on 28 February, nothing before today changes.
    march = {"valid_from": "2027-03-01", "valid_until": "2027-06-30", "energy_prices": {"single": "0.1400", "day": "0.1530", "night": "0.1190", "exclusive_night": "0.1090"}, "yearly_fee": "60.00"}
    new = [{**periods[0], "valid_until": "2027-02-28"}, march, periods[1]]
    changed = runtime.handle_api("PUT", f"{url}/prices", operator, {"periods": new, "version": current["prices_version"]})
    assert changed.status == 200, changed.body
    assert [(p["valid_from"], p["valid_until"]) for p in changed.json()["periods"]] == [("2026-01-01", "2027-02-28"), ("2027-03-01", "2027-06-30"), ("2027-07-01", None)]
    assert changed.json()["prices_version"] == 2
    (audit,) = [entry for entry in changed.json()["audit"] if entry["action"] == "prices_changed"]
    assert len(audit["details"]["from"]) == 2 and len(audit["details"]["to"]) == 3

    # The stale version is refused (someone changed the prices meanwhile).
    stale = runtime.handle_api("PUT", f"{url}/prices", operator, {"periods": new, "version": 1})
    assert stale.status == 409 and stale.json()["errors"][0]["code"] == "prices.version"
    # Rewriting a price already used (January 2027, before today) is refused.
    rewritten = copy.deepcopy(changed.json()["periods"])
    rewritten[0]["energy_prices"]["single"] = "0.1300"
    assert error(runtime.handle_api("PUT", f"{url}/prices", operator, {"periods": rewritten})) == (422, "price.history", "periods")
    shortened = copy.deepcopy(changed.json()["periods"])
    shortened[0]["valid_until"], shortened[1]["valid_from"] = "2027-01-10", "2027-01-11"
    assert error(runtime.handle_api("PUT", f"{url}/prices", operator, {"periods": shortened})) == (422, "price.history", "periods")
    # A hole in the future is refused too.
    holed = copy.deepcopy(changed.json()["periods"])
    holed[2]["valid_from"] = "2027-07-05"
    assert error(runtime.handle_api("PUT", f"{url}/prices", operator, {"periods": holed})) == (422, "price.gap", "periods[2].valid_from")

    # The product itself: names change (audited); turning it variable while priced per kWh is refused.
    product = {k: v for k, v in current.items() if k not in ("code", "periods", "audit", "prices_version")}
    renamed = runtime.handle_api("PUT", url, operator, {**product, "names": {**product["names"], "en": "Electricity Fixed One Year"}})
    assert renamed.status == 200 and renamed.json()["names"]["en"] == "Electricity Fixed One Year" and renamed.json()["version"] == 2
    (renaming,) = [entry for entry in renamed.json()["audit"] if entry["action"] == "product_changed"]
    assert (renaming["details"]["from"]["names"]["en"], renaming["details"]["to"]["names"]["en"]) == ("Electricity Fixed 1 year", "Electricity Fixed One Year")
    status, code, field = error(runtime.handle_api("PUT", url, operator, {**product, "version": 2, "kind": "variable"}))
    assert (status, code) == (422, "price.kind") and field.startswith("periods[0].energy_prices.")
    assert runtime.handle_api("PUT", url, operator, {**product, "version": 1}).status == 409


def test_billing_uses_what_ops_stored(runtime, operator):
    """A product created by ops is sold at its stored prices (a product change computes the
    advance with them), and a new variable product's own index is one ops can load."""
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    assert runtime.handle_api("POST", "/ops/products", operator, GREEN).status == 201
    contract = make_contract(95, "monthly", "80.00", "nl", date(2027, 2, 1))
    ops_url = f"/ops/customers/{contract['customer_id']}/contracts/{contract['contract_id']}/product-change"
    changed = runtime.handle_api("POST", ops_url, operator, {"product_code": "ELEC-GREEN-1Y", "reason": "Klant wil groene stroom"})
    assert changed.status == 200, changed.body
    # 3,000 kWh single meter: (3000 x 0.1000 + 3000 x 0.1250 + 30.00) x 1.06 / 12 = 62.275 -> 63.00 (whole euro up).
    assert (changed.json()["product_code"], changed.json()["advance"]) == ("ELEC-GREEN-1Y", "63.00")
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    issued = runtime.handle_api("GET", "/ops/billing-runs", operator).json()["items"][0]
    assert (issued["issued"], issued["held"]) == (1, 0)

    spot = {
        **copy.deepcopy(GREEN), "code": "ELEC-SPOT-1M", "kind": "variable",
        "periods": [{"valid_from": "2027-01-01", "valid_until": None, "energy_prices": {k: {"a": "0.00100", "b": "0.0200", "index": "EPEX_SPOT_BE"} for k in ("single", "day", "night")}, "yearly_fee": "36.00"}],
    }
    assert runtime.handle_api("POST", "/ops/products", operator, spot).status == 201
    loaded = runtime.handle_api("PUT", "/ops/indexes/EPEX_SPOT_BE/2027-02", operator, {"value": "92.40"})
    assert loaded.status == 200 and loaded.json()["value"] == "92.40"
    assert runtime.handle_api("PUT", "/ops/indexes/NOT_USED/2027-02", operator, {"value": "1"}).json()["errors"][0]["code"] == "index.unknown"
