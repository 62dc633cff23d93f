"""The SLA clock: real elapsed time, counted only while the workspace is open.

Theory of operation
-------------------
Two rules decide everything (see ``docs/concepts/escalations.md``):

* business hours are a predicate on the **local wall clock and local date** of an instant: an
  instant is open when its wall-clock reading in the workspace zone lies inside an opening range
  of its local date, and that date is not a closed date;
* a duration on the SLA clock is **real elapsed time** counted over the open instants.

Instants are plain integers here, microseconds since 1970-01-01T00:00Z, so sums are exact and
``f(a, c) == f(a, b) + f(b, c)`` holds to the microsecond.

1. *Offsets.*  The zone's UTC offset is piecewise constant along the instant line.  Within a
   stretch of constant offset ``o`` the wall clock is ``instant + o``, strictly increasing, so the
   instants whose wall reading lies in ``[A, B)`` are exactly ``[A - o, B - o)`` clipped to the
   stretch.  A skipped hour is a wall range that no stretch reaches (it counts zero: an opening at
   02:30 on a spring-forward night opens at 03:00); a repeated hour is reached by two stretches
   (it counts twice: a closing at 02:30 inside the repeated hour closes, then re-opens for the
   repeat).  No other DST case exists, so there is no special-case code for one.  The stretches
   are the zone engine's segments (``_zonecache``, shared with quiet hours and the digests),
   whose transitions fall on whole seconds.
2. *Local dates.*  Each local date has open wall-clock spans (minutes after midnight): its
   weekday's ranges, the before-midnight part of its own overnight ranges and the after-midnight
   part of the previous day's overnight ranges.  A closed date has none, so a holiday on the 25th
   closes 00:00-02:00 of a range opened on the 24th and leaves the 24th's evening open: the
   after-midnight part belongs to its own date.
3. *Chunks.*  The instant line is cut into 7-day chunks (aligned on UTC, not on local weeks).  A
   chunk's open intervals, as instants, with running totals, are computed once per
   ``(hours, zone)`` and cached.  ``business_time_between`` is then two bisections plus the totals
   of the whole chunks in between, and ``business_due_at`` walks forward chunk by chunk and
   inverts the running total with one bisection.  The cost of a call grows with the calendar time
   it spans, not with the budget: a schedule open a few hours a week reaches a 7-day budget after
   many weeks, and walks (and caches) that many chunks.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools

from notifpolicy._business_hours import MINUTES_PER_DAY, BusinessHours
from notifpolicy._errors import ValidationError, quote
from notifpolicy._timeutil import require_aware, weekday_of_day
from notifpolicy._zonecache import ZoneTable, zone_table

__all__ = ["BusinessCalendar", "business_due_at", "business_time_between", "calendar_for"]

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_ONE_US = dt.timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 86_400_000_000
_CHUNK_US = 7 * _US_PER_DAY
# Per-calendar cache bound, in weeks (about 315 years); past it the cache starts over.  Large on
# purpose: a schedule open one minute a week needs 193 years for the largest budget (7 days),
# and a walk that long must stay cached, or every evaluation would rebuild it.  A week with no
# open time costs a few hundred bytes.
_MAX_CHUNKS = 16384

# Supported instants: whole chunks kept a few days clear of datetime's own limits, so that local
# wall dates and the offset probes around them stay representable.
_FIRST_CHUNK = -((-(dt.datetime(1, 1, 4, tzinfo=UTC) - _EPOCH) // _ONE_US) // _CHUNK_US)
_LAST_CHUNK = ((dt.datetime(9999, 12, 28, tzinfo=UTC) - _EPOCH) // _ONE_US) // _CHUNK_US - 1
MIN_INSTANT_US = _FIRST_CHUNK * _CHUNK_US
MAX_INSTANT_US = (_LAST_CHUNK + 1) * _CHUNK_US - 1


def to_us(value: dt.datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact, unlike ``timestamp()``)."""
    return (value - _EPOCH) // _ONE_US


def from_us(value: int) -> dt.datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + dt.timedelta(microseconds=value)


class _Chunk:
    """One week of the instant line: open intervals ``[starts[i], ends[i])`` and running totals.

    ``cum[i]`` is the open time from the chunk's start to ``ends[i]``.
    """

    __slots__ = ("cum", "ends", "starts", "total")

    def __init__(self, starts: tuple[int, ...], ends: tuple[int, ...]) -> None:
        self.starts = starts
        self.ends = ends
        running = 0
        cum = []
        for s, e in zip(starts, ends, strict=True):
            running += e - s
            cum.append(running)
        self.cum = tuple(cum)
        self.total = running

    def elapsed(self, t: int) -> int:
        """Open time from the chunk's start to ``t`` (``t`` inside the chunk or at its end)."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] if t >= end else self.cum[i] - (end - t)


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sort and join spans that touch or overlap, so that every interval is maximal."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _weekday_spans(hours: BusinessHours) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each weekday (Monday = 0), its open wall-clock spans in microseconds after midnight."""
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for day, ranges in hours.weekly.items():
        for r in ranges:
            if r.crosses_midnight:
                per_day[day].append((r.start, MINUTES_PER_DAY))
                if r.end > 0:
                    # The after-midnight part sits on the next local date (and its closures).
                    per_day[(day + 1) % 7].append((0, r.end))
            else:
                per_day[day].append((r.start, r.end))
    return tuple(
        tuple((a * _US_PER_MINUTE, b * _US_PER_MINUTE) for a, b in _merge(spans))
        for spans in per_day
    )


class BusinessCalendar:
    """The open intervals of one ``(BusinessHours, zone)`` pair, computed lazily and cached.

    Internal: the public entry points are :func:`business_time_between` and
    :func:`business_due_at`; the escalation engine uses the microsecond methods directly.
    Thread-safe in the way a cache needs to be: two threads may build the same chunk, and either
    copy is right.
    """

    __slots__ = ("_chunks", "_closed_days", "_spans", "_table")

    def __init__(self, hours: BusinessHours, table: ZoneTable) -> None:
        self._table = table
        self._spans = _weekday_spans(hours)
        self._closed_days = frozenset(d.toordinal() - _EPOCH_ORDINAL for d in hours.closed_dates)
        self._chunks: dict[int, _Chunk] = {}

    # -- building -------------------------------------------------------------------------------

    def _day_spans(self, day: int) -> tuple[tuple[int, int], ...]:
        if day in self._closed_days:
            return ()
        return self._spans[weekday_of_day(day)]

    def _build(self, k: int) -> _Chunk:
        lo = k * _CHUNK_US // _US_PER_SECOND  # chunks start on whole seconds
        starts: list[int] = []
        ends: list[int] = []
        for segment in self._table.segments(lo, lo + _CHUNK_US // _US_PER_SECOND):
            offset = segment.offset * _US_PER_SECOND
            s0, s1 = segment.first * _US_PER_SECOND, segment.end * _US_PER_SECOND
            w0, w1 = s0 + offset, s1 + offset  # the segment's wall-clock range
            for day in range(w0 // _US_PER_DAY, (w1 - 1) // _US_PER_DAY + 1):
                base = day * _US_PER_DAY
                for a, b in self._day_spans(day):
                    x, y = max(base + a, w0) - offset, min(base + b, w1) - offset
                    if x >= y:
                        continue
                    # Segments and days come in instant order, so joining onto the last
                    # interval is all the merging needed (midnight, a segment boundary).
                    if ends and ends[-1] == x:
                        ends[-1] = y
                    else:
                        starts.append(x)
                        ends.append(y)
        return _Chunk(tuple(starts), tuple(ends))

    def _chunk(self, k: int) -> _Chunk:
        chunk = self._chunks.get(k)
        if chunk is None:
            chunk = self._build(k)
            if len(self._chunks) >= _MAX_CHUNKS:
                self._chunks.clear()
            self._chunks[k] = chunk
        return chunk

    # -- questions, in microseconds ---------------------------------------------------------

    def between_us(self, a: int, b: int) -> int:
        """Open time in ``[a, b)``, ``a <= b``, both within the supported range."""
        ka, kb = a // _CHUNK_US, b // _CHUNK_US
        first = self._chunk(ka)
        if ka == kb:
            return first.elapsed(b) - first.elapsed(a)
        total = first.total - first.elapsed(a)
        for k in range(ka + 1, kb):
            total += self._chunk(k).total
        if b > kb * _CHUNK_US:  # b on a chunk boundary needs nothing from chunk kb
            total += self._chunk(kb).elapsed(b)
        return total

    def due_at_us(self, start: int, budget: int) -> int | None:
        """The least ``t >= start`` with ``budget`` of open time in ``[start, t)``.

        ``None`` when that lies beyond the supported range.
        """
        if budget <= 0:
            return start
        k = start // _CHUNK_US
        chunk = self._chunk(k)
        target = chunk.elapsed(start) + budget
        while target > chunk.total:
            target -= chunk.total
            k += 1
            if k > _LAST_CHUNK:
                return None
            chunk = self._chunk(k)
        i = bisect.bisect_left(chunk.cum, target)
        return chunk.ends[i] - (chunk.cum[i] - target)

    def latest_start_us(self, now: int, budget: int, *, floor: int | None = None) -> int | None:
        """The latest start ``s`` with at least ``budget`` of open time in ``[s, now)``.

        A clock started at or before ``s`` is due by ``now``; one started later is not (the due
        instant never decreases as the start moves later).  ``floor``: the caller asks only about
        starts at or after it, so the walk back stops there.  ``None``: no start in the supported
        range (at or after ``floor``) is due yet.
        """
        if budget <= 0:
            return now
        # A sparse schedule can need years of calendar for a week's budget: walk back no
        # further than the oldest start in question.
        first = _FIRST_CHUNK if floor is None else max(_FIRST_CHUNK, floor // _CHUNK_US)
        k = now // _CHUNK_US
        chunk = self._chunk(k)
        target = chunk.elapsed(now) - budget
        while target < 0:
            k -= 1
            if k < first:
                return None
            chunk = self._chunk(k)
            target += chunk.total
        # The first interval whose running total passes the target holds s; target < total.
        i = bisect.bisect_right(chunk.cum, target)
        return chunk.ends[i] - (chunk.cum[i] - target)


@functools.lru_cache(maxsize=32)
def _calendar(hours: BusinessHours, table: ZoneTable) -> BusinessCalendar:
    return BusinessCalendar(hours, table)


def calendar_for(hours: object, tz: str | dt.tzinfo) -> BusinessCalendar:
    """The cached calendar for ``hours`` in ``tz`` (a zone name or a tzinfo), checked."""
    if not isinstance(hours, BusinessHours):
        raise ValidationError.single(
            "hours", "type", f"must be a BusinessHours value, got {type(hours).__name__}"
        )
    return _calendar(hours, zone_table(tz))


def check_supported(value: dt.datetime, *, path: str) -> int:
    """``value`` in microseconds, or a :class:`ValidationError` outside the supported range."""
    t = to_us(value)
    if not MIN_INSTANT_US <= t <= MAX_INSTANT_US:
        raise ValidationError.single(
            path,
            "range",
            f"must lie between {from_us(MIN_INSTANT_US).isoformat()} and "
            f"{from_us(MAX_INSTANT_US).isoformat()} for the business-hours clock, "
            f"got {value.isoformat()}",
        )
    return t


def business_time_between(
    a: dt.datetime, b: dt.datetime, *, hours: BusinessHours, tz: str | dt.tzinfo
) -> dt.timedelta:
    """Real elapsed time from ``a`` to ``b`` while the workspace is open.

    Open means: the local wall clock in ``tz`` is inside an opening range of its local date, and
    that date is not closed.  A skipped hour counts zero, a repeated hour counts twice.  Like
    ``b - a``, the result is negative when ``b`` is before ``a``.

    >>> import datetime as dt
    >>> from notifpolicy import WorkspaceSettings
    >>> opening = {"weekly": {"sun": [["00:00", "02:30"]]}}
    >>> hours = WorkspaceSettings.from_dict({"business_hours": opening}).business_hours
    >>> utc = dt.timezone.utc
    >>> # Europe/Amsterdam, 2026-10-25: 02:00-03:00 happens twice; 2 h 30 min + the 30 min repeat.
    >>> business_time_between(dt.datetime(2026, 10, 24, 12, tzinfo=utc),
    ...                       dt.datetime(2026, 10, 25, 12, tzinfo=utc),
    ...                       hours=hours, tz="Europe/Amsterdam")
    datetime.timedelta(seconds=10800)
    """
    a = require_aware(a, path="a")
    b = require_aware(b, path="b")
    calendar = calendar_for(hours, tz)
    ta, tb = check_supported(a, path="a"), check_supported(b, path="b")
    if ta <= tb:
        return dt.timedelta(microseconds=calendar.between_us(ta, tb))
    return -dt.timedelta(microseconds=calendar.between_us(tb, ta))


def business_due_at(
    start: dt.datetime, budget: dt.timedelta, *, hours: BusinessHours, tz: str | dt.tzinfo
) -> dt.datetime:
    """The instant at which ``budget`` of business time has elapsed since ``start`` (UTC).

    It is the least ``t >= start`` with ``business_time_between(start, t) == budget``.  A clock
    started while closed starts counting when the workspace opens.

    >>> import datetime as dt
    >>> from notifpolicy import WorkspaceSettings
    >>> opening = {"weekly": {"fri": [["09:00", "17:00"]], "mon": [["09:00", "17:00"]]}}
    >>> hours = WorkspaceSettings.from_dict({"business_hours": opening}).business_hours
    >>> # Friday 2026-03-27 16:50 in Amsterdam, a 15-minute budget: 10 minutes on Friday,
    >>> # 5 on Monday morning.
    >>> business_due_at(dt.datetime(2026, 3, 27, 15, 50, tzinfo=dt.timezone.utc),
    ...                 dt.timedelta(minutes=15), hours=hours, tz="Europe/Amsterdam")
    datetime.datetime(2026, 3, 30, 7, 5, tzinfo=datetime.timezone.utc)
    """
    start = require_aware(start, path="start")
    if not isinstance(budget, dt.timedelta) or budget < dt.timedelta(0):
        raise ValidationError.single(
            "budget", "range", f"must be a timedelta of zero or more, got {quote(budget)}"
        )
    calendar = calendar_for(hours, tz)
    due = calendar.due_at_us(check_supported(start, path="start"), budget // _ONE_US)
    if due is None or due > MAX_INSTANT_US:
        raise ValidationError.single(
            "budget",
            "range",
            f"{budget} of business time from {start.isoformat()} ends after "
            f"{from_us(MAX_INSTANT_US).isoformat()}",
        )
    return from_us(due)
