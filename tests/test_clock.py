"""The system clock adapter."""

from __future__ import annotations

import datetime as dt
import doctest

import notifpolicy.adapters.clock
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.ports import Clock


def test_system_clock_reads_the_real_time_in_utc():
    before = dt.datetime.now(dt.UTC)
    now = SystemClock().now()
    after = dt.datetime.now(dt.UTC)
    assert before <= now <= after
    assert now.utcoffset() == dt.timedelta(0)
    assert repr(SystemClock()) == "SystemClock()"


def test_system_clock_is_a_clock():
    clock: Clock = SystemClock()
    assert isinstance(clock.now(), dt.datetime)


def test_module_example_runs():
    result = doctest.testmod(notifpolicy.adapters.clock)
    assert (result.attempted, result.failed) == (2, 0)
