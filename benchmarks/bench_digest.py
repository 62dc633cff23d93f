"""The weekly report over 100,000 conversations and 200 agents.

Run: ``python benchmarks/bench_digest.py``.  Records are built once (as a host would load them;
timed once, on a row of its own); the figure is ``build_report`` for one week with the week
before for the trends (both periods computed), and rendering the email on its own row.  Median
and p90 of 7 runs.  Target: ``build_report`` at most 250 ms for 100,000 conversations.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone, timed

from notifpolicy import ConversationRecord, Reply, WorkspaceSettings, build_report, render_digest

NAME = "digest"
SETTINGS = WorkspaceSettings.from_dict(
    {"timezone": "Europe/Amsterdam", "digests": {"weekly": {"enabled": True}}}
)


def records(count: int, agents: int, rng: random.Random) -> list[ConversationRecord]:
    names = [f"agent-{i}" for i in range(agents)]
    start = dt.datetime(2026, 2, 23, tzinfo=dt.UTC)
    out = []
    for i in range(count):
        created = start + dt.timedelta(seconds=rng.randrange(14 * 86_400))
        answered = (
            created + dt.timedelta(seconds=rng.randrange(7_200)) if rng.random() < 0.9 else None
        )
        replies = [] if answered is None else [Reply(rng.choice(names), answered)]
        if answered is not None and rng.random() < 0.5:
            replies.append(Reply(rng.choice(names), answered + dt.timedelta(minutes=30)))
        closed = created + dt.timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.7 else None
        out.append(
            ConversationRecord(
                f"c{i}",
                created,
                closed_at=closed,
                first_response_at=answered,
                assignee=rng.choice(names) if rng.random() < 0.85 else None,
                replies=replies,
            )
        )
    return out


def rows(*, tiny: bool = False) -> list[Row]:
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 3, 10, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    previous = weekly.period_ending_at(period.start, zone, workspace_id="ws")
    runs = 2 if tiny else 7
    out = []
    for count in (200,) if tiny else (10_000, 100_000):
        size = f"{count:,} conversations, 200 agents"
        start = time.perf_counter()
        found = records(count, 200, random.Random(7))
        spent = [time.perf_counter() - start]
        out.append(row(NAME, "build the records (the host's, once)", size, spent, "ms"))
        report = functools.partial(
            build_report, found, period=period, settings=SETTINGS, previous_period=previous
        )
        target = 250.0 if count == 100_000 else None
        built = timed(report, runs)
        out.append(
            row(NAME, "build_report, a week and its trends", size, built, "ms", target=target)
        )
        rendered = timed(functools.partial(render_digest, report()), runs)
        out.append(row(NAME, "render_digest", size, rendered, "ms"))
    return out


if __name__ == "__main__":
    standalone(rows)
