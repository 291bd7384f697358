"""WattDesk domain: pure business rules.

Everything in this package is pure: no AWS SDK, no network or file I/O
(package data read through importlib.resources excepted), no clock reads
(dates are always parameters) and no floats (money is decimal.Decimal).
That keeps it deterministic and testable without any emulation.
"""
