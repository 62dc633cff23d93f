"""How long ``due`` and ``next_check_at`` take over many open conversations.

Run: ``python benchmarks/bench_escalation.py``.

What is measured: one call of ``due`` (or ``next_check_at``) over a list of already-built
``ConversationState`` values, median and p90 of 7 calls with ``time.perf_counter``, and the
median CPU time of the process ("cpu ms": what the call costs when other processes share the
cores, as they may on a CI machine).  Building the states is not in those
figures: the host builds them from its rows, they are checked input, and that cost has its own
line ("build the states", from dicts of fields).  The business-hours calendar is warmed by one
call first: its cache persists across calls in a process, so a worker pays for building it once.

The data: open conversations created over the last three days before Wednesday
2026-03-04 12:00 UTC, all timestamps UTC-aware.  95% are assigned and answered (the steady
state of a working team); 5% are late: unassigned and unanswered past both thresholds.  Those
late ones yield about 3 escalations each:

- *steady*: every key is already claimed (``already_fired`` holds them): the call finds nothing
  new, which is what almost every evaluation of a running scheduler sees;
- *burst*: nothing claimed yet, so every late escalation is built and returned.

Targets (2-core machine, CPython 3.11): ``due`` and ``next_check_at`` at most 100 ms for 100,000
conversations without business hours (1 us each), at most 500 ms with business hours.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy import ConversationState, WorkspaceSettings, due, next_check_at

NAME = "escalation"
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
LATE_SHARE = 0.05
WORKSPACE = "ws-bench"

PLAIN = WorkspaceSettings()
BUSINESS = WorkspaceSettings.from_dict(
    {
        "timezone": "Europe/Amsterdam",
        "business_hours": {
            "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "closed_dates": ["2026-03-03"],
        },
    }
)


def host_rows(count: int, seed: int = 20260304) -> list[dict[str, Any]]:
    """The host's rows for ``count`` open conversations, 5% of them late (module docstring)."""
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    for i in range(count):
        if rng.random() < LATE_SHARE:
            created = NOW - dt.timedelta(seconds=rng.randrange(2 * 3600, 3 * 86400))
            found.append({"id": f"c{i}", "created_at": created, "unassigned_since": created})
        else:
            created = NOW - dt.timedelta(seconds=rng.randrange(0, 3 * 86400))
            found.append(
                {
                    "id": f"c{i}",
                    "created_at": created,
                    "assignee": f"agent-{rng.randrange(40)}",
                    "first_response_at": created + dt.timedelta(seconds=rng.randrange(30, 900)),
                }
            )
    return found


def build(data: list[dict[str, Any]]) -> list[ConversationState]:
    return [ConversationState(**row) for row in data]


def cpu_and_wall(call: Callable[[], object], runs: int) -> tuple[list[float], float]:
    """Wall times (``perf_counter``) of ``runs`` calls in seconds, and the median CPU ms.

    The CPU time is what the call costs when the machine is shared: wall time also counts the
    moments another process held the core.
    """
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()  # start each run clean; collections during the run are counted
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, statistics.median(cpu) * 1000


def rows(*, tiny: bool = False) -> list[Row]:
    runs = 2 if tiny else 7
    out = []
    for size in (200,) if tiny else (10_000, 100_000):
        data = host_rows(size)
        states = build(data)
        wall, cpu = cpu_and_wall(functools.partial(build, data), runs)
        out.append(
            row(
                NAME,
                "build the states",
                f"{size:,} conversations",
                wall,
                "ms",
                note=f"cpu {cpu:.1f} ms",
            )
        )
        for label, settings, target in (
            ("no business hours", PLAIN, 100.0),
            ("business hours Mon-Fri 9-17", BUSINESS, 500.0),
        ):
            burst = due(
                states, settings=settings, now=NOW, already_fired=(), workspace_id=WORKSPACE
            )
            claimed = frozenset(e.key for e in burst)
            steady = functools.partial(
                due,
                states,
                settings=settings,
                now=NOW,
                already_fired=claimed,
                workspace_id=WORKSPACE,
            )
            cold = functools.partial(
                due,
                states,
                settings=settings,
                now=NOW,
                already_fired=frozenset(),
                workspace_id=WORKSPACE,
            )
            wake = functools.partial(next_check_at, states, settings=settings, now=NOW)
            for name, call in (
                ("due, steady", steady),
                (f"due, burst ({len(burst):,} new)", cold),
                ("next_check_at", wake),
            ):
                wall, cpu = cpu_and_wall(call, runs)
                out.append(
                    row(
                        NAME,
                        f"{name}, {label}",
                        f"{size:,} conversations",
                        wall,
                        "ms",
                        target=target if size == 100_000 else None,
                        note=f"cpu {cpu:.1f} ms",
                    )
                )
    return out


if __name__ == "__main__":
    standalone(rows)
