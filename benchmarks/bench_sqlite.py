"""SQLite adapter throughput: ledger claims and settings saves, with 1 and 8 processes.

Run: ``python benchmarks/bench_sqlite.py``.  Each claim is one ``BEGIN IMMEDIATE`` transaction
(ledger row + one outbox row); each save is one compare-and-set transaction (settings row +
audit row).  With 8 processes the claims race for the same keys, as workers would; saves are
per-workspace (8 workspaces, one writer each), since racing saves of one workspace conflict by
design.  WAL, the default ``durability="full"`` (claims and saves wait for the disk), on the
local disk.  Each row is the time per operation
(median and p90 of 3 races) and, in its note, the operations per second it makes.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy import Channel, Member, OutboxItem, Role, save_workspace_settings
from notifpolicy.adapters.sqlite import SqliteStore

NAME = "sqlite"
T0 = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)
CLAIM_KEYS = 4000
SAVES_PER_PROCESS = 300


def _claim(path: str, keys: int) -> int:
    won = 0
    with SqliteStore(path) as store:
        for n in range(keys):
            key = f"ws:esc:{n}"
            item = OutboxItem(
                f"{key}:a", "ws", key, "c", "a", Channel.EMAIL, ("escalation_unassigned",), T0
            )
            won += store.claim(key, [item])
    return won


def _save(path: str, workspace: str, count: int) -> int:
    admin = Member("adam", Role.ADMIN)
    with SqliteStore(path) as store:
        for n in range(count):
            current = store.get_settings(workspace)
            minutes = 1 + (n % 100)
            result = save_workspace_settings(
                current,
                {
                    "version": current.version,
                    "escalation": {"unassigned": {"after_minutes": minutes}},
                },
                actor=admin,
                workspace_id=workspace,
                now=T0,
            )
            if result.audit is not None:
                store.save_settings(result.value, result.audit)
    return count


def _run(processes: int, target: str, keys: int, saves: int) -> tuple[float, int]:
    """Seconds for the whole race, and how many operations (attempts, won or lost) it made."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite3")
        SqliteStore(path).close()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            pool.map(abs, range(processes))  # start the workers before the clock
            start = time.perf_counter()
            if target == "claim":
                results = pool.starmap(_claim, [(path, keys)] * processes)
                if sum(results) != keys:
                    raise SystemExit(f"claims won {sum(results)} times, expected {keys}")
                operations = keys * processes
            else:
                pool.starmap(_save, [(path, f"ws{p}", saves) for p in range(processes)])
                operations = saves * processes
            elapsed = time.perf_counter() - start
    return elapsed, operations


def rows(*, tiny: bool = False) -> list[Row]:
    """Time per operation (the inverse of the throughput), median and p90 of 3 races."""
    keys, saves, races = (20, 5, 1) if tiny else (CLAIM_KEYS, SAVES_PER_PROCESS, 3)
    out = []
    for target, label in (
        ("claim", "ledger claim + outbox row (attempts, won or lost)"),
        ("save", "settings save + audit row"),
    ):
        for processes in (1, 2) if tiny else (1, 8):
            spent = []
            for _ in range(races):
                elapsed, operations = _run(processes, target, keys, saves)
                spent.append(elapsed / operations)
            per_second = 1 / sorted(spent)[len(spent) // 2]
            out.append(
                row(
                    NAME,
                    label,
                    f"{processes} process{'es' if processes > 1 else ''}",
                    spent,
                    "µs",
                    note=f"{per_second:,.0f} per second",
                )
            )
    return out


if __name__ == "__main__":
    standalone(rows)
