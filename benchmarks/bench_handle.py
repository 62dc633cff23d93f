"""One process handling events on SQLite: ``handle`` end to end, with each durability.

Run: ``python benchmarks/bench_handle.py``.  Each event is a new conversation for a workspace
of one member who gets it by email, in-app and push (three deliveries), handled with
``NotificationService.handle`` (decide, record, send, record the outcomes) on a fresh SQLite
file, with a transport that records each delivery and answers "sent".  Two stores:
``durability="full"`` (the default: the write that records the deliveries waits for the disk)
and ``durability="normal"`` (it does not; see the SQLite adapter's docs for what each risks).
Each row is the wall time per event (median and p90 of 3 runs), and in its note the events per
second.  The issue's goal is 3,000 events per second in one process.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy import Channel, ConversationCreated, Member, Role, Roster
from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.memory import RecordingTransport
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService

NAME = "handle"
T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)  # a Monday morning: no quiet hours
CHANNELS = (Channel.EMAIL, Channel.IN_APP, Channel.PUSH)
EVENTS = 3000
GOAL_PER_SECOND = 3000


class _Host:
    members = Roster([Member("anna", Role.OWNER, channels=CHANNELS, email="anna@example.org")])

    def roster(self, workspace_id: str) -> Roster:
        return self.members


def _run(durability: Literal["full", "normal"], events: int) -> float:
    """Seconds for ``events`` handled events on a fresh file."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.sqlite3", durability=durability)
        transport = RecordingTransport()
        service = NotificationService(
            workspace_id="ws",
            store=store,
            roster=_Host(),
            clock=ManualClock(T0),
            transports=dict.fromkeys(CHANNELS, transport),
        )
        start = time.perf_counter()
        for n in range(events):
            report = service.handle(ConversationCreated(id=f"e{n}", conversation_id=f"c{n}"))
            if len(report.sent) != 3:
                raise SystemExit(f"event {n} sent {report.sent}, expected three deliveries")
        elapsed = time.perf_counter() - start
        store.close()
    return elapsed


def rows(*, tiny: bool = False) -> list[Row]:
    events, runs = (20, 1) if tiny else (EVENTS, 3)
    out = []
    modes: tuple[Literal["full", "normal"], ...] = ("full", "normal")
    for durability in modes:
        spent = [_run(durability, events) for _ in range(runs)]
        per_second = events / sorted(spent)[len(spent) // 2]
        # The goal is the fast setting's; "full" waits for the disk once per event.
        goal = durability == "normal"
        out.append(
            row(
                NAME,
                f"handle, 1 member x 3 channels, durability={durability}",
                f"{events} events",
                spent,
                "µs",
                per=events,
                target=1e6 / GOAL_PER_SECOND if goal else None,
                target_text=">= 3,000 events/s" if goal else "",
                note=f"{per_second:,.0f} events per second",
            )
        )
    return out


if __name__ == "__main__":
    standalone(rows)
