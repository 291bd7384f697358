"""Powertools objects, built lazily so that importing a handler creates nothing.

Every log record passes through a formatter that masks IBANs, e-mail addresses, phone numbers
and Belgian national numbers, so no handler can leak them by accident.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_PII_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # IBAN: two letters, two check digits, 11-30 alphanumerics, spaces allowed in groups of four.
    # "RF" is no IBAN country (ISO 11649 creditor references, and our refund ids, start so).
    (re.compile(r"\b(?!RF)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"), "[IBAN]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[EMAIL]"),
    # Belgian national number: YY.MM.DD-XXX.CC or 11 digits.
    (re.compile(r"\b\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}\b"), "[NATIONAL_NUMBER]"),
    # Phone numbers: international or Belgian national format with separators.
    (re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[\s./-]?\(?\d{1,4}\)?(?:[\s./-]?\d{2,4}){2,4}"), "[PHONE]"),
    (re.compile(r"\b0\d{1,3}(?:[\s./-]?\d{2,3}){3}\b"), "[PHONE]"),
)


def mask_pii(text: str) -> str:
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFormatter(LambdaPowertoolsFormatter):
    def format(self, record) -> str:  # noqa: A003 - Powertools' name
        return mask_pii(super().format(record))


@cache
def logger() -> Logger:
    return Logger(logger_formatter=MaskingFormatter())


@cache
def tracer() -> Tracer:
    return Tracer()


@cache
def metrics() -> Metrics:
    return Metrics()


def log_fields(**fields: Any) -> dict[str, Any]:
    """Structured extra fields for a log line."""
    return {"extra": fields}


def lambda_handler(function):
    """Wraps a handler with Powertools' logger context and tracer on its first call, and flushes
    metrics after each call that recorded any.

    Building the wrappers on first call (not at import) keeps imports free of side effects.
    Metrics are flushed only when there are some: Powertools' log_metrics would warn on every
    empty flush, and silencing that through the warnings filters is not thread-safe.
    """
    import functools

    wrapped = None

    @functools.wraps(function)
    def entry(event, context):
        nonlocal wrapped
        if wrapped is None:
            wrapped = tracer().capture_lambda_handler(logger().inject_lambda_context(clear_state=True)(function))
        try:
            return wrapped(event, context)
        except Exception as exc:
            from wattdesk.errors import TransientError, transient_code

            code = None if isinstance(exc, TransientError) else transient_code(exc)
            if code is None:
                raise
            # Named so the definitions' Retry on TransientError applies (a throttled write is
            # worth another go, not a Catch); API handlers answer inside the resolver instead.
            raise TransientError(f"{type(exc).__name__}: {code}") from exc
        finally:
            if metrics().metric_set:
                metrics().flush_metrics()

    return entry
