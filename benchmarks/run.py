"""Run every benchmark and print one table: ``make bench``.

Each ``bench_*.py`` reports its rows (operation, size, median, p90, target; see ``_table.py``);
this prints them as one Markdown table, with the machine they ran on, and writes them as JSON
to ``build/bench.json`` (or ``--json PATH``), so that a change that slows the library down shows
in a diff of two runs.  ``--tiny`` runs every benchmark at a token size (it checks that they
run; its figures mean nothing); ``--only decide time`` runs some of them.  A row whose target
is not met is marked, and counted at the end; the exit status stays 0 (a benchmark is a
measurement, not a test: a shared machine's noise must not fail a build).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, describe_machine, machine, render

HERE = Path(__file__).resolve().parent

BENCHMARKS = (
    "decide",
    "time",
    "escalation",
    "digest",
    "sqlite",
    "handle",
    "workers",
    "simulate",
)


def collect(names: Sequence[str], *, tiny: bool = False) -> list[Row]:
    rows: list[Row] = []
    for name in names:
        start = time.perf_counter()
        print(f"running bench_{name} ...", file=sys.stderr, flush=True)
        rows.extend(importlib.import_module(f"bench_{name}").rows(tiny=tiny))
        print(f"  done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tiny", action="store_true", help="a token size, to check they run")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS)
    parser.add_argument("--json", type=Path, default=HERE.parent / "build" / "bench.json")
    args = parser.parse_args(argv)
    rows = collect(args.only, tiny=args.tiny)
    info = machine()
    print(render(rows))
    print(f"\n{describe_machine(info)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": info, "tiny": args.tiny, "rows": [r.to_dict() for r in rows]}
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.json}")
    missed = [r for r in rows if r.met is False]
    with_target = [r for r in rows if r.met is not None]
    print(f"targets met: {len(with_target) - len(missed)} of {len(with_target)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
