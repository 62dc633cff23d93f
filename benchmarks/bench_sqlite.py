"""SQLite adapter throughput: ledger claims and settings saves, with 1 and 8 processes.

Run: ``python benchmarks/bench_sqlite.py``.  Each claim is one ``BEGIN IMMEDIATE`` transaction
(ledger row + one outbox row); each save is one compare-and-set transaction (settings row +
audit row).  With 8 processes the claims race for the same keys, as workers would; saves are
per-workspace (8 workspaces, one writer each), since racing saves of one workspace conflict by
design.  WAL, ``synchronous=NORMAL``, on the local disk.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from notifpolicy import Channel, Member, Role, save_workspace_settings
from notifpolicy._outbox import OutboxItem
from notifpolicy.adapters.sqlite import SqliteStore

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


def _run(processes: int, target: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite3")
        SqliteStore(path).close()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            pool.map(abs, range(processes))  # start the workers before the clock
            start = time.perf_counter()
            if target == "claim":
                results = pool.starmap(_claim, [(path, CLAIM_KEYS)] * processes)
                if sum(results) != CLAIM_KEYS:
                    raise SystemExit(f"claims won {sum(results)} times, expected {CLAIM_KEYS}")
                operations = CLAIM_KEYS * processes  # attempts, won or lost
            else:
                pool.starmap(_save, [(path, f"ws{p}", SAVES_PER_PROCESS) for p in range(processes)])
                operations = SAVES_PER_PROCESS * processes
            elapsed = time.perf_counter() - start
    return operations / elapsed


def main() -> None:
    print("SQLite adapter (WAL, synchronous=NORMAL), median of 3 runs")
    print(f"{'operation':<34}{'processes':>10}{'per second':>14}")
    for target, label in (
        ("claim", "ledger claim + outbox row"),
        ("save", "settings save + audit row"),
    ):
        for processes in (1, 8):
            rate = statistics.median(_run(processes, target) for _ in range(3))
            print(f"{label:<34}{processes:>10}{rate:>14,.0f}")


if __name__ == "__main__":
    main()
