"""Quiet hours: one daily window of the workspace's local wall clock.

(The time arithmetic, ``is_quiet`` and ``quiet_until``, is documented on the methods.)
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from notifpolicy._timeutil import format_hhmm
from notifpolicy._values import check_bool, check_wall_time, raise_if

__all__ = ["QuietHours", "QuietMode"]


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
        if not isinstance(self.mode, QuietMode):
            raise_if("quiet_hours.mode", "type", f"must be a QuietMode, got {self.mode!r}")
        if self.start == self.end:
            raise_if(
                "quiet_hours.end",
                "empty_window",
                f"must differ from start ({format_hhmm(self.start)}); disable quiet hours instead",
            )

    @property
    def wraps_midnight(self) -> bool:
        """True when the window is ``[start, 24:00) ∪ [00:00, end)``."""
        return self.start > self.end

    def covers(self, wall_time: dt.time) -> bool:
        """Whether a local wall-clock time is inside the window (``start`` in, ``end`` out).

        Ignores ``enabled``: this is the window's shape, used for the settings warning.
        """
        if self.wraps_midnight:
            return wall_time >= self.start or wall_time < self.end
        return self.start <= wall_time < self.end

    def describe(self) -> str:
        """``"22:00–08:00"``."""
        return f"{format_hhmm(self.start)}\u2013{format_hhmm(self.end)}"


DEFAULT_QUIET_HOURS = QuietHours(dt.time(22, 0), dt.time(8, 0), enabled=False)
