"""Schedule expressions fall due when EventBridge Scheduler would fire them."""

from datetime import UTC, datetime, timedelta

import pytest

from wattdesk_local.schedules import ScheduleExpressionError, occurrences, scheduler_input

pytestmark = pytest.mark.unit
ANCHOR = datetime(2027, 1, 1, tzinfo=UTC)


def test_brussels_morning_follows_daylight_saving_time():
    # 06:00 in Brussels is 05:00 UTC in winter and 04:00 UTC in summer.
    winter = occurrences("cron(0 6 * * ? *)", "Europe/Brussels", datetime(2027, 1, 10, tzinfo=UTC), datetime(2027, 1, 11, 12, tzinfo=UTC), ANCHOR)
    summer = occurrences("cron(0 6 * * ? *)", "Europe/Brussels", datetime(2027, 7, 10, tzinfo=UTC), datetime(2027, 7, 11, 12, tzinfo=UTC), ANCHOR)
    assert winter == [datetime(2027, 1, 10, 5, tzinfo=UTC), datetime(2027, 1, 11, 5, tzinfo=UTC)]
    assert summer == [datetime(2027, 7, 10, 4, tzinfo=UTC), datetime(2027, 7, 11, 4, tzinfo=UTC)]


def test_monthly_billing_cron_fires_on_the_first_of_each_month():
    found = occurrences("cron(0 6 1 * ? *)", "Europe/Brussels", datetime(2027, 1, 1, 6, tzinfo=UTC), datetime(2027, 4, 30, tzinfo=UTC), ANCHOR)
    assert [instant.date().isoformat() for instant in found] == ["2027-02-01", "2027-03-01", "2027-04-01"]
    # April is in summer time: 06:00 Brussels = 04:00 UTC.
    assert found[-1].hour == 4


def test_day_of_week_numbers_count_from_sunday_as_in_eventbridge():
    # 2 = Monday in EventBridge (1 = Sunday); MON spelled out gives the same days.
    by_number = occurrences("cron(0 6 ? * 2 *)", "Europe/Brussels", datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC), ANCHOR)
    by_name = occurrences("cron(0 6 ? * MON *)", "Europe/Brussels", datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC), ANCHOR)
    assert by_number == by_name
    assert {instant.weekday() for instant in by_number} == {0}
    assert len(by_number) == 4


def test_year_field_limits_occurrences():
    found = occurrences("cron(0 12 1 1 ? 2028)", "UTC", datetime(2027, 1, 1, tzinfo=UTC), datetime(2029, 12, 31, tzinfo=UTC), ANCHOR)
    assert found == [datetime(2028, 1, 1, 12, tzinfo=UTC)]


def test_interval_is_open_at_the_start_and_closed_at_the_end():
    instant = datetime(2027, 1, 4, 5, tzinfo=UTC)
    assert occurrences("cron(0 6 ? * MON *)", "Europe/Brussels", instant, instant + timedelta(days=6), ANCHOR) == []
    assert occurrences("cron(0 6 ? * MON *)", "Europe/Brussels", instant - timedelta(seconds=1), instant, ANCHOR) == [instant]


def test_rate_counts_from_the_anchor():
    found = occurrences("rate(6 hours)", "UTC", ANCHOR + timedelta(hours=1), ANCHOR + timedelta(days=1), ANCHOR)
    assert found == [ANCHOR + timedelta(hours=h) for h in (6, 12, 18, 24)]


def test_at_expression_fires_once_in_its_time_zone():
    found = occurrences("at(2027-03-01T09:30:00)", "Europe/Brussels", ANCHOR, datetime(2027, 12, 31, tzinfo=UTC), ANCHOR)
    assert found == [datetime(2027, 3, 1, 8, 30, tzinfo=UTC)]


@pytest.mark.parametrize("expression", ["cron(0 6 * *)", "every day", "rate(five minutes)"])
def test_bad_expressions_are_refused(expression):
    with pytest.raises((ScheduleExpressionError, ValueError)):
        occurrences(expression, "UTC", ANCHOR, ANCHOR + timedelta(days=1), ANCHOR)


def test_scheduler_context_attributes_are_filled_in():
    text = scheduler_input('{"as_of": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>"}', datetime(2027, 2, 1, 5, tzinfo=UTC), "arn", "x-1")
    assert text == '{"as_of": "2027-02-01T05:00:00Z", "id": "x-1"}'
