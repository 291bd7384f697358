"""Complaint rules: the 5-working-day first response, SLA states, what may resolve a complaint,
retention, attachments, erasure scrubbing, and the monthly report's aggregation and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from wattdesk.adapters.report_chart import complaints_chart_svg
from wattdesk.domain import complaint_report as report
from wattdesk.domain import complaints as rules
from wattdesk.domain.errors import DomainError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("arrival", "deadline", "why"),
    [
        (date(2027, 3, 1), date(2027, 3, 8), "Monday: the Monday after"),
        (date(2027, 3, 5), date(2027, 3, 12), "Friday: the next Friday, the weekend skipped"),
        (date(2027, 3, 6), date(2027, 3, 12), "Saturday: counting starts on Monday"),
        (date(2027, 3, 7), date(2027, 3, 12), "Sunday: counting starts on Monday"),
        (date(2027, 3, 24), date(2027, 4, 1), "Wednesday before Easter: Easter Monday 29 March skipped"),
        (date(2027, 3, 26), date(2027, 4, 5), "Good Friday is a working day; Easter Monday is not"),
        (date(2027, 7, 16), date(2027, 7, 26), "21 July (a Wednesday) skipped"),
        (date(2027, 7, 20), date(2027, 7, 28), "the day before the National Day"),
        (date(2026, 12, 22), date(2026, 12, 30), "Christmas (a Friday) skipped"),
        (date(2026, 12, 24), date(2027, 1, 4), "Christmas and New Year both skipped"),
        (date(2027, 12, 23), date(2027, 12, 30), "Christmas 2027 on a Saturday: no substitute day"),
    ],
)
def test_first_response_deadline_counts_five_belgian_working_days(arrival, deadline, why):
    assert rules.first_response_deadline(arrival) == deadline, why


def test_sla_states_around_the_deadline():
    arrival = date(2027, 3, 24)
    deadline = rules.first_response_deadline(arrival)  # Thursday 1 April
    assert rules.sla_state(deadline, None, date(2027, 3, 25)) == rules.ON_TRACK
    assert rules.working_days_left(deadline, date(2027, 3, 29)) == 3  # Easter Monday does not count
    assert rules.sla_state(deadline, None, date(2027, 3, 30)) == rules.ON_TRACK
    assert rules.working_days_left(deadline, date(2027, 3, 31)) == 1
    assert rules.sla_state(deadline, None, date(2027, 3, 31)) == rules.DUE_SOON  # 1 working day left
    assert rules.sla_state(deadline, None, deadline) == rules.DUE_SOON  # the deadline day itself
    assert rules.sla_state(deadline, None, date(2027, 4, 2)) == rules.BREACHED
    assert rules.sla_state(deadline, deadline, date(2027, 4, 20)) == rules.MET
    assert rules.sla_state(deadline, date(2027, 4, 2), date(2027, 4, 2)) == rules.BREACHED  # answered late


def test_queue_ranks_put_breached_then_due_soon_first():
    ranks = {state: rules.queue_rank(state, False) for state in (rules.BREACHED, rules.DUE_SOON, rules.ON_TRACK)}
    assert ranks[rules.BREACHED] < ranks[rules.DUE_SOON] < ranks[rules.ON_TRACK] < rules.queue_rank(rules.BREACHED, True)


def test_arrival_is_the_report_date_for_operators_and_the_submission_for_the_web_form():
    today = date(2027, 3, 3)
    assert rules.arrival_date("web_form", date(2027, 2, 1), today) == today
    assert rules.arrival_date("letter", date(2027, 3, 1), today) == date(2027, 3, 1)
    with pytest.raises(DomainError) as error:
        rules.arrival_date("phone", date(2027, 3, 4), today)
    assert error.value.code == "reported_on.future"


def test_resolutions_follow_the_assessment():
    with pytest.raises(DomainError, match="Assess"):
        rules.check_resolution(None, "compensation", [])
    rules.check_resolution("admissible", "compensation", ["reprimand"])
    with pytest.raises(DomainError) as error:
        rules.check_resolution("dissatisfaction", "compensation", [])
    assert error.value.code == "resolution.not_allowed"
    rules.check_resolution("dissatisfaction", "explanation", [])
    with pytest.raises(DomainError) as error:
        rules.check_resolution("admissible", "reprimand", ["reprimand"])
    assert error.value.code == "resolution.already_recorded"


@pytest.mark.parametrize(("amount", "code"), [("0", "compensation.amount"), ("-5", "compensation.amount"), ("1000.01", "compensation.too_high"), ("1.234", "compensation.cents")])
def test_compensation_amount_bounds(amount, code):
    from decimal import Decimal

    with pytest.raises(DomainError) as error:
        rules.check_compensation(Decimal(amount))
    assert error.value.code == code


def test_closing_needs_summary_measures_assessment_and_a_resolution():
    with pytest.raises(DomainError) as error:
        rules.check_closing("admissible", ["reprimand"], "Handled.", "  ")
    assert error.value.field == "measures"
    with pytest.raises(DomainError) as error:
        rules.check_closing("admissible", ["reprimand"], "", "Training.")
    assert error.value.field == "summary"
    with pytest.raises(DomainError) as error:
        rules.check_closing("dissatisfaction", [], "Handled.", "Training.")
    assert error.value.code == "close.resolution_required"
    rules.check_closing("dissatisfaction", ["explanation"], "Handled.", "Training.")


def test_retention_ends_five_years_after_closing_never_earlier():
    assert rules.retention_end(date(2027, 6, 15)) == date(2032, 6, 15)
    assert rules.retention_end(date(2028, 2, 29)) == date(2033, 3, 1)


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.mark.parametrize(("declared", "data", "expected"), [("application/pdf", PDF, "application/pdf"), ("image/png", PNG, "image/png"), ("image/jpg", JPEG, "image/jpeg")])
def test_attachments_are_accepted_when_the_bytes_match(declared, data, expected):
    assert rules.check_attachment(declared, data, "attachments[0]") == expected


@pytest.mark.parametrize(
    ("declared", "data", "code"),
    [
        ("application/pdf", PNG, "attachment.content"),  # renamed image
        ("image/png", b"<html><script>alert(1)</script>", "attachment.content"),
        ("text/html", b"<html>", "attachment.type"),
        ("application/x-msdownload", b"MZ\x90\x00", "attachment.type"),
        ("application/pdf", b"", "attachment.empty"),
    ],
)
def test_attachments_are_refused_when_type_or_content_is_wrong(declared, data, code):
    with pytest.raises(DomainError) as error:
        rules.check_attachment(declared, data, "attachments[0]")
    assert error.value.code == code and error.value.field == "attachments[0]"


def test_attachment_count_and_total_size_are_limited():
    rules.check_attachment_sizes([rules.MAX_ATTACHMENT_BYTES])
    with pytest.raises(DomainError, match="at most 4 MB"):
        rules.check_attachment_sizes([rules.MAX_ATTACHMENT_BYTES // 2, rules.MAX_ATTACHMENT_BYTES // 2 + 1])
    with pytest.raises(DomainError) as error:
        rules.check_attachment_sizes([1, 1, 1, 1])
    assert error.value.code == "attachment.count"


def test_scrub_removes_the_persons_identifiers_as_whole_words():
    text = "Called Jan Peeters (jan.peeters@example.org) in January; Peeters agreed. Kerkstraat 5 checked."
    scrubbed = rules.scrub(text, ["Jan Peeters", "jan.peeters@example.org", "+3291234567", "Kerkstraat 5"])
    assert "Peeters" not in scrubbed and "jan.peeters" not in scrubbed and "Kerkstraat" not in scrubbed
    assert "January" in scrubbed  # "Jan" only as a whole word


# ------------------------------------------------------------------ report aggregation
def facts(number, registered, nature, assessment=None, closed=False, first=None, breach=False, channel="web_form"):
    registered = date.fromisoformat(registered)
    return report.ComplaintFacts(
        number=number, registered_on=registered, arrival_on=registered, nature=nature, channel=channel, assessment=assessment, closed=closed,
        deadline=rules.first_response_deadline(registered), first_response_on=date.fromisoformat(first) if first else None, breach_recorded=breach,
    )


MARCH = [
    facts("C-2027-000001", "2027-03-01", "billing", "admissible", True, "2027-03-03"),  # 2 days, 2 working days
    facts("C-2027-000002", "2027-03-05", "billing", "dissatisfaction", True, "2027-03-12"),  # Fri -> Fri: 7 days, 5 working days, met
    facts("C-2027-000003", "2027-03-10", "meter_reading", "admissible", False, "2027-03-18"),  # 8 days, 6 working days: breached
    facts("C-2027-000004", "2027-03-24", "sales_conduct"),  # deadline 1 April: no answer
    facts("C-2027-000005", "2027-03-30", "other", "dissatisfaction"),  # deadline 6 April
    facts("C-2027-000099", "2027-04-01", "billing"),  # April: not in March's report
]


def test_report_aggregates_one_month_by_registration_date():
    result = report.aggregate("2027-03", MARCH, as_of=date(2027, 4, 2))
    assert result["total"] == 5
    assert result["by_nature"] == {"billing": 2, "meter_reading": 1, "contract": 0, "payment": 0, "sales_conduct": 1, "service": 0, "other": 1}
    assert result["assessment"] == {"admissible": 2, "inadmissible": 2, "not_assessed": 1}
    assert result["status"] == {"open": 3, "closed": 2}
    # met: 1, 2; breached: 3 (late) and 4 (deadline 1 April passed on 2 April); pending: 5 (due 6 April).
    assert result["first_response_sla"] == {"met": 2, "breached": 2, "pending": 1}
    assert result["median_days_to_first_response"] == "7.0"  # of 2, 7, 8
    assert result["median_working_days_to_first_response"] == "5.0"  # of 2, 5, 6


def test_a_recorded_breach_counts_even_when_answered_in_time_later_on_the_books():
    result = report.aggregate("2027-03", [facts("C-1", "2027-03-01", "service", first="2027-03-02", breach=True)], as_of=date(2027, 4, 1))
    assert result["first_response_sla"] == {"met": 0, "breached": 1, "pending": 0}


def test_empty_month_reports_zeros_and_no_median():
    result = report.aggregate("2027-02", MARCH, as_of=date(2027, 4, 1))
    assert result["total"] == 0 and set(result["by_nature"].values()) == {0}
    assert result["median_days_to_first_response"] is None


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    two = [facts("C-1", "2027-03-01", "billing", first="2027-03-02"), facts("C-2", "2027-03-01", "billing", first="2027-03-04")]
    assert report.aggregate("2027-03", two, as_of=date(2027, 4, 1))["median_days_to_first_response"] == "2.0"
    three_and_four = [facts("C-1", "2027-03-01", "billing", first="2027-03-04"), facts("C-2", "2027-03-01", "billing", first="2027-03-05")]
    assert report.aggregate("2027-03", three_and_four, as_of=date(2027, 4, 1))["median_days_to_first_response"] == "3.5"


@pytest.mark.parametrize("month", ["2027-13", "2027-3", "27-03", "", "2027-03-01"])
def test_month_must_be_yyyy_mm(month):
    with pytest.raises(DomainError):
        report.parse_month(month)


def test_previous_month_crosses_the_year():
    assert report.previous_month(date(2027, 1, 1)) == "2026-12"
    assert report.previous_month(date(2027, 4, 1)) == "2027-03"


@pytest.mark.parametrize(("value", "cell"), [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+32", "'+32"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("team:billing", "team:billing"), (5, "5"), (None, "")])
def test_csv_cells_cannot_start_a_formula(value, cell):
    assert report.csv_cell(value) == cell


def test_report_csv_has_one_row_per_figure():
    data = report.aggregate("2027-03", MARCH, as_of=date(2027, 4, 2))
    rows = list(csv.reader(io.StringIO(report.report_csv(data))))
    assert rows[0] == ["section", "item", "value"]
    assert ["complaints", "total", "5"] in rows and ["nature", "billing", "2"] in rows and ["first_response_sla", "breached", "2"] in rows
    listing = list(csv.reader(io.StringIO(report.listing_csv([["C-1", "2027-03-01", "billing", "phone", "=cmd|' /C calc'!A0", "open", "", "", "2027-03-08", "on_track"]]))))
    assert listing[1][4] == "'=cmd|' /C calc'!A0"


def test_chart_is_svg_with_every_figure_written_out():
    from xml.etree import ElementTree

    data = report.aggregate("2027-03", MARCH, as_of=date(2027, 4, 1))
    svg = complaints_chart_svg(data)
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Complaints 2027-03: 5 registered" in texts
    assert texts.count("2") >= 3  # billing 2, met 2, breached 2


def test_template_keeps_attachments_five_years_after_closing_and_only_the_form_is_public():
    from support import ROOT
    from wattdesk_local.template import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    lifecycle = resources["DocumentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    rule = next(rule for rule in lifecycle if rule["Id"] == "ExpireClosedComplaintAttachments")
    assert rule["Prefix"] == "complaints/attachments/" and rule["TagFilters"] == [{"Key": "retention", "Value": "complaint-closed"}]
    assert rule["ExpirationInDays"] >= 5 * 365 + 2  # never before 5 years, leap days included
    schedules = resources["ComplaintsSweepsFunction"]["Properties"]["Events"]
    assert {event["Type"] for event in schedules.values()} == {"ScheduleV2"}
    assert {event["Properties"]["ScheduleExpressionTimezone"] for event in schedules.values()} == {"Europe/Brussels"}
    routes = resources["ComplaintsApiFunction"]["Properties"]["Events"]
    public = [event["Properties"]["Path"] for event in routes.values() if "Auth" not in event["Properties"]]
    assert public == ["/complaints"]
    assert all(event["Properties"]["Auth"] == {"Authorizer": "CognitoAuthorizer"} for event in routes.values() if event["Properties"]["Path"] != "/complaints")
