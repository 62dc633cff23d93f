"""Several servers: app servers recording, worker processes sending, ledger claims; SQLite and
PostgreSQL side by side.

Run: ``python benchmarks/bench_workers.py``.  Three measurements, each on a fresh SQLite file
(``durability="full"``, the default) and a fresh PostgreSQL schema:

- **Recording**: 1 and 4 app-server processes call ``handle(event, send=False)`` (one member,
  three channels: three deliveries per event) as fast as they can, each for its own workspaces.
- **Sending**: 1, 4 and 8 worker processes run ``notifpolicy.worker.run_worker`` over the
  deliveries the app servers recorded, spread over four workspaces per worker, with a transport
  that takes 20 ms per send (the realistic case: sending is waiting for SMTP or Slack).  The
  clock runs from the moment every worker is ready to the moment the last delivery is recorded
  as sent.  The issue's goal: 8 workers on PostgreSQL at least 5 times one worker.
- **Claims**: 1 and 8 processes race to claim the same ledger keys (each with one outbox row),
  as workers ticking at once would; each key is won once.

PostgreSQL: the server named by ``NOTIFPOLICY_BENCH_PG`` (a libpq conninfo), or else a
throwaway one started with ``scripts/pg-server.sh`` with PostgreSQL's durable defaults
(``PG_DURABLE=1``: ``fsync`` and ``synchronous_commit`` on).  Where neither is possible the
PostgreSQL rows are left out, with the reason on stderr.  Each row is the time per operation
(one race per row: the processes take tens of seconds in all), the rate in its note.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone

from notifpolicy import (
    Channel,
    ConversationCreated,
    Member,
    OutboxItem,
    OutboxStatus,
    Role,
    Roster,
    SendResult,
)
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.worker import run_worker

NAME = "workers"
ROOT = Path(__file__).resolve().parent.parent
CHANNELS = (Channel.EMAIL, Channel.IN_APP, Channel.PUSH)
SEND_SECONDS = 0.020
WORKSPACES_PER_WORKER = 4
T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)

# Where the store lives: ("sqlite", path) or ("postgres", conninfo, schema).
Where = tuple[str, ...]


class _Members:
    members = Roster([Member("anna", Role.OWNER, channels=CHANNELS, email="anna@example.org")])

    def roster(self, workspace_id: str) -> Roster:
        return self.members


class _Slow:
    """A transport that waits, as SMTP or Slack would, and says "sent"."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def send(self, delivery: Any, *, now: dt.datetime) -> SendResult:
        time.sleep(self.seconds)
        return SendResult.sent()


def _open(where: Where) -> Any:
    if where[0] == "sqlite":
        return SqliteStore(where[1])
    from notifpolicy.adapters.postgres import PostgresStore  # noqa: PLC0415 -- optional extra

    return PostgresStore(where[1], schema=where[2])


def _services(store: Any, seconds: float) -> Callable[[str], NotificationService]:
    transport = _Slow(seconds)

    def service_for(workspace_id: str) -> NotificationService:
        return NotificationService(
            workspace_id=workspace_id,
            store=store,
            roster=_Members(),
            clock=SystemClock(),
            transports=dict.fromkeys(CHANNELS, transport),
        )

    return service_for


def _record(where: Where, workspaces: list[str], events: int, start: Barrier) -> int:
    with contextlib.closing(_open(where)) as store:
        services = [_services(store, 0)(ws) for ws in workspaces]
        start.wait()
        for n in range(events):
            service = services[n % len(services)]
            service.handle(ConversationCreated(id=f"e{n}", conversation_id=f"c{n}"), send=False)
    return events


def _work(where: Where, seconds: float, start: Barrier, stop: Event) -> int:
    with contextlib.closing(_open(where)) as store:
        service_for = _services(store, seconds)
        start.wait()
        report = run_worker(store, service_for, stop=stop.is_set, handle_signals=False, poll=0.05)
    return report.sent


def _claim(where: Where, keys: int, start: Barrier) -> int:
    won = 0
    with contextlib.closing(_open(where)) as store:
        start.wait()
        for n in range(keys):
            key = f"ws:esc:{n}"
            item = OutboxItem(
                f"{key}:a", "ws", key, "c", "a", Channel.EMAIL, ("escalation_unassigned",), T0
            )
            won += store.claim(key, [item])
    return won


def _race(target: Callable[..., int], args: list[tuple[Any, ...]]) -> tuple[float, list[int]]:
    """Run ``target(*a, start)`` in one process per ``a``; seconds from all ready to all done."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(len(args)) as pool:
        start = manager.Barrier(len(args) + 1)
        pending = [pool.apply_async(target, (*a, start)) for a in args]
        start.wait(timeout=120)
        began = time.perf_counter()
        results = [p.get(timeout=600) for p in pending]
        return time.perf_counter() - began, results


def _pending(where: Where, workspaces: list[str]) -> int:
    with contextlib.closing(_open(where)) as store:
        return sum(
            1 for ws in workspaces for i in store.items(ws) if i.status is OutboxStatus.PENDING
        )


def _send(where: Where, workers: int, per_workspace: int, seconds: float) -> tuple[float, int]:
    """Record the deliveries, then time ``workers`` worker processes sending them all."""
    workspaces = [f"ws{n}" for n in range(workers * WORKSPACES_PER_WORKER)]
    events = len(workspaces) * per_workspace
    ctx = multiprocessing.get_context("spawn")
    _race(_record, [(where, workspaces, events)])
    total = _pending(where, workspaces)
    with ctx.Manager() as manager, ctx.Pool(workers) as pool:
        start, stop = manager.Barrier(workers + 1), manager.Event()
        pending = [pool.apply_async(_work, (where, seconds, start, stop)) for _ in range(workers)]
        start.wait(timeout=120)
        began = time.perf_counter()
        with contextlib.closing(_open(where)) as store:
            while any(
                i.status is OutboxStatus.PENDING for ws in workspaces for i in store.items(ws)
            ):
                time.sleep(0.05)
        elapsed = time.perf_counter() - began
        stop.set()
        sent = sum(p.get(timeout=120) for p in pending)
    if sent != total:
        raise SystemExit(f"{workers} workers sent {sent} deliveries, expected {total}")
    return elapsed, total


@contextlib.contextmanager
def _postgres() -> Iterator[str | None]:
    given = os.environ.get("NOTIFPOLICY_BENCH_PG")
    if given:
        yield given
        return
    try:
        import psycopg  # noqa: F401, PLC0415 -- only to know the extra is there
    except ImportError:
        print("bench_workers: no psycopg; PostgreSQL rows left out", file=sys.stderr)
        yield None
        return
    script = ROOT / "scripts" / "pg-server.sh"
    started = subprocess.run(  # noqa: S603 -- our own script
        [script, "start"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PG_DURABLE": "1"},
    )
    values = dict(line.partition("=")[::2] for line in started.stdout.splitlines())
    if started.returncode != 0 or "NOTIFPOLICY_TEST_PG" not in values:
        reason = started.stderr.strip().splitlines()[-1:] or ["no output"]
        print(f"bench_workers: no PostgreSQL server ({reason[0]}); rows left out", file=sys.stderr)
        yield None
        return
    directory = shlex.split(values["NOTIFPOLICY_TEST_PG_DIR"])[0]
    try:
        yield shlex.split(values["NOTIFPOLICY_TEST_PG"])[0]
    finally:
        subprocess.run(  # noqa: S603 -- our own script
            [script, "stop", directory], check=False, capture_output=True, timeout=60
        )


def _drop(conninfo: str, schema: str) -> None:
    import psycopg  # noqa: PLC0415 -- optional extra

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def _store(kind: str, conninfo: str | None, label: str) -> Iterator[Where]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "bench.sqlite3")
            SqliteStore(path).close()
            yield ("sqlite", path)
        return
    if conninfo is None:
        raise ValueError("PostgreSQL rows need a server")
    schema = f"bench_{label}_{os.getpid()}"
    _drop(conninfo, schema)
    _open(("postgres", conninfo, schema)).close()
    try:
        yield ("postgres", conninfo, schema)
    finally:
        _drop(conninfo, schema)


def rows(*, tiny: bool = False) -> list[Row]:
    app_servers = (1, 2) if tiny else (1, 4)
    worker_counts = (1, 2) if tiny else (1, 4, 8)
    claimers = (1, 2) if tiny else (1, 8)
    events, per_workspace, keys = (10, 1, 20) if tiny else (300, 5, 1500)
    seconds = 0.001 if tiny else SEND_SECONDS
    out: list[Row] = []
    with _postgres() as conninfo:
        kinds = ["sqlite"] + (["postgres"] if conninfo else [])
        for kind in kinds:
            label = "SQLite" if kind == "sqlite" else "PostgreSQL"
            for servers in app_servers:
                with _store(kind, conninfo, f"rec{servers}") as where:
                    mine = [[f"ws{s}-{n}" for n in range(4)] for s in range(servers)]
                    elapsed, _ = _race(_record, [(where, ws, events) for ws in mine])
                total = events * servers
                out.append(
                    row(
                        NAME,
                        f"events recorded, handle(send=False), {label}",
                        f"{servers} app server{'s' if servers > 1 else ''}",
                        [elapsed],
                        "µs",
                        per=total,
                        note=f"{total / elapsed:,.0f} events per second",
                    )
                )
            one = None
            for workers in worker_counts:
                with _store(kind, conninfo, f"send{workers}") as where:
                    elapsed, sent = _send(where, workers, per_workspace, seconds)
                rate = sent / elapsed
                one = rate if workers == 1 else one
                goal = kind == "postgres" and workers == max(worker_counts) and not tiny
                out.append(
                    row(
                        NAME,
                        f"deliveries sent, {seconds * 1000:g} ms per send, {label}",
                        f"{workers} worker{'s' if workers > 1 else ''}",
                        [elapsed],
                        "ms",
                        per=sent,
                        # The goal, as time per delivery: a fifth of one worker's.
                        target=1000 / (5 * one) if goal and one else None,
                        target_text=">= 5 x one worker" if goal else "",
                        note=f"{rate:,.0f} per second, {rate / (one or rate):.1f} x one worker",
                    )
                )
            for processes in claimers:
                with _store(kind, conninfo, f"claim{processes}") as where:
                    elapsed, won = _race(_claim, [(where, keys)] * processes)
                if sum(won) != keys:
                    raise SystemExit(f"claims won {sum(won)} times, expected {keys}")
                attempts = keys * processes
                out.append(
                    row(
                        NAME,
                        f"ledger claim + outbox row (attempts, won or lost), {label}",
                        f"{processes} process{'es' if processes > 1 else ''}",
                        [elapsed],
                        "µs",
                        per=attempts,
                        note=f"{attempts / elapsed:,.0f} per second",
                    )
                )
    return out


if __name__ == "__main__":
    standalone(rows)
