"""The weekly report over 100,000 conversations and 200 agents.

Run: ``python benchmarks/bench_digest.py``.  Records are built once (as a host would load them);
the figure is ``build_report`` for one week with the week before for the trends (both periods
computed), and rendering the email on its own line.  Median of 7 runs.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from notifpolicy import WorkspaceSettings
from notifpolicy._digest import build_report
from notifpolicy._digest_render import render_digest
from notifpolicy._digest_report import ConversationRecord, Reply

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


def main() -> None:
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 3, 10, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    previous = weekly.period_ending_at(period.start, zone, workspace_id="ws")
    print("weekly report: 2 weeks of conversations, 200 agents, median of 7 runs")
    print(f"{'conversations':>14}{'build_report ms':>18}{'render ms':>12}{'build records ms':>18}")
    for count in (10_000, 100_000):
        t = time.perf_counter()
        rows = records(count, 200, random.Random(7))
        build_ms = (time.perf_counter() - t) * 1000
        report_times, render_times = [], []
        for _ in range(7):
            t = time.perf_counter()
            report = build_report(rows, period=period, settings=SETTINGS, previous_period=previous)
            report_times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            render_digest(report)
            render_times.append((time.perf_counter() - t) * 1000)
        print(
            f"{count:>14,}{statistics.median(report_times):>18.1f}"
            f"{statistics.median(render_times):>12.1f}{build_ms:>18.0f}"
        )


if __name__ == "__main__":
    main()
