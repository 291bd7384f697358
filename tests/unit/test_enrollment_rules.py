"""Enrollment business rules: hard problems (400 at once) and block reasons (After-Sales queue)."""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from support import ROOT
from wattdesk.domain import enrollment_rules
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.ean import ean_with_check_digit
from wattdesk.domain.enrollment_request import EnrollmentRequest
from wattdesk.domain.enrollment_rules import (
    BlockReason,
    DsoRegisterEntry,
    EnrollmentContext,
    block_reasons,
    check_consents,
    check_dso_address,
    check_dso_name,
    check_duplicate_person,
    check_ean_already_supplied,
    check_ean_missing_on_move_in,
    check_ean_open_enrollment,
    check_eans,
    check_email,
    check_gas_meter_type,
    check_payment,
    check_phone,
    check_postcodes,
    check_product,
    check_professional,
    check_referral_code,
    check_referral_format,
    check_start_date,
    hard_problems,
)
from wattdesk.domain.errors import ValidationProblem
from wattdesk.domain.postcodes import all_postcodes

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=100, deadline=None, database=None)

TODAY = date(2026, 11, 23)
START = TODAY + timedelta(days=40)
# The contract's example body, kept as a sample event (a copy of ../shared/api-examples/enrollment.json).
EXAMPLE = ROOT / "events" / "enrollment_api" / "enrollment_body.json"
_BODY: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))

VALID_EAN = "541414930000123454"
OTHER_EAN = ean_with_check_digit("54141493000099999")
GAS_EAN = ean_with_check_digit("54141493000055555")
EMAIL = "camille.dubois@example.org"


def body(**changes: Any) -> dict[str, Any]:
    """The API example with today's dates, then ``changes`` by dotted path ("delivery_points.0.ean")."""
    data = copy.deepcopy(_BODY)
    data["start_date"] = START.isoformat()
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return data


def request(**changes: Any) -> EnrollmentRequest:
    return EnrollmentRequest.model_validate(body(**changes))


def gas_point(**fields: Any) -> dict[str, Any]:
    return {"energy": "gas", "ean": GAS_EAN, "meter_type": "single", "situation": "switch", "known_annual_kwh": None, **fields}


def professional(**changes: Any) -> EnrollmentRequest:
    return request(**{"customer.type": "professional", "customer.company_name": "Dubois SRL", "customer.vat_number": "BE0403170701", **changes})


def context(**fields: Any) -> EnrollmentContext:
    empty: dict[str, Any] = {
        "today": TODAY,
        "active_eans": {},
        "open_enrollment_eans": {},
        "open_enrollment_people": {},
        "referral_codes": {},
        "dso_register": {},
    }
    return EnrollmentContext(**{**empty, **fields})


def codes(problems: list[ValidationProblem] | list[BlockReason]) -> list[tuple[str, str | None]]:
    return [(problem.code, problem.field) for problem in problems]


# --- the base request ---------------------------------------------------------------------------


def test_the_api_example_with_todays_dates_is_clean() -> None:
    assert hard_problems(request(), TODAY) == []
    assert block_reasons(request(), context()) == []


def test_a_matching_dso_register_and_referral_do_not_block() -> None:
    register = {VALID_EAN: DsoRegisterEntry(postcode="5000", street="Rue de la Station", number="14", holder_name="Dubois")}
    ctx = context(dso_register=register, referral_codes={"FRIEND42": "someone.else@example.org"})
    assert block_reasons(request(referral_code="friend42"), ctx) == []


def test_hard_problems_reports_everything_at_once() -> None:
    bad = request(**{"delivery_points.0.ean": "541414930000123455", "payment.iban": "BE72096123456769", "supply_address.postcode": "1001"})
    assert codes(hard_problems(bad, TODAY)) == [
        ("ean.check_digit", "delivery_points[0].ean"),
        ("iban.invalid", "payment.iban"),
        ("postcode.unknown", "supply_address.postcode"),
    ]


def test_hard_problems_of_a_request_wrong_in_every_way() -> None:
    bad = request(
        **{
            "delivery_points": [{"energy": "electricity", "ean": None, "meter_type": "dual", "situation": "switch"}, gas_point(meter_type="dual")],
            "payment.iban": None,
            "payment.account_holder": None,
            "customer.email": "camille.dubois@",
            "customer.phone": "123456",
            "customer.type": "professional",
            "correspondence_address": {"street": "Kerkstraat", "number": "1", "postcode": "12345", "city": "Gent"},
            "start_date": (TODAY - timedelta(days=1)).isoformat(),
            "consents.terms_accepted": False,
            "consents.privacy_accepted": False,
            "referral_code": "X",
        }
    )
    assert set(codes(hard_problems(bad, TODAY))) == {
        ("ean.required", "delivery_points[0].ean"),
        ("meter_type.not_for_gas", "delivery_points[1].meter_type"),
        ("iban.required", "payment.iban"),
        ("account_holder.required", "payment.account_holder"),
        ("email.invalid", "customer.email"),
        ("phone.invalid", "customer.phone"),
        ("postcode.format", "correspondence_address.postcode"),
        ("start_date.past", "start_date"),
        ("company_name.required", "customer.company_name"),
        ("vat.required", "customer.vat_number"),
        ("product.wrong_energy", "delivery_points[1].energy"),
        ("consents.terms_required", "consents.terms_accepted"),
        ("consents.privacy_required", "consents.privacy_accepted"),
        ("referral.format", "referral_code"),
    }


def test_messages_are_sentences_and_do_not_repeat_the_input() -> None:
    bad = request(**{"customer.email": "secret.person@", "payment.iban": "BE72096123456769", "delivery_points.0.ean": "541414930000123455"})
    for problem in hard_problems(bad, TODAY):
        assert problem.message[0].isupper() and problem.message.endswith(".")
        assert "secret.person" not in problem.message
        assert "BE72096123456769" not in problem.message
        assert "541414930000123455" not in problem.message


# --- EAN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ean", [VALID_EAN, "5414 1493 0000 1234 54", "54-1414-9300-0012-3454"])
def test_valid_eans_pass(ean: str) -> None:
    assert check_eans(request(**{"delivery_points.0.ean": ean})) == []


@pytest.mark.parametrize(
    ("ean", "code"),
    [
        ("54141493000012345", "ean.format"),
        ("54141493000012345A", "ean.format"),
        (ean_with_check_digit("87141493000012345"), "ean.prefix"),
        ("541414930000123455", "ean.check_digit"),
    ],
)
def test_bad_eans(ean: str, code: str) -> None:
    problems = check_eans(request(**{"delivery_points.0.ean": ean}))
    assert codes(problems) == [(code, "delivery_points[0].ean")]
    assert ean not in problems[0].message


@pytest.mark.parametrize("missing", [None, ""])
def test_a_switch_needs_an_ean(missing: str | None) -> None:
    assert codes(check_eans(request(**{"delivery_points.0.ean": missing}))) == [("ean.required", "delivery_points[0].ean")]


def test_a_new_connection_may_have_no_ean() -> None:
    new = request(**{"delivery_points.0.ean": None, "delivery_points.0.situation": "new_connection"})
    assert hard_problems(new, TODAY) == []
    assert block_reasons(new, context()) == []


def test_a_move_in_without_ean_is_not_hard_but_blocks() -> None:
    move = request(**{"delivery_points.0.ean": None, "delivery_points.0.situation": "move_in"})
    assert hard_problems(move, TODAY) == []
    assert codes(check_ean_missing_on_move_in(move, context())) == [("ean.missing_on_move_in", "delivery_points[0].ean")]
    assert codes(block_reasons(move, context())) == [("ean.missing_on_move_in", "delivery_points[0].ean")]


def test_the_eans_of_every_point_are_checked() -> None:
    dual_fuel = request(**{"delivery_points": [_BODY["delivery_points"][0], gas_point(ean="541414930000123455")]})
    assert codes(check_eans(dual_fuel)) == [("ean.check_digit", "delivery_points[1].ean")]


valid_eans = st.text(alphabet="0123456789", min_size=15, max_size=15).map(lambda digits: ean_with_check_digit("54" + digits))


@PROPERTY
@given(valid_eans, st.integers(min_value=2, max_value=17), st.integers(min_value=1, max_value=9))
def test_generated_eans_pass_and_a_typo_is_a_check_digit_problem(ean: str, position: int, shift: int) -> None:
    assert hard_problems(request(**{"delivery_points.0.ean": ean}), TODAY) == []
    typo = ean[:position] + str((int(ean[position]) + shift) % 10) + ean[position + 1 :]
    assert codes(hard_problems(request(**{"delivery_points.0.ean": typo}), TODAY)) == [("ean.check_digit", "delivery_points[0].ean")]


# --- gas meter type -----------------------------------------------------------------------------


@pytest.mark.parametrize("meter_type", ["dual", "exclusive_night"])
def test_gas_needs_a_single_meter(meter_type: str) -> None:
    gas = request(**{"delivery_points.0": gas_point(meter_type=meter_type), "product_code": "GAS-FIX-1Y"})
    assert codes(check_gas_meter_type(gas)) == [("meter_type.not_for_gas", "delivery_points[0].meter_type")]
    assert codes(hard_problems(gas, TODAY)) == [("meter_type.not_for_gas", "delivery_points[0].meter_type")]


def test_single_gas_meter_and_dual_electricity_meter_pass() -> None:
    gas = request(**{"delivery_points.0": gas_point(), "product_code": "GAS-FIX-1Y"})
    assert hard_problems(gas, TODAY) == []
    assert check_gas_meter_type(request()) == []


# --- payment ------------------------------------------------------------------------------------


@pytest.mark.parametrize("iban", ["BE71 0961 2345 6769", "be71096123456769", "NL91ABNA0417164300"])
def test_valid_ibans_pass(iban: str) -> None:
    assert check_payment(request(**{"payment.iban": iban})) == []


@pytest.mark.parametrize(
    ("iban", "code"),
    [
        ("BE72096123456769", "iban.invalid"),
        ("BE7109612345676", "iban.invalid"),
        ("BR1800360305000010009795493C1", "iban.not_sepa"),
        (str(IBAN.from_bban("BE", "096123456768")), "iban.be_national_check"),
    ],
)
def test_bad_ibans(iban: str, code: str) -> None:
    assert codes(check_payment(request(**{"payment.iban": iban}))) == [(code, "payment.iban")]


@pytest.mark.parametrize("missing", [None, ""])
def test_direct_debit_needs_an_iban_and_an_account_holder(missing: str | None) -> None:
    assert codes(check_payment(request(**{"payment.iban": missing}))) == [("iban.required", "payment.iban")]
    assert codes(check_payment(request(**{"payment.account_holder": missing}))) == [("account_holder.required", "payment.account_holder")]


def test_a_transfer_needs_no_iban_but_a_given_one_is_checked() -> None:
    assert check_payment(request(**{"payment.method": "transfer", "payment.iban": None, "payment.account_holder": None})) == []
    assert codes(check_payment(request(**{"payment.method": "transfer", "payment.iban": "BE72096123456769"}))) == [("iban.invalid", "payment.iban")]


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_generated_belgian_ibans_pass(bank_and_account: str) -> None:
    iban = IBAN.generate("BE", bank_code=bank_and_account[:3], account_code=bank_and_account[3:])
    assert check_payment(request(**{"payment.iban": iban.formatted})) == []
    assert check_payment(request(**{"payment.iban": iban.compact})) == []


# --- e-mail and phone ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", [EMAIL, "Camille.Dubois@Example.ORG", "c+energy@mail.example.be"])
def test_valid_emails_pass(email: str) -> None:
    assert check_email(request(**{"customer.email": email})) == []


@pytest.mark.parametrize("email", ["camille.dubois", "camille@", "@example.org", "camille dubois@example.org", "camille@example"])
def test_bad_emails(email: str) -> None:
    assert codes(check_email(request(**{"customer.email": email}))) == [("email.invalid", "customer.email")]


@pytest.mark.parametrize("phone", ["+32 470 12 34 56", "0470 12 34 56", "02 511 22 33", "+31 6 12345678"])
def test_valid_phones_pass(phone: str) -> None:
    assert check_phone(request(**{"customer.phone": phone})) == []


@pytest.mark.parametrize("phone", ["123456", "0470 12 34", "+32 470 12 34 56 78", "not a phone"])
def test_bad_phones(phone: str) -> None:
    assert codes(check_phone(request(**{"customer.phone": phone}))) == [("phone.invalid", "customer.phone")]


# --- postcodes ----------------------------------------------------------------------------------

CORRESPONDENCE = {"street": "Kerkstraat", "number": "1", "box": None, "postcode": "9000", "city": "Gent"}


@pytest.mark.parametrize(("postcode", "code"), [("1001", "postcode.unknown"), ("50000", "postcode.format"), ("ABCD", "postcode.format")])
def test_bad_supply_postcodes(postcode: str, code: str) -> None:
    assert codes(check_postcodes(request(**{"supply_address.postcode": postcode}))) == [(code, "supply_address.postcode")]


def test_correspondence_postcode_is_checked_when_given() -> None:
    assert check_postcodes(request(correspondence_address=CORRESPONDENCE)) == []
    bad = request(correspondence_address={**CORRESPONDENCE, "postcode": "9999"})
    assert codes(check_postcodes(bad)) == [("postcode.unknown", "correspondence_address.postcode")]


def test_usual_postcode_spellings_pass() -> None:
    assert check_postcodes(request(**{"supply_address.postcode": "B-5000"})) == []


@PROPERTY
@given(st.sampled_from(sorted(all_postcodes())), st.sampled_from(sorted(all_postcodes())))
def test_every_belgian_postcode_passes(supply: str, correspondence: str) -> None:
    checked = request(**{"supply_address.postcode": supply, "correspondence_address": {**CORRESPONDENCE, "postcode": correspondence}})
    assert check_postcodes(checked) == []


@PROPERTY
@given(st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}").filter(lambda code: code not in all_postcodes()))
def test_every_other_four_digit_code_is_unknown(code: str) -> None:
    assert codes(check_postcodes(request(**{"supply_address.postcode": code}))) == [("postcode.unknown", "supply_address.postcode")]


# --- start date ---------------------------------------------------------------------------------


def _start(days: int, situation: str = "switch") -> EnrollmentRequest:
    return request(**{"start_date": (TODAY + timedelta(days=days)).isoformat(), "delivery_points.0.situation": situation})


@pytest.mark.parametrize(("days", "situation"), [(30, "switch"), (40, "switch"), (0, "move_in"), (1, "move_in"), (0, "new_connection")])
def test_allowed_start_dates(days: int, situation: str) -> None:
    assert check_start_date(_start(days, situation), TODAY) == []


@pytest.mark.parametrize("situation", ["switch", "move_in", "new_connection"])
def test_a_start_date_in_the_past(situation: str) -> None:
    assert codes(check_start_date(_start(-1, situation), TODAY)) == [("start_date.past", "start_date")]


@pytest.mark.parametrize("days", [0, 1, 29])
def test_a_switch_needs_30_days_notice_and_says_the_earliest_date(days: int) -> None:
    problems = check_start_date(_start(days), TODAY)
    assert codes(problems) == [("start_date.switch_notice", "start_date")]
    assert "2026-12-23" in problems[0].message


def test_one_switch_point_sets_the_notice_for_the_whole_request() -> None:
    mixed = request(
        **{
            "start_date": (TODAY + timedelta(days=10)).isoformat(),
            "delivery_points.0.situation": "move_in",
            "delivery_points": [{**_BODY["delivery_points"][0], "situation": "move_in"}, gas_point()],
        }
    )
    assert codes(check_start_date(mixed, TODAY)) == [("start_date.switch_notice", "start_date")]


# --- professional customers ---------------------------------------------------------------------


@pytest.mark.parametrize("vat", ["BE0403170701", "BE 0403.170.701", "0403170701"])
def test_a_complete_professional_passes(vat: str) -> None:
    assert hard_problems(professional(**{"customer.vat_number": vat}), TODAY) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"customer.company_name": None}, [("company_name.required", "customer.company_name")]),
        ({"customer.company_name": ""}, [("company_name.required", "customer.company_name")]),
        ({"customer.vat_number": None}, [("vat.required", "customer.vat_number")]),
        ({"customer.vat_number": "BE0403170702"}, [("vat.invalid", "customer.vat_number")]),
        ({"customer.vat_number": "NL123456789B01"}, [("vat.invalid", "customer.vat_number")]),
    ],
)
def test_professional_problems(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert codes(check_professional(professional(**changes))) == expected


def test_a_residential_customer_s_vat_number_is_ignored() -> None:
    assert hard_problems(request(**{"customer.vat_number": "nonsense"}), TODAY) == []


# --- product ------------------------------------------------------------------------------------


def test_an_unknown_product_is_only_that() -> None:
    assert codes(check_product(request(product_code="ELEC-FIX-9Y"))) == [("product.unknown", "product_code")]


def test_a_product_not_offered_on_the_start_date(monkeypatch: pytest.MonkeyPatch) -> None:
    ending = replace(PRODUCTS["ELEC-FIX-1Y"], code="ELEC-OLD", valid_until=START - timedelta(days=1))
    monkeypatch.setitem(PRODUCTS, "ELEC-OLD", ending)
    assert codes(check_product(request(product_code="ELEC-OLD"))) == [("product.not_offered", "product_code")]
    assert check_product(request(product_code="ELEC-OLD", start_date=(START - timedelta(days=1)).isoformat())) == []


def test_a_product_for_the_other_energy() -> None:
    assert codes(check_product(request(product_code="GAS-FIX-1Y"))) == [("product.wrong_energy", "delivery_points[0].energy")]


def test_dual_fuel_with_one_product_fails_on_the_other_energy() -> None:
    dual_fuel = request(delivery_points=[_BODY["delivery_points"][0], gas_point()])
    assert codes(check_product(dual_fuel)) == [("product.wrong_energy", "delivery_points[1].energy")]


def test_dual_fuel_names_the_gas_product_on_its_point() -> None:
    dual_fuel = request(delivery_points=[_BODY["delivery_points"][0], {**gas_point(), "product_code": "GAS-FIX-1Y"}])
    assert check_product(dual_fuel) == []
    wrong = request(delivery_points=[_BODY["delivery_points"][0], {**gas_point(), "product_code": "ELEC-VAR-1Y"}])
    assert codes(check_product(wrong)) == [("product.wrong_energy", "delivery_points[1].energy")]
    unknown = request(delivery_points=[_BODY["delivery_points"][0], {**gas_point(), "product_code": "GAS-NOPE"}])
    assert codes(check_product(unknown)) == [("product.unknown", "delivery_points[1].product_code")]


def test_a_product_for_professionals_only() -> None:
    assert codes(check_product(request(product_code="ELEC-PRO-FIX-3Y"))) == [("product.customer_type", "product_code")]
    assert check_product(professional(product_code="ELEC-PRO-FIX-3Y")) == []


# --- consents -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "privacy", "expected"),
    [
        (True, True, []),
        (False, True, [("consents.terms_required", "consents.terms_accepted")]),
        (True, False, [("consents.privacy_required", "consents.privacy_accepted")]),
        (False, False, [("consents.terms_required", "consents.terms_accepted"), ("consents.privacy_required", "consents.privacy_accepted")]),
    ],
)
def test_consents(terms: bool, privacy: bool, expected: list[tuple[str, str]]) -> None:
    assert codes(check_consents(request(**{"consents.terms_accepted": terms, "consents.privacy_accepted": privacy}))) == expected


def test_marketing_consent_is_optional() -> None:
    assert check_consents(request(**{"consents.marketing": False})) == []


# --- referral code format -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, "", "ABC123", "abc123", "FRIEND42", "A1B2C3D4E5F6"])
def test_good_referral_codes(code: str | None) -> None:
    assert check_referral_format(request(referral_code=code)) == []


@pytest.mark.parametrize("code", ["ABC12", "A1B2C3D4E5F6G", "ABC-123", "ABC 123", "ÉCOLE1", "FRIEND_42"])
def test_bad_referral_codes(code: str) -> None:
    assert codes(check_referral_format(request(referral_code=code))) == [("referral.format", "referral_code")]


@PROPERTY
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=12))
def test_any_6_to_12_letters_or_digits_is_a_referral_code(code: str) -> None:
    assert check_referral_format(request(referral_code=code)) == []


# --- block: EAN already supplied / in another enrollment ----------------------------------------


def test_an_ean_we_already_supply_blocks() -> None:
    ctx = context(active_eans={VALID_EAN: "CONTRACT-1"})
    reasons = check_ean_already_supplied(request(), ctx)
    assert codes(reasons) == [("ean.already_supplied", "delivery_points[0].ean")]
    assert "CONTRACT-1" in reasons[0].message
    # The request's spelling does not matter: EANs are compared normalised.
    assert codes(check_ean_already_supplied(request(**{"delivery_points.0.ean": "5414 1493 0000 1234 54"}), ctx)) == codes(reasons)
    assert check_ean_already_supplied(request(**{"delivery_points.0.ean": OTHER_EAN}), ctx) == []


def test_a_context_keyed_by_the_ean_as_typed_still_blocks() -> None:
    typed = "5414 1493 0000 1234 54"
    spaced = request(**{"delivery_points.0.ean": typed})
    ctx = context(active_eans={typed: "C-1"}, open_enrollment_eans={typed: "E-1"}, dso_register={typed: replace(REGISTERED, number="99")})
    assert [reason.code for reason in block_reasons(spaced, ctx)] == ["ean.already_supplied", "ean.open_enrollment", "dso.address_mismatch"]


def test_an_ean_in_another_open_enrollment_blocks() -> None:
    ctx = context(open_enrollment_eans={GAS_EAN: "ENR-7"})
    dual_fuel = request(delivery_points=[_BODY["delivery_points"][0], gas_point()])
    reasons = check_ean_open_enrollment(dual_fuel, ctx)
    assert codes(reasons) == [("ean.open_enrollment", "delivery_points[1].ean")]
    assert "ENR-7" in reasons[0].message
    assert check_ean_open_enrollment(request(), ctx) == []


def test_a_missing_or_malformed_ean_is_skipped_by_the_ean_blocks() -> None:
    ctx = context(active_eans={VALID_EAN: "C"}, open_enrollment_eans={VALID_EAN: "E"})
    for ean in (None, "541414930000123455"):
        checked = request(**{"delivery_points.0.ean": ean, "delivery_points.0.situation": "new_connection"})
        assert check_ean_already_supplied(checked, ctx) == []
        assert check_ean_open_enrollment(checked, ctx) == []


@pytest.mark.parametrize("situation", ["switch", "new_connection"])
def test_a_missing_ean_blocks_only_a_move_in(situation: str) -> None:
    assert check_ean_missing_on_move_in(request(**{"delivery_points.0.ean": None, "delivery_points.0.situation": situation}), context()) == []
    assert check_ean_missing_on_move_in(request(**{"delivery_points.0.situation": "move_in"}), context()) == []


# --- block: duplicate person --------------------------------------------------------------------


@pytest.mark.parametrize("email", [EMAIL, "Camille.Dubois@Example.org", "CAMILLE.DUBOIS@EXAMPLE.ORG"])
def test_the_same_email_in_another_open_enrollment_blocks(email: str) -> None:
    reasons = check_duplicate_person(request(**{"customer.email": email}), context(open_enrollment_people={EMAIL: "ENR-3"}))
    assert codes(reasons) == [("duplicate.suspected", "customer.email")]
    assert "ENR-3" in reasons[0].message


def test_another_email_does_not_block() -> None:
    assert check_duplicate_person(request(), context(open_enrollment_people={"someone@example.org": "ENR-3"})) == []


# --- block: referral ----------------------------------------------------------------------------

REFERRALS = {"FRIEND42": "someone.else@example.org", "MYOWN123": EMAIL}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, []),
        ("", []),
        ("FRIEND42", []),
        ("friend42", []),
        ("NOBODY99", [("referral.unknown", "referral_code")]),
        ("MYOWN123", [("referral.own", "referral_code")]),
        ("myown123", [("referral.own", "referral_code")]),
        ("BAD-1", []),  # a format problem is hard, not a block
    ],
)
def test_referral_codes(code: str | None, expected: list[tuple[str, str]]) -> None:
    assert codes(check_referral_code(request(referral_code=code), context(referral_codes=REFERRALS))) == expected


def test_own_referral_code_regardless_of_email_case() -> None:
    own = request(referral_code="MYOWN123", **{"customer.email": "Camille.Dubois@EXAMPLE.org"})
    assert codes(check_referral_code(own, context(referral_codes=REFERRALS))) == [("referral.own", "referral_code")]


# --- block: DSO register ------------------------------------------------------------------------

REGISTERED = DsoRegisterEntry(postcode="5000", street="Rue de la Station", number="14", holder_name="Dubois")


def _register(**fields: Any) -> EnrollmentContext:
    return context(dso_register={VALID_EAN: replace(REGISTERED, **fields)})


@pytest.mark.parametrize(
    ("fields", "request_changes"),
    [
        ({}, {}),
        ({"street": "RUE DE LA STATION"}, {}),
        ({"street": "Rue de la Station,"}, {}),
        ({"street": "Rue de la Gare"}, {"supply_address.street": "Rue de la Garé"}),
        ({"street": "Rue Saint-Jean"}, {"supply_address.street": "rue saint jean"}),
        ({"street": "Kerkstraat", "postcode": "9000"}, {"supply_address.street": "Kerkstr.", "supply_address.postcode": "9000"}),
        ({"street": "Kerkstr", "postcode": "9000"}, {"supply_address.street": "Kerk straat", "supply_address.postcode": "9000"}),
        ({"street": "Hauptstraße", "postcode": "4700"}, {"supply_address.street": "Hauptstrasse", "supply_address.postcode": "4700"}),
        ({"number": "14A"}, {"supply_address.number": "14 a"}),
        ({"postcode": "5000"}, {"supply_address.postcode": "B-5000"}),
    ],
)
def test_addresses_that_match_after_normalisation(fields: dict[str, str], request_changes: dict[str, str]) -> None:
    assert check_dso_address(request(**request_changes), _register(**fields)) == []


@pytest.mark.parametrize(
    ("fields", "part"),
    [
        ({"postcode": "5001"}, "postal code"),
        ({"street": "Rue de la Gare"}, "street"),
        ({"street": "Stationsstraat"}, "street"),
        ({"number": "41"}, "house number"),
        ({"number": "14A"}, "house number"),
    ],
)
def test_address_mismatches_block(fields: dict[str, str], part: str) -> None:
    reasons = check_dso_address(request(), _register(**fields))
    assert codes(reasons) == [("dso.address_mismatch", "delivery_points[0].ean")]
    assert part in reasons[0].message


def test_an_ean_unknown_to_the_register_does_not_block() -> None:
    ctx = context(dso_register={OTHER_EAN: replace(REGISTERED, postcode="9000", holder_name="Peeters")})
    assert check_dso_address(request(), ctx) == []
    assert check_dso_name(request(), ctx) == []


@pytest.mark.parametrize("holder", ["Dubois", "DUBOIS", "dubois", "Duboïs", None, ""])
def test_holder_names_that_do_not_block(holder: str | None) -> None:
    assert check_dso_name(request(), _register(holder_name=holder)) == []


def test_a_different_holder_blocks_a_switch_only() -> None:
    ctx = _register(holder_name="Peeters")
    assert codes(check_dso_name(request(), ctx)) == [("dso.name_mismatch", "delivery_points[0].ean")]
    move = request(**{"delivery_points.0.situation": "move_in", "start_date": TODAY.isoformat()})
    assert check_dso_name(move, ctx) == []


def test_compound_last_names_match_with_or_without_spaces() -> None:
    van = request(**{"customer.last_name": "Van den Bossche"})
    assert check_dso_name(van, _register(holder_name="VANDENBOSSCHE")) == []
    assert check_dso_name(van, _register(holder_name="Van den Bossche-Peeters")) != []


def test_a_professional_may_match_on_the_company_name() -> None:
    pro = professional()
    assert check_dso_name(pro, _register(holder_name="DUBOIS S.R.L.")) == []
    assert check_dso_name(pro, _register(holder_name="Dubois")) == []
    assert codes(check_dso_name(pro, _register(holder_name="Other SA"))) == [("dso.name_mismatch", "delivery_points[0].ean")]


@PROPERTY
@given(st.sampled_from(["Rue de la Station", "Chaussée de Liège", "Kerkstraat", "Grote Markt", "Avenue Louise"]), st.data())
def test_street_case_and_accents_never_block(street: str, data: st.DataObject) -> None:
    # The customer types the register's street in any case, with or without its accents.
    typed = "".join(data.draw(st.sampled_from([char.upper(), char.lower()])) for char in street)
    for accented, plain in (("é", "e"), ("É", "E"), ("è", "e"), ("È", "E")):
        typed = typed.replace(accented, data.draw(st.sampled_from([accented, plain])))
    assert check_dso_address(request(**{"supply_address.street": typed}), _register(street=street)) == []


# --- block_reasons: all of them -----------------------------------------------------------------


def test_block_reasons_collects_every_rule() -> None:
    dual_fuel = request(
        referral_code="MYOWN123",
        delivery_points=[_BODY["delivery_points"][0], gas_point(ean=None, situation="move_in")],
    )
    ctx = context(
        active_eans={VALID_EAN: "C-1"},
        open_enrollment_eans={VALID_EAN: "E-2"},
        open_enrollment_people={EMAIL: "E-2"},
        referral_codes=REFERRALS,
        dso_register={VALID_EAN: replace(REGISTERED, number="16", holder_name="Peeters")},
    )
    assert codes(block_reasons(dual_fuel, ctx)) == [
        ("ean.already_supplied", "delivery_points[0].ean"),
        ("ean.open_enrollment", "delivery_points[0].ean"),
        ("ean.missing_on_move_in", "delivery_points[1].ean"),
        ("duplicate.suspected", "customer.email"),
        ("referral.own", "referral_code"),
        ("dso.address_mismatch", "delivery_points[0].ean"),
        ("dso.name_mismatch", "delivery_points[0].ean"),
    ]


def test_no_float_in_the_rules_module() -> None:
    tree = ast.parse(Path(enrollment_rules.__file__).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, float)]
