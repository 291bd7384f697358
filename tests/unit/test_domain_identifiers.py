"""EAN (GSRN) delivery point codes, IBANs and structured communications (OGM)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from wattdesk.domain.ean import ean_with_check_digit, is_valid_ean, validate_ean
from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import is_valid_iban, mask_iban, validate_iban
from wattdesk.domain.ogm import make_ogm, ogm_digits, validate_ogm

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=200, deadline=None, database=None)

VALID_EAN = "541414930000123454"
VALID_IBAN = "BE71096123456769"


def _other_digit(digit: str, shift: int) -> str:
    """A digit different from ``digit`` (shift in 1..9)."""
    return str((int(digit) + shift) % 10)


# --- EAN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [VALID_EAN, "5414 1493 0000 1234 54", " 541414930000123454 ", "54-1414-9300-0012-3454"])
def test_validate_ean_accepts_and_normalises(value: str) -> None:
    assert validate_ean(value) == VALID_EAN
    assert is_valid_ean(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("541414930000123455", "ean.check_digit"),
        ("541414930000123445", "ean.check_digit"),  # last two digits swapped
        ("541414930000123354", "ean.check_digit"),  # one digit mistyped
        ("54141493000012345", "ean.format"),  # 17 digits
        ("5414149300001234545", "ean.format"),  # 19 digits
        ("54141493000012345A", "ean.format"),
        ("", "ean.format"),
        ("٥٤١٤١٤٩٣٠٠٠٠١٢٣٤٥٤", "ean.format"),  # Arabic-Indic digits are not accepted
        (ean_with_check_digit("87141493000012345"), "ean.prefix"),  # valid Dutch GS1 number
    ],
)
def test_validate_ean_rejects_with_a_precise_code(value: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_ean(value)
    assert info.value.code == code
    assert not is_valid_ean(value)


def test_ean_with_check_digit_matches_the_known_example() -> None:
    assert ean_with_check_digit("54141493000012345") == VALID_EAN


@pytest.mark.parametrize("bad", ["5414149300001234", "541414930000123454", "5414149300001234X"])
def test_ean_with_check_digit_needs_17_digits(bad: str) -> None:
    with pytest.raises(DomainError) as info:
        ean_with_check_digit(bad)
    assert info.value.code == "ean.format"


belgian_ean_bodies = st.text(alphabet="0123456789", min_size=15, max_size=15).map(lambda s: "54" + s)


@PROPERTY
@given(belgian_ean_bodies, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_generated_eans_are_valid_and_any_single_digit_change_is_caught(body: str, position: int, shift: int) -> None:
    ean = ean_with_check_digit(body)
    assert validate_ean(ean) == ean
    typo = ean[:position] + _other_digit(ean[position], shift) + ean[position + 1 :]
    assert not is_valid_ean(typo)


# --- IBAN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (VALID_IBAN, VALID_IBAN),
        ("BE71 0961 2345 6769", VALID_IBAN),
        ("be71 0961 2345 6769", VALID_IBAN),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
    ],
)
def test_validate_iban_returns_compact_upper_case(value: str, expected: str) -> None:
    assert validate_iban(value) == expected
    assert is_valid_iban(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("BE72096123456769", "iban.invalid"),  # wrong ISO check digits
        ("BE7109612345676", "iban.invalid"),  # too short
        ("XX71096123456769", "iban.invalid"),  # unknown country
        ("BE71O96123456769", "iban.invalid"),  # letter O instead of zero
        ("", "iban.invalid"),
        ("BR1800360305000010009795493C1", "iban.not_sepa"),  # valid, but Brazil is outside SEPA
        (str(IBAN.from_bban("BE", "096123456768")), "iban.be_national_check"),  # ISO check fine, account check wrong
    ],
)
def test_validate_iban_rejects_with_a_precise_code(value: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_iban(value)
    assert info.value.code == code
    assert not is_valid_iban(value)


def test_mask_iban_keeps_country_check_digits_and_last_four() -> None:
    assert mask_iban(VALID_IBAN) == "BE71 **** **** 6769"
    assert mask_iban("be71 0961 2345 6769") == "BE71 **** **** 6769"
    # Same groups of four as the printed IBAN, so the last four may straddle a group.
    assert mask_iban("NL91ABNA0417164300") == "NL91 **** **** **43 00"
    assert mask_iban("BE71") == "****"


@PROPERTY
@given(
    st.text(alphabet="0123456789", min_size=10, max_size=10),
    st.integers(min_value=4, max_value=15),
    st.integers(min_value=1, max_value=9),
)
def test_generated_belgian_ibans_are_valid_and_a_typo_is_caught(bank_and_account: str, position: int, shift: int) -> None:
    bank, account = bank_and_account[:3], bank_and_account[3:]
    iban = IBAN.generate("BE", bank_code=bank, account_code=account)
    # The Belgian account number ends in its own mod-97 check (0 -> 97).
    assert iban.compact[-2:] == f"{int(bank_and_account) % 97 or 97:02d}"
    assert validate_iban(iban.formatted) == iban.compact
    typo = iban.compact[:position] + _other_digit(iban.compact[position], shift) + iban.compact[position + 1 :]
    with pytest.raises(DomainError) as info:
        validate_iban(typo)
    assert info.value.code in {"iban.invalid", "iban.be_national_check"}


# --- OGM ----------------------------------------------------------------------------------------


def test_make_ogm_formats_with_pluses_and_mod_97_check() -> None:
    assert make_ogm(1234567890) == "+++123/4567/89002+++"
    assert make_ogm(108068171) == "+++010/8068/17183+++"
    assert make_ogm(97) == "+++000/0000/09797+++"  # base divisible by 97 -> check 97, never 00
    assert make_ogm(0) == "+++000/0000/00097+++"


@pytest.mark.parametrize("bad", [-1, 10**10, True, "1234567890"])
def test_make_ogm_rejects_bases_that_are_not_10_digit_integers(bad: object) -> None:
    with pytest.raises(DomainError) as info:
        make_ogm(bad)  # type: ignore[arg-type]
    assert info.value.code == "ogm.format"


@pytest.mark.parametrize(
    "value",
    ["+++010/8068/17183+++", "***010/8068/17183***", "010/8068/17183", "010806817183", " +++ 010 / 8068 / 17183 +++ ", "+++010806817183+++"],
)
def test_validate_ogm_accepts_usual_spellings(value: str) -> None:
    assert validate_ogm(value) == "+++010/8068/17183+++"
    assert ogm_digits(value) == "010806817183"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("+++010/8068/17180+++", "ogm.check"),
        ("010806817184", "ogm.check"),
        ("000000000000", "ogm.check"),
        ("+++010/8068/1718+++", "ogm.format"),  # 11 digits
        ("+++010/8068/171833+++", "ogm.format"),  # 13 digits
        ("+++010/8068/17183***", "ogm.format"),  # mixed delimiters
        ("+++010/8068/17183", "ogm.format"),  # unbalanced
        ("++010/8068/17183++", "ogm.format"),
        ("010-8068-17183", "ogm.format"),
        ("abc/defg/hijkl", "ogm.format"),
        ("", "ogm.format"),
    ],
)
def test_validate_ogm_rejects_with_a_precise_code(value: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_ogm(value)
    assert info.value.code == code


@PROPERTY
@given(st.integers(min_value=0, max_value=10**10 - 1), st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=9))
def test_ogm_round_trip_and_single_digit_typos(base: int, position: int, shift: int) -> None:
    ogm = make_ogm(base)
    digits = ogm_digits(ogm)
    assert digits[:10] == f"{base:010d}"
    assert validate_ogm(ogm) == ogm
    assert validate_ogm(digits) == ogm
    assert validate_ogm(ogm.replace("+", "*")) == ogm
    typo = digits[:position] + _other_digit(digits[position], shift) + digits[position + 1 :]
    with pytest.raises(DomainError) as info:
        validate_ogm(typo)
    assert info.value.code == "ogm.check"
