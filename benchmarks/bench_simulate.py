"""How long ``notifpolicy simulate`` takes for a day of traffic, by size.

Run: ``python benchmarks/bench_simulate.py [--runs N]``.

What is measured: the whole command in-process (``notifpolicy.cli.main``), output discarded:
generating the day's traffic, the service deciding and sending through recording transports,
and every write to a fresh SQLite file in a temporary folder.  Median wall time of ``--runs``
runs, and the decisions and outbox rows per second of it.  Python's start-up (about 0.35 s) is
not in it.

The workspace is the bundled example (``examples/workspace.toml``: Europe/Amsterdam, quiet hours
22:00-08:00 in summarize mode, both digests, Slack) on Monday 2026-03-30.  There is no target;
the figures show that the cost is linear in the traffic (a catch-up step that re-read the night's
held items on every tick once made it quadratic).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from notifpolicy.cli import main as cli

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'agents':>7} {'convs':>6} {'decisions':>10} {'rows':>8} {'s':>7} {'dec/s':>9}")
    for agents, conversations in SIZES:
        runs = [run_once(agents, conversations) for _ in range(args.runs)]
        seconds = statistics.median(t for t, _ in runs)
        counts = runs[0][1]
        rate = counts["decisions"] / seconds
        print(
            f"{agents:>7} {conversations:>6} {counts['decisions']:>10,} {counts['rows']:>8,} "
            f"{seconds:>7.2f} {rate:>9,.0f}"
        )


if __name__ == "__main__":
    main()
