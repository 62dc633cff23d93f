"""Digest schedules: one send instant per scheduled local date, and the periods between sends.

The properties hold the schedule to a plain reference written out below: the send for date D is
the wall time on D read with ``fold=0`` (zoneinfo's default), and moved forward by the gap with
dateutil's ``resolve_imaginary`` when the wall clock never shows it.
"""

from __future__ import annotations

import datetime as dt
import doctest
import functools
import zoneinfo

import attrs
import pytest
from dateutil.tz import datetime_exists, resolve_imaginary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifpolicy import _digest_schedule as digest_schedule_module
from notifpolicy._digest_schedule import DailyDigest, DigestPeriod, Weekday, WeeklyDigest
from notifpolicy._errors import ValidationError
from notifpolicy.testing.strategies import wall_times

from ._time_strategies import (
    UTC,
    OneChange,
    one_change_zones,
    same_instant_elsewhere,
    zoned_instants,
)

AMS = "Europe/Amsterdam"
NYC = "America/New_York"
WS = "ws-1"
Digest = DailyDigest | WeeklyDigest

slow_data = settings(suppress_health_check=[HealthCheck.too_slow])


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def local(name: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=zoneinfo.ZoneInfo(name))


def daily(hhmm: str) -> DailyDigest:
    h, m = map(int, hhmm.split(":"))
    return DailyDigest(enabled=True, send_time=dt.time(h, m))


def weekly(day: Weekday, hhmm: str) -> WeeklyDigest:
    h, m = map(int, hhmm.split(":"))
    return WeeklyDigest(enabled=True, weekday=day, send_time=dt.time(h, m))


# --- the plain reference --------------------------------------------------------------------


def ref_send(date: dt.date, send_time: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The send instant for local date ``date``: fold=0, or forward by the gap."""
    reading = dt.datetime.combine(date, send_time, tzinfo=zone)
    if not datetime_exists(reading):
        reading = resolve_imaginary(reading)
    return reading.astimezone(UTC)


def ref_sends(
    digest: Digest, at: dt.datetime, zone: dt.tzinfo
) -> list[tuple[dt.datetime, dt.date]]:
    """Every send within two weeks of ``at``, in order, each with the last date it is for."""
    today = at.astimezone(zone).date()
    dates = [today + dt.timedelta(days=k) for k in range(-16, 17)]
    if isinstance(digest, WeeklyDigest):
        dates = [d for d in dates if d.weekday() == digest.weekday]
    sends: dict[dt.datetime, dt.date] = {}
    for date in dates:
        send = ref_send(date, digest.send_time, zone)
        sends[send] = max(sends.get(send, date), date)
    return sorted(sends.items())


def ref_key(digest: Digest, date: dt.date) -> str:
    if isinstance(digest, DailyDigest):
        return f"{WS}:daily_summary:{date.isoformat()}"
    year, week, _ = date.isocalendar()
    return f"{WS}:weekly_report:{year}-W{week:02d}"


def digests() -> st.SearchStrategy[Digest]:
    return st.builds(DailyDigest, st.booleans(), wall_times()) | st.builds(
        WeeklyDigest, st.booleans(), st.sampled_from(Weekday), wall_times()
    )


# --- examples -------------------------------------------------------------------------------


def test_an_ordinary_day():
    d = daily("09:00")
    assert d.next_after(utc(2026, 3, 9, 7, 59), AMS) == utc(2026, 3, 9, 8, 0)
    assert d.next_after(utc(2026, 3, 9, 8, 0), AMS) == utc(2026, 3, 10, 8, 0)  # strictly after
    assert d.previous_at_or_before(utc(2026, 3, 9, 8, 0), AMS) == utc(2026, 3, 9, 8, 0)
    period = d.period_containing(utc(2026, 3, 9, 12, 0), AMS, workspace_id=WS)
    assert period == DigestPeriod(
        kind="daily_summary",
        workspace_id=WS,
        start=utc(2026, 3, 9, 8, 0),
        end=utc(2026, 3, 10, 8, 0),
        local_date=dt.date(2026, 3, 10),
        key=f"{WS}:daily_summary:2026-03-10",
    )
    assert period.start.tzinfo is UTC
    assert period.end.tzinfo is UTC
    assert period.contains(utc(2026, 3, 9, 8, 0))
    assert not period.contains(utc(2026, 3, 10, 8, 0))


def test_enabled_does_not_change_the_schedule():
    at = utc(2026, 3, 9, 12, 0)
    on, off = daily("09:00"), DailyDigest(enabled=False, send_time=dt.time(9, 0))
    assert on.next_after(at, AMS) == off.next_after(at, AMS)


def test_amsterdam_spring_send_in_the_gap_moves_forward_by_the_gap():
    # 2026-03-29: 02:00 CET -> 03:00 CEST.  02:30 does not exist: the send is at 03:30 CEST.
    d = daily("02:30")
    assert d.next_after(utc(2026, 3, 28, 12, 0), AMS) == utc(2026, 3, 29, 1, 30)
    assert d.next_after(utc(2026, 3, 29, 1, 30), AMS) == utc(2026, 3, 30, 0, 30)
    period = d.period_ending_at(utc(2026, 3, 29, 1, 30), AMS, workspace_id=WS)
    assert period.key == f"{WS}:daily_summary:2026-03-29"
    # A 09:00 digest's period around the night is 23 hours of real time.
    nine = daily("09:00").period_containing(utc(2026, 3, 29, 0, 0), AMS, workspace_id=WS)
    assert nine.duration == dt.timedelta(hours=23)


def test_amsterdam_autumn_send_in_the_fold_goes_once_at_the_first_pass():
    # 2026-10-25: 03:00 CEST -> 02:00 CET.  02:30 happens twice: the send is at 02:30 CEST.
    d = daily("02:30")
    assert d.next_after(utc(2026, 10, 24, 12, 0), AMS) == utc(2026, 10, 25, 0, 30)
    assert d.next_after(utc(2026, 10, 25, 0, 30), AMS) == utc(2026, 10, 26, 1, 30)
    nine = daily("09:00").period_containing(utc(2026, 10, 25, 0, 0), AMS, workspace_id=WS)
    assert nine.duration == dt.timedelta(hours=25)


def test_new_york_both_directions():
    assert daily("02:30").next_after(utc(2026, 3, 8, 0, 0), NYC) == utc(2026, 3, 8, 7, 30)
    d = daily("01:30")
    assert d.next_after(utc(2026, 11, 1, 0, 0), NYC) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert d.next_after(utc(2026, 11, 1, 5, 30), NYC) == utc(2026, 11, 2, 6, 30)  # not 01:30 EST


def test_lord_howe_thirty_minute_shifts():
    zone = "Australia/Lord_Howe"
    # 2026-10-04: 02:00 (+10:30) -> 02:30 (+11); 02:15 is sent at 02:45 (+11).
    assert daily("02:15").next_after(utc(2026, 10, 3, 0, 0), zone) == utc(2026, 10, 3, 15, 45)
    # 2026-04-05: 02:00 (+11) -> 01:30 (+10:30); 01:45 is sent at its first pass (+11).
    d = daily("01:45")
    assert d.next_after(utc(2026, 4, 4, 0, 0), zone) == utc(2026, 4, 4, 14, 45)
    assert d.next_after(utc(2026, 4, 4, 14, 45), zone) == utc(2026, 4, 5, 15, 15)


def test_chatham_quarter_hour_offset():
    zone = "Pacific/Chatham"
    assert daily("09:00").next_after(utc(2026, 1, 4, 0, 0), zone) == utc(2026, 1, 4, 19, 15)
    assert local(zone, 2026, 1, 5, 9, 0) == utc(2026, 1, 4, 19, 15)


def test_apia_skipped_day_sends_once_for_both_dates():
    zone = "Pacific/Apia"  # 2011-12-30 did not happen: 29th 24:00 (-10) -> 31st 00:00 (+14)
    d = daily("09:00")
    sends = [utc(2011, 12, 28, 20, 0)]
    for _ in range(3):
        sends.append(d.next_after(sends[-1], zone))
    assert sends[1:] == [
        utc(2011, 12, 29, 19, 0),  # 29th, 09:00 (-10)
        utc(2011, 12, 30, 19, 0),  # 30th and 31st together: 31st, 09:00 (+14)
        utc(2011, 12, 31, 19, 0),  # 1 January, 09:00 (+14)
    ]
    period = d.period_ending_at(utc(2011, 12, 30, 19, 0), zone, workspace_id=WS)
    assert (period.start, period.local_date) == (utc(2011, 12, 29, 19, 0), dt.date(2011, 12, 31))
    assert period.key == f"{WS}:daily_summary:2011-12-31"
    # The weekly report for Friday the 30th goes out then too.
    w = weekly(Weekday.FRIDAY, "09:00")
    assert w.next_after(utc(2011, 12, 28, 0, 0), zone) == utc(2011, 12, 30, 19, 0)
    period = w.period_ending_at(utc(2011, 12, 30, 19, 0), zone, workspace_id=WS)
    assert period.start == utc(2011, 12, 23, 19, 0)
    assert period.local_date == dt.date(2011, 12, 30)
    assert period.key == f"{WS}:weekly_report:2011-W52"


def test_sao_paulo_midnight_transitions():
    zone = "America/Sao_Paulo"
    # 2018-11-04: 00:00 (-03) -> 01:00 (-02).  00:30 is sent at 01:30 (-02).
    d = daily("00:30")
    assert d.next_after(utc(2018, 11, 3, 12, 0), zone) == utc(2018, 11, 4, 3, 30)
    assert d.period_ending_at(utc(2018, 11, 4, 3, 30), zone, workspace_id=WS).key.endswith(
        "2018-11-04"
    )
    # 2019-02-17: 00:00 (-02) -> 23:00 on the 16th (-03).  23:30 on the 16th goes once (-02).
    d = daily("23:30")
    assert d.next_after(utc(2019, 2, 16, 12, 0), zone) == utc(2019, 2, 17, 1, 30)
    assert d.next_after(utc(2019, 2, 17, 1, 30), zone) == utc(2019, 2, 18, 2, 30)


def test_a_clock_that_falls_back_across_midnight():
    # A made-up zone: at 00:30 on 2 January (+01:00) the clock goes back to 23:30 on 1 January.
    zone = OneChange(utc(2026, 1, 1, 23, 30), dt.timedelta(hours=1), dt.timedelta(0))
    d = daily("00:10")
    send = utc(2026, 1, 1, 23, 10)  # 2 January, 00:10 (+01:00): before the clock went back
    assert d.next_after(utc(2026, 1, 1, 12, 0), zone) == send
    # At 23:45 on the second pass through 1 January, that send is already behind us.
    second_pass = utc(2026, 1, 1, 23, 45)
    assert second_pass.astimezone(zone).date() == dt.date(2026, 1, 1)
    assert d.previous_at_or_before(second_pass, zone) == send
    assert d.next_after(second_pass, zone) == utc(2026, 1, 3, 0, 10)
    period = d.period_containing(second_pass, zone, workspace_id=WS)
    assert (period.start, period.local_date) == (send, dt.date(2026, 1, 3))


def test_weekly_report_weekday_and_key():
    w = weekly(Weekday.MONDAY, "09:00")
    send = w.next_after(utc(2026, 3, 4, 0, 0), AMS)
    assert send == utc(2026, 3, 9, 8, 0)  # Monday 9 March, 09:00 CET
    period = w.period_ending_at(send, AMS, workspace_id=WS)
    assert period.key == f"{WS}:weekly_report:2026-W11"
    assert period.kind == "weekly_report"
    assert period.start == utc(2026, 3, 2, 8, 0)
    assert period.duration == dt.timedelta(days=7)


def test_moving_the_weekday_later_in_the_same_week_names_the_same_period():
    # Monday's report went out; the admin moves the report to Friday.  Friday's send names the
    # same ISO week, so the ledger refuses to send a second report that week.
    monday = weekly(Weekday.MONDAY, "09:00")
    sent = monday.period_ending_at(utc(2026, 3, 9, 8, 0), AMS, workspace_id=WS)
    friday = attrs.evolve(monday, weekday=Weekday.FRIDAY)
    next_send = friday.next_after(utc(2026, 3, 9, 8, 0), AMS)
    assert next_send == utc(2026, 3, 13, 8, 0)
    assert friday.period_ending_at(next_send, AMS, workspace_id=WS).key == sent.key
    # Moving it earlier sends in the next week, under the next week's key.
    tuesday_after = attrs.evolve(friday, weekday=Weekday.MONDAY)
    later = tuesday_after.next_after(next_send, AMS)
    assert tuesday_after.period_ending_at(later, AMS, workspace_id=WS).key.endswith("2026-W12")


def test_sunday_belongs_to_the_iso_week_that_started_on_monday():
    w = weekly(Weekday.SUNDAY, "23:59")
    send = w.next_after(utc(2026, 3, 9, 0, 0), AMS)
    assert send == utc(2026, 3, 15, 22, 59)
    assert w.period_ending_at(send, AMS, workspace_id=WS).key.endswith("2026-W11")


# --- bad input ------------------------------------------------------------------------------


def test_not_a_send_instant():
    d = daily("09:00")
    for at in (utc(2026, 3, 9, 8, 0, 0, 1), utc(2026, 3, 9, 12, 0)):
        with pytest.raises(ValidationError) as info:
            d.period_ending_at(at, AMS, workspace_id=WS)
        assert [(p.path, p.code) for p in info.value.problems] == [
            ("send_instant", "not_a_send_instant")
        ]


@pytest.mark.parametrize("digest", [daily("09:00"), weekly(Weekday.MONDAY, "09:00")])
def test_bad_arguments_are_validation_errors(digest):
    good = utc(2026, 3, 9, 12, 0)
    calls = [
        digest.next_after,
        digest.previous_at_or_before,
        functools.partial(digest.period_containing, workspace_id=WS),
    ]
    for call in calls:
        for at in (dt.datetime(2026, 3, 9, 12, 0), dt.date(2026, 3, 9), None):
            with pytest.raises(ValidationError) as info:
                call(at, AMS)
            assert [p.path for p in info.value.problems] == ["at"]
        for tz in ("Mars/Olympus_Mons", "Factory", 1, None):
            with pytest.raises(ValidationError) as info:
                call(good, tz)
            assert [p.path for p in info.value.problems] == ["tz"]
    with pytest.raises(ValidationError) as info:
        digest.period_ending_at(dt.datetime(2026, 3, 9, 8, 0), AMS, workspace_id=WS)
    assert [p.path for p in info.value.problems] == ["send_instant"]
    for workspace_id in ("", None, 7):
        with pytest.raises(ValidationError) as info:
            digest.period_containing(good, AMS, workspace_id=workspace_id)
        assert [p.path for p in info.value.problems] == ["workspace_id"]
    with pytest.raises(ValidationError):
        DigestPeriod(
            kind="daily_summary",
            workspace_id=WS,
            start=good,
            end=good,
            local_date=good.date(),
            key="k",
        ).contains(dt.datetime(2026, 3, 9))


# --- properties -----------------------------------------------------------------------------


@slow_data
@given(digest=digests(), zoned=zoned_instants(), data=st.data())
def test_next_and_previous_match_the_reference(digest, zoned, data):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    at = data.draw(same_instant_elsewhere(at, name))
    sends = ref_sends(digest, at, zone)
    expected_next = min(s for s, _ in sends if s > at)
    expected_previous = max(s for s, _ in sends if s <= at)
    nxt = digest.next_after(at, name)
    assert nxt == expected_next
    assert nxt.tzinfo is UTC
    assert nxt > at
    previous = digest.previous_at_or_before(at, zone)
    assert previous == expected_previous
    assert previous <= at


@slow_data
@given(digest=digests(), zoned=zoned_instants())
def test_sends_strictly_increase_and_land_on_their_date(digest, zoned):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    send = digest.next_after(at, name)
    for _ in range(3):
        period = digest.period_ending_at(send, name, workspace_id=WS)
        date = period.local_date
        if isinstance(digest, WeeklyDigest):
            assert date.weekday() == digest.weekday
        reading = dt.datetime.combine(date, digest.send_time, tzinfo=zone)
        if datetime_exists(reading):
            # The wall clock shows the send time on that date (its first pass, in a fold).
            assert send.astimezone(zone).replace(tzinfo=None) == reading.replace(tzinfo=None)
            assert send == reading.astimezone(UTC)
        else:
            # Moved forward by the gap.
            shifted = resolve_imaginary(reading)
            assert shifted.replace(tzinfo=None) > reading.replace(tzinfo=None)
            assert send.astimezone(zone).replace(tzinfo=None) == shifted.replace(tzinfo=None)
        following = digest.next_after(send, name)
        assert following > send  # never twice at one instant
        send = following


@slow_data
@given(digest=digests(), zoned=zoned_instants())
def test_every_instant_belongs_to_exactly_one_period(digest, zoned):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    period = digest.period_containing(at, name, workspace_id=WS)
    assert period.start <= at < period.end
    assert period.contains(at)
    assert period.end == digest.next_after(at, name)
    assert period.start == digest.previous_at_or_before(at, name)
    assert period.kind == ("daily_summary" if isinstance(digest, DailyDigest) else "weekly_report")
    # The key names the (last) local date the closing send is for.
    date = dict(ref_sends(digest, at, zone))[period.end]
    assert period.local_date == date
    assert period.key == ref_key(digest, date)
    # Periods tile the time line: the send that closes one opens the next.
    assert digest.period_ending_at(period.end, name, workspace_id=WS) == period
    assert digest.period_containing(period.end, name, workspace_id=WS).start == period.end
    before = digest.period_containing(
        period.start - dt.timedelta(microseconds=1), zone, workspace_id=WS
    )
    assert before.end == period.start
    assert before.key != period.key


@slow_data
@given(digest=digests(), zoned=zoned_instants())
def test_only_send_instants_end_a_period(digest, zoned):
    name, at = zoned
    previous = digest.previous_at_or_before(at, name)
    if previous == at:
        assert digest.period_ending_at(at, name, workspace_id=WS).end == at
    else:
        with pytest.raises(ValidationError):
            digest.period_ending_at(at, name, workspace_id=WS)


@slow_data
@given(digest=digests(), zoned=one_change_zones())
def test_made_up_zones_with_odd_changes(digest, zoned):
    # Gaps and folds across midnight, whole days skipped or repeated.
    zone, at = zoned
    sends = ref_sends(digest, at, zone)
    nxt = min(s for s, _ in sends if s > at)
    assert digest.next_after(at, zone) == nxt
    assert digest.previous_at_or_before(at, zone) == max(s for s, _ in sends if s <= at)
    period = digest.period_containing(at, zone, workspace_id=WS)
    assert period.key == ref_key(digest, dict(sends)[nxt])


def test_the_weekday_is_checked():
    assert WeeklyDigest(weekday=4).weekday is Weekday.FRIDAY
    for bad in (7, -1, True, "monday"):
        with pytest.raises(ValidationError) as info:
            WeeklyDigest(weekday=bad)
        assert [p.path for p in info.value.problems] == ["digests.weekly.weekday"]


def test_the_docstring_examples_run():
    result = doctest.testmod(digest_schedule_module)
    assert result.attempted > 0
    assert result.failed == 0
