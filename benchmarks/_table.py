"""One table for every benchmark: the rows each ``bench_*.py`` reports, printed and saved.

Each benchmark module has ``rows(tiny=False) -> list[Row]``: one row per measured operation and
size, with the median and the 90th percentile of its samples (every figure is a time: lower is
better) and, where the project set one, the target it must meet.  ``tiny=True`` runs it at a
token size (the test suite does, to keep every benchmark runnable; its figures mean nothing).
``run.py`` (``make bench``) gathers the rows of all of them into one table and writes it as JSON
to ``build/bench.json``; ``python benchmarks/bench_x.py`` prints one module's rows alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


@dataclasses.dataclass(frozen=True)
class Row:
    """One measured operation at one size: median and p90 in ``unit``, and its target if any.

    ``target``: the most the median may be, in ``unit`` (``None``: no target, the row is there
    to show a trend); ``target_text`` says where the target comes from when it is not a plain
    figure (``"<= 1.5 x the 10-member median"``).
    """

    benchmark: str
    operation: str
    size: str
    median: float
    p90: float
    unit: str
    samples: int
    target: float | None = None
    target_text: str = ""
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.median <= self.target

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "met": self.met}


def p90(values: Sequence[float]) -> float:
    """The 90th percentile, nearest rank (a value that was measured, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def row(
    benchmark: str,
    operation: str,
    size: str,
    seconds: Sequence[float],
    unit: str,
    *,
    per: float = 1.0,
    target: float | None = None,
    target_text: str = "",
    note: str = "",
) -> Row:
    """A row from samples in seconds, each divided by ``per`` (say, the decisions per call)."""
    scaled = [s / per / UNITS[unit] for s in seconds]
    return Row(
        benchmark,
        operation,
        size,
        statistics.median(scaled),
        p90(scaled),
        unit,
        len(scaled),
        target,
        target_text,
        note,
    )


def timed(
    call: Callable[[], object],
    runs: int,
    *,
    collect: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """``runs`` times of ``call`` in seconds (``collect``: a clean heap before each).

    ``clock``: wall time by default; ``time.process_time`` counts only this process's CPU time,
    which other processes on a shared machine do not inflate.
    """
    spent = []
    for _ in range(runs):
        if collect:
            gc.collect()
        start = clock()
        call()
        spent.append(clock() - start)
    return spent


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _figure(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render(rows: Sequence[Row]) -> str:
    """The rows as one Markdown table."""
    lines = [
        "| benchmark | operation | size | median | p90 | target | met |",
        "| --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        if r.target is None:
            target, met = "—", ""
        else:
            target = r.target_text or f"<= {_figure(r.target)} {r.unit}"
            met = "yes" if r.met else "**no**"
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.benchmark} | {r.operation}{note} | {r.size} | {_figure(r.median)} {r.unit} "
            f"| {_figure(r.p90)} {r.unit} | {target} | {met} |"
        )
    return "\n".join(lines)


def describe_machine(info: dict[str, Any]) -> str:
    load = info["load_average"]
    load_text = "" if load is None else f", load average {load[0]:.1f} at the end"
    return f"{info['python']} on {info['cpu']} ({info['cpus']} CPUs){load_text}"


def standalone(rows: Callable[..., list[Row]], argv: Sequence[str] | None = None) -> None:
    """``python benchmarks/bench_x.py [--tiny]``: one module's rows as a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true", help="a token size, to check it runs")
    args = parser.parse_args(argv)
    found = rows(tiny=args.tiny)
    print(render(found))
    print(f"\n{describe_machine(machine())}")
