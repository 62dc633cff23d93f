"""Nanoseconds per call of the time primitives: ``python benchmarks/bench_time.py``.

Each row calls one primitive on 1,024 instants spread over a year (with microseconds, as a clock
gives them), after one warm-up pass that fills the per-zone caches; the loop's own cost, measured
the same way, is subtracted.  The rows run interleaved, round after round, and each row reports
the median over its rounds, so a noisy neighbour on a shared machine moves all rows alike (the
garbage collector is off while a row runs, as in ``timeit``).  The first two rows of each zone
are for scale: the bare conversion ``at.astimezone(zone).time()``, and the inline check the fast
path competes with, ``qh.covers(at.astimezone(zone).time())``.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import random
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy import DailyDigest, QuietHours, Weekday, WeeklyDigest

NAME = "time"
UTC = dt.UTC
ZONES = ("Europe/Amsterdam", "America/New_York")
N_INSTANTS = 1024
INLINE = "(inline) qh.covers(...that...)"

Case = tuple[str, str, str, int, Callable[[], None]]  # call, input, zone, calls per run, run


def _instants(seed: int, count: int) -> list[dt.datetime]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    return [
        start + dt.timedelta(seconds=rng.randrange(365 * 86_400), microseconds=rng.randrange(10**6))
        for _ in range(count)
    ]


def _loop(fn: Callable[[dt.datetime, str], object], ats: Sequence[dt.datetime], tz: str) -> None:
    for at in ats:
        fn(at, tz)


def _empty(ats: Sequence[dt.datetime]) -> None:
    for _ in ats:
        pass


def _cases(count: int) -> list[Case]:
    qh = QuietHours(dt.time(22, 0), dt.time(8, 0))
    daily = DailyDigest(enabled=True, send_time=dt.time(9, 0))
    weekly = WeeklyDigest(enabled=True, weekday=Weekday.MONDAY, send_time=dt.time(9, 0))
    utc_ats = _instants(2026, count)
    cases: list[Case] = []
    for zone_name in ZONES:
        zone = zoneinfo.ZoneInfo(zone_name)
        zone_ats = [at.astimezone(zone) for at in utc_ats]
        quiet_ats = [at for at in utc_ats if qh.is_quiet(at, zone_name)]

        def bare(ats: Sequence[dt.datetime] = utc_ats, z: dt.tzinfo = zone) -> None:
            for at in ats:
                at.astimezone(z).time()

        def inline(ats: Sequence[dt.datetime] = utc_ats, z: dt.tzinfo = zone) -> None:
            for at in ats:
                qh.covers(at.astimezone(z).time())

        cases.append(("(bare) at.astimezone(zone).time()", "UTC", zone_name, len(utc_ats), bare))
        cases.append((INLINE, "UTC", zone_name, len(utc_ats), inline))
        for label, ats in (("UTC", utc_ats), (zone_name, zone_ats)):
            for name, fn in (
                ("is_quiet", qh.is_quiet),
                ("quiet_until", qh.quiet_until),
                ("DailyDigest.next_after", daily.next_after),
                ("WeeklyDigest.next_after", weekly.next_after),
            ):
                cases.append(
                    (name, label, zone_name, len(ats), functools.partial(_loop, fn, ats, zone_name))
                )
        cases.append(
            (
                "quiet_until (quiet instants only)",
                "UTC",
                zone_name,
                len(quiet_ats),
                functools.partial(_loop, qh.quiet_until, quiet_ats, zone_name),
            )
        )
    return cases


def _time_ns(fn: Callable[[], None]) -> int:
    # As timeit does: a collection triggered by earlier rows' garbage is not this row's cost.
    gc.disable()
    try:
        start = time.perf_counter_ns()
        fn()
        return time.perf_counter_ns() - start
    finally:
        gc.enable()


# Targets set for a UTC input, assuming the bare conversion at about 300 ns.
TARGETS_NS = {
    "is_quiet": 350.0,
    "quiet_until": 600.0,
    "DailyDigest.next_after": 5_000.0,
    "WeeklyDigest.next_after": 5_000.0,
}


def rows(*, tiny: bool = False) -> list[Row]:
    """Median and p90 nanoseconds per call over interleaved rounds, loop overhead subtracted."""
    rounds = 3 if tiny else 41
    cases = _cases(64 if tiny else N_INSTANTS)
    ats = _instants(0, 64 if tiny else N_INSTANTS)
    for *_, fn in cases:
        fn()  # warm the per-zone caches: the table shows the steady state
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        overhead = _time_ns(lambda: _empty(ats)) / len(ats)
        for i, (*_, calls, fn) in enumerate(cases):
            samples[i].append((_time_ns(fn) / calls - overhead) * 1e-9)
    medians = [statistics.median(values) for values in samples]
    pairs = zip(cases, medians, strict=True)
    inline = {zone: m for (name, _, zone, _, _), m in pairs if name == INLINE}
    out = []
    for (name, label, zone_name, _, _), values, median in zip(cases, samples, medians, strict=True):
        target = TARGETS_NS.get(name) if label == "UTC" else None
        out.append(
            row(
                NAME,
                f"{name}, `at` in {label}",
                f"workspace in {zone_name}",
                values,
                "ns",
                target=target,
                note=f"{median / inline[zone_name]:.2f} x the inline check",
            )
        )
    return out


if __name__ == "__main__":
    standalone(rows)
