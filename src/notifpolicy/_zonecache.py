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
rules), the closest pair in all of tzdata is four days apart (Africa/Freetown, 1939), and the
test suite compares these tables with the TZif files' own transition lists.  Any ``tzinfo``
works the same way, on the same assumption.

A table is built lazily in chunks of 512 days (about half a millisecond each), so a workspace
that only ever asks about this year pays for one or two chunks.  On top of the chunks, each
table caches a :class:`DayEntry` for every UTC day asked about that contains no transition: the
segment holding the whole day, plus what the fast paths need to answer without building
anything.  The registry behind :func:`zone_table` finds a table by zone name or tzinfo and holds
only keys that passed validation, so a hit needs no further checks.

Everything that needs a zone's offsets asks this module: quiet hours (:func:`local_minute`,
:func:`window_exit`), the digest schedules (:func:`locate`, :meth:`ZoneTable.resolve`), the
business-hours calendar (:meth:`ZoneTable.segments`) and the digest figures
(:meth:`ZoneTable.segment`).  The fast paths read the caches, so they live here, next to them.

The caches are plain dicts: filling the same entry twice from two threads is harmless, because
both compute the same value.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple

import attrs

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._timeutil import require_aware, resolve_zone

__all__ = [
    "CHUNK",
    "DAY",
    "EPOCH",
    "MAX_SECOND",
    "MIN_SECOND",
    "DayEntry",
    "Segment",
    "ZoneTable",
    "cache_clear",
    "checked",
    "instant",
    "is_cached",
    "local_minute",
    "locate",
    "split",
    "window_exit",
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


class Segment(NamedTuple):
    """A run of instants with one UTC offset: ``offset`` holds for the seconds
    ``first <= s < end``.

    ``first`` and ``end`` are transitions, or (far from any) a chunk edge where the offset simply
    continues; callers treat both alike.
    """

    offset: int
    first: int
    end: int


@attrs.frozen
class DayEntry:
    """A transition-free UTC day, as the fast paths read it.

    The fast paths build their answers from these: adding cached timedeltas to ``midnight`` is
    much cheaper than making a new datetime, and one subscript of ``minutes`` finds the wall-clock
    reading.  Days whose offset is not whole minutes (local mean time, Monrovia until 1972) are
    not cached, so that the minute table is exact.
    """

    offset: int
    """The UTC offset, in seconds, all day."""
    first: int
    """The first second of the segment holding the day."""
    end: int
    """The end of that segment (exclusive)."""
    midnight: dt.datetime
    """The day's 00:00 UTC."""
    minutes: tuple[int, ...]
    """The wall-clock minute (minutes after local midnight, 0-1439) at each UTC minute of the
    day: small ints, the cheapest values to compare."""
    end_in_day: int
    """``end`` again, in seconds after ``midnight`` (small ints are the cheap ones)."""


_MINUTES_BY_OFFSET: dict[int, tuple[int, ...]] = {}


def _local_minutes(offset: int) -> tuple[int, ...]:
    """The wall-clock minute for each UTC minute of a day, at a whole-minute offset."""
    table = _MINUTES_BY_OFFSET.get(offset)
    if table is None:
        shift = offset // 60
        table = _MINUTES_BY_OFFSET[offset] = tuple((m + shift) % 1440 for m in range(1440))
    return table


class ZoneTable:
    """The offsets of one zone, built on demand (internal: use :func:`zone_table`)."""

    __slots__ = ("_chunks", "_days", "fixed", "tz")

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        # `datetime.timezone` (UTC included) has one offset forever: no probing at all.
        self.fixed: int | None = _probe(tz, 0) if isinstance(tz, dt.timezone) else None
        self._days: dict[int, DayEntry] = {}
        self._chunks: dict[int, tuple[list[int], list[int]]] = {}

    def offset(self, second: int) -> int:
        """The UTC offset, in seconds, at the instant ``second``."""
        entry = self._days.get(second // DAY)
        if entry is not None:
            return entry.offset
        if self.fixed is not None:
            return self.fixed
        trans, offsets = self._chunk(second // CHUNK)
        return offsets[bisect.bisect_right(trans, second)]

    def segment(self, second: int) -> Segment:
        """The segment holding the instant ``second``."""
        day = self._days.get(second // DAY)
        if day is not None:
            return Segment(day.offset, day.first, day.end)
        if self.fixed is not None:
            return Segment(self.fixed, MIN_SECOND - CHUNK, MAX_SECOND + CHUNK)
        k = second // CHUNK
        trans, offsets = self._chunk(k)
        i = bisect.bisect_right(trans, second)
        if i > 0:
            first = trans[i - 1]
        else:
            before, _ = self._chunk(k - 1)
            first = before[-1] if before else (k - 1) * CHUNK
        if i < len(trans):
            end = trans[i]
        else:
            after, _ = self._chunk(k + 1)
            end = after[0] if after else (k + 2) * CHUNK
        return Segment(offsets[i], first, end)

    def segments(self, first: int, end: int) -> Iterator[Segment]:
        """The segments covering the seconds ``first <= s < end``, in order, clipped to them.

        Two neighbours may share an offset (at a chunk edge); callers treat them alike.
        """
        second = first
        while second < end:
            segment = self.segment(second)
            yield Segment(segment.offset, second, min(segment.end, end))
            second = segment.end

    def day_entry(self, day: int) -> DayEntry | None:
        """The :data:`DayEntry` of UTC day ``day`` (days since 1970), or None on a transition day
        (or one with an offset of odd seconds).  Cached: this is what the fast paths look up."""
        entry = self._days.get(day)
        if entry is None:
            off, first, end = self.segment(day * DAY)
            # Only days of supported instants are cached: a cache hit doubles as a range check.
            if end < (day + 1) * DAY or off % 60 or not _MIN_DAY <= day <= _MAX_DAY:
                return None
            if len(self._days) >= _MAX_DAYS:
                self._days.clear()
            entry = DayEntry(
                offset=off,
                first=first,
                end=end,
                midnight=_midnight(day),
                minutes=_local_minutes(off),
                end_in_day=end - day * DAY,
            )
            self._days[day] = entry
        return entry

    def calm(self, second: int) -> tuple[int, int, int]:
        """``(offset, first, end)``, the calm part of the segment around the instant ``second``:
        a local reading ``r`` with ``first <= r - offset < end`` happens once, at ``r - offset``
        (an empty range on a day with a transition).  A shortcut for callers that resolve many
        readings near one instant; a plain tuple, not a :class:`Segment`, because its callers
        unpack it at once and a named tuple's constructor costs a tenth of a digest's
        ``next_after``."""
        entry = self._days.get(second // DAY)
        if entry is None:
            return (0, 0, 0)
        return (entry.offset, entry.first + _SPAN, entry.end - _SPAN)

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
        days = self._days
        entry = days.get(local // DAY) or self.day_entry(local // DAY)
        guess = local - (entry.offset if entry is not None else self.offset(local))
        entry = days.get(guess // DAY) or self.day_entry(guess // DAY)
        if entry is not None:
            second = local - entry.offset
            if entry.first + _SPAN <= second < entry.end - _SPAN:
                return second  # far from any transition: the only reading
        return self._resolve_near_transition(local)

    def _resolve_near_transition(self, local: int) -> int:
        segments = [self.segment(local - _SPAN)]
        while segments[-1].end < local + _SPAN:
            segments.append(self.segment(segments[-1].end))
        readings = [local - s.offset for s in segments if s.first <= local - s.offset < s.end]
        if readings:
            return min(readings)
        for before, after in itertools.pairwise(segments):
            if before.end + before.offset <= local < before.end + after.offset:
                return local - before.offset
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


def _gives_no_offset(tz: dt.tzinfo, at: dt.datetime) -> bool:
    try:
        return tz.utcoffset(at.replace(tzinfo=None)) is None
    except Exception:  # a broken tzinfo: it is reported as failing, not here
        return False


def _probe(tz: dt.tzinfo, second: int) -> int:
    at = EPOCH + dt.timedelta(seconds=second)
    try:
        offset = at.astimezone(tz).utcoffset()
    except (ValueError, OverflowError) as e:  # a tzinfo of the host's own that misbehaves
        # astimezone refuses a None offset with a ValueError too: say which of the two it was.
        if not _gives_no_offset(tz, at):
            raise ValidationError.single("tz", "timezone", f"{quote(tz)} failed: {e}") from e
        offset = None
    if offset is None:
        raise ValidationError.single(
            "tz", "timezone", f"must give a UTC offset for every instant, got None from {quote(tz)}"
        )
    if offset % _SECOND:
        raise ValidationError.single(
            "tz",
            "timezone",
            f"must give whole-second UTC offsets, got {quote(offset)} from {quote(tz)}",
        )
    return offset // _SECOND


# The registry.  Zone name or tzinfo -> its table; only keys that passed validation are stored.
_TABLES: dict[object, ZoneTable] = {}
# Zone name or tzinfo -> its table's day entries: one lookup less on the fast paths.
_DAYS: dict[object, dict[int, DayEntry]] = {}
_BY_ZONE: dict[dt.tzinfo, ZoneTable] = {}
_UNHASHABLE: dict[int, ZoneTable] = {}  # by id(tzinfo); the table holds the tzinfo


def zone_table(tz: str | dt.tzinfo) -> ZoneTable:
    """The table for a zone name or tzinfo; a :class:`ValidationError` (path ``tz``) when it is
    neither a zone zoneinfo knows nor a tzinfo."""
    try:
        return _TABLES[tz]
    except (KeyError, TypeError):
        pass
    zone = resolve_zone(tz, path="tz")
    try:
        hash(zone)
    except TypeError:
        # dateutil's tzinfos compare by value and so do not hash: keep them by identity, holding
        # a reference so that the id cannot be reused while cached.  No fast path for them.
        held = _UNHASHABLE.get(id(zone))
        if held is None or held.tz is not zone:
            _make_room()
            held = _UNHASHABLE[id(zone)] = ZoneTable(zone)
        return held
    table = _BY_ZONE.get(zone)
    if table is None:
        _make_room()
        table = _BY_ZONE[zone] = ZoneTable(zone)
    _TABLES[tz] = table
    _DAYS[tz] = table._days
    return table


def _make_room() -> None:
    if len(_BY_ZONE) + len(_UNHASHABLE) >= _MAX_TABLES:
        cache_clear()


def cache_clear() -> None:
    """Forget every table (the next question about any zone takes the checked path)."""
    _BY_ZONE.clear()
    _UNHASHABLE.clear()
    _TABLES.clear()
    _DAYS.clear()


def is_cached(at: dt.datetime, tz: str | dt.tzinfo) -> bool:
    """Whether a question about ``at`` in ``tz`` takes the fast path now (no validation)."""
    days = _DAYS.get(tz)
    return days is not None and (at - EPOCH).days in days


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

    A cache hit validates by itself: only validated zones are in the registry, only supported
    days in a table's day entries, and ``at - EPOCH`` fails for anything but an aware datetime.
    """
    try:
        table = _TABLES[tz]
        d = at - EPOCH
        if d.days in table._days:
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
_MINUTE_STEPS: Final = tuple(dt.timedelta(minutes=m) for m in range(2 * 1440))
_SECOND_STEPS: Final = tuple(dt.timedelta(seconds=s) for s in range(60))
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
        at = _midnight(day) + _MINUTE_STEPS[rest // 60] + _SECOND_STEPS[rest % 60]
        return at + dt.timedelta(microseconds=microsecond) if microsecond else at
    except OverflowError:
        raise ValidationError.single(
            "at",
            "range",
            "is too close to the ends of the calendar: the answer falls outside the years 1-9999",
        ) from None


# -- the wall clock against a daily window -------------------------------------------------------
#
# The fast paths below answer from a cached DayEntry when the zone and the UTC day of `at` were
# seen before: two dict lookups and a subscript instead of `astimezone` (about a third of the
# cost of the plain conversion).  Any miss, and any bad argument (a naive `at` cannot be
# subtracted from an aware one), takes the checked path, which validates, fills the caches and
# answers with the same arithmetic.  They are written out inline on purpose: a helper call, or
# a tuple built for the caller, would cost about a tenth of `is_quiet`'s budget.


def local_minute(at: dt.datetime, tz: str | dt.tzinfo) -> int:
    """The wall-clock minute in ``tz`` at the instant ``at``, as minutes after local midnight
    (0-1439, seconds dropped); validates both arguments (paths ``at``, ``tz``)."""
    try:
        return _DAYS[tz][(d := at - EPOCH).days].minutes[d.seconds // 60]
    except (KeyError, TypeError, AttributeError):
        table, second, _ = checked(at, tz)
        return (second + table.offset(second)) // 60 % 1440


def window_exit(
    at: dt.datetime, tz: str | dt.tzinfo, inside: Sequence[bool], end: int
) -> dt.datetime | None:
    """When the wall clock in ``tz`` reads a minute inside a daily window at ``at``, the earliest
    instant after ``at`` at which it does not, in UTC; otherwise None.  Validates like
    :func:`local_minute`.

    The window is ``[start, end)`` of the wall clock, given as ``inside[m]`` for each minute
    ``m`` after midnight (0-1439) and ``end`` in minutes after midnight; an empty window (all
    False) is never entered.  The wall clock decides, so a transition can end the window early
    (a jump out of it) or carry it on (a jump within it, or back into it).  Whether a reading is
    inside is constant within a whole second, so the answer is a whole second, and exact.
    """
    try:
        entry = _DAYS[tz][(d := at - EPOCH).days]
    except (KeyError, TypeError, AttributeError):
        table, second, _ = checked(at, tz)
        off, _, seg_end = table.segment(second)
        if not inside[(second + off) // 60 % 1440]:
            return None
        return instant(_walk(table, second, off, seg_end, inside, end))
    if not inside[entry.minutes[(second := d.seconds) // 60]]:
        return None
    # Seconds after this UTC day's midnight (less than two days), all small ints: the wall
    # clock reads `end` then, unless the segment ends first (`end_in_day` counts the same way).
    off = entry.offset
    until = second + (end * 60 - second - off) % DAY
    if until < entry.end_in_day:
        return entry.midnight + _MINUTE_STEPS[until // 60] + _SECOND_STEPS[until % 60]
    base = d.days * DAY  # a transition comes first: walk on in absolute seconds
    table = zone_table(tz)
    return instant(_walk(table, base + second, off, base + entry.end_in_day, inside, end))


def _walk(
    table: ZoneTable, second: int, off: int, seg_end: int, inside: Sequence[bool], end: int
) -> int:
    """:func:`window_exit` in seconds, from a ``second`` inside the window, in the segment
    ``(off, _, seg_end)``."""
    # A window lasts less than a day of wall-clock time, so a handful of segments at most; the
    # bound turns a broken zone table into an error instead of a hung scheduler.
    for _ in range(64):
        # Within a segment the wall clock reads `second + off`, so it reaches `end` here:
        until = second + (end * 60 - (second + off)) % DAY
        if until < seg_end:
            return until
        # A transition comes first: the wall clock jumps at `seg_end`.  The window ends there if
        # the new reading is outside it; otherwise it goes on in the next segment.
        second = seg_end
        off, _, seg_end = table.segment(second)
        if not inside[(second + off) // 60 % 1440]:
            return second
    raise AssertionError(f"inside a window for 64 segments in {table.tz!r}")  # pragma: no cover
