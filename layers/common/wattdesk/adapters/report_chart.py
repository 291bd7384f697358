"""The monthly complaints report as an SVG chart for the monthly review (no dependency: SVG is text).

Two horizontal bar groups: complaints by nature, and the first-response SLA (met / breached /
pending). Every number is written next to its bar, so the chart reads without a legend and a
screen reader gets the same figures from the <title> and <desc>.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

NATURE_LABELS = {
    "billing": "Billing",
    "meter_reading": "Meter reading",
    "contract": "Contract / enrollment",
    "payment": "Payment / collection",
    "sales_conduct": "Sales conduct",
    "service": "Service",
    "other": "Other",
}
SLA_LABELS = {"met": "SLA met", "breached": "SLA breached", "pending": "Pending"}
SLA_COLOURS = {"met": "#2e7d32", "breached": "#c62828", "pending": "#9e9e9e"}

_WIDTH = 640
_LABEL_WIDTH = 190
_BAR_AREA = 360
_ROW = 26


def _bars(rows: list[tuple[str, int, str]], top: int, scale_max: int) -> list[str]:
    parts = []
    for index, (label, value, colour) in enumerate(rows):
        y = top + index * _ROW
        width = 0 if scale_max == 0 else round(_BAR_AREA * value / scale_max)
        parts.append(f'<text x="{_LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" class="label">{escape(label)}</text>')
        parts.append(f'<rect x="{_LABEL_WIDTH}" y="{y + 4}" width="{width}" height="16" fill="{colour}"><title>{escape(label)}: {value}</title></rect>')
        parts.append(f'<text x="{_LABEL_WIDTH + width + 6}" y="{y + 16}" class="value">{value}</text>')
    return parts


def complaints_chart_svg(report: dict) -> str:
    natures = [(NATURE_LABELS.get(nature, nature), count, "#1565c0") for nature, count in report["by_nature"].items()]
    sla = [(SLA_LABELS[key], report["first_response_sla"][key], SLA_COLOURS[key]) for key in ("met", "breached", "pending")]
    scale_max = max([count for _, count, _ in natures + sla] + [0])
    title = f"Complaints {report['month']}: {report['total']} registered"
    nature_top = 60
    sla_heading = nature_top + len(natures) * _ROW + 24
    sla_top = sla_heading + 12
    height = sla_top + len(sla) * _ROW + 40
    median = report.get("median_days_to_first_response")
    footer = f"Median days to first response: {median if median is not None else '-'}; as of {report['as_of']}"
    description = "; ".join(f"{label} {count}" for label, count, _ in natures + sla)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}" role="img" aria-labelledby="t d">',
        f'<title id="t">{escape(title)}</title>',
        f'<desc id="d">{escape(description)}</desc>',
        "<style>text{font-family:sans-serif;font-size:13px;fill:#1d2733}.h{font-size:15px;font-weight:bold}.label{font-size:12px}.value{font-size:12px}</style>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="16" y="26" class="h">{escape(title)}</text>',
        f'<text x="16" y="{nature_top - 8}" class="h">By nature</text>',
        *_bars(natures, nature_top, scale_max),
        f'<text x="16" y="{sla_heading}" class="h">First response within 5 working days</text>',
        *_bars(sla, sla_top, scale_max),
        f'<text x="16" y="{height - 14}">{escape(footer)}</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
