"""The real clock, for the service shell (the core never reads a clock).

>>> from notifpolicy.adapters.clock import SystemClock
>>> SystemClock().now().tzinfo
datetime.timezone.utc
"""

from __future__ import annotations

import datetime as dt

__all__ = ["SystemClock"]


class SystemClock:
    """The machine's clock, in UTC: the :class:`~notifpolicy.ports.Clock` a host runs with.

    Tests use :class:`notifpolicy.testing.fakes.ManualClock` instead and move it by hand.
    """

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware (UTC)."""
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"
