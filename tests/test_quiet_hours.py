"""Quiet hours: a predicate on the local wall clock, and the instant it stops holding.

The properties hold ``is_quiet`` and ``quiet_until`` (fast path and checked path alike) to the
plain definition written out below: ``covers(at.astimezone(zone).time())``, walked forward.
"""

from __future__ import annotations

import copy
import datetime as dt
import doctest
import pickle
import zoneinfo

import attrs
import dateutil.tz
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from notifpolicy import _quiet_hours as quiet_hours_module
from notifpolicy._errors import ValidationError
from notifpolicy._quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, QuietMode
from notifpolicy._zonecache import EPOCH, cache_clear, is_cached
from notifpolicy.testing.strategies import quiet_hours, wall_times

from ._time_strategies import (
    UTC,
    ZONES,
    OneChange,
    floor_second,
    one_change_zones,
    same_instant_elsewhere,
    zoned_instants,
)

SECOND = dt.timedelta(seconds=1)
MICROSECOND = dt.timedelta(microseconds=1)
AMS = "Europe/Amsterdam"
NYC = "America/New_York"

# Drawing a zone scans a decade of its offsets the first time; that is the strategy's cost,
# not a sign of a slow test.
slow_data = settings(suppress_health_check=[HealthCheck.too_slow])


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def local(
    name: str,
    y: int,
    mo: int,
    d: int,
    h: int = 0,
    mi: int = 0,
    s: int = 0,
    us: int = 0,
    *,
    fold: int = 0,
) -> dt.datetime:
    """A wall-clock reading in zone ``name`` (``fold=1``: the second pass of a repeated time)."""
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=zoneinfo.ZoneInfo(name), fold=fold)


def window(start: str, end: str, **kwargs: object) -> QuietHours:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return QuietHours(dt.time(h1, m1), dt.time(h2, m2), **kwargs)  # type: ignore[arg-type]


# --- the plain reference --------------------------------------------------------------------


def ref_is_quiet(qh: QuietHours, at: dt.datetime, zone: dt.tzinfo) -> bool:
    """The definition, word for word."""
    return qh.enabled and qh.covers(at.astimezone(zone).time())


def ref_quiet_until(qh: QuietHours, at: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """Walk the wall clock forward a minute at a time (a second at a time across an offset
    change) until it leaves the window.

    Offsets and transitions are whole seconds (test_zonecache checks that against the TZif
    files), so quiet-ness is constant within each whole second: the answer is the first whole
    second after ``at`` that is not quiet.
    """
    if not ref_is_quiet(qh, at, zone):
        return None
    # In UTC: adding a timedelta to a datetime in a zone would be wall-clock arithmetic.
    x = floor_second(at.astimezone(UTC)) + SECOND
    for _ in range(4 * 1440 + 10_000):
        if not ref_is_quiet(qh, x, zone):
            return x
        reading = x.astimezone(zone)
        step = (60 - reading.second) * SECOND  # to the wall clock's next whole minute
        if (x + step).astimezone(zone).utcoffset() != reading.utcoffset():
            step = SECOND  # the offset changes on the way: go second by second
        x += step
    raise AssertionError("quiet for more than four days")


def cold() -> None:
    """Forget every cached zone, so that the next call takes the checked path."""
    cache_clear()


def fast_path_ready(at: dt.datetime, name: str) -> bool:
    """Whether a call about ``at`` in zone ``name`` can take the fast path now."""
    return is_cached(at, name)


# --- examples: the window's edges -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "second", "micro", "quiet"),
    [
        (21, 59, 0, 0, False),
        (21, 59, 59, 999_999, False),
        (22, 0, 0, 0, True),
        (23, 59, 59, 999_999, True),
        (0, 0, 0, 0, True),
        (7, 59, 0, 0, True),
        (7, 59, 59, 999_999, True),
        (8, 0, 0, 0, False),
        (12, 0, 0, 0, False),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", AMS, NYC])
def test_edges_of_a_window_across_midnight(zone, hour, minute, second, micro, quiet):
    qh = window("22:00", "08:00")
    at = local(zone, 2026, 1, 15, hour, minute, second, micro)
    for _ in range(2):  # the checked path, then the fast path
        assert qh.is_quiet(at, zone) is quiet
        assert qh.is_quiet(at.astimezone(UTC), zone) is quiet
        until = qh.quiet_until(at, zone)
        if quiet:
            expected = local(zone, 2026, 1, 16 if hour >= 22 else 15, 8, 0)
            assert until == expected
            assert until is not None
            assert until.tzinfo is UTC
        else:
            assert until is None


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(8, 59, False), (9, 0, True), (16, 59, True), (17, 0, False), (23, 0, False)],
)
def test_edges_of_a_daytime_window(hour, minute, quiet):
    qh = window("09:00", "17:00")
    at = local(AMS, 2026, 6, 1, hour, minute)
    assert qh.is_quiet(at, AMS) is quiet
    assert (qh.quiet_until(at, AMS) == local(AMS, 2026, 6, 1, 17, 0)) is quiet


def test_disabled_quiet_hours_are_never_quiet():
    qh = window("00:00", "23:59", enabled=False)
    at = utc(2026, 1, 15, 12, 0)
    assert not qh.is_quiet(at, AMS)
    assert qh.quiet_until(at, AMS) is None
    assert not DEFAULT_QUIET_HOURS.is_quiet(utc(2026, 1, 15, 23, 0), "UTC")


def test_the_zone_may_be_a_name_or_any_tzinfo():
    qh = window("22:00", "08:00")
    at = utc(2026, 1, 15, 21, 30)  # 22:30 in Amsterdam
    until = utc(2026, 1, 16, 7, 0)
    by_dateutil = dateutil.tz.gettz(AMS)
    assert by_dateutil is not None
    zones: list[str | dt.tzinfo] = [
        AMS,
        zoneinfo.ZoneInfo(AMS),
        by_dateutil,  # unhashable: answered, just not cached
        dt.timezone(dt.timedelta(hours=1)),
    ]
    for zone in zones:
        assert qh.is_quiet(at, zone)
        assert qh.quiet_until(at, zone) == until
    assert not qh.is_quiet(at, "UTC")


# --- examples: DST and other clock changes -------------------------------------------------


def test_amsterdam_spring_quiet_ends_when_the_clock_jumps_past_the_end():
    # 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00 UTC.  The wall clock never reads 02:30, so a
    # window ending at 02:30 ends at the jump: 03:00 CEST, not 03:30.
    qh = window("22:00", "02:30")
    assert qh.quiet_until(local(AMS, 2026, 3, 28, 23, 0), AMS) == utc(2026, 3, 29, 1, 0)
    assert qh.quiet_until(utc(2026, 3, 29, 0, 59, 59, 999_999), AMS) == utc(2026, 3, 29, 1, 0)
    assert qh.is_quiet(utc(2026, 3, 29, 0, 59, 59, 999_999), AMS)  # 01:59:59.999999 CET
    assert not qh.is_quiet(utc(2026, 3, 29, 1, 0), AMS)  # 03:00 CEST


def test_amsterdam_autumn_quiet_ends_when_the_clock_falls_back_out_of_the_window():
    # 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00 UTC.  Entered at 02:30 CEST, the window
    # 02:30-06:00 ends when the clock reads 02:00 again (01:00 UTC), and comes back at 02:30 CET.
    qh = window("02:30", "06:00")
    first_pass = local(AMS, 2026, 10, 25, 2, 30, fold=0)
    # (Compare instants: `==` across zones is False for a reading inside a fold, by PEP 495.)
    assert first_pass.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert qh.quiet_until(first_pass, AMS) == utc(2026, 10, 25, 1, 0)
    assert not qh.is_quiet(utc(2026, 10, 25, 1, 0), AMS)  # 02:00 CET
    second_pass = local(AMS, 2026, 10, 25, 2, 30, fold=1)
    assert qh.is_quiet(second_pass, AMS)
    assert qh.quiet_until(second_pass, AMS) == utc(2026, 10, 25, 5, 0)  # 06:00 CET


def test_amsterdam_autumn_a_window_over_the_repeated_hour_is_quiet_in_both_passes():
    qh = window("02:00", "03:00")
    assert qh.is_quiet(utc(2026, 10, 25, 0, 0), AMS)  # 02:00 CEST
    assert qh.is_quiet(utc(2026, 10, 25, 1, 0), AMS)  # 02:00 CET
    assert qh.quiet_until(utc(2026, 10, 25, 0, 0), AMS) == utc(2026, 10, 25, 2, 0)


def test_amsterdam_autumn_the_end_of_the_window_falls_on_the_change_itself():
    # The first pass reaches 03:00 CEST at the very instant the clock falls back to 02:00 CET,
    # still inside 22:00-03:00: quiet lasts until 03:00 CET.
    qh = window("22:00", "03:00")
    for at in (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 59, 59, 999_999)):
        assert qh.quiet_until(at, AMS) == utc(2026, 10, 25, 2, 0)
        assert qh.quiet_until(at, AMS) == utc(2026, 10, 25, 2, 0)  # again, from the cache


def test_new_york_spring_and_autumn():
    # 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00 UTC.
    qh = window("22:00", "02:30")
    assert qh.quiet_until(utc(2026, 3, 8, 6, 59), NYC) == utc(2026, 3, 8, 7, 0)
    # 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00 UTC; 00:00-01:30 holds twice for 01:00-01:30.
    qh = window("00:00", "01:30")
    assert qh.quiet_until(utc(2026, 11, 1, 5, 15), NYC) == utc(2026, 11, 1, 5, 30)
    assert not qh.is_quiet(utc(2026, 11, 1, 5, 45), NYC)  # 01:45 EDT
    assert qh.is_quiet(utc(2026, 11, 1, 6, 10), NYC)  # 01:10 EST
    assert qh.quiet_until(utc(2026, 11, 1, 6, 10), NYC) == utc(2026, 11, 1, 6, 30)


def test_lord_howe_moves_its_clock_by_thirty_minutes():
    # 2026-10-04: 02:00 (+10:30) -> 02:30 (+11) at 2026-10-03 15:30 UTC.
    zone = "Australia/Lord_Howe"
    qh = window("22:00", "02:15")
    assert qh.quiet_until(local(zone, 2026, 10, 3, 23, 0), zone) == utc(2026, 10, 3, 15, 30)
    # 2026-04-05: 02:00 (+11) -> 01:30 (+10:30) at 2026-04-04 15:00 UTC: 01:30-02:00 twice.
    qh = window("01:45", "03:00")
    assert qh.is_quiet(utc(2026, 4, 4, 14, 45), zone)  # 01:45 (+11)
    assert not qh.is_quiet(utc(2026, 4, 4, 15, 0), zone)  # 01:30 (+10:30)
    assert qh.quiet_until(utc(2026, 4, 4, 14, 45), zone) == utc(2026, 4, 4, 15, 0)
    assert qh.quiet_until(utc(2026, 4, 4, 15, 15), zone) == utc(2026, 4, 4, 16, 30)


def test_chatham_at_a_quarter_to_the_hour():
    zone = "Pacific/Chatham"  # +13:45 in January
    qh = window("22:00", "08:00")
    assert not qh.is_quiet(utc(2026, 1, 5, 8, 14, 59, 999_999), zone)  # 21:59:59.999999
    assert qh.is_quiet(utc(2026, 1, 5, 8, 15), zone)  # 22:00
    assert qh.quiet_until(utc(2026, 1, 5, 8, 15), zone) == utc(2026, 1, 5, 18, 15)


def test_apia_skipped_a_whole_day():
    # 2011-12-29 24:00 (-10) was followed by 2011-12-31 00:00 (+14), at 2011-12-30 10:00 UTC.
    zone = "Pacific/Apia"
    qh = window("22:00", "08:00")
    at = local(zone, 2011, 12, 29, 22, 0)
    assert qh.quiet_until(at, zone) == local(zone, 2011, 12, 31, 8, 0) == utc(2011, 12, 30, 18, 0)
    qh = window("12:00", "13:00")  # the skipped date's noon never comes
    assert not qh.is_quiet(utc(2011, 12, 30, 10, 0), zone)


def test_sao_paulo_changed_its_clock_at_midnight():
    zone = "America/Sao_Paulo"
    # 2018-11-04: 00:00 (-03) -> 01:00 (-02) at 03:00 UTC: the window 23:00-00:30 ends at 01:00.
    qh = window("23:00", "00:30")
    assert qh.quiet_until(local(zone, 2018, 11, 3, 23, 30), zone) == utc(2018, 11, 4, 3, 0)
    # 2019-02-17: 00:00 (-02) -> 23:00 on the 16th (-03) at 02:00 UTC: 23:00-23:45 twice.
    qh = window("23:00", "23:45")
    assert qh.quiet_until(utc(2019, 2, 17, 1, 0), zone) == utc(2019, 2, 17, 1, 45)
    assert qh.quiet_until(utc(2019, 2, 17, 2, 10), zone) == utc(2019, 2, 17, 2, 45)
    # A window that the clock leaves by jumping back before reaching its end.
    qh = window("23:30", "00:15")
    assert qh.quiet_until(utc(2019, 2, 17, 1, 50), zone) == utc(2019, 2, 17, 2, 0)


# --- bad input ------------------------------------------------------------------------------


def test_start_equal_to_end_is_invalid():
    with pytest.raises(ValidationError) as info:
        QuietHours(dt.time(22, 0), dt.time(22, 0))
    assert [(p.path, p.code) for p in info.value.problems] == [("quiet_hours.end", "empty_window")]


@pytest.mark.parametrize("method", ["is_quiet", "quiet_until"])
def test_bad_arguments_are_validation_errors(method):
    call = getattr(window("22:00", "08:00"), method)
    bad_at = [dt.datetime(2026, 1, 1, 12, 0), dt.date(2026, 1, 1), "2026-01-01T12:00Z", None]
    for at in bad_at:
        with pytest.raises(ValidationError) as info:
            call(at, AMS)
        assert [p.path for p in info.value.problems] == ["at"]
    for tz in ["Mars/Olympus_Mons", "europe/amsterdam", "localtime", "posix/UTC", 5, None, []]:
        with pytest.raises(ValidationError) as info:
            call(utc(2026, 1, 1, 12, 0), tz)
        assert [p.path for p in info.value.problems] == ["tz"]
    with pytest.raises(ValidationError) as info:
        call(dt.datetime(2026, 1, 1), "Nowhere/Special")
    assert [p.path for p in info.value.problems] == ["tz", "at"]
    with pytest.raises(ValidationError) as info:
        call(dt.datetime(1, 1, 1, tzinfo=UTC), AMS)
    assert [(p.path, p.code) for p in info.value.problems] == [("at", "range")]


def test_a_disabled_window_still_refuses_bad_arguments():
    with pytest.raises(ValidationError):
        DEFAULT_QUIET_HOURS.is_quiet(dt.datetime(2026, 1, 1), AMS)
    with pytest.raises(ValidationError):
        DEFAULT_QUIET_HOURS.quiet_until(utc(2026, 1, 1), "Mars/Olympus_Mons")


# --- properties -----------------------------------------------------------------------------


@slow_data
@given(qh=quiet_hours(), zoned=zoned_instants(), data=st.data())
@example(qh=window("22:00", "02:30"), zoned=(AMS, utc(2026, 3, 29, 0, 30)), data=None)
def test_quiet_depends_only_on_the_local_wall_clock(qh, zoned, data):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    expected = ref_is_quiet(qh, at, zone)
    cold()
    assert qh.is_quiet(at, name) is expected  # checked path
    if data is not None:
        at = data.draw(same_instant_elsewhere(at, name))
    assert qh.is_quiet(at, name) is expected  # fast path, unless `at` is on a transition day
    assert qh.is_quiet(at, zone) is expected
    # Two instants with the same wall-clock reading (a fold's two passes) are alike.
    reading = at.astimezone(zone)
    for fold in (0, 1):
        other = reading.replace(fold=fold)
        if other.astimezone(zone).replace(tzinfo=None) == reading.replace(tzinfo=None):
            assert qh.is_quiet(other, name) is expected


@slow_data
@given(qh=quiet_hours(enabled=True), zoned=zoned_instants(), data=st.data())
def test_the_fast_path_is_taken_and_agrees(qh, zoned, data):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    cold()
    slow = (qh.is_quiet(at, name), qh.quiet_until(at, name))
    if not fast_path_ready(at, name):
        # Only days with an offset change, or an offset of odd seconds, are left uncached.
        assert _changes_or_odd_offset_on_utc_day(at, zone)
        return
    fast = (qh.is_quiet(at, name), qh.quiet_until(at, name))
    assert fast == slow
    assert fast == (ref_is_quiet(qh, at, zone), ref_quiet_until(qh, at, zone))


def _changes_or_odd_offset_on_utc_day(at: dt.datetime, zone: dt.tzinfo) -> bool:
    day = dt.timedelta(days=1)
    midnight = EPOCH + (at - EPOCH) // day * day
    offsets = {(midnight + k * 600 * SECOND).astimezone(zone).utcoffset() for k in range(145)}
    return len(offsets) > 1 or any(o is None or o % dt.timedelta(minutes=1) for o in offsets)


@slow_data
@given(qh=quiet_hours(), zoned=zoned_instants(), data=st.data())
def test_quiet_until_is_the_first_instant_that_is_not_quiet(qh, zoned, data):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    at = data.draw(same_instant_elsewhere(at, name))
    until = qh.quiet_until(at, name)
    assert until == ref_quiet_until(qh, at, zone)
    if until is None:
        assert not qh.is_quiet(at, name)
        return
    assert until.tzinfo is UTC
    assert until > at
    assert not qh.is_quiet(until, name)
    # Everything in [at, until) is quiet: both edges, and points in between.
    assert qh.is_quiet(at, name)
    assert qh.is_quiet(until - MICROSECOND, name)
    span = (until - at) // MICROSECOND
    for fraction in data.draw(st.lists(st.integers(0, span - 1), max_size=5)):
        point = at.astimezone(UTC) + fraction * MICROSECOND  # elapsed time, not wall-clock
        assert ref_is_quiet(qh, point, zone)
        assert qh.is_quiet(point, name)


@slow_data
@given(
    zone_name=st.sampled_from(ZONES),
    start=wall_times(),
    length=st.integers(1, 1439),
    day=st.dates(dt.date(1970, 1, 2), dt.date(2099, 12, 30)),
    edge=st.sampled_from(["start", "end"]),
    delta=st.sampled_from([0, -1, 1, -1_000_000, 1_000_000, -60_000_000, 60_000_000]),
    fold=st.sampled_from([0, 1]),
)
def test_readings_at_the_edges_of_the_window(zone_name, start, length, day, edge, delta, fold):
    # Instants whose wall clock reads the window's start or end, give or take a microsecond,
    # a second or a minute: where an off-by-one would show.
    end_minute = (start.hour * 60 + start.minute + length) % 1440
    qh = QuietHours(start, dt.time(end_minute // 60, end_minute % 60))
    zone = zoneinfo.ZoneInfo(zone_name)
    reading = dt.datetime.combine(day, qh.start if edge == "start" else qh.end, tzinfo=zone)
    # Wall-clock arithmetic on purpose: a reading near the edge (which may not exist).
    at = (reading.replace(fold=fold) + delta * MICROSECOND).astimezone(UTC)
    for _ in range(2):
        assert qh.is_quiet(at, zone_name) is ref_is_quiet(qh, at, zone)
        assert qh.quiet_until(at, zone_name) == ref_quiet_until(qh, at, zone)


@slow_data
@given(
    zone_name=st.sampled_from(ZONES),
    zoned=st.data(),
    start=wall_times(),
    side=st.sampled_from(["before", "after"]),
    back=st.integers(1, 30 * 3600),
)
def test_windows_that_end_at_a_transition(zone_name, zoned, start, side, back):
    # The window ends at the wall-clock reading of an offset change (under the old offset or
    # the new one), and the instant asked about comes up to 30 hours earlier.
    _, change = zoned.draw(zoned_instants(st.just(zone_name)))
    zone = zoneinfo.ZoneInfo(zone_name)
    offset = (change + (1 if side == "after" else -1) * SECOND).astimezone(zone).utcoffset()
    assert offset is not None
    reading = (change.replace(tzinfo=None) + offset).time().replace(second=0, microsecond=0)
    if reading == start:
        return
    qh = QuietHours(start, reading)
    at = change - back * SECOND
    for _ in range(2):
        assert qh.quiet_until(at, zone_name) == ref_quiet_until(qh, at, zone)


@slow_data
@given(qh=quiet_hours(enabled=True), zoned=one_change_zones())
def test_made_up_zones_with_odd_changes(qh, zoned):
    # Gaps and folds across midnight, whole days skipped or repeated.
    zone, at = zoned
    for _ in range(2):
        assert qh.is_quiet(at, zone) is ref_is_quiet(qh, at, zone)
        assert qh.quiet_until(at, zone) == ref_quiet_until(qh, at, zone)


def test_a_repeated_day_is_quiet_twice():
    # A made-up zone sets its clock back a whole day at 2026-01-02 00:00 (+12 -> -12).
    zone = OneChange(utc(2026, 1, 1, 12, 0), dt.timedelta(hours=12), dt.timedelta(hours=-12))
    qh = window("22:00", "08:00")
    assert qh.quiet_until(utc(2026, 1, 1, 10, 0), zone) == utc(2026, 1, 1, 20, 0)  # 22:00 (+12)
    assert qh.quiet_until(utc(2026, 1, 1, 12, 0), zone) == utc(2026, 1, 1, 20, 0)  # 00:00 (-12)


@given(qh=quiet_hours(enabled=False), zoned=zoned_instants(st.sampled_from([AMS, NYC, "UTC"])))
def test_disabled_is_never_quiet(qh, zoned):
    name, at = zoned
    assert not qh.is_quiet(at, name)
    assert qh.quiet_until(at, name) is None


def test_modes_do_not_change_the_window():
    at = utc(2026, 1, 15, 23, 0)
    answers = {
        (qh.is_quiet(at, AMS), qh.quiet_until(at, AMS))
        for qh in (window("22:00", "08:00", mode=mode) for mode in QuietMode)
    }
    assert answers == {(True, utc(2026, 1, 16, 7, 0))}


def test_the_constructor_checks_its_fields():
    assert window("22:00", "08:00").describe() == "22:00\u201308:00"
    with pytest.raises(ValidationError) as info:
        QuietHours(dt.time(22, 0), dt.time(8, 0), mode="defer")  # type: ignore[arg-type]
    assert [p.path for p in info.value.problems] == ["quiet_hours.mode"]


def test_the_docstring_examples_run():
    result = doctest.testmod(quiet_hours_module)
    assert result.attempted > 0
    assert result.failed == 0


def _pickled(value: QuietHours) -> QuietHours:
    copied: QuietHours = pickle.loads(pickle.dumps(value))  # noqa: S301 -- our own bytes
    return copied


@pytest.mark.parametrize("make", [copy.copy, copy.deepcopy, _pickled])
def test_a_copied_window_answers_like_the_original(make):
    # The minute table the fast path reads is not a field: a copy builds its own on first use.
    qh = window("22:00", "08:00")
    at = utc(2026, 1, 5, 23, 30)
    assert qh.is_quiet(at, AMS)
    copied = make(qh)
    assert copied == qh
    assert copied.is_quiet(at, AMS)
    assert copied.quiet_until(at, AMS) == qh.quiet_until(at, AMS) == utc(2026, 1, 6, 7)
    assert attrs.asdict(copied) == {
        "start": dt.time(22),
        "end": dt.time(8),
        "enabled": True,
        "mode": QuietMode.SUPPRESS,
    }


def test_evolve_builds_a_new_minute_table():
    qh = window("22:00", "08:00")
    at = utc(2026, 1, 5, 7, 30)  # 08:30 in Amsterdam
    assert not qh.is_quiet(at, AMS)
    later = attrs.evolve(qh, end=dt.time(9))
    assert later.is_quiet(at, AMS)
    assert later.quiet_until(at, AMS) == utc(2026, 1, 5, 8)
    assert not attrs.evolve(later, enabled=False).is_quiet(at, AMS)
