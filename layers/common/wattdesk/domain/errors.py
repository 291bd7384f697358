"""Domain errors shared by every validator."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """A business rule was violated.

    ``code`` is a stable machine code (e.g. ``"ean.check_digit"``) that
    callers and UIs can switch on; ``message`` is for humans and may change.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Dotted path of the offending input (e.g. "customer.iban"), if known.
        self.field = field

    def with_field(self, field: str) -> DomainError:
        """Return a copy bound to ``field`` (validators rarely know their field)."""
        return DomainError(self.code, self.message, field)

    def to_problem(self) -> ValidationProblem:
        return ValidationProblem(field=self.field, code=self.code, message=self.message)

    def __repr__(self) -> str:
        return f"DomainError(code={self.code!r}, field={self.field!r}, message={self.message!r})"


@dataclass(frozen=True, slots=True)
class ValidationProblem:
    """One problem found by a validator that reports all problems at once."""

    field: str | None
    code: str
    message: str
