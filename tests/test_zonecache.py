"""The per-zone offset tables against the zone data itself.

The tables find transitions by probing zoneinfo once a day; these tests read the TZif files
(the data zoneinfo reads) independently and check that no transition is missed or misplaced,
and hold the fold=0 resolution of wall-clock readings to zoneinfo and dateutil.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import os
import struct
import zoneinfo

import dateutil.tz
import pytest
from dateutil.tz import datetime_exists, resolve_imaginary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifpolicy import _zonecache as zonecache
from notifpolicy._errors import ValidationError
from notifpolicy._zonecache import CHUNK, DAY, EPOCH, ZoneTable, instant, split, zone_table

from ._time_strategies import UTC, ZONES, OneChange, one_change_zones, zoned_instants

SECOND = dt.timedelta(seconds=1)
LO = int(dt.datetime(1970, 1, 1, tzinfo=UTC).timestamp())
HI = int(dt.datetime(2100, 1, 1, tzinfo=UTC).timestamp())

slow_data = settings(suppress_health_check=[HealthCheck.too_slow])


def tzif_bytes(key: str) -> bytes:
    """The TZif file zoneinfo reads for ``key``: the first on TZPATH, else the tzdata package."""
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, *key.split("/"))
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return f.read()
    package, _, name = f"tzdata.zoneinfo.{key.replace('/', '.')}".rpartition(".")
    return importlib.resources.files(package).joinpath(name).read_bytes()


def tzif_changes(key: str) -> tuple[list[tuple[int, int]], int | None]:
    """The explicit transitions of a TZif (version 2+) file that change the UTC offset, as
    ``(utc_seconds, new_offset)``, and the time of its last explicit transition."""
    data = tzif_bytes(key)
    assert data[:4] == b"TZif"
    counts = struct.unpack(">6l", data[20:44])
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = counts
    # Skip the version 1 block (32-bit times) to the version 2 header.
    skip = timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
    v2 = data[44 + skip :]
    assert v2[:4] == b"TZif"
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = struct.unpack(">6l", v2[20:44])
    body = v2[44:]
    times = struct.unpack(f">{timecnt}q", body[: timecnt * 8])
    indexes = body[timecnt * 8 : timecnt * 9]
    types = body[timecnt * 9 : timecnt * 9 + typecnt * 6]
    offsets = [struct.unpack(">lBB", types[i * 6 : i * 6 + 6])[0] for i in range(typecnt)]
    changes: list[tuple[int, int]] = []
    previous = offsets[0]  # RFC 8536: time type 0 holds before the first transition
    for when, index in zip(times, indexes, strict=True):
        offset = offsets[index]
        if offset != previous:
            changes.append((when, offset))
        previous = offset
    return changes, (times[-1] if times else None)


def table_changes(table: ZoneTable, lo: int, hi: int) -> list[tuple[int, int]]:
    """The offset changes the table knows in ``[lo, hi]``."""
    changes = []
    second = lo
    offset, _, end = table.segment(second)
    while end <= hi:
        new_offset, _, next_end = table.segment(end)
        if new_offset != offset:
            changes.append((end, new_offset))
        offset, end = new_offset, next_end
    return changes


@slow_data
@given(key=st.sampled_from(ZONES))
def test_the_table_finds_every_transition_in_the_tzif_file(key):
    changes, last = tzif_changes(key)
    if last is None or last < LO:
        return  # no explicit transitions since 1970: the properties cover the rest
    hi = min(last, HI)
    expected = [(when, offset) for when, offset in changes if LO < when <= hi]
    assert table_changes(zone_table(key), LO, hi) == expected
    # The probing relies on offsets and transitions being whole seconds.
    assert all(isinstance(when, int) and isinstance(o, int) for when, o in expected)


def test_the_tzif_reader_reads_amsterdam():
    changes, _ = tzif_changes("Europe/Amsterdam")
    spring = int(dt.datetime(2026, 3, 29, 1, tzinfo=UTC).timestamp())
    autumn = int(dt.datetime(2026, 10, 25, 1, tzinfo=UTC).timestamp())
    assert (spring, 7200) in changes
    assert (autumn, 3600) in changes


def ref_resolve(reading: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """fold=0, or forward by the gap: the spec's rule for a wall-clock reading."""
    local = reading.replace(tzinfo=zone, fold=0)
    if not datetime_exists(local):
        local = resolve_imaginary(local)
    return local.astimezone(UTC)


def local_seconds(reading: dt.datetime) -> int:
    return (reading.replace(tzinfo=UTC) - EPOCH) // SECOND


@slow_data
@given(zoned=zoned_instants(), shift=st.integers(-3 * 3600, 3 * 3600))
def test_resolve_matches_zoneinfo_near_transitions(zoned, shift):
    name, at = zoned
    zone = zoneinfo.ZoneInfo(name)
    # A whole-second reading near what the wall clock showed at `at`, perhaps in a gap or fold.
    reading = at.astimezone(zone).replace(tzinfo=None, microsecond=0) + shift * SECOND
    second = zone_table(name).resolve(local_seconds(reading))
    assert instant(second) == ref_resolve(reading, zone)


@slow_data
@given(zoned=one_change_zones(), shift=st.integers(-3 * 3600, 3 * 3600))
def test_resolve_in_made_up_zones(zoned, shift):
    zone, at = zoned
    reading = at.astimezone(zone).replace(tzinfo=None, microsecond=0) + shift * SECOND
    assert instant(zone_table(zone).resolve(local_seconds(reading))) == ref_resolve(reading, zone)


def test_resolve_examples():
    ams = zone_table("Europe/Amsterdam")
    gap = dt.datetime(2026, 3, 29, 2, 30)  # 02:00 -> 03:00: read with +01:00, shown as 03:30
    assert instant(ams.resolve(local_seconds(gap))) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    fold = dt.datetime(2026, 10, 25, 2, 30)  # twice: the first pass, +02:00
    assert instant(ams.resolve(local_seconds(fold))) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    apia = zone_table("Pacific/Apia")
    skipped = dt.datetime(2011, 12, 30, 9, 0)  # the whole date is missing: onto the 31st
    assert instant(apia.resolve(local_seconds(skipped))) == dt.datetime(
        2011, 12, 30, 19, 0, tzinfo=UTC
    )


def test_fixed_offsets_and_utc():
    plus = zone_table(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert plus.fixed == 5 * 3600 + 1800
    assert plus.offset(0) == 19800
    assert zone_table("UTC").offset(1_800_000_000) == 0
    assert zone_table("Asia/Kolkata").offset(1_800_000_000) == 19800


def test_day_entries_are_cached_only_for_whole_days_of_one_offset():
    table = zone_table("Europe/Amsterdam")
    spring = (dt.datetime(2026, 3, 29, tzinfo=UTC) - EPOCH).days
    assert table.day_entry(spring) is None
    entry = table.day_entry(spring + 1)
    assert entry is not None
    assert (entry.offset, entry.first) == (7200, (spring * DAY) + 3600)
    assert entry.midnight == dt.datetime(2026, 3, 30, tzinfo=UTC)
    assert entry.minutes[0] == 2 * 60  # 02:00 at 00:00 UTC
    assert entry.end_in_day == entry.end - (spring + 1) * DAY
    # Monrovia kept -00:44:30 until 1972: not whole minutes, so not cached.
    monrovia = zone_table("Africa/Monrovia")
    assert monrovia.day_entry((dt.datetime(1971, 6, 1, tzinfo=UTC) - EPOCH).days) is None
    assert monrovia.offset((dt.datetime(1971, 6, 1, tzinfo=UTC) - EPOCH) // SECOND) == -2670


def test_split_is_exact_in_any_year():
    for at in (
        dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        dt.datetime(9999, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 3, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")),
    ):
        second, micro = split(at)
        assert instant(second, micro) == at
    with pytest.raises(ValidationError):
        split(dt.datetime(9999, 12, 31, tzinfo=UTC))


def test_a_misbehaving_tzinfo_is_a_validation_error():
    class HalfSecond(dt.tzinfo):
        def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(seconds=0.5)

        def dst(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(0)

        def tzname(self, d: dt.datetime | None) -> str:
            return "half"

    with pytest.raises(ValidationError) as info:
        zone_table(HalfSecond()).offset(0)
    assert [p.path for p in info.value.problems] == ["tz"]


@pytest.mark.parametrize("chunk", [-2, 0, 1, 40])
@pytest.mark.parametrize("nudge", [-1, 0, 1])
def test_a_change_on_the_first_second_of_a_chunk(chunk, nudge):
    # Tables are built in chunks; a change on a chunk's edge belongs to exactly one of them.
    change = chunk * CHUNK + nudge
    zone = OneChange(instant(change), dt.timedelta(hours=1), dt.timedelta(hours=2))
    table = zone_table(zone)
    assert table.offset(change - 1) == 3600
    assert table.offset(change) == 7200
    assert table.segment(change - 1).end == change
    assert table.segment(change).first == change


def test_a_tzinfo_that_raises_is_a_validation_error():
    class TooFar(dt.tzinfo):
        def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(hours=25)  # datetime refuses offsets of a day or more

        def dst(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(0)

        def tzname(self, d: dt.datetime | None) -> str:
            return "far"

    with pytest.raises(ValidationError) as info:
        zone_table(TooFar()).offset(0)
    assert [(p.path, p.code) for p in info.value.problems] == [("tz", "timezone")]


def test_the_caches_start_over_when_full(monkeypatch):
    monkeypatch.setattr(zonecache, "_MAX_TABLES", 2)
    monkeypatch.setattr(zonecache, "_MAX_DAYS", 2)
    # Start from empty caches: earlier tests (many zones under the ci profile) filled them, and
    # the caches only start over when a new zone arrives.
    zonecache._make_room()
    zonecache._MIDNIGHTS.clear()
    names = ["Europe/Amsterdam", "America/New_York", "Asia/Tokyo", "Europe/Amsterdam"]
    for name in names:
        table = zone_table(name)
        for day in range(20_000, 20_005):
            assert table.day_entry(day) is not None
            assert len(table._days) <= 2
        assert zonecache.instant(day * DAY) == EPOCH + dt.timedelta(days=day)
        assert len(zonecache._MIDNIGHTS) <= 2
    assert len(zonecache._TABLES) <= 2
    assert zone_table("Asia/Tokyo").offset(1_800_000_000) == 9 * 3600


def test_an_unhashable_tzinfo_gets_its_table_once():
    zone = dateutil.tz.gettz("Europe/Amsterdam")
    assert zone is not None
    with pytest.raises(TypeError):
        hash(zone)
    table = zone_table(zone)
    assert zone_table(zone) is table
    assert table.offset(1_800_000_000) == zone_table("Europe/Amsterdam").offset(1_800_000_000)


@slow_data
@given(
    key=st.sampled_from(ZONES),
    first=st.integers(LO - 3 * CHUNK, HI),
    length=st.integers(0, 3 * CHUNK),
)
def test_segments_cover_a_range_in_order_with_the_zones_offsets(key, first, length):
    table = zone_table(key)
    pieces = list(table.segments(first, first + length))
    if not length:
        assert pieces == []
        return
    # Back to back, clipped to the range, never empty, and each one's offset the zone's own.
    assert [p.first for p in pieces] == [first, *(p.end for p in pieces[:-1])]
    assert pieces[-1].end == first + length
    for piece in pieces:
        assert piece.first < piece.end
        for second in {piece.first, (piece.first + piece.end) // 2, piece.end - 1}:
            assert table.offset(second) == piece.offset
            offset = instant(second).astimezone(zoneinfo.ZoneInfo(key)).utcoffset()
            assert offset is not None
            assert offset // SECOND == piece.offset


def test_segments_around_a_transition():
    ams = zone_table("Europe/Amsterdam")
    spring = (dt.datetime(2026, 3, 29, 1, tzinfo=UTC) - EPOCH) // SECOND
    assert [tuple(p) for p in ams.segments(spring - 10, spring + 10)] == [
        (3600, spring - 10, spring),
        (7200, spring, spring + 10),
    ]
    assert list(ams.segments(spring, spring)) == []


def test_a_tzinfo_without_offsets_is_a_validation_error():
    class NoOffset(dt.tzinfo):
        def utcoffset(self, d: dt.datetime | None) -> None:
            return None

        def dst(self, d: dt.datetime | None) -> None:
            return None

        def tzname(self, d: dt.datetime | None) -> str:
            return "nowhere"

    with pytest.raises(ValidationError, match="tz: must give a UTC offset for every instant"):
        zone_table(NoOffset()).offset(0)

    class NoOffsetAfterAll(NoOffset):
        def fromutc(self, d: dt.datetime) -> dt.datetime:
            return d  # places the instant, then has no offset for it

    with pytest.raises(ValidationError, match="offset for every instant, got None from"):
        zone_table(NoOffsetAfterAll()).offset(0)


def test_the_cache_can_be_cleared_and_refills():
    at = dt.datetime(2026, 6, 1, 12, tzinfo=UTC)
    zonecache.local_minute(at, "Asia/Tokyo")
    assert zonecache.is_cached(at, "Asia/Tokyo")
    zonecache.cache_clear()
    assert not zonecache.is_cached(at, "Asia/Tokyo")
    assert zonecache.local_minute(at, "Asia/Tokyo") == 21 * 60
    assert zonecache.is_cached(at, "Asia/Tokyo")


def test_a_tzinfo_that_breaks_is_told_it_failed_not_that_it_gave_no_offset():
    class TooFar(dt.tzinfo):
        def utcoffset(self, d: dt.datetime | None) -> dt.timedelta:
            return dt.timedelta(hours=25)  # datetime refuses offsets of a day or more

        def dst(self, d: dt.datetime | None) -> None:
            return None

        def tzname(self, d: dt.datetime | None) -> str:
            return "far"

    with pytest.raises(ValidationError, match=r"^tz: .* failed: offset must be") as raised:
        zone_table(TooFar()).offset(0)
    assert "must give a UTC offset" not in str(raised.value)
