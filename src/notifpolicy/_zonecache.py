"""Per-zone offset tables: a zone's UTC offset at any instant, in integer seconds.

Theory of operation
-------------------
Everything quiet hours and digest schedules need from a zone is its *segments*: maximal runs of
instants during which the zone's UTC offset does not change.  Inside a segment the local wall
clock is the instant plus a constant, so "when does the wall clock next read 08:00?" is a
subtraction; only the segment ends (the zone's transitions) need care.

Instants are integer seconds since 1970-01-01 UTC (the microseconds ride along separately).
Every offset a zone has ever had is a whole number of seconds and every transition falls on a
whole second, so whether an instant is quiet, or which local date it falls on, depends only on
its whole second: no float, no rounding, exact in any year (``timestamp()`` is a float and
loses the microsecond after 2242).

zoneinfo keeps its transitions to itself, so they are found by asking it: the offset is probed
once per day and, where two probes differ, bisected down to the second.  That finds every
transition as long as a zone never changes its offset twice within a day; tzdata's closest pair
between 1970 and 2100 is 167 hours apart (America/Noronha in 2000, Asia/Gaza's predicted
rules), and the test suite compares these tables with the TZif files' own transition lists.
Any ``tzinfo`` works the same way, on the same assumption.

A table is built lazily in chunks of 512 days (about half a millisecond each), so a workspace
that only ever asks about this year pays for one or two chunks.  On top of the chunks,
``ZoneTable.days`` caches, for every UTC day asked about that contains no transition, the
segment holding the whole day: the hot paths (``QuietHours.is_quiet``) are then one dict lookup
and some integer arithmetic.  ``TABLES`` finds a table by zone name or tzinfo, and holds only
keys that passed validation, so a hit needs no further checks.

The caches are plain dicts: filling the same entry twice from two threads is harmless, because
both compute the same value.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from typing import Final

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._timeutil import require_aware, resolve_zone

__all__ = [
    "CHUNK",
    "DAY",
    "DAYS",
    "EPOCH",
    "MAX_SECOND",
    "MINUTE_STEPS",
    "MIN_SECOND",
    "SECOND_STEPS",
    "TABLES",
    "WALL_MINUTES",
    "DayEntry",
    "Segment",
    "ZoneTable",
    "checked",
    "instant",
    "locate",
    "split",
    "zone_table",
]

UTC: Final = dt.UTC
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
DAY: Final = 86_400
_SECOND: Final = dt.timedelta(seconds=1)

# Supported instants: two days' margin from datetime's limits keeps every local reading (the
# instant plus an offset of less than a day) and the arithmetic around it representable.
MIN_SECOND: Final = (dt.datetime(1, 1, 3, tzinfo=UTC) - EPOCH) // _SECOND
MAX_SECOND: Final = (dt.datetime(9999, 12, 29, tzinfo=UTC) - EPOCH) // _SECOND

_MIN_DAY: Final = MIN_SECOND // DAY
_MAX_DAY: Final = MAX_SECOND // DAY

CHUNK_DAYS: Final = 512
CHUNK: Final = CHUNK_DAYS * DAY
# Offsets (LMT included) stay within ±16 h, so two readings of one local time are less than
# two days apart: a reading further than this from any transition has exactly one instant.
_SPAN: Final = 2 * DAY
# Bounds on the caches, so that a host feeding arbitrary tzinfo objects or dates cannot grow
# them without limit; past the bound a cache starts over (the chunks stay).
_MAX_TABLES: Final = 1024
_MAX_DAYS: Final = 100_000

Segment = tuple[int, int, int]
"""``(offset, first, end)``: the offset holds for the seconds ``first <= s < end``.

``first`` and ``end`` are transitions, or (far from any) a chunk edge where the offset simply
continues; callers treat both alike.
"""

DayEntry = tuple[int, int, int, dt.datetime, tuple[dt.time, ...], int]
"""A transition-free UTC day: its segment ``(offset, first, end)``, its midnight as a UTC
datetime, the wall-clock minute (a naive ``time``) for each UTC minute of the day, and the
segment's end again, in seconds after that midnight (small ints are the cheap ones).

The fast paths build their answers from these: adding cached timedeltas to the midnight is much
cheaper than making a new datetime, and one subscript finds the wall-clock reading.  Days whose
offset is not whole minutes (local mean time, Monrovia until 1972) are not cached, so that the
minute table is exact.
"""

WALL_MINUTES: Final = tuple(dt.time(m // 60, m % 60) for m in range(1440))
"""Every whole minute of the day as a naive ``time``, the minute ``m`` at index ``m``."""
_WALL_BY_OFFSET: dict[int, tuple[dt.time, ...]] = {}


def _wall_minutes(offset: int) -> tuple[dt.time, ...]:
    """The wall-clock minute for each UTC minute of a day, at a whole-minute offset."""
    table = _WALL_BY_OFFSET.get(offset)
    if table is None:
        shift = offset // 60
        table = _WALL_BY_OFFSET[offset] = tuple(
            WALL_MINUTES[(m + shift) % 1440] for m in range(1440)
        )
    return table


class ZoneTable:
    """The offsets of one zone, built on demand (internal: use :func:`zone_table`)."""

    __slots__ = ("_chunks", "days", "fixed", "tz")

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        # `datetime.timezone` (UTC included) has one offset forever: no probing at all.
        self.fixed: int | None = _probe(tz, 0) if isinstance(tz, dt.timezone) else None
        self.days: dict[int, DayEntry] = {}
        self._chunks: dict[int, tuple[list[int], list[int]]] = {}

    def offset(self, second: int) -> int:
        """The UTC offset, in seconds, at the instant ``second``."""
        entry = self.days.get(second // DAY)
        if entry is not None:
            return entry[0]
        if self.fixed is not None:
            return self.fixed
        trans, offsets = self._chunk(second // CHUNK)
        return offsets[bisect.bisect_right(trans, second)]

    def segment(self, second: int) -> Segment:
        """The segment holding the instant ``second``."""
        day = self.days.get(second // DAY)
        if day is not None:
            return (day[0], day[1], day[2])
        if self.fixed is not None:
            return (self.fixed, MIN_SECOND - CHUNK, MAX_SECOND + CHUNK)
        k = second // CHUNK
        trans, offsets = self._chunk(k)
        i = bisect.bisect_right(trans, second)
        if i > 0:
            first = trans[i - 1]
        else:
            before = self._chunk(k - 1)[0]
            first = before[-1] if before else (k - 1) * CHUNK
        if i < len(trans):
            end = trans[i]
        else:
            after = self._chunk(k + 1)[0]
            end = after[0] if after else (k + 2) * CHUNK
        return (offsets[i], first, end)

    def day_entry(self, day: int) -> DayEntry | None:
        """The :data:`DayEntry` of UTC day ``day`` (days since 1970), or None on a transition day
        (or one with an offset of odd seconds).  Cached: this is what the fast paths look up."""
        entry = self.days.get(day)
        if entry is None:
            off, first, end = self.segment(day * DAY)
            # Only days of supported instants are cached: a cache hit doubles as a range check.
            if end < (day + 1) * DAY or off % 60 or not _MIN_DAY <= day <= _MAX_DAY:
                return None
            if len(self.days) >= _MAX_DAYS:
                self.days.clear()
            entry = (off, first, end, _midnight(day), _wall_minutes(off), end - day * DAY)
            self.days[day] = entry
        return entry

    def calm(self, second: int) -> Segment:
        """``(offset, lo, hi)`` around the instant ``second``: a local reading ``r`` with
        ``lo <= r - offset < hi`` happens once, at ``r - offset`` (an empty range on a day with a
        transition).  A shortcut for callers that resolve many readings near one instant."""
        entry = self.days.get(second // DAY)
        if entry is None:
            return (0, 0, 0)
        return (entry[0], entry[1] + _SPAN, entry[2] - _SPAN)

    def resolve(self, local: int) -> int:
        """The instant at which the wall clock first reads ``local`` (seconds since the local
        1970-01-01 00:00), PEP 495 ``fold=0``.

        A reading that occurs twice (a fold) gives its first occurrence; one that never occurs
        (a gap) gives the instant after the gap shifted by the gap's length, which is the
        reading taken with the offset from before the gap.  Amsterdam on 2026-03-29: 02:30 is
        read as 02:30+01:00, the instant 01:30 UTC, when the wall clock shows 03:30.
        """
        # The offset around `local` (read as if it were an instant) is a guess within a day;
        # the segment around the guessed instant confirms it when no transition is near.
        days = self.days
        entry = days.get(local // DAY) or self.day_entry(local // DAY)
        guess = local - (entry[0] if entry is not None else self.offset(local))
        entry = days.get(guess // DAY) or self.day_entry(guess // DAY)
        if entry is not None:
            second = local - entry[0]
            if entry[1] + _SPAN <= second < entry[2] - _SPAN:
                return second  # far from any transition: the only reading
        return self._resolve_near_transition(local)

    def _resolve_near_transition(self, local: int) -> int:
        segments = [self.segment(local - _SPAN)]
        while segments[-1][2] < local + _SPAN:
            segments.append(self.segment(segments[-1][2]))
        readings = [local - off for off, first, end in segments if first <= local - off < end]
        if readings:
            return min(readings)
        for (before, _, edge), (after, _, _) in itertools.pairwise(segments):
            if edge + before <= local < edge + after:
                return local - before
        raise AssertionError(f"no reading of local second {local}")  # pragma: no cover

    def _chunk(self, k: int) -> tuple[list[int], list[int]]:
        """Transitions in ``[k * CHUNK, (k + 1) * CHUNK)`` and the offsets around them:
        ``offsets[i]`` holds from ``trans[i - 1]`` (or before the chunk) to ``trans[i]``."""
        chunk = self._chunks.get(k)
        if chunk is None:
            chunk = self._chunks[k] = self._build_chunk(k)
        return chunk

    def _build_chunk(self, k: int) -> tuple[list[int], list[int]]:
        tz = self.tz
        lo = k * CHUNK
        # One probe just before the chunk, so that a transition on its first second is found.
        points = [lo - 1, *range(lo, lo + CHUNK, DAY), lo + CHUNK - 1]
        points = [min(max(p, MIN_SECOND - DAY), MAX_SECOND + DAY) for p in points]
        trans: list[int] = []
        offsets = [_probe(tz, points[0])]
        for a, b in itertools.pairwise(points):
            at_b = _probe(tz, b)
            if at_b == offsets[-1]:
                continue
            # The first second of the new offset, by bisection (one change per probe step).
            before, after = a, b
            while after - before > 1:
                mid = (before + after) // 2
                if _probe(tz, mid) == offsets[-1]:
                    before = mid
                else:
                    after = mid
            trans.append(after)
            offsets.append(at_b)
        return trans, offsets


def _probe(tz: dt.tzinfo, second: int) -> int:
    try:
        offset = (EPOCH + dt.timedelta(seconds=second)).astimezone(tz).utcoffset()
    except (ValueError, OverflowError) as e:  # a tzinfo of the host's own that misbehaves
        raise ValidationError.single("tz", "timezone", f"{quote(tz)} failed: {e}") from e
    if offset is None or offset % _SECOND:
        raise ValidationError.single(
            "tz",
            "timezone",
            f"must give whole-second UTC offsets, got {quote(offset)} from {quote(tz)}",
        )
    return offset // _SECOND


TABLES: dict[object, ZoneTable] = {}
"""Zone name or tzinfo -> its table; only keys that passed validation are ever stored."""

DAYS: dict[object, dict[int, DayEntry]] = {}
"""Zone name or tzinfo -> its table's ``days``: one lookup less on the fast paths."""

_BY_ZONE: dict[dt.tzinfo, ZoneTable] = {}
_UNHASHABLE: dict[int, tuple[dt.tzinfo, ZoneTable]] = {}


def zone_table(tz: str | dt.tzinfo) -> ZoneTable:
    """The table for a zone name or tzinfo; a :class:`ValidationError` (path ``tz``) when it is
    neither a zone zoneinfo knows nor a tzinfo."""
    try:
        return TABLES[tz]
    except (KeyError, TypeError):
        pass
    zone = resolve_zone(tz, path="tz")
    try:
        hash(zone)
    except TypeError:
        # dateutil's tzinfos compare by value and so do not hash: keep them by identity, holding
        # a reference so that the id cannot be reused while cached.  No fast path for them.
        held = _UNHASHABLE.get(id(zone))
        if held is None or held[0] is not zone:
            _make_room()
            held = _UNHASHABLE[id(zone)] = (zone, ZoneTable(zone))
        return held[1]
    table = _BY_ZONE.get(zone)
    if table is None:
        _make_room()
        table = _BY_ZONE[zone] = ZoneTable(zone)
    TABLES[tz] = table
    DAYS[tz] = table.days
    return table


def _make_room() -> None:
    if len(_BY_ZONE) + len(_UNHASHABLE) >= _MAX_TABLES:
        _BY_ZONE.clear()
        _UNHASHABLE.clear()
        TABLES.clear()
        DAYS.clear()


def checked(
    at: dt.datetime, tz: str | dt.tzinfo, *, at_path: str = "at"
) -> tuple[ZoneTable, int, int]:
    """Validate both arguments of a time primitive at once: ``(table, second, microsecond)``.

    Also caches the UTC day of ``at``, so that the next question about that day takes the
    fast path.  Problems with ``at`` and ``tz`` are reported together.
    """
    problems: list[Problem] = []
    table = second = micro = None
    try:
        table = zone_table(tz)
    except ValidationError as e:
        problems.extend(e.problems)
    try:
        second, micro = split(at, path=at_path)
    except ValidationError as e:
        problems.extend(e.problems)
    if table is None or second is None or micro is None:
        raise ValidationError(problems)
    table.day_entry(second // DAY)
    return table, second, micro


def locate(
    at: dt.datetime, tz: str | dt.tzinfo, *, at_path: str = "at"
) -> tuple[ZoneTable, int, int]:
    """:func:`checked`, with a fast path when the zone and the UTC day of ``at`` are cached.

    A cache hit validates by itself: only validated zones are in ``TABLES``, only supported
    days in ``days``, and ``at - EPOCH`` fails for anything but an aware datetime.
    """
    try:
        table = TABLES[tz]
        d = at - EPOCH
        if d.days in table.days:
            return table, d.days * DAY + d.seconds, d.microseconds
    except (KeyError, TypeError, AttributeError):
        pass
    return checked(at, tz, at_path=at_path)


def split(at: dt.datetime, *, path: str = "at") -> tuple[int, int]:
    """An aware datetime -> (whole seconds since the epoch, microseconds): exact, any year.

    A naive or out-of-range ``at`` is a :class:`ValidationError` with the given path.
    """
    require_aware(at, path=path)
    d = at - EPOCH
    second = d.days * DAY + d.seconds
    if not MIN_SECOND <= second <= MAX_SECOND:
        raise ValidationError.single(
            path, "range", f"must be between 0001-01-03 and 9999-12-29 UTC, got {at.isoformat()}"
        )
    return second, d.microseconds


# Making a timedelta costs more than adding two cached ones: whole minutes (two days of them)
# and the seconds of a minute, added to a cached UTC midnight, make any whole-second instant.
MINUTE_STEPS: Final = tuple(dt.timedelta(minutes=m) for m in range(2 * 1440))
SECOND_STEPS: Final = tuple(dt.timedelta(seconds=s) for s in range(60))
_MIDNIGHTS: dict[int, dt.datetime] = {}


def _midnight(day: int) -> dt.datetime:
    midnight = _MIDNIGHTS.get(day)
    if midnight is None:
        if len(_MIDNIGHTS) >= _MAX_DAYS:
            _MIDNIGHTS.clear()
        midnight = _MIDNIGHTS[day] = EPOCH + dt.timedelta(days=day)
    return midnight


def instant(second: int, microsecond: int = 0) -> dt.datetime:
    """Seconds since the epoch -> an aware UTC datetime.

    An instant a computation reached outside ``datetime``'s years 1-9999 (a weekly digest's
    previous send, a week before 0001-01-03) is a :class:`ValidationError` (``range``).
    """
    day, rest = divmod(second, DAY)
    try:
        at = _midnight(day) + MINUTE_STEPS[rest // 60] + SECOND_STEPS[rest % 60]
        return at + dt.timedelta(microseconds=microsecond) if microsecond else at
    except OverflowError:
        raise ValidationError.single(
            "at",
            "range",
            "is too close to the ends of the calendar: the answer falls outside the years 1-9999",
        ) from None
