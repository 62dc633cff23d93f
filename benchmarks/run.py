"""Run every benchmark in turn: ``make bench``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHMARKS = (
    "bench_time",
    "bench_decide",
    "bench_escalation",
    "bench_digest",
    "bench_sqlite",
    "bench_simulate",
)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for name in BENCHMARKS:
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
