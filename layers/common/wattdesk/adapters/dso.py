"""The grid operator (DSO): validation of delivery points for an enrollment, and its register.

Contract (the same on AWS and locally):
  * request_validation(enrollment_id, points): the supplier asks; the answer comes later.
  * answer(points) -> DsoAnswer: accepted with an estimated annual consumption (EAV) per EAN, or
    rejected with a reason code (`dso.ean_unknown`, `dso.ean_other_address`).
  * register(ean) -> DsoRegisterEntry | None: the address and holder the DSO has on file.
On AWS the request/answer travel over the market's B2B messaging; that gateway is not part of
this code base yet, so the only implementation is the simulator below (template parameter
DsoMode, allowed value `simulated`).

The simulator is deterministic per EAN, so tests choose an outcome by the EAN they use
(digits 15-17, the three before the check digit):
  999 -> rejected, unknown EAN;  998 -> rejected, EAN belongs to another address;
  997 -> accepted, but the register holds another address (Wetstraat 16, 1000 Brussel, holder "Janssens");
  anything else -> accepted, EAV electricity 1,500-4,999 kWh, gas 8,000-22,999 kWh from the EAN's digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wattdesk.domain.enrollment_rules import DsoRegisterEntry


@dataclass(frozen=True)
class DsoPoint:
    ean: str
    energy: str


@dataclass(frozen=True)
class DsoAnswer:
    accepted: bool
    eav_kwh: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    message: str | None = None

    def as_result(self) -> dict:
        if self.accepted:
            return {"action": "dso_accepted", "eav_kwh": self.eav_kwh}
        return {"action": "dso_rejected", "reason": self.reason, "message": self.message}


class SimulatedDso:
    def answer(self, points: list[DsoPoint]) -> DsoAnswer:
        for point in points:
            marker = point.ean[14:17]
            if marker == "999":
                return DsoAnswer(False, reason="dso.ean_unknown", message=f"The grid operator does not know EAN {point.ean}.")
            if marker == "998":
                return DsoAnswer(False, reason="dso.ean_other_address", message=f"EAN {point.ean} belongs to another address.")
        return DsoAnswer(True, eav_kwh={point.ean: self.estimated_consumption(point) for point in points})

    @staticmethod
    def estimated_consumption(point: DsoPoint) -> int:
        spread = int(point.ean[8:17])
        return 8_000 + spread % 15_000 if point.energy == "gas" else 1_500 + spread % 3_500

    @staticmethod
    def register(ean: str) -> DsoRegisterEntry | None:
        if ean[14:17] == "997":
            return DsoRegisterEntry(postcode="1000", street="Wetstraat", number="16", holder_name="Janssens")
        return None


def gateway() -> SimulatedDso:
    return SimulatedDso()
