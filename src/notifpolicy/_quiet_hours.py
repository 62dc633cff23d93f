"""Quiet hours: one daily window of the workspace's local wall clock.

An instant is quiet when the wall clock in the workspace zone reads a time inside
``[start, end)``; nothing else counts (docs/concepts/time-semantics.md, rule 1).  The arithmetic
runs on whole seconds since the epoch with a per-zone offset table (``_zonecache``): within one
offset segment the wall clock is the instant plus a constant, so the end of quiet is a
subtraction, and only a transition on the way needs a second look.

``is_quiet`` and ``quiet_until`` start with a fast path for the common call (a zone and a UTC day
seen before); anything else, including every invalid argument, takes the checked path, which
validates, fills the caches and answers with the same arithmetic.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

import attrs

from notifpolicy._errors import quote
from notifpolicy._timeutil import format_hhmm
from notifpolicy._values import check_bool, check_wall_time, raise_if
from notifpolicy._zonecache import (
    DAY,
    DAYS,
    EPOCH,
    MINUTE_STEPS,
    SECOND_STEPS,
    WALL_MINUTES,
    ZoneTable,
    checked,
    instant,
    zone_table,
)

__all__ = ["QuietHours", "QuietMode"]

# The window's edges are whole minutes, so the wall clock's minute decides whether an instant is
# quiet (`start <= 07:59:59.9 < end` iff `start <= 07:59 < end`): the code compares minutes, as
# naive `time` values taken from a table rather than built.
_SECOND_OF_DAY: Final = {t: i * 60 for i, t in enumerate(WALL_MINUTES)}


class QuietMode(enum.Enum):
    """What happens to non-critical deliveries held by quiet hours."""

    SUPPRESS = "suppress"  # dropped, with the reason (the product's behaviour)
    DEFER = "defer"  # delivered when quiet hours end
    SUMMARIZE = "summarize"  # dropped one by one; one catch-up summary per member at the end


@attrs.frozen
class QuietHours:
    """The window ``[start, end)`` of local wall-clock time; wraps midnight when start > end.

    Built by hand it is enabled unless told otherwise; the workspace default is disabled.
    ``start == end`` is a :class:`~notifpolicy.ValidationError` (an empty or a full day is
    ambiguous; say which by disabling quiet hours instead).
    """

    start: dt.time
    end: dt.time
    enabled: bool = True
    mode: QuietMode = QuietMode.SUPPRESS

    def __attrs_post_init__(self) -> None:
        raise_if("quiet_hours.start", "type", check_wall_time(self.start))
        raise_if("quiet_hours.end", "type", check_wall_time(self.end))
        raise_if("quiet_hours.enabled", "type", check_bool(self.enabled))
        mode: object = self.mode  # typed QuietMode, but a caller may pass anything
        if not isinstance(mode, QuietMode):
            raise_if("quiet_hours.mode", "type", f"must be a QuietMode, got {quote(mode)}")
        if self.start == self.end:
            raise_if(
                "quiet_hours.end",
                "empty_window",
                f"must differ from start ({format_hhmm(self.start)}); disable quiet hours instead",
            )

    @property
    def wraps_midnight(self) -> bool:
        """True when the window is ``[start, 24:00)`` together with ``[00:00, end)``."""
        return self.start > self.end

    def covers(self, wall_time: dt.time) -> bool:
        """Whether a local wall-clock time is inside the window (``start`` in, ``end`` out).

        Ignores ``enabled``: this is the window's shape, used for the settings warning.
        """
        if self.wraps_midnight:
            return wall_time >= self.start or wall_time < self.end
        return self.start <= wall_time < self.end

    def describe(self) -> str:
        """``"22:00–08:00"``, with an en dash."""  # noqa: RUF002 -- the en dash is the output
        return f"{format_hhmm(self.start)}\u2013{format_hhmm(self.end)}"

    def is_quiet(self, at: dt.datetime, tz: str | dt.tzinfo) -> bool:
        """Whether the instant ``at`` is quiet in the workspace zone ``tz``.

        True iff quiet hours are enabled and the wall clock in ``tz`` reads a time inside the
        window at that instant; the zone ``at`` carries only identifies the instant.

        >>> from datetime import datetime, time, timezone
        >>> qh = QuietHours(time(22, 0), time(8, 0))
        >>> qh.is_quiet(datetime(2026, 1, 5, 6, 59, tzinfo=timezone.utc), "Europe/Amsterdam")
        True
        >>> qh.is_quiet(datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc), "Europe/Amsterdam")
        False

        ``at`` must be timezone-aware and ``tz`` a zone name zoneinfo knows or a tzinfo;
        otherwise a :class:`~notifpolicy.ValidationError` (paths ``at``, ``tz``).
        """
        # Fast path: a validated zone and a cached transition-free UTC day.  Any miss, and any
        # bad argument (a naive `at` cannot be subtracted from an aware one), takes the checked
        # path.  Inlined on purpose: each call would cost a tenth of the budget.
        try:
            wall = DAYS[tz][(d := at - EPOCH).days][4][d.seconds // 60]
        except (KeyError, TypeError, AttributeError):
            table, second, _ = checked(at, tz)
            return self.enabled and self._covers_second(second + table.offset(second))
        if not self.enabled:
            return False
        start, end = self.start, self.end
        if start < end:
            return start <= wall < end
        return wall >= start or wall < end

    def quiet_until(self, at: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime | None:
        """When ``at`` is quiet, the earliest instant after it that is not; otherwise None.

        Exact to the microsecond and returned in UTC (compare instants, not wall readings).
        The wall clock decides, so a DST night can end quiet early or bring it back:

        >>> from datetime import datetime, time, timezone
        >>> qh = QuietHours(time(22, 0), time(2, 30))
        >>> qh.quiet_until(datetime(2026, 3, 28, 23, 0, tzinfo=timezone.utc), "Europe/Amsterdam")
        datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.timezone.utc)

        That is 03:00 CEST, the first instant after the 02:00 -> 03:00 jump (not 03:30).  In the
        autumn, a window 02:30-06:00 entered at 02:30 CEST ends at 02:00 CET, when the clock
        falls back out of the window (01:00 UTC).  Never quiet, and None, while disabled.
        """
        try:
            off, _, _, midnight, walls, seg_end = DAYS[tz][(d := at - EPOCH).days]
        except (KeyError, TypeError, AttributeError):
            table, second, _ = checked(at, tz)
            if not self.enabled:
                return None
            until = self._until(table, second)
            return None if until is None else instant(until)
        if not self.enabled:
            return None
        wall = walls[(second := d.seconds) // 60]
        start, end = self.start, self.end
        if not ((start <= wall < end) if start < end else (wall >= start or wall < end)):
            return None
        # Seconds after this UTC day's midnight (less than two days), all small ints: the wall
        # clock reads `end` then, unless the segment ends first (`seg_end` counts the same way).
        until = second + (_SECOND_OF_DAY[end] - second - off) % 86400
        if until < seg_end:
            return midnight + MINUTE_STEPS[until // 60] + SECOND_STEPS[until % 60]
        base = d.days * DAY  # a transition comes first: walk on in absolute seconds
        return instant(self._walk(zone_table(tz), base + second, off, base + seg_end))

    def _until(self, table: ZoneTable, second: int) -> int | None:
        """The first whole second after ``second`` that is not quiet, or None if ``second`` is
        not quiet.  (Quiet-ness is constant within a whole second, so this is exact.)"""
        off, _, seg_end = table.segment(second)
        if not self._covers_second(second + off):
            return None
        return self._walk(table, second, off, seg_end)

    def _walk(self, table: ZoneTable, second: int, off: int, seg_end: int) -> int:
        """``_until`` from a quiet ``second`` in the segment ``(off, _, seg_end)``."""
        end = _SECOND_OF_DAY[self.end]
        # Quiet lasts less than a day of wall-clock time, so a handful of segments at most; the
        # bound turns a broken zone table into an error instead of a hung scheduler.
        for _ in range(64):
            # Within a segment the wall clock reads `second + off`, so it reaches `end` here:
            until = second + (end - (second + off)) % DAY
            if until < seg_end:
                return until
            # A transition comes first: the wall clock jumps at `seg_end`.  Quiet ends there if
            # the new reading is outside the window; otherwise it goes on in the next segment.
            second = seg_end
            off, _, seg_end = table.segment(second)
            if not self._covers_second(second + off):
                return second
        raise AssertionError(f"quiet for 64 offset segments in {table.tz!r}")  # pragma: no cover

    def _covers_second(self, local: int) -> bool:
        """``covers`` for a local reading in seconds since a local midnight."""
        return self.covers(WALL_MINUTES[local // 60 % 1440])


DEFAULT_QUIET_HOURS = QuietHours(dt.time(22, 0), dt.time(8, 0), enabled=False)
