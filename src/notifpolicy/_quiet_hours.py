"""Quiet hours: one daily window of the workspace's local wall clock.

An instant is quiet when the wall clock in the workspace zone reads a time inside
``[start, end)``; nothing else counts (docs/concepts/time-semantics.md, rule 1).  The wall clock
is the zone engine's (``_zonecache``): ``local_minute`` reads it at an instant and
``window_exit`` finds when it leaves the window, each with a fast path for the common call (a
zone and a UTC day seen before) next to the caches it reads.  This module holds the window, its
checks and what ``enabled`` means.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools

import attrs

from notifpolicy._errors import quote
from notifpolicy._timeutil import format_hhmm
from notifpolicy._values import check_bool, check_wall_time, raise_if
from notifpolicy._zonecache import local_minute, window_exit

__all__ = ["QuietHours", "QuietMode"]


class QuietMode(enum.Enum):
    """What happens to non-critical deliveries held by quiet hours."""

    SUPPRESS = "suppress"  # dropped, with the reason (the product's behaviour)
    DEFER = "defer"  # delivered when quiet hours end
    SUMMARIZE = "summarize"  # dropped one by one; one catch-up summary per member at the end


class _WallWindow:
    """The window as the zone engine reads it, built on first use: ``_inside[m]``, whether the
    minute ``m`` after midnight (0-1439) is quiet (never, while disabled), and ``_end``, the end
    in minutes after midnight.

    Not attrs fields, so equality, hashing, repr, pickling and ``attrs.asdict`` see only the
    fields; a copy or an unpickled value builds its own.  (``functools.cached_property`` would
    do the same, but on a slotted attrs class it slows every attribute read of the class.)
    """

    __slots__ = ("_end", "_inside")
    _inside: tuple[bool, ...]
    _end: int


@functools.lru_cache(maxsize=256)
def _inside_minutes(window: QuietHours) -> tuple[bool, ...]:
    """``window.covers`` for each minute of the day; equal windows share one tuple."""
    return tuple(window.enabled and window.covers(dt.time(m // 60, m % 60)) for m in range(1440))


@attrs.frozen
class QuietHours(_WallWindow):
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
        # The window's edges are whole minutes, so the wall clock's minute decides
        # (`start <= 07:59:59.9 < end` iff `start <= 07:59 < end`): one subscript of the
        # precomputed minutes replaces `covers` (a call and `time` comparisons, about a tenth
        # of the budget).
        wall = local_minute(at, tz)  # validates both arguments, enabled or not
        try:
            return self._inside[wall]
        except AttributeError:
            return self._wall_window()[0][wall]

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
            inside, end = self._inside, self._end
        except AttributeError:
            inside, end = self._wall_window()
        return window_exit(at, tz, inside, end)  # validates both arguments, enabled or not

    def _wall_window(self) -> tuple[tuple[bool, ...], int]:
        """Fill the :class:`_WallWindow` slots."""
        inside, end = _inside_minutes(self), self.end.hour * 60 + self.end.minute
        object.__setattr__(self, "_inside", inside)
        object.__setattr__(self, "_end", end)
        return inside, end


DEFAULT_QUIET_HOURS = QuietHours(dt.time(22, 0), dt.time(8, 0), enabled=False)
