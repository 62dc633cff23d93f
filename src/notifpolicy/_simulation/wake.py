"""The wake loop: run a service on a manual clock, waking it exactly when it asks to be woken.

A host wakes the service at ``next_wake_at`` (a delivery due, an escalation, a quiet period's
end, a digest), never by polling.  Played on a :class:`~notifpolicy.adapters.clock.ManualClock`,
that is a loop: move the clock to the next wake-up, tick, ask again, until the next wake-up is
past the instant to stop at.  The simulation and the testing kit's ``Workspace.run_until`` both
use this one loop.

The clock never goes back: a wake-up already due (at or before the clock's instant) is ticked at
the clock's instant.  A service that keeps asking to be woken at one instant, tick after tick,
is not making progress (a bug): after :data:`MAX_TICKS_AT_ONE_INSTANT` such ticks the loop
raises ``RuntimeError`` instead of spinning for ever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from notifpolicy.adapters.clock import ManualClock
from notifpolicy.service import NotificationService, TickReport

__all__ = ["MAX_TICKS_AT_ONE_INSTANT", "run_until"]

MAX_TICKS_AT_ONE_INSTANT = 1000
"""Ticks in a row at one instant after which the service counts as stuck."""


def run_until(
    service: NotificationService,
    clock: ManualClock,
    end: dt.datetime,
    on_tick: Callable[[TickReport], None],
) -> None:
    """Tick ``service`` at every ``next_wake_at`` up to and including ``end``, in order.

    Each tick's report goes to ``on_tick`` (the clock reads the tick's instant meanwhile).  The
    clock is left at the last wake-up, not moved to ``end``: the caller decides what happens
    there.
    """
    repeats = 0
    while (wake := service.next_wake_at()) is not None and wake <= end:
        now = clock.now()
        repeats = repeats + 1 if wake <= now else 0
        if repeats > MAX_TICKS_AT_ONE_INSTANT:
            raise RuntimeError(f"the service makes no progress at {wake.isoformat()}")
        clock.set(max(wake, now))
        on_tick(service.tick())
