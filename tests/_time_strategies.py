"""Instants in every zone, with the moments that matter over-sampled (a helper for the tests of
quiet hours and digest schedules).

Half the instants fall within a few hours of one of the zone's offset changes; those are found
here by scanning ``utcoffset`` (independently of ``notifpolicy._zonecache``) and cached per zone
and decade: a strategy draws a zone and a decade first, so a run scans only what it samples.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from hypothesis import strategies as st

__all__ = [
    "HI",
    "LO",
    "UTC",
    "ZONES",
    "OneChange",
    "floor_second",
    "one_change_zones",
    "same_instant_elsewhere",
    "transitions",
    "zoned_instants",
]

UTC = dt.UTC
LO = dt.datetime(1970, 1, 1, tzinfo=UTC)
HI = dt.datetime(2100, 1, 1, tzinfo=UTC)
SECOND = dt.timedelta(seconds=1)
MICROSECOND = dt.timedelta(microseconds=1)

# Every zone a workspace may use: what zoneinfo knows, minus the machine's own zone, the
# placeholder, and the duplicated posix/ and right/ trees.
ZONES = sorted(
    key
    for key in zoneinfo.available_timezones()
    if key not in {"localtime", "Factory"} and not key.startswith(("posix/", "right/"))
)

# A probe every two days finds a pair of changes further apart than that; tzdata's closest
# pair since 1970 is a week apart.  Missing one would only make the sampling less sharp.
_SCAN_STEP = 2 * 86_400


def _offset(zone: dt.tzinfo, ts: int) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(ts, zone).utcoffset()


def _year(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=UTC)


@functools.cache
def transitions(name: str, decade: int) -> tuple[dt.datetime, ...]:
    """The instants (UTC) in the ten years from ``decade`` at which the zone's offset changes."""
    zone = zoneinfo.ZoneInfo(name)
    lo, hi = int(_year(decade).timestamp()), int(_year(decade + 10).timestamp())
    found: list[dt.datetime] = []
    before = _offset(zone, lo)
    for probe in range(lo, hi, _SCAN_STEP):
        a, b = probe, min(probe + _SCAN_STEP, hi)
        after = _offset(zone, b)
        if after == before:
            continue
        while b - a > 1:  # the first second with the new offset
            mid = (a + b) // 2
            if _offset(zone, mid) == before:
                a = mid
            else:
                b = mid
        found.append(dt.datetime.fromtimestamp(b, UTC))
        before = after
    return tuple(found)


def floor_second(at: dt.datetime) -> dt.datetime:
    """``at`` without its microseconds."""
    return at - at.microsecond * MICROSECOND


@st.composite
def zoned_instants(
    draw: st.DrawFn, zones: st.SearchStrategy[str] | None = None
) -> tuple[str, dt.datetime]:
    """``(zone name, aware UTC instant)`` from 1970 to 2100, near a transition half the time."""
    name = draw(zones if zones is not None else st.sampled_from(ZONES))
    decade = draw(st.sampled_from(range(LO.year, HI.year, 10)))
    near = transitions(name, decade)
    if draw(st.booleans()) and near:
        edge = draw(st.sampled_from(near))
        # Within a few hours, and now and then within a second of the change itself.
        spread = draw(st.sampled_from([SECOND, 6 * 3600 * SECOND]))
        offset = draw(st.integers(-spread // MICROSECOND, spread // MICROSECOND))
        return name, edge + offset * MICROSECOND
    lo, hi = _year(decade), _year(decade + 10)
    offset = draw(st.integers(0, (hi - lo) // MICROSECOND - 1))
    return name, lo + offset * MICROSECOND


@st.composite
def same_instant_elsewhere(draw: st.DrawFn, at: dt.datetime, name: str) -> dt.datetime:
    """``at`` expressed in another tzinfo: UTC, the workspace zone itself, or a fixed offset."""
    tzinfo = draw(
        st.sampled_from([UTC, zoneinfo.ZoneInfo(name)])
        | st.integers(-23 * 60, 23 * 60).map(lambda m: dt.timezone(m * 60 * SECOND))
    )
    return at.astimezone(tzinfo)


class OneChange(dt.tzinfo):
    """A made-up zone with a single offset change, for shapes tzdata has rarely or never had:
    a clock that falls back across midnight, a gap across midnight, a whole day skipped or
    repeated.  PEP 495 throughout: in a gap or a fold, ``fold=0`` reads with the old offset.
    """

    def __init__(self, change: dt.datetime, before: dt.timedelta, after: dt.timedelta) -> None:
        self.change = change.astimezone(UTC).replace(tzinfo=None)  # naive UTC
        self.before = before
        self.after = after

    def __repr__(self) -> str:
        return f"OneChange({self.change.isoformat()}Z, {self.before} -> {self.after})"

    def utcoffset(self, d: dt.datetime | None) -> dt.timedelta | None:
        if d is None:
            return None
        reading = d.replace(tzinfo=None)
        old, new = self.change + self.before, self.change + self.after
        if reading < min(old, new):
            return self.before
        if reading >= max(old, new):
            return self.after
        return self.after if d.fold else self.before

    def dst(self, d: dt.datetime | None) -> dt.timedelta | None:
        return dt.timedelta(0)

    def tzname(self, d: dt.datetime | None) -> str | None:
        return None

    def fromutc(self, d: dt.datetime) -> dt.datetime:
        instant = d.replace(tzinfo=None)
        if instant < self.change:
            return (instant + self.before).replace(tzinfo=self)
        reading = instant + self.after
        # The second pass through a repeated stretch of wall-clock time.
        fold = int(reading < self.change + self.before)
        return reading.replace(tzinfo=self, fold=fold)


@st.composite
def one_change_zones(draw: st.DrawFn) -> tuple[OneChange, dt.datetime]:
    """``(zone, instant near its change)``: changes of 30 minutes to a whole day, either way,
    often at a wall-clock time close to midnight."""
    before = draw(st.integers(-12 * 4, 14 * 4)) * dt.timedelta(minutes=15)
    jump = draw(st.sampled_from([30, 60, 120, 24 * 60])) * dt.timedelta(minutes=1)
    after = before + jump if draw(st.booleans()) else before - jump
    limit = dt.timedelta(hours=24)  # datetime's bound on an offset, exclusive
    if abs(after) >= limit:
        after = before - jump if after > before else before + jump
    if abs(after) >= limit:  # from UTC, the largest jump forward there is
        after = before + dt.timedelta(hours=23)
    day = draw(st.dates(dt.date(1971, 1, 1), dt.date(2099, 1, 1)))
    minute = draw(
        st.sampled_from([0, 30, 60, 23 * 60, 23 * 60 + 30, 24 * 60 - 1])
        | st.integers(0, 24 * 60 - 1)
    )
    # The old wall clock reads `day` + `minute` when the change happens.
    change = dt.datetime.combine(day, dt.time(), tzinfo=UTC) + (minute * 60 * SECOND - before)
    spread = 30 * 3600 * 10**6
    near = change + draw(st.integers(-spread, spread)) * MICROSECOND
    return OneChange(change, before, after), near
