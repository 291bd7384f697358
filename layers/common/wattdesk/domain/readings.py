"""Meter readings: their shape, plausibility, estimation and the consumption between two readings.

A reading dated D is the meter's index at the start of day D, so the consumption "between the
readings of D1 and D2" is the energy of the days ``[D1, D2)``, the half-open periods of
``pricing``. Values are whole kWh (m3 converted to kWh by the DSO for gas) per register.

Plausibility (``check_plausibility``), thresholds in ``PLAUSIBILITY_BANDS`` (configuration kept
with the rules, like the catalogue's credits; ops change them here):

1. The register set is the meter type's (``catalogue.REGISTERS``): single -> single; dual ->
   day + night; exclusive_night -> single + exclusive_night. A wrong set is refused outright
   (``reading.registers``): there is nothing to store per register.
2. No register lower than the previous actual reading of the same meter
   (``reading.lower_than_previous``). A meter change starts a new meter (``meter_no`` + 1) whose
   opening reading is the new base, so a lower value on the new meter is fine.
3. The consumption per register since the previous actual reading lies within the band around
   what the EAV predicts with the standard load profile (``load_profile``) for those days:
   ``lower * expected - tolerance <= consumed <= upper * expected + tolerance``
   (``reading.consumption_too_low`` / ``reading.consumption_too_high``). The tolerance in kWh
   keeps a reading a few days after the previous one from being judged on a handful of kWh.

A customer reading that fails 2 or 3 is stored as implausible with these problems (the customer
sees them) and waits for an operator; DSO readings are validated by the DSO and accepted as sent.

Estimation (``estimate``): from the last actual reading, each register goes up by
``EAV * register share * profile weight of the days in between``, rounded to whole kWh
(ROUND_HALF_UP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from wattdesk.domain.catalogue import REGISTERS
from wattdesk.domain.errors import DomainError
from wattdesk.domain.load_profile import expected_kwh

SOURCES = ("customer", "dso", "operator", "estimation")
# What a reading is for: a periodic (or settlement) reading, the contract's opening/closing,
# and the two readings of a meter change.
KINDS = ("periodic", "opening", "closing", "meter_removed", "meter_installed")
MAX_KWH = 99_999_999


@dataclass(frozen=True)
class PlausibilityBand:
    lower: Decimal  # factor of the expected consumption
    upper: Decimal
    tolerance_kwh: Decimal  # absolute slack, for short periods


PLAUSIBILITY_BANDS: dict[str, PlausibilityBand] = {
    "electricity": PlausibilityBand(Decimal("0.25"), Decimal("3.00"), Decimal("50")),
    "gas": PlausibilityBand(Decimal("0.25"), Decimal("3.00"), Decimal("300")),
}


@dataclass(frozen=True)
class Reading:
    """A reading as the rules see it. ``values``: register -> whole kWh."""

    reading_date: date
    values: Mapping[str, int]
    meter_no: int = 1
    source: str = "dso"
    kind: str = "periodic"
    estimated: bool = False


@dataclass(frozen=True)
class Problem:
    code: str
    register: str
    message: str
    expected_min: int | None = None
    expected_max: int | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "register": self.register, "message": self.message, "expected_min": self.expected_min, "expected_max": self.expected_max}


def registers_of(meter_type: str) -> tuple[str, ...]:
    shares = REGISTERS.get(meter_type)
    if shares is None:
        raise DomainError("reading.meter_type", f"unknown meter type {meter_type!r}")
    return tuple(shares)


def parse_values(meter_type: str, registers: Sequence[Mapping[str, str]], field_name: str = "registers") -> dict[str, int]:
    """``[{"register": "day", "value_kwh": "12345"}, ...]`` (the API's shape) as whole kWh per
    register, checked against the meter type (rule 1). Codes: reading.value, reading.registers."""
    values: dict[str, int] = {}
    for index, row in enumerate(registers):
        register, text = str(row.get("register", "")), str(row.get("value_kwh", "")).strip()
        if not text.isdigit() or int(text) > MAX_KWH:
            raise DomainError("reading.value", f"A meter value is a whole number of kWh (m3 for gas), e.g. 12345; got {text!r}.", f"{field_name}[{index}].value_kwh")
        if register in values:
            raise DomainError("reading.registers", f"Register {register} is given twice.", f"{field_name}[{index}].register")
        values[register] = int(text)
    expected = registers_of(meter_type)
    if set(values) != set(expected):
        raise DomainError(
            "reading.registers",
            f"A {meter_type} meter has the register(s) {', '.join(expected)}; the reading gives {', '.join(sorted(values)) or 'none'}.",
            field_name,
        )
    return values


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_range(eav_kwh: int, energy: str, meter_type: str, register: str, start: date, end: date, band: PlausibilityBand) -> tuple[int, int]:
    """(lowest, highest) plausible consumption of ``register`` over ``[start, end)``, whole kWh
    (the lowest rounded down to a floor of 0, the highest rounded half up)."""
    expected = expected_kwh(eav_kwh, energy, start, end) * REGISTERS[meter_type][register]
    lowest = max(Decimal(0), band.lower * expected - band.tolerance_kwh)
    highest = band.upper * expected + band.tolerance_kwh
    return int(lowest), _whole(highest)


def check_plausibility(
    values: Mapping[str, int], reading_date: date, previous: Reading | None, *, eav_kwh: int, energy: str, meter_type: str,
    meter_no: int = 1, bands: Mapping[str, PlausibilityBand] = PLAUSIBILITY_BANDS,
) -> list[Problem]:
    """The problems of a reading against the previous actual reading (rules 2 and 3); empty when
    plausible. No previous reading (the first one of the contract): nothing to compare."""
    if previous is None:
        return []
    if reading_date < previous.reading_date:
        return [Problem("reading.before_previous", "", f"The reading date {reading_date.isoformat()} is before the last reading ({previous.reading_date.isoformat()}).")]
    if previous.meter_no != meter_no:
        return []  # a new meter: its own opening reading is the base
    band = bands[energy]
    problems: list[Problem] = []
    for register in registers_of(meter_type):
        before, now = int(previous.values.get(register, 0)), int(values[register])
        if now < before:
            problems.append(Problem("reading.lower_than_previous", register, f"The {register} value {now} is lower than the previous reading {before} of {previous.reading_date.isoformat()}."))
            continue
        if reading_date == previous.reading_date:
            continue
        lowest, highest = expected_range(eav_kwh, energy, meter_type, register, previous.reading_date, reading_date, band)
        consumed = now - before
        if consumed > highest:
            problems.append(Problem("reading.consumption_too_high", register, f"{consumed} kWh on the {register} register since {previous.reading_date.isoformat()} is far above the expected at most {highest} kWh.", lowest, highest))
        elif consumed < lowest:
            problems.append(Problem("reading.consumption_too_low", register, f"{consumed} kWh on the {register} register since {previous.reading_date.isoformat()} is far below the expected at least {lowest} kWh.", lowest, highest))
    return problems


def estimate(last_actual: Reading, target: date, *, eav_kwh: int, energy: str, meter_type: str) -> Reading:
    """The estimated reading on ``target`` from the last actual reading (module docstring)."""
    if target < last_actual.reading_date:
        raise DomainError("reading.estimate_date", f"cannot estimate back in time ({target} < {last_actual.reading_date})")
    values = {
        register: int(last_actual.values[register]) + _whole(expected_kwh(eav_kwh, energy, last_actual.reading_date, target) * share)
        for register, share in REGISTERS[meter_type].items()
    }
    return Reading(target, values, last_actual.meter_no, "estimation", "periodic", estimated=True)


@dataclass(frozen=True)
class Consumption:
    kwh: dict[str, int]
    estimated: bool
    readings: tuple[Reading, ...] = field(default_factory=tuple)


def consumption(opening: Reading, closing: Reading, meter_changes: Sequence[tuple[Reading, Reading]] = ()) -> Consumption:
    """kWh per register from ``opening`` to ``closing``; a meter change in between is a pair
    (closing reading of the old meter, opening reading of the new one): the old meter counts up to
    its removal, the new one from its installation. Code: reading.negative (a later reading lower
    than an earlier one of the same meter)."""
    segments: list[tuple[Reading, Reading]] = []
    start = opening
    for removed, installed in sorted(meter_changes, key=lambda pair: pair[0].reading_date):
        segments.append((start, removed))
        start = installed
    segments.append((start, closing))
    totals: dict[str, int] = {register: 0 for register in opening.values}
    for first, last in segments:
        for register in totals:
            used = int(last.values[register]) - int(first.values[register])
            if used < 0:
                raise DomainError("reading.negative", f"register {register} goes down from {first.values[register]} ({first.reading_date}) to {last.values[register]} ({last.reading_date})")
            totals[register] += used
    estimated = opening.estimated or closing.estimated
    return Consumption(totals, estimated, (opening, *[r for pair in meter_changes for r in pair], closing))


# ------------------------------------------------------------------ the DSO's bulk file (CSV)
# One line per register: ean, register, reading_date (YYYY-MM-DD), value_kwh (whole kWh), kind.
# Separator "," or ";" (the header decides), UTF-8 with or without BOM, a header line first.
# kind: periodic | opening | closing | meter_removed | meter_installed (the old meter's closing
# and the new meter's opening on the same date make one meter change).
DSO_CSV_COLUMNS = ("ean", "register", "reading_date", "value_kwh", "kind")
DSO_CSV_KINDS = ("periodic", "opening", "closing", "meter_removed", "meter_installed")
DSO_CSV_MAX_LINES = 50_000


def parse_dso_csv(text: str) -> tuple[list[dict], list[dict]]:
    """The DSO's CSV as the messages ``services.readings.submit_dso`` takes (lines of one EAN,
    date and kind grouped into one reading; each message lists its ``lines``), and the lines
    refused while reading the file ({"line", "code", "message"}). The values themselves are
    checked by the same validation as every DSO message (EAN, kind, registers of the meter)."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    rows = list(reader)
    if not rows:
        raise DomainError("dso_file.empty", "The file is empty.", "file")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in DSO_CSV_COLUMNS if c not in header]
    if missing:
        raise DomainError("dso_file.columns", f"The header lacks the column(s) {', '.join(missing)}; expected {', '.join(DSO_CSV_COLUMNS)}.", "file")
    if len(rows) - 1 > DSO_CSV_MAX_LINES:
        raise DomainError("dso_file.too_long", f"At most {DSO_CSV_MAX_LINES} lines per file.", "file")
    at = {name: header.index(name) for name in DSO_CSV_COLUMNS}
    groups: dict[tuple[str, str, str], dict] = {}
    refused: list[dict] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            refused.append({"line": number, "code": "dso_file.line", "message": f"{len(row)} columns instead of {len(header)}."})
            continue
        cell = {name: row[index].strip() for name, index in at.items()}
        kind = cell["kind"].lower()
        if kind not in DSO_CSV_KINDS:
            refused.append({"line": number, "code": "reading.kind", "message": f"Unknown kind {cell['kind']!r}; one of {', '.join(DSO_CSV_KINDS)}."})
            continue
        try:
            date.fromisoformat(cell["reading_date"])
        except ValueError:
            refused.append({"line": number, "code": "reading.date", "message": f"The reading date is written YYYY-MM-DD; got {cell['reading_date']!r}."})
            continue
        message_kind = "meter_change" if kind.startswith("meter_") else kind
        message = groups.setdefault((cell["ean"], cell["reading_date"], message_kind), {
            "ean": cell["ean"], "reading_date": cell["reading_date"], "kind": message_kind, "registers": [], "lines": [],
            **({"removed_registers": []} if message_kind == "meter_change" else {}),
        })
        target = "removed_registers" if kind == "meter_removed" else "registers"
        message[target].append({"register": cell["register"].lower(), "value_kwh": cell["value_kwh"]})
        message["lines"].append(number)
    return list(groups.values()), refused
