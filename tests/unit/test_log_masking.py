"""Logs never carry an IBAN, e-mail address, phone number or national number in clear."""

import io
import json
import logging

import pytest
from aws_lambda_powertools import Logger

from wattdesk.observability import MaskingFormatter, mask_pii

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        ("BE71096123456769", "[IBAN]"),
        ("BE71 0961 2345 6769", "[IBAN]"),
        ("NL91ABNA0417164300", "[IBAN]"),
        ("camille.dubois@example.org", "[EMAIL]"),
        ("+32 470 12 34 56", "[PHONE]"),
        ("0470/12.34.56", "[PHONE]"),
        ("+32 9 123 45 67", "[PHONE]"),
        ("86.04.12-123.45", "[NATIONAL_NUMBER]"),
        ("86041212345", "[NATIONAL_NUMBER]"),
    ],
)
def test_personal_data_is_replaced(secret, kind):
    masked = mask_pii(f"customer wrote: {secret} please")
    assert secret not in masked
    assert kind in masked


def test_ordinary_identifiers_stay_readable():
    text = "invoice 2027-A-000123 for EAN 541414930000123454 total 123.45 on 2027-01-01"
    assert mask_pii(text) == text
    # Refund ids (and ISO 11649 creditor references) start with RF + two digits, like an IBAN.
    refund = "refund RF12A4C5E6F7A8B9C0D1 sent"
    assert mask_pii(refund) == refund


def test_powertools_log_lines_are_masked():
    stream = io.StringIO()
    log = Logger(service="masking-test", logger_formatter=MaskingFormatter(), logger_handler=logging.StreamHandler(stream))
    log.info("mandate for BE71096123456769", extra={"email": "jan.peeters@example.org", "phone": "+32 470 12 34 56"})
    line = json.loads(stream.getvalue())
    assert "BE71096123456769" not in stream.getvalue()
    assert "jan.peeters@example.org" not in stream.getvalue()
    assert line["message"] == "mandate for [IBAN]"
    assert line["email"] == "[EMAIL]" and line["phone"] == "[PHONE]"
