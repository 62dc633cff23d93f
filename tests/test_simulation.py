"""The simulation engine (``notifpolicy._simulation``) and the in-memory adapters it runs on.

The engine is shipped code: it takes the in-memory transport and the manual clock from
``notifpolicy.adapters``, never from the testing kit, and its wake loop is the one the testing
kit's ``Workspace.run_until`` uses.  The ``simulate`` command's own tests (its output, byte for
byte) are in ``test_cli_simulate.py``.
"""

from __future__ import annotations

import datetime as dt
import doctest
import json
import subprocess
import sys
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import notifpolicy.adapters.memory
from notifpolicy import Channel, ConversationCreated, MemberMentioned, Role, ValidationError
from notifpolicy._simulation import wake
from notifpolicy._simulation.wake import MAX_TICKS_AT_ONE_INSTANT, run_until
from notifpolicy.adapters.clock import ManualClock, SystemClock
from notifpolicy.adapters.memory import InMemoryStore, RecordingTransport
from notifpolicy.ports import Clock, Store, Transport
from notifpolicy.service import NotificationService, TickReport
from notifpolicy.testing import fakes
from notifpolicy.testing.workspace import START, Workspace

# -- the adapters and their old address ---------------------------------------------------------


def test_the_testing_kit_re_exports_the_same_objects():
    assert fakes.InMemoryStore is InMemoryStore
    assert fakes.RecordingTransport is RecordingTransport
    assert fakes.ManualClock is ManualClock
    assert fakes.__all__ == ["InMemoryStore", "ManualClock", "RecordingTransport"]


def test_the_in_memory_adapters_are_the_ports():
    store: Store = InMemoryStore()
    transport: Transport = RecordingTransport()
    clocks: list[Clock] = [ManualClock(START), SystemClock()]
    assert isinstance(store, Store)
    assert isinstance(transport, Transport)
    assert all(isinstance(c, Clock) for c in clocks)


def test_the_memory_module_example_runs():
    result = doctest.testmod(notifpolicy.adapters.memory)
    assert (result.attempted, result.failed) == (2, 0)


def test_a_manual_clock_refuses_naive_instants():
    naive = dt.datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValidationError, match=r"^start: must be timezone-aware"):
        ManualClock(naive)
    clock = ManualClock(START)
    with pytest.raises(ValidationError, match=r"^at: must be timezone-aware"):
        clock.set(naive)
    assert clock.now() == START
    assert clock.advance(dt.timedelta(hours=1)) == START + dt.timedelta(hours=1)


@pytest.mark.parametrize("module", ["notifpolicy.cli", "notifpolicy._simulation"])
def test_shipped_code_loads_nothing_from_the_testing_kit(module):
    # The whole simulate command, run in a fresh interpreter, then the modules it loaded.
    code = (
        "import contextlib, io, json, sys\n"
        f"import {module}\n"
        "from notifpolicy.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['simulate', 'examples/workspace.toml', '--day', '2026-03-30',"
        " '--conversations', '3'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('notifpolicy.testing'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# -- the wake loop ------------------------------------------------------------------------------

_EVENING = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def _night_workspace() -> Workspace:
    """A workspace in Amsterdam with quiet hours that defer: its service asks to be woken."""
    ws = Workspace(InMemoryStore(), ManualClock(_EVENING))
    ws.configure(
        {
            "timezone": "Europe/Amsterdam",
            "quiet_hours": {"enabled": True, "start": "22:00", "end": "07:00", "mode": "defer"},
        }
    )
    ws.add_member("anna", email="anna@example.org")
    return ws


class _Asking:
    """The real service, with every answer of ``next_wake_at`` and every tick's instant kept."""

    def __init__(self, service: NotificationService, clock: ManualClock) -> None:
        self.service = service
        self.clock = clock
        self.asked: list[dt.datetime | None] = []
        self.ticked: list[dt.datetime] = []

    def next_wake_at(self) -> dt.datetime | None:
        self.asked.append(found := self.service.next_wake_at())
        return found

    def tick(self) -> TickReport:
        self.ticked.append(self.clock.now())
        return self.service.tick()


@given(
    events=st.lists(st.integers(min_value=0, max_value=16 * 60), max_size=6),
    hours=st.integers(min_value=0, max_value=40),
)
def test_the_wake_loop_ticks_in_order_up_to_the_end_and_leaves_nothing_due(events, hours):
    ws = _night_workspace()
    for n, minutes in enumerate(sorted(events)):
        ws.at(_EVENING + dt.timedelta(minutes=minutes))
        mentioned = MemberMentioned(
            id=f"e{n}", conversation_id=f"c{n}", author_id="olga", mentioned=["anna"]
        )
        ws.handle(mentioned)
    start = ws.clock.now()
    end = _EVENING + dt.timedelta(hours=hours)
    service = _Asking(ws.service, ws.clock)
    reports: list[TickReport] = []
    run_until(cast(Any, service), ws.clock, end, reports.append)
    ticks, asked = service.ticked, service.asked
    assert len(reports) == len(ticks) == len(asked) - 1
    # Each tick at the instant the service asked for, or at the clock's when that had passed
    # (the clock never goes back): so in order, and past the end only if the clock already was.
    before = [start, *ticks][: len(ticks)]  # the clock's instant when each tick was asked for
    assert ticks == [max(a, t) for a, t in zip(asked[:-1], before, strict=True)]  # type: ignore[type-var]
    assert ticks == sorted(ticks)
    assert all(t <= max(end, start) for t in ticks)
    assert all(a is not None and a <= end for a in asked[:-1])
    # It stops when nothing is due by the end, with the clock at its last tick.
    assert asked[-1] is None or asked[-1] > end
    assert ws.clock.now() == (ticks[-1] if ticks else start)
    # Once the quiet night is over (07:00 in Amsterdam), every mention has been emailed.
    if end >= dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC):
        assert len(ws.sent_to("anna", channel=Channel.EMAIL)) == len(events)


def test_the_workspace_runs_the_same_loop(monkeypatch):
    calls: list[dt.datetime] = []
    real = wake.run_until

    def spy(service: Any, clock: ManualClock, end: dt.datetime, on_tick: Any) -> None:
        calls.append(end)
        real(service, clock, end, on_tick)

    monkeypatch.setattr("notifpolicy.testing.workspace.run_until", spy)
    ws = _night_workspace()
    ws.at("2026-03-02T23:30:00+01:00")
    ws.handle(MemberMentioned(id="e1", conversation_id="c1", author_id="olga", mentioned=["anna"]))
    reports = ws.run_until("2026-03-03T08:00:00+01:00")
    assert calls == [dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)]
    # The wake-up at 07:00 local sends the deferred mention; the last report is at the end.
    assert ws.clock.now() == dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    assert [d.item.kinds for d in ws.sent_to("anna", channel=Channel.EMAIL)] == [("mention",)]
    assert len(reports) == 2


class _Stuck:
    """A service that always asks to be woken at one instant and never gets past it."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        self.ticks = 0

    def next_wake_at(self) -> dt.datetime:
        return self.at

    def tick(self) -> TickReport:
        self.ticks += 1
        return TickReport()


def test_a_service_that_makes_no_progress_stops_the_loop():
    stuck = _Stuck(START)
    with pytest.raises(RuntimeError, match="no progress at 2026-03-02T09:00:00"):
        run_until(
            cast(Any, stuck), ManualClock(START), START + dt.timedelta(hours=1), lambda r: None
        )
    # The clock already reads that instant: MAX ticks at it are allowed, one more is not.
    assert stuck.ticks == MAX_TICKS_AT_ONE_INSTANT


def test_a_wake_up_in_the_past_is_ticked_now():
    later = START + dt.timedelta(hours=2)
    clock = ManualClock(later)
    ws = Workspace(InMemoryStore(), clock)
    ws.add_member("bob", Role.AGENT)
    seen: list[dt.datetime] = []

    class Late:
        """The real service, asked once for a wake-up before the clock's instant."""

        def __init__(self) -> None:
            self.first = True

        def next_wake_at(self) -> dt.datetime | None:
            if self.first:
                self.first = False
                return START
            return ws.service.next_wake_at()

        def tick(self) -> TickReport:
            seen.append(clock.now())
            return ws.service.tick()

    ws.handle(ConversationCreated(id="e1", conversation_id="c1", assignee="bob"))
    run_until(cast(Any, Late()), clock, later + dt.timedelta(hours=1), lambda report: None)
    assert seen[0] == later  # not back to START
