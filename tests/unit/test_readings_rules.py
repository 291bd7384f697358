"""Readings: plausibility bands, registers per meter type, estimation by the load profile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wattdesk.domain import load_profile
from wattdesk.domain import readings as rules
from wattdesk.domain.errors import DomainError

pytestmark = pytest.mark.unit

JAN, JUL = date(2027, 1, 1), date(2027, 7, 1)


def test_profile_weights_of_a_whole_year_add_up_to_one_and_winter_weighs_more():
    assert load_profile.weight_between("electricity", date(2027, 2, 1), date(2028, 2, 1)) == 1
    assert load_profile.weight_between("gas", JAN, date(2028, 1, 1)) == 1
    january = load_profile.weight_between("gas", JAN, date(2027, 2, 1))
    july = load_profile.weight_between("gas", JUL, date(2027, 8, 1))
    assert january == load_profile.MONTHLY_SHARES["gas"][0] and january > 10 * july
    # A partial month counts by days.
    assert load_profile.weight_between("electricity", date(2027, 4, 1), date(2027, 4, 16)) == load_profile.MONTHLY_SHARES["electricity"][3] * 15 / 30


@pytest.mark.parametrize(("meter_type", "given", "ok"), [
    ("single", {"single": "1"}, True),
    ("dual", {"day": "1", "night": "2"}, True),
    ("dual", {"day": "1"}, False),
    ("exclusive_night", {"single": "1", "exclusive_night": "2"}, True),
    ("single", {"day": "1", "night": "2"}, False),
])
def test_register_set_must_match_the_meter_type(meter_type, given, ok):
    rows = [{"register": register, "value_kwh": value} for register, value in given.items()]
    if ok:
        assert rules.parse_values(meter_type, rows) == {register: int(value) for register, value in given.items()}
    else:
        with pytest.raises(DomainError) as error:
            rules.parse_values(meter_type, rows)
        assert error.value.code == "reading.registers"


def test_values_are_whole_kwh():
    with pytest.raises(DomainError) as error:
        rules.parse_values("single", [{"register": "single", "value_kwh": "12.5"}])
    assert error.value.code == "reading.value"


def _band_edges(eav: int, start: date, end: date, share: Decimal = Decimal(1)) -> tuple[Decimal, Decimal]:
    band = rules.PLAUSIBILITY_BANDS["electricity"]
    expected = Decimal(eav) * load_profile.weight_between("electricity", start, end) * share
    return band.lower * expected - band.tolerance_kwh, band.upper * expected + band.tolerance_kwh


@pytest.mark.parametrize("start,end", [(JAN, JUL), (JAN, date(2027, 1, 8)), (date(2027, 6, 1), date(2027, 9, 1))])
def test_plausibility_band_edges_follow_the_profile(start, end):
    previous = rules.Reading(start, {"single": 1000})
    lowest, highest = _band_edges(3500, start, end)
    check = lambda used: rules.check_plausibility({"single": 1000 + used}, end, previous, eav_kwh=3500, energy="electricity", meter_type="single")  # noqa: E731
    inside_high = int(highest) if highest == int(highest) else int(highest)
    assert check(inside_high) == []
    assert [p.code for p in check(inside_high + 2)] == ["reading.consumption_too_high"]
    if lowest > 1:
        assert [p.code for p in check(int(lowest) - 1)] == ["reading.consumption_too_low"]
        assert check(int(lowest) + 1) == []


def test_dual_meter_band_per_register_uses_the_register_share():
    previous = rules.Reading(JAN, {"day": 100, "night": 100})
    _low, day_high = _band_edges(4000, JAN, JUL, Decimal("0.55"))
    problems = rules.check_plausibility({"day": 100 + int(day_high) + 5, "night": 1200}, JUL, previous, eav_kwh=4000, energy="electricity", meter_type="dual")
    assert [(p.code, p.register) for p in problems] == [("reading.consumption_too_high", "day")]


def test_lower_than_previous_is_implausible_unless_a_new_meter():
    previous = rules.Reading(JAN, {"single": 5000}, meter_no=1)
    assert [p.code for p in rules.check_plausibility({"single": 4000}, JUL, previous, eav_kwh=3000, energy="electricity", meter_type="single")] == ["reading.lower_than_previous"]
    assert rules.check_plausibility({"single": 40}, JUL, previous, eav_kwh=3000, energy="electricity", meter_type="single", meter_no=2) == []


def test_no_previous_reading_nothing_to_compare():
    assert rules.check_plausibility({"single": 5}, JUL, None, eav_kwh=3000, energy="electricity", meter_type="single") == []


def test_estimation_adds_the_profile_share_of_the_eav_per_register():
    last = rules.Reading(date(2027, 2, 1), {"day": 1000, "night": 2000})
    estimated = rules.estimate(last, date(2028, 2, 1), eav_kwh=4000, energy="electricity", meter_type="dual")
    # A whole year: exactly the EAV, split 55/45.
    assert estimated.values == {"day": 1000 + 2200, "night": 2000 + 1800}
    assert estimated.estimated and estimated.source == "estimation"
    half = rules.estimate(rules.Reading(JAN, {"single": 0}), JUL, eav_kwh=3000, energy="gas", meter_type="single")
    shares = load_profile.MONTHLY_SHARES["gas"][:6]
    assert half.values["single"] == int((3000 * sum(shares)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def test_consumption_across_a_meter_change():
    opening = rules.Reading(JAN, {"single": 9000})
    removed = rules.Reading(date(2027, 5, 1), {"single": 10000}, meter_no=1, kind="meter_removed")
    installed = rules.Reading(date(2027, 5, 1), {"single": 0}, meter_no=2, kind="meter_installed")
    closing = rules.Reading(date(2028, 1, 1), {"single": 2500}, meter_no=2)
    assert rules.consumption(opening, closing, [(removed, installed)]).kwh == {"single": 1000 + 2500}
    with pytest.raises(DomainError):
        rules.consumption(opening, closing)


def test_a_dso_csv_groups_register_lines_into_readings_and_refuses_bad_lines_by_number():
    text = "\ufeffean,register,reading_date,value_kwh,kind\n" + "\n".join([
        "541449011000000011,day,2027-03-01,5180,periodic",
        "541449011000000011,NIGHT,2027-03-01,7150,periodic",
        "541449011000000028,single,2027-03-10,10400,meter_removed",
        "541449011000000028,single,2027-03-10,0,meter_installed",
        "",
        "541449011000000028,single,2027-03-11",
        "541449011000000028,single,2027-03-12,10,estimate",
    ])
    messages, refused = rules.parse_dso_csv(text)
    assert [(m["ean"], m["kind"], m["registers"], m.get("removed_registers"), m["lines"]) for m in messages] == [
        ("541449011000000011", "periodic", [{"register": "day", "value_kwh": "5180"}, {"register": "night", "value_kwh": "7150"}], None, [2, 3]),
        ("541449011000000028", "meter_change", [{"register": "single", "value_kwh": "0"}], [{"register": "single", "value_kwh": "10400"}], [4, 5]),
    ]
    assert [(r["line"], r["code"]) for r in refused] == [(7, "dso_file.line"), (8, "reading.kind")]
    # The header decides the separator; a file without the documented columns is refused whole.
    assert rules.parse_dso_csv("ean;register;reading_date;value_kwh;kind\n541449011000000011;single;2027-03-01;1;opening\n")[0][0]["kind"] == "opening"
    with pytest.raises(DomainError) as refused_file:
        rules.parse_dso_csv("EAN;Datum;Stand\n1;2;3\n")
    assert refused_file.value.code == "dso_file.columns"
