"""Belgian postal codes and their region."""

from __future__ import annotations

from importlib.resources import files

import pytest

from wattdesk.domain.errors import DomainError
from wattdesk.domain.postcodes import all_postcodes, is_valid_postcode, municipality_of, region_of, validate_postcode

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "code",
    ["1000", "1050", "1180", "1300", "1348", "1500", "2000", "2018", "3000", "3500", "4000", "4700", "5000", "6000", "6700", "7000", "8000", "8400", "9000", "9992"],
)
def test_common_postcodes_exist(code: str) -> None:
    assert validate_postcode(code) == code
    assert is_valid_postcode(code)


@pytest.mark.parametrize("value", [" 1000 ", "B-1000", "b-1000", "BE-1000", "B1000"])
def test_validate_postcode_accepts_usual_spellings(value: str) -> None:
    assert validate_postcode(value) == "1000"


@pytest.mark.parametrize("code", ["1001", "1099", "1100", "1299", "4999", "9993", "9999", "0999", "2001", "5999"])
def test_codes_that_do_not_exist_are_unknown(code: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_postcode(code)
    assert info.value.code == "postcode.unknown"
    assert not is_valid_postcode(code)


@pytest.mark.parametrize("value", ["", "100", "10000", "ABCD", "10 00", "NL-1000", "1000 Brussel", "١٠٠٠"])
def test_malformed_postcodes_are_rejected(value: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_postcode(value)
    assert info.value.code == "postcode.format"


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("1000", "brussels"),
        ("1210", "brussels"),
        ("1300", "wallonia"),  # Walloon Brabant starts at 1300
        ("1495", "wallonia"),
        ("1500", "flanders"),  # Flemish Brabant starts at 1500
        ("1640", "flanders"),
        ("3000", "flanders"),
        ("3990", "flanders"),
        ("4000", "wallonia"),
        ("4700", "wallonia"),  # Eupen: German-speaking, Walloon region
        ("6000", "wallonia"),
        ("7780", "wallonia"),
        ("8000", "flanders"),
        ("9000", "flanders"),
        ("9992", "flanders"),
    ],
)
def test_region_of_follows_the_official_ranges(code: str, region: str) -> None:
    assert region_of(code) == region


def test_region_of_refuses_unknown_codes() -> None:
    with pytest.raises(DomainError) as info:
        region_of("1001")
    assert info.value.code == "postcode.unknown"


@pytest.mark.parametrize(("code", "name"), [("1000", "Bruxelles"), ("2000", "Antwerpen"), ("4000", "Liège"), ("9000", "Gent"), ("9992", "Maldegem")])
def test_municipality_of_gives_the_local_name(code: str, name: str) -> None:
    assert municipality_of(code) == name


def test_the_list_is_the_real_bpost_list_not_a_range() -> None:
    codes = all_postcodes()
    assert 1100 <= len(codes) <= 1200
    assert all(len(code) == 4 and code.isdigit() and 1000 <= int(code) <= 9992 for code in codes)
    assert {region_of(code) for code in codes} == {"brussels", "flanders", "wallonia"}
    # Brussels has exactly 22 geographic codes.
    assert len([code for code in codes if region_of(code) == "brussels"]) == 22


def test_data_file_is_sorted_unique_and_every_line_has_a_name() -> None:
    text = files("wattdesk.domain").joinpath("data", "be_postcodes.txt").read_text(encoding="utf-8")
    rows = [line.split(";") for line in text.splitlines() if line and not line.startswith("#")]
    assert all(len(row) == 2 and row[1].strip() for row in rows)
    codes = [row[0] for row in rows]
    assert codes == sorted(set(codes))
