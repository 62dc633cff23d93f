"""Every benchmark still runs, at a token size, and reports rows of the one table.

A smoke test only: the figures of a tiny run mean nothing and nothing here looks at time.
``make bench`` runs them at full size.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def test_run_lists_every_benchmark_module():
    run = _load("run")
    on_disk = {p.stem.removeprefix("bench_") for p in BENCHMARKS.glob("bench_*.py")}
    assert set(run.BENCHMARKS) == on_disk


@pytest.mark.parametrize(
    "name",
    [
        "decide",
        "time",
        "escalation",
        "digest",
        "sqlite",
        "handle",
        pytest.param("workers", marks=pytest.mark.postgres),
        "simulate",
    ],
)
def test_each_benchmark_reports_rows_at_a_tiny_size(name, request, monkeypatch):
    if name == "workers":  # on the suite's PostgreSQL server, not one of its own
        monkeypatch.setenv("NOTIFPOLICY_BENCH_PG", request.getfixturevalue("postgres_conninfo"))
    table = _load("_table")
    rows = _load(f"bench_{name}").rows(tiny=True)
    assert rows
    for row in rows:
        assert isinstance(row, table.Row)
        assert row.benchmark == name
        assert row.unit in table.UNITS
        assert row.samples >= 1
        assert math.isfinite(row.median)
        assert row.p90 >= row.median
        assert row.met is (None if row.target is None else row.median <= row.target)
    if name == "workers":
        assert {"SQLite", "PostgreSQL"} <= {r.operation.rsplit(", ", 1)[-1] for r in rows}


def test_decide_rows_carry_the_targets_of_the_issue():
    rows = _load("bench_decide").rows(tiny=True)
    targets = {r.operation: r.target for r in rows}
    assert targets["mention of 1 member (3 decisions)"] == 10.0
    per_decision = [r for r in rows if "per decision" in r.operation]
    assert per_decision
    assert {r.target for r in per_decision} == {1.0}


def test_run_prints_one_table_and_writes_json(tmp_path, capsys):
    run = _load("run")
    out = tmp_path / "bench.json"
    assert run.main(["--tiny", "--only", "decide", "time", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| benchmark | operation | size | median | p90 | target | met |")
    document = json.loads(out.read_text())
    assert document["tiny"] is True
    assert document["machine"]["python"].startswith("CPython")
    assert {r["benchmark"] for r in document["rows"]} == {"decide", "time"}
    first = document["rows"][0]
    assert set(first) >= {"operation", "size", "median", "p90", "unit", "target", "met"}
    assert printed.count("\n| decide |") + printed.count("\n| time |") == len(document["rows"])


def test_p90_is_a_measured_value_by_nearest_rank():
    table = _load("_table")
    assert table.p90([3.0]) == 3.0
    assert table.p90([float(i) for i in range(1, 11)]) == 9.0
    assert table.p90([float(i) for i in range(1, 12)]) == 10.0
