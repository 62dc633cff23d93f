"""Digest schedules: the daily summary and the weekly report.

A digest is a point event: one send instant per scheduled local date, the wall time on that date
resolved as PEP 495 ``fold=0`` (docs/concepts/time-semantics.md, rule 3).  Local dates are
counted as days since the local 1970-01-01, so "the send for date D" is
``resolve(D * 86400 + send time)`` on the zone's offset table (``_zonecache``); the weekday of
date D is ``(D + EPOCH_WEEKDAY) % 7`` (``weekday_of_day``).

Everything else follows from one search, ``_Schedule._bracket``: the latest scheduled date whose
send instant is at or before an instant, that instant, and the next send.  It relies on send
instants never going backwards from one scheduled date to the next, which holds because no zone
jumps a whole day or more in one step (Apia's 24-hour jump makes two dates share one instant,
which the search treats as one send); the property tests hold it to a plain reference.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import ClassVar, Final, Literal

import attrs

from notifpolicy._errors import ValidationError, quote
from notifpolicy._keys import check_workspace_id, key_part
from notifpolicy._timeutil import EPOCH_WEEKDAY, require_aware
from notifpolicy._values import check_bool, check_wall_time, raise_if
from notifpolicy._zonecache import DAY, ZoneTable, instant, locate

__all__ = ["DailyDigest", "DigestKind", "DigestPeriod", "Weekday", "WeeklyDigest"]

DigestKind = Literal["daily_summary", "weekly_report"]

_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_MAX_STEPS: Final = 16


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
        "digests.weekly.weekday",
        "type",
        f"must be a Weekday or 0-6 (Monday = 0), got {quote(value)}",
    )
    raise AssertionError  # pragma: no cover


_NINE = dt.time(9, 0)


@attrs.frozen
class DigestPeriod:
    """What one digest send covers: the instants ``start <= t < end`` (aware, UTC).

    ``end`` is the send instant and ``start`` the send before it, so every instant belongs to
    exactly one period of each digest.  ``local_date`` is the date the send is scheduled for (when
    a skipped date merges onto the next one, the later date).  ``key`` names the period for the
    ledger, so a scheduler that runs twice or late sends it once:
    ``"<workspace>:daily_summary:2026-03-09"`` or ``"<workspace>:weekly_report:2026-W11"``
    (the ISO week of ``local_date``).
    """

    kind: DigestKind
    workspace_id: str
    start: dt.datetime
    end: dt.datetime
    local_date: dt.date
    key: str

    def contains(self, at: dt.datetime) -> bool:
        """Whether the instant ``at`` (timezone-aware) is inside ``[start, end)``."""
        return self.start <= require_aware(at, path="at") < self.end

    @property
    def duration(self) -> dt.timedelta:
        """Real elapsed time: 23, 24 or 25 hours for a daily period around DST, for example."""
        return self.end - self.start


class _Schedule:
    """The arithmetic shared by both digests; they differ in the step and the anchor day."""

    __slots__ = ()
    _STEP: ClassVar[int]
    _KIND: ClassVar[DigestKind]
    send_time: dt.time

    def _anchor(self, day: int) -> int:
        """The latest scheduled local day at or before ``day``."""
        raise NotImplementedError

    def _key(self, workspace_id: str, date: dt.date) -> str:
        raise NotImplementedError

    def _bracket(self, table: ZoneTable, second: int) -> tuple[int, int, int]:
        """``(day, send, next_send)``: ``day`` is the latest scheduled local day whose send
        instant ``send`` is at or before ``second``; ``next_send`` is the first after it."""
        step = self._STEP
        wall = self.send_time.hour * 3600 + self.send_time.minute * 60
        offset, lo, hi = table.calm(second)

        def send_for(day: int) -> int:
            # Far from any transition the reading is unique: skip the general resolution.
            send = day * DAY + wall - offset
            return send if lo <= send < hi else table.resolve(day * DAY + wall)

        day = self._anchor((second + table.offset(second)) // DAY)
        send = send_for(day)
        # Sends never go backwards from one scheduled date to the next, so `second` is almost
        # always between the sends of `day` and a neighbour: after this day's send, or before it.
        if send <= second:
            next_send = send_for(day + step)
            if next_send > second:
                return day, send, next_send
        else:
            earlier = send_for(day - step)
            if earlier <= second:
                return day - step, earlier, send
        return self._search(send_for, day, second)

    def _search(
        self, send_for: Callable[[int], int], day: int, second: int
    ) -> tuple[int, int, int]:
        """``_bracket`` the long way: walk back, then forward, one scheduled date at a time."""
        step = self._STEP
        send = send_for(day)
        # Both loops run a few times at most (no zone jumps by a day or more); the bounds turn a
        # broken zone table into an error instead of a hung scheduler.
        for _ in range(_MAX_STEPS):
            if send <= second:
                break
            day -= step  # the wall clock has not reached send_time yet on `day`
            send = send_for(day)
        else:  # pragma: no cover
            raise AssertionError(f"no send at or before {second} in this zone")
        for _ in range(_MAX_STEPS):
            next_send = send_for(day + step)
            if next_send > second:
                return day, send, next_send
            # A later date sends at or before `second` too: a clock set back across midnight,
            # or a date that merges with this one.
            day += step
            send = next_send
        raise AssertionError(f"no send after {second} in this zone")  # pragma: no cover

    def next_after(self, at: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
        """The first send instant strictly after ``at``, in UTC (enabled or not: honouring
        ``enabled`` is the service's job).

        >>> from datetime import datetime, time, timezone
        >>> DailyDigest(send_time=time(2, 30)).next_after(
        ...     datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc), "Europe/Amsterdam")
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.timezone.utc)

        (02:30 does not exist that night in Amsterdam: the send moves forward by the gap's
        hour, to 03:30 CEST.)
        """
        table, second, _ = locate(at, tz)
        return instant(self._bracket(table, second)[2])

    def previous_at_or_before(self, at: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
        """The latest send instant at or before ``at``, in UTC."""
        table, second, _ = locate(at, tz)
        return instant(self._bracket(table, second)[1])

    def period_ending_at(
        self, send_instant: dt.datetime, tz: str | dt.tzinfo, *, workspace_id: str
    ) -> DigestPeriod:
        """The period a send at ``send_instant`` covers; a :class:`~notifpolicy.ValidationError`
        (path ``send_instant``) when no send is scheduled at exactly that instant."""
        check_workspace_id(workspace_id)
        table, second, micro = locate(send_instant, tz, at_path="send_instant")
        day, send, _ = self._bracket(table, second)
        if send != second or micro:
            raise ValidationError.single(
                "send_instant",
                "not_a_send_instant",
                f"must be a send instant of this digest, got {send_instant.isoformat()}; "
                f"the sends around it are {instant(send).isoformat()} and "
                f"{self.next_after(send_instant, tz).isoformat()}",
            )
        start = self._bracket(table, second - 1)[1]
        return self._period(workspace_id, start, send, day)

    def period_containing(
        self, at: dt.datetime, tz: str | dt.tzinfo, *, workspace_id: str
    ) -> DigestPeriod:
        """The period whose ``[start, end)`` contains ``at``: it ends at ``next_after(at)``."""
        check_workspace_id(workspace_id)
        table, second, _ = locate(at, tz)
        day, start, end = self._bracket(table, second)
        # The send at `end` is for the last date that resolves to it (two, on Apia's skipped day).
        day, _, _ = self._bracket(table, end)
        return self._period(workspace_id, start, end, day)

    def _period(self, workspace_id: str, start: int, end: int, day: int) -> DigestPeriod:
        try:
            date = dt.date.fromordinal(_EPOCH_ORDINAL + day)
        except (ValueError, OverflowError):  # a period that ends after 9999-12-31, local
            raise ValidationError.single(
                "at",
                "range",
                "is too close to the ends of the calendar: the period falls outside the years "
                "1-9999",
            ) from None
        return DigestPeriod(
            kind=self._KIND,
            workspace_id=workspace_id,
            start=instant(start),
            end=instant(end),
            local_date=date,
            key=self._key(workspace_id, date),
        )


@attrs.frozen
class DailyDigest(_Schedule):
    """The daily summary: once per local date at ``send_time`` (when ``enabled``)."""

    _STEP: ClassVar[int] = 1
    _KIND: ClassVar[DigestKind] = "daily_summary"

    enabled: bool = False
    send_time: dt.time = _NINE

    def __attrs_post_init__(self) -> None:
        raise_if("digests.daily.enabled", "type", check_bool(self.enabled))
        raise_if("digests.daily.send_time", "type", check_wall_time(self.send_time))

    def _anchor(self, day: int) -> int:
        return day

    def _key(self, workspace_id: str, date: dt.date) -> str:
        return f"{key_part(workspace_id)}:daily_summary:{date.isoformat()}"


@attrs.frozen
class WeeklyDigest(_Schedule):
    """The weekly report: once per week on ``weekday`` at ``send_time`` (when ``enabled``).

    Its period key is the ISO week of the send's local date, so moving ``weekday`` later in a
    week that already had its report names the same period: the ledger refuses a second one.
    """

    _STEP: ClassVar[int] = 7
    _KIND: ClassVar[DigestKind] = "weekly_report"

    enabled: bool = False
    weekday: Weekday = attrs.field(default=Weekday.MONDAY, converter=_to_weekday)
    send_time: dt.time = _NINE

    def __attrs_post_init__(self) -> None:
        raise_if("digests.weekly.enabled", "type", check_bool(self.enabled))
        raise_if("digests.weekly.send_time", "type", check_wall_time(self.send_time))

    def _anchor(self, day: int) -> int:
        return day - (day + EPOCH_WEEKDAY - self.weekday) % 7  # weekday_of_day, inline

    def _key(self, workspace_id: str, date: dt.date) -> str:
        year, week, _ = date.isocalendar()
        return f"{key_part(workspace_id)}:weekly_report:{year}-W{week:02d}"
