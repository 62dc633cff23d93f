"""The clocks the service shell reads (the core never reads a clock): the real one, and a manual
one for tests, simulations and replays.

>>> from notifpolicy.adapters.clock import SystemClock
>>> SystemClock().now().tzinfo
datetime.timezone.utc
"""

from __future__ import annotations

import datetime as dt

from notifpolicy._timeutil import require_aware

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """The machine's clock, in UTC: the :class:`~notifpolicy.ports.Clock` a host runs with.

    Tests use :class:`ManualClock` instead and move it by hand.
    """

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware (UTC)."""
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that stands still until it is moved: for tests, the ``simulate`` command and
    replaying a day.  Also importable from ``notifpolicy.testing.fakes`` (the same class).

    ``start`` (and every instant it is set to) must be timezone-aware.
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = require_aware(start, path="start")

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by ``delta`` of real time and return the new instant (in UTC: adding to
        a zoned datetime would be wall-clock arithmetic)."""
        self._now = self._now.astimezone(dt.UTC) + delta
        return self._now

    def set(self, at: dt.datetime) -> None:
        """Jump to ``at`` (forward or back)."""
        self._now = require_aware(at, path="at")
