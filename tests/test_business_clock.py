"""The SLA clock inside business hours: examples for each DST and closure edge, and properties.

The properties compare the cached, interval-based implementation with a plain reference written
here: an "is it open?" predicate read straight off the rules (the local wall clock and local date
of one instant), integrated minute by minute.  That is exact for the zones used, whose offsets
and transitions fall on whole minutes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import dateutil.tz
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy._business_clock import (
    MAX_INSTANT_US,
    business_due_at,
    business_time_between,
    calendar_for,
    from_us,
    to_us,
)
from notifpolicy._business_hours import BusinessHours, OpeningRange, read_business_hours
from notifpolicy._errors import ValidationError
from notifpolicy._loader import Reader

UTC = dt.UTC
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
US = dt.timedelta(microseconds=1)


def hours_of(weekly: dict[str, list[list[str]]], closed: tuple[str, ...] = ()) -> BusinessHours:
    r = Reader()
    hours = read_business_hours(r, {"weekly": weekly, "closed_dates": list(closed)})
    assert hours is not None, r.problems
    return hours


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def ams(
    y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0, *, fold: int = 0
) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=AMS, fold=fold)


WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


# -- the plain reference -----------------------------------------------------------------------


def ref_is_open(t: dt.datetime, hours: BusinessHours, zone: dt.tzinfo) -> bool:
    """Open iff the local wall clock is inside a range that belongs to the local date."""
    local = t.astimezone(zone)
    day = local.date()
    if day in hours.closed_dates:
        return False
    second = local.hour * 3600 + local.minute * 60 + local.second
    for r in hours.weekly.get(day.weekday(), ()):
        end = 1440 if r.crosses_midnight else r.end
        if r.start * 60 <= second < end * 60:
            return True
    # The after-midnight part of yesterday's overnight range belongs to today.
    for r in hours.weekly.get((day.weekday() - 1) % 7, ()):
        if r.crosses_midnight and second < r.end * 60:
            return True
    return False


def _floor_minute(t: dt.datetime) -> dt.datetime:
    t = t.astimezone(UTC)
    return t.replace(second=0, microsecond=0)


def ref_between(
    a: dt.datetime, b: dt.datetime, hours: BusinessHours, zone: dt.tzinfo
) -> dt.timedelta:
    """Open time in [a, b), a <= b, by stepping through UTC minutes."""
    total = dt.timedelta(0)
    m = _floor_minute(a)
    while m < b:
        nxt = m + MINUTE
        if ref_is_open(m, hours, zone):
            total += min(nxt, b) - max(m, a)
        m = nxt
    return total


def ref_due_at(
    start: dt.datetime,
    budget: dt.timedelta,
    hours: BusinessHours,
    zone: dt.tzinfo,
    *,
    max_minutes: int = 40_000,
) -> dt.datetime | None:
    """The least t >= start with `budget` open time in [start, t); None if the walk is too long."""
    if budget == dt.timedelta(0):
        return start
    remaining = budget
    m = _floor_minute(start)
    for _ in range(max_minutes):
        nxt = m + MINUTE
        if ref_is_open(m, hours, zone):
            lo = max(m, start)
            if nxt - lo >= remaining:
                return lo + remaining
            remaining -= nxt - lo
        m = nxt
    return None


# -- examples ---------------------------------------------------------------------------------


def test_reference_agrees_on_a_plain_week():
    hours = hours_of(WEEKDAYS_9_TO_5)
    a, b = utc(2026, 3, 2, 0), utc(2026, 3, 9, 0)  # Monday to Monday, CET all week
    assert business_time_between(a, b, hours=hours, tz="Europe/Amsterdam") == 40 * HOUR
    assert ref_between(a, b, hours, AMS) == 40 * HOUR


def test_weekend_and_holiday_are_skipped():
    # Friday 2026-04-03 16:50 CEST; Monday 2026-04-06 is a holiday (Easter Monday).
    hours = hours_of(WEEKDAYS_9_TO_5, closed=("2026-04-06",))
    start = ams(2026, 4, 3, 16, 50)
    due = business_due_at(start, 15 * MINUTE, hours=hours, tz="Europe/Amsterdam")
    assert due == ams(2026, 4, 7, 9, 5)
    assert due.tzinfo is UTC
    assert business_time_between(start, due, hours=hours, tz=AMS) == 15 * MINUTE
    # Closed the whole weekend and the holiday.
    assert business_time_between(ams(2026, 4, 3, 17), ams(2026, 4, 7, 9), hours=hours, tz=AMS) == (
        dt.timedelta(0)
    )


def test_created_while_closed_starts_when_the_workspace_opens():
    hours = hours_of(WEEKDAYS_9_TO_5)
    saturday = ams(2026, 3, 7, 11, 0)
    assert business_due_at(saturday, 15 * MINUTE, hours=hours, tz=AMS) == ams(2026, 3, 9, 9, 15)
    # Created before opening on a weekday: the clock starts at 09:00.
    assert business_due_at(ams(2026, 3, 9, 7, 0), 15 * MINUTE, hours=hours, tz=AMS) == ams(
        2026, 3, 9, 9, 15
    )


def test_due_exactly_at_closing_is_the_closing_instant_not_the_next_opening():
    hours = hours_of(WEEKDAYS_9_TO_5)
    start = ams(2026, 3, 9, 16, 45)
    assert business_due_at(start, 15 * MINUTE, hours=hours, tz=AMS) == ams(2026, 3, 9, 17, 0)
    assert business_due_at(start, 15 * MINUTE + US, hours=hours, tz=AMS) == ams(
        2026, 3, 10, 9, 0, 0, 1
    )


def test_latest_start_is_the_end_of_the_closed_stretch_before_the_budget():
    # At Tuesday 09:15 a 15-minute budget has run out for every start from Monday 17:00 up to
    # and including Tuesday 09:00: a conversation created Monday evening is due, exactly.
    hours = hours_of(WEEKDAYS_9_TO_5)
    calendar = calendar_for(hours, AMS)
    now = ams(2026, 3, 10, 9, 15)
    cut = calendar.latest_start_us(to_us(now), (15 * MINUTE) // US)
    assert cut is not None
    assert from_us(cut) == ams(2026, 3, 10, 9, 0)
    assert business_due_at(ams(2026, 3, 9, 20, 0), 15 * MINUTE, hours=hours, tz=AMS) == now
    # A zero budget is spent at once, open or closed.
    assert calendar.latest_start_us(to_us(now), 0) == to_us(now)
    saturday = to_us(ams(2026, 3, 7, 12))
    assert calendar.latest_start_us(saturday, 0) == saturday


def test_chunks_join_seamlessly():
    # The cache cuts the instant line into weeks starting Thursday 00:00 UTC (1970-01-01 was a
    # Thursday); a range open across such a boundary must not lose or double a microsecond.
    hours = hours_of({"wed": [["22:00", "03:00"]]})
    boundary = utc(2026, 3, 26)  # 01:00 on Thursday in Amsterdam: inside the overnight range
    for before, after in [(0, 1), (1, 0), (1, 1), (0, 0), (3_600_000_000, 1)]:
        a, b = boundary - before * US, boundary + after * US
        assert business_time_between(a, b, hours=hours, tz=AMS) == (before + after) * US
        assert business_due_at(a, (before + after) * US, hours=hours, tz=AMS) == b


class _SpringForwardAt(dt.tzinfo):
    """+01:00 until `at` (UTC), +02:00 from then on: a hand-made zone with one gap."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at.replace(tzinfo=None)

    def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
        assert d is not None
        # Wall times before the gap are winter; the gap itself never comes out of fromutc.
        return HOUR if d.replace(tzinfo=None) < self.at + HOUR else 2 * HOUR

    def dst(self, d: dt.datetime | None) -> dt.timedelta:
        return self.utcoffset(d) - HOUR

    def tzname(self, d: dt.datetime | None) -> str:
        return "test"

    def fromutc(self, d: dt.datetime) -> dt.datetime:
        utc = d.replace(tzinfo=None)
        return (utc + (HOUR if utc < self.at else 2 * HOUR)).replace(tzinfo=self)


def test_a_transition_exactly_on_a_cache_boundary():
    boundary = utc(2026, 3, 26)  # a Thursday 00:00 UTC: where one cached week ends
    assert (boundary.date() - dt.date(1970, 1, 1)).days % 7 == 0
    zone = _SpringForwardAt(boundary)
    # Open 00:30-03:30 wall clock on Thursday; at the boundary the clock jumps from 01:00 to
    # 02:00, so 00:30-01:00 and 02:00-03:30 exist: two hours, the first half before the jump.
    hours = hours_of({"thu": [["00:30", "03:30"]]})
    a, b = boundary - 6 * HOUR, boundary + 6 * HOUR
    assert business_time_between(a, b, hours=hours, tz=zone) == 2 * HOUR
    assert ref_between(a, b, hours, zone) == 2 * HOUR
    assert business_due_at(a, 30 * MINUTE, hours=hours, tz=zone) == boundary
    assert business_due_at(a, 30 * MINUTE + US, hours=hours, tz=zone) == boundary + US
    assert business_due_at(a, 2 * HOUR, hours=hours, tz=zone) == boundary + 90 * MINUTE


def test_a_full_cache_starts_over_and_stays_right(monkeypatch):
    hours = hours_of({"tue": [["10:00", "10:07"]]})
    start = utc(2026, 1, 1)
    expected = business_due_at(start, 70 * MINUTE, hours=hours, tz="America/New_York")
    monkeypatch.setattr("notifpolicy._business_clock._MAX_CHUNKS", 3)
    fresh = hours_of({"tue": [["10:00", "10:07"]]}, closed=("1999-01-01",))  # a new calendar
    assert business_due_at(start, 70 * MINUTE, hours=fresh, tz="America/New_York") == expected
    assert business_time_between(start, expected, hours=fresh, tz="America/New_York") == (
        70 * MINUTE
    )


class _NoOffset(dt.tzinfo):
    def utcoffset(self, d: dt.datetime | None) -> None:
        return None

    def dst(self, d: dt.datetime | None) -> None:
        return None

    def tzname(self, d: dt.datetime | None) -> str:
        return "nowhere"


def test_a_tzinfo_without_offsets_is_a_validation_error():
    with pytest.raises(ValidationError, match="tz: must give a UTC offset for every instant"):
        business_time_between(
            utc(2026, 3, 2), utc(2026, 3, 3), hours=hours_of(WEEKDAYS_9_TO_5), tz=_NoOffset()
        )


def test_a_dateutil_zone_gives_the_same_clock_as_zoneinfo():
    # dateutil's tzinfos cannot be hashed; the calendar keys on the zone engine's table instead.
    zone = dateutil.tz.gettz("Europe/Amsterdam")
    assert zone is not None
    hours = hours_of({"sun": [["00:00", "02:30"]], "mon": [["09:00", "17:00"]]})
    a, b = utc(2026, 10, 24, 12), utc(2026, 10, 27)
    expected = business_time_between(a, b, hours=hours, tz=AMS)
    assert business_time_between(a, b, hours=hours, tz=zone) == expected == 11 * HOUR
    assert business_due_at(a, HOUR, hours=hours, tz=zone) == business_due_at(
        a, HOUR, hours=hours, tz=AMS
    )


def test_a_sub_second_offset_is_a_validation_error():
    # The zone engine works in whole seconds, like quiet hours and the digests.
    class HalfSecond(dt.tzinfo):
        def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(hours=1, microseconds=500_000)

        def dst(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(0)

        def tzname(self, d: dt.datetime | None) -> str:
            return "half"

    with pytest.raises(ValidationError, match="tz: must give whole-second UTC offsets"):
        business_time_between(
            utc(2026, 3, 2), utc(2026, 3, 3), hours=hours_of(WEEKDAYS_9_TO_5), tz=HalfSecond()
        )


def test_zero_budget_is_due_at_the_start_even_while_closed():
    hours = hours_of(WEEKDAYS_9_TO_5)
    saturday = ams(2026, 3, 7, 11, 0)
    assert business_due_at(saturday, dt.timedelta(0), hours=hours, tz=AMS) == saturday


def test_overnight_range_with_a_holiday_on_the_second_date():
    # Thursday 22:00 -> 02:00.  Friday 2026-12-25 is closed: only Thursday's 22:00-24:00 counts.
    hours = hours_of({"thu": [["22:00", "02:00"]]}, closed=("2026-12-25",))
    a, b = ams(2026, 12, 24, 20), ams(2026, 12, 25, 6)
    assert business_time_between(a, b, hours=hours, tz=AMS) == 2 * HOUR
    assert business_due_at(a, 2 * HOUR, hours=hours, tz=AMS) == ams(2026, 12, 25, 0, 0)
    # The third hour comes a week later, on Thursday 2026-12-31.
    assert business_due_at(a, 3 * HOUR, hours=hours, tz=AMS) == ams(2026, 12, 31, 23, 0)


def test_overnight_range_with_a_holiday_on_the_first_date():
    # Closed on Thursday the 24th: its evening is closed, Friday's 00:00-02:00 is still open.
    hours = hours_of({"thu": [["22:00", "02:00"]]}, closed=("2026-12-24",))
    a = ams(2026, 12, 24, 20)
    assert business_time_between(a, ams(2026, 12, 25, 6), hours=hours, tz=AMS) == 2 * HOUR
    assert business_due_at(a, 30 * MINUTE, hours=hours, tz=AMS) == ams(2026, 12, 25, 0, 30)


def test_sunday_night_range_runs_into_monday():
    hours = hours_of({"sun": [["23:00", "01:00"]]})
    a = ams(2026, 3, 1, 22)  # Sunday
    assert business_time_between(a, ams(2026, 3, 2, 3), hours=hours, tz=AMS) == 2 * HOUR
    assert business_due_at(a, 90 * MINUTE, hours=hours, tz=AMS) == ams(2026, 3, 2, 0, 30)


def test_adjacent_ranges_across_midnight_count_as_one_stretch():
    hours = hours_of({"mon": [["20:00", "24:00"]], "tue": [["00:00", "04:00"]]})
    a = ams(2026, 3, 2, 19)
    assert business_time_between(a, ams(2026, 3, 3, 5), hours=hours, tz=AMS) == 8 * HOUR
    assert business_due_at(a, 5 * HOUR, hours=hours, tz=AMS) == ams(2026, 3, 3, 1, 0)


def test_spring_forward_opening_at_0230_opens_at_0300():
    # Europe/Amsterdam, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    hours = hours_of({"sun": [["02:30", "05:00"]]})
    saturday = utc(2026, 3, 28, 12)
    due = business_due_at(saturday, MINUTE, hours=hours, tz="Europe/Amsterdam")
    assert due == utc(2026, 3, 29, 1, 1)
    assert due.astimezone(AMS).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 3, 1)
    # 03:00-05:00 local: two hours of real time, although the wall range reads 2h30.
    day = business_time_between(saturday, utc(2026, 3, 30, 0), hours=hours, tz=AMS)
    assert day == 2 * HOUR


def test_a_range_inside_the_skipped_hour_counts_zero():
    hours = hours_of({"sun": [["02:00", "03:00"]]})
    assert business_time_between(
        utc(2026, 3, 28, 12), utc(2026, 3, 30, 0), hours=hours, tz=AMS
    ) == dt.timedelta(0)
    # ... and a week later, an ordinary Sunday, it is one hour.
    assert business_time_between(utc(2026, 4, 4, 12), utc(2026, 4, 6), hours=hours, tz=AMS) == HOUR


def test_a_closing_inside_the_repeated_hour_closes_and_reopens_for_the_repeat():
    # Europe/Amsterdam, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
    hours = hours_of({"sun": [["00:00", "02:30"]]})
    saturday = utc(2026, 10, 24, 12)
    # 00:00-02:30 CEST is 22:00-00:30 UTC; the repeat 02:00-02:30 CET is 01:00-01:30 UTC.
    total = business_time_between(saturday, utc(2026, 10, 25, 12), hours=hours, tz=AMS)
    assert total == 3 * HOUR
    assert business_due_at(saturday, 150 * MINUTE, hours=hours, tz=AMS) == utc(2026, 10, 25, 0, 30)
    reopened = business_due_at(saturday, 150 * MINUTE + US, hours=hours, tz=AMS)
    assert reopened == utc(2026, 10, 25, 1, 0, 0, 1)
    assert reopened.astimezone(AMS).fold == 1  # the second 02:00
    assert business_due_at(saturday, 3 * HOUR, hours=hours, tz=AMS) == utc(2026, 10, 25, 1, 30)
    # Closed between the two passes.
    assert business_time_between(
        ams(2026, 10, 25, 2, 30, fold=0), ams(2026, 10, 25, 2, 0, fold=1), hours=hours, tz=AMS
    ) == dt.timedelta(0)


def test_a_range_covering_the_repeated_hour_counts_it_twice():
    hours = hours_of({"sun": [["01:00", "04:00"]]})
    total = business_time_between(utc(2026, 10, 24), utc(2026, 10, 26), hours=hours, tz=AMS)
    assert total == 4 * HOUR  # three hours of wall clock, four of real time


def test_new_york_and_a_half_hour_dst_shift():
    hours = hours_of({"sun": [["01:00", "04:00"]]})
    # America/New_York, 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    assert (
        business_time_between(
            utc(2026, 3, 7, 12), utc(2026, 3, 9), hours=hours, tz="America/New_York"
        )
        == 2 * HOUR
    )
    # Australia/Lord_Howe, 2026-04-05: 02:00 falls back to 01:30 (a 30-minute repeat).
    assert (
        business_time_between(
            utc(2026, 4, 4), utc(2026, 4, 6), hours=hours, tz="Australia/Lord_Howe"
        )
        == 3 * HOUR + 30 * MINUTE
    )


def test_fixed_offset_tzinfo_and_zone_name_agree_with_zoneinfo():
    hours = hours_of(WEEKDAYS_9_TO_5)
    a, b = utc(2026, 6, 1), utc(2026, 6, 8)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    summer = business_time_between(a, b, hours=hours, tz=plus2)
    assert summer == business_time_between(a, b, hours=hours, tz="Europe/Amsterdam") == 40 * HOUR


def test_reversed_interval_is_negative():
    hours = hours_of(WEEKDAYS_9_TO_5)
    a, b = ams(2026, 3, 9, 9), ams(2026, 3, 9, 10)
    assert business_time_between(b, a, hours=hours, tz=AMS) == -HOUR
    assert business_time_between(a, a, hours=hours, tz=AMS) == dt.timedelta(0)


def test_long_spans_cross_many_cached_weeks():
    hours = hours_of({"wed": [["10:00", "10:15"]]})
    start = utc(2026, 1, 1)
    # 4 weekly quarter hours a budget of one hour: four Wednesdays.
    due = business_due_at(start, HOUR, hours=hours, tz=AMS)
    assert due == ams(2026, 1, 28, 10, 15)
    year = business_time_between(start, utc(2027, 1, 1), hours=hours, tz=AMS)
    assert year == 52 * 15 * MINUTE  # 2026 has 52 Wednesdays


_BETWEEN: dict[str, Any] = {"a": utc(2026, 3, 2), "b": utc(2026, 3, 3), "tz": AMS}
_DUE_AT: dict[str, Any] = {"start": utc(2026, 3, 2), "budget": MINUTE, "tz": AMS}
_NAIVE = dt.datetime(2026, 3, 2)


@pytest.mark.parametrize(
    ("function", "arguments", "path", "code"),
    [
        (business_time_between, {**_BETWEEN, "a": _NAIVE}, "a", "naive_datetime"),
        (business_time_between, {**_BETWEEN, "b": "2026-03-03"}, "b", "type"),
        (business_time_between, {**_BETWEEN, "hours": {"mon": []}}, "hours", "type"),
        (business_time_between, {**_BETWEEN, "tz": "Mars/Base"}, "tz", "timezone"),
        (business_time_between, {**_BETWEEN, "tz": 2}, "tz", "type"),
        (
            business_time_between,
            {**_BETWEEN, "a": dt.datetime.min.replace(tzinfo=UTC)},
            "a",
            "range",
        ),
        (business_due_at, {**_DUE_AT, "start": _NAIVE}, "start", "naive_datetime"),
        (business_due_at, {**_DUE_AT, "budget": -MINUTE}, "budget", "range"),
        (business_due_at, {**_DUE_AT, "budget": 15}, "budget", "range"),
        (
            business_due_at,
            {**_DUE_AT, "start": from_us(MAX_INSTANT_US) - HOUR, "budget": 8 * HOUR},
            "budget",
            "range",
        ),
    ],
)
def test_bad_input_is_a_validation_error(function, arguments, path, code):
    arguments = {"hours": hours_of(WEEKDAYS_9_TO_5), **arguments}
    with pytest.raises(ValidationError) as info:
        function(**arguments)
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == (path, code)
    assert str(info.value).startswith(f"{path}: ")


def test_validation_error_message_names_value_and_expectation():
    with pytest.raises(
        ValidationError, match=r"budget: must be a timedelta of zero or more, got 15"
    ):
        business_due_at(**{**_DUE_AT, "budget": 15}, hours=hours_of(WEEKDAYS_9_TO_5))


# -- properties -------------------------------------------------------------------------------

ZONES = [
    "Europe/Amsterdam",
    "America/New_York",
    "America/Sao_Paulo",  # 2018: DST started at midnight (no 00:00 on 2018-11-04)
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kathmandu",  # +05:45
    "UTC",
]
# Near DST transitions of those zones, and one quiet midsummer day.
ANCHORS = [
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2018, 11, 4, 3),
    utc(2019, 2, 17, 2),
    utc(2026, 4, 4, 15),
    utc(2026, 10, 3, 16),
    utc(2026, 7, 1, 12),
]
STEP_MINUTES = st.sampled_from([15, 30, 60, 1])


@st.composite
def business_hours(draw: st.DrawFn, near: dt.date | None = None) -> BusinessHours:
    """Valid schedules: ranges cut from sorted points on the weekly circle, some overnight."""
    step = draw(STEP_MINUTES)
    slots = 10080 // step
    count = draw(st.integers(1, 4)) * 2
    points = sorted(draw(st.sets(st.integers(0, slots - 1), min_size=count, max_size=count)))
    rotate = draw(st.integers(0, slots - 1))
    weekly: dict[int, list[OpeningRange]] = {}
    for open_, close in zip(points[::2], points[1::2], strict=True):
        begin = (open_ + rotate) * step
        length = (close - open_) * step
        while length > 0:  # pieces of at most 12 hours, each within one day or overnight
            piece = min(length, 720)
            day, start = divmod(begin % 10080, 1440)
            end = start + piece
            weekly.setdefault(day, []).append(
                OpeningRange(start, end if end <= 1440 else end - 1440)
            )
            begin += piece
            length -= piece
    closed: frozenset[dt.date] = frozenset()
    if near is not None:
        offsets = draw(st.sets(st.integers(-4, 4), max_size=4))
        closed = frozenset(near + dt.timedelta(days=k) for k in offsets)
    return BusinessHours(weekly, closed)


@st.composite
def scenario(draw: st.DrawFn, count: int, span_minutes: int = 3 * 1440):
    """A zone, a schedule with closures near an anchor, and `count` instants near the anchor."""
    anchor = draw(st.sampled_from(ANCHORS))
    zone = zoneinfo.ZoneInfo(draw(st.sampled_from(ZONES)))
    hours = draw(business_hours(near=anchor.date()))
    instants = []
    for _ in range(count):
        whole = anchor + draw(st.integers(-span_minutes, span_minutes)) * MINUTE
        fine = draw(st.one_of(st.just(0), st.integers(-60_000_000, 60_000_000)))
        instants.append(whole + fine * US)
    return zone, hours, instants


@given(scenario(2, span_minutes=1440))
def test_matches_the_reference(data):
    zone, hours, (a, b) = data
    a, b = min(a, b), max(a, b)
    assert business_time_between(a, b, hours=hours, tz=zone) == ref_between(a, b, hours, zone)


@given(scenario(3, span_minutes=10 * 1440))
def test_additive(data):
    zone, hours, (a, b, c) = data

    def f(x: dt.datetime, y: dt.datetime) -> dt.timedelta:
        return business_time_between(x, y, hours=hours, tz=zone)

    assert f(a, c) == f(a, b) + f(b, c)  # in any order: f is antisymmetric


@given(scenario(2, span_minutes=10 * 1440))
def test_never_more_than_real_time(data):
    zone, hours, (a, b) = data
    a, b = min(a, b), max(a, b)
    assert dt.timedelta(0) <= business_time_between(a, b, hours=hours, tz=zone) <= b - a


@given(scenario(1), st.integers(0, 4), st.sampled_from(["Europe/Amsterdam", "America/New_York"]))
def test_zero_over_closed_dates(data, days, zone_name):
    _, hours, (anchor,) = data
    zone = zoneinfo.ZoneInfo(zone_name)
    first = anchor.astimezone(zone).date()
    closed = frozenset(first + dt.timedelta(days=k) for k in range(days + 1))
    hours = BusinessHours(hours.weekly, closed)
    # From local midnight of the first closed date to local midnight after the last one.
    a = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    b = dt.datetime.combine(first + dt.timedelta(days=days + 1), dt.time(0), tzinfo=zone)
    assert business_time_between(a, b, hours=hours, tz=zone) == dt.timedelta(0)


@given(scenario(1), st.integers(0, 8 * 60 * 60 * 10**6))
def test_due_at_is_the_least_instant_reaching_the_budget(data, budget_us):
    zone, hours, (start,) = data
    budget = budget_us * US
    due = business_due_at(start, budget, hours=hours, tz=zone)
    assert due >= start
    assert business_time_between(start, due, hours=hours, tz=zone) == budget
    if due > start:
        assert business_time_between(start, due - US, hours=hours, tz=zone) < budget
    expected = ref_due_at(start, budget, hours, zone)
    if expected is not None:  # the reference gives up after about four weeks of walking
        assert due == expected


@given(scenario(2), st.integers(1, 4 * 60).map(lambda m: m * MINUTE))
def test_due_at_never_decreases_as_the_start_moves_later(data, budget):
    zone, hours, (s1, s2) = data
    s1, s2 = min(s1, s2), max(s1, s2)
    d1 = business_due_at(s1, budget, hours=hours, tz=zone)
    d2 = business_due_at(s2, budget, hours=hours, tz=zone)
    assert d1 <= d2


@given(scenario(2), st.integers(1, 4 * 60).map(lambda m: m * MINUTE))
def test_latest_start_splits_due_from_not_yet_due(data, budget):
    # The escalation engine reduces the first-response clock to this one cut per evaluation.
    zone, hours, (start, now) = data
    calendar = calendar_for(hours, zone)
    cut = calendar.latest_start_us(to_us(now), budget // US)
    assert cut is not None  # None only near year 1
    due = business_due_at(start, budget, hours=hours, tz=zone)
    assert (to_us(start) <= cut) == (due <= now)
    assert business_time_between(from_us(cut), now, hours=hours, tz=zone) == budget


@given(scenario(1), st.integers(1, 4 * 60).map(lambda m: m * MINUTE), st.sampled_from([-1, 0, 1]))
def test_latest_start_at_exact_due_instants(data, budget, nudge):
    # `now` exactly at a deadline (or one microsecond either side): the boundary cases of the cut.
    zone, hours, (start,) = data
    due = business_due_at(start, budget, hours=hours, tz=zone)
    now = due + nudge * US
    cut = calendar_for(hours, zone).latest_start_us(to_us(now), budget // US)
    assert cut is not None
    assert (to_us(start) <= cut) == (nudge >= 0)
    later = business_due_at(from_us(cut), budget, hours=hours, tz=zone)
    assert later <= now
    assert business_due_at(from_us(cut + 1), budget, hours=hours, tz=zone) > now
    # With a floor (the oldest start the caller cares about) the walk back stops early, and
    # the answer only changes where it no longer matters.
    floored = calendar_for(hours, zone).latest_start_us(
        to_us(now), budget // US, floor=to_us(start)
    )
    if to_us(start) <= cut:
        assert floored == cut
    else:
        assert floored is None or floored < to_us(start)


def test_a_sparse_schedule_walks_back_only_as_far_as_asked():
    # One minute a week and a week's budget: 10,080 weeks (193 years) of calendar.
    hours = hours_of({"wed": [["10:00", "10:01"]]})
    calendar = calendar_for(hours, AMS)
    now = to_us(utc(2026, 3, 4, 12))
    budget = (10080 * MINUTE) // US
    assert calendar.latest_start_us(now, budget, floor=now - (HOUR // US)) is None
    start = utc(2026, 1, 1)
    due = business_due_at(start, 10080 * MINUTE, hours=hours, tz=AMS)
    assert due == dt.datetime(2219, 3, 10, 10, 1, tzinfo=AMS)
    # Counting back from that deadline, the budget starts at the first Wednesday's minute.
    assert calendar.latest_start_us(to_us(due), budget, floor=to_us(start)) == to_us(
        ams(2026, 1, 7, 10, 0)
    )
