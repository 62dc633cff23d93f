"""Digest schedules: the daily summary and the weekly report.

(The schedule arithmetic, ``next_after`` and the periods, is documented on the methods.)
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from notifpolicy._values import check_bool, check_wall_time, raise_if

__all__ = ["DailyDigest", "WeeklyDigest", "Weekday"]


class Weekday(enum.IntEnum):
    """Monday = 0, as ``datetime.date.weekday()``."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def _to_weekday(value: object) -> Weekday:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return Weekday(value)
    raise_if(
        "digests.weekly.weekday", "type", f"must be a Weekday or 0-6 (Monday = 0), got {value!r}"
    )
    raise AssertionError  # pragma: no cover


_NINE = dt.time(9, 0)


@attrs.frozen
class DailyDigest:
    """The daily summary: once per local date at ``send_time`` (when ``enabled``)."""

    enabled: bool = False
    send_time: dt.time = _NINE

    def __attrs_post_init__(self) -> None:
        raise_if("digests.daily.enabled", "type", check_bool(self.enabled))
        raise_if("digests.daily.send_time", "type", check_wall_time(self.send_time))


@attrs.frozen
class WeeklyDigest:
    """The weekly report: once per week on ``weekday`` at ``send_time`` (when ``enabled``)."""

    enabled: bool = False
    weekday: Weekday = attrs.field(default=Weekday.MONDAY, converter=_to_weekday)
    send_time: dt.time = _NINE

    def __attrs_post_init__(self) -> None:
        raise_if("digests.weekly.enabled", "type", check_bool(self.enabled))
        raise_if("digests.weekly.send_time", "type", check_wall_time(self.send_time))
