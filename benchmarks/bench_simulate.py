"""How long ``notifpolicy simulate`` takes for a day of traffic, by size.

Run: ``python benchmarks/bench_simulate.py``.

What is measured: the whole command in-process (``notifpolicy.cli.main``), output discarded:
generating the day's traffic, the service deciding and sending through recording transports,
and every write to a fresh SQLite file in a temporary folder.  Median and p90 wall time of 3
runs (one for the largest size), and the decisions per second of the median.  Python's
start-up (about 0.35 s) is not in it.

The workspace is the bundled example (``examples/workspace.toml``: Europe/Amsterdam, quiet hours
22:00-08:00 in summarize mode, both digests, Slack) on Monday 2026-03-30.  There is no target;
the figures show that the cost is linear in the traffic (a catch-up step that re-read the night's
held items on every tick once made it quadratic).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy.cli import main as cli

NAME = "simulate"
WORKSPACE = Path(__file__).resolve().parent.parent / "examples" / "workspace.toml"
SIZES = ((4, 40), (20, 200), (50, 1000))


def run_once(agents: int, conversations: int) -> tuple[float, dict[str, int]]:
    """One simulate run: its wall time and its decision and outbox counts."""
    with tempfile.TemporaryDirectory() as folder:
        out = io.StringIO()
        argv = [
            "simulate",
            str(WORKSPACE),
            "--day",
            "2026-03-30",
            "--agents",
            str(agents),
            "--conversations",
            str(conversations),
            "--db",
            str(Path(folder) / "sim.sqlite3"),
            "--json",
        ]
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli(argv)
        elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"simulate exited with {code}")
    summary = json.loads(out.getvalue())["summary"]
    return elapsed, {
        "decisions": sum(summary["decisions"].values()),
        "rows": sum(summary["outbox"].values()),
    }


def rows(*, tiny: bool = False) -> list[Row]:
    """Seconds per run; the largest size runs once (about 40 s), the others three times."""
    out = []
    for agents, conversations in ((2, 5),) if tiny else SIZES:
        runs = [run_once(agents, conversations) for _ in range(1 if conversations > 200 else 3)]
        counts = runs[0][1]
        seconds = [t for t, _ in runs]
        rate = counts["decisions"] / sorted(seconds)[len(seconds) // 2]
        out.append(
            row(
                NAME,
                "simulate a Monday: decide, send, record in SQLite",
                f"{agents} agents, {conversations:,} conversations",
                seconds,
                "s",
                note=f"{counts['decisions']:,} decisions, {counts['rows']:,} outbox rows, "
                f"{rate:,.0f} decisions/s",
            )
        )
    return out


if __name__ == "__main__":
    standalone(rows)
