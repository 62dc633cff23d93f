"""Real processes against one SQLite file: exactly-once claims and no lost update."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from multiprocessing.synchronize import Barrier
from pathlib import Path

from notifpolicy import ConflictError, Member, Role, save_workspace_settings
from notifpolicy._kinds import Channel
from notifpolicy._outbox import OutboxItem
from notifpolicy.adapters.sqlite import SqliteStore

T0 = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)
KEYS = 1000
WORKERS = 8


def _claim_all(path: str, seed: int, start: Barrier) -> list[str]:
    keys = [f"ws:esc:{n}" for n in range(KEYS)]
    random.Random(seed).shuffle(keys)
    won = []
    with SqliteStore(path) as store:
        start.wait()
        for key in keys:
            item = OutboxItem(
                f"{key}:admin",
                "ws",
                key,
                "c",
                "admin",
                Channel.EMAIL,
                ("escalation_unassigned",),
                T0,
            )
            if store.claim(key, [item]):
                won.append(key)
    return won


def test_eight_processes_claim_each_key_exactly_once(tmp_path: Path):
    path = str(tmp_path / "claims.sqlite3")
    SqliteStore(path).close()  # create the schema once, before the race
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        # Every worker has opened the store before any claims: the race is real.
        start = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            pending = [pool.apply_async(_claim_all, (path, seed, start)) for seed in range(WORKERS)]
            results = [p.get(timeout=120) for p in pending]
    claimed = [key for won in results for key in won]
    assert len(claimed) == KEYS
    assert len(set(claimed)) == KEYS
    assert sum(1 for won in results if won) > 1, "the race had more than one winner process"
    with SqliteStore(path) as store:
        items = store.items("ws")
        assert len(items) == KEYS
        assert {i.event_id for i in items} == set(claimed)


def _save(path: str, admin: str, zone: str, start: Barrier) -> str:
    with SqliteStore(path) as store:
        current = store.get_settings("ws")
        result = save_workspace_settings(
            current,
            {"version": current.version, "timezone": zone},
            actor=Member(admin, Role.ADMIN),
            workspace_id="ws",
            now=T0,
        )
        assert result.audit is not None
        start.wait()
        try:
            store.save_settings(result.value, result.audit)
        except ConflictError:
            return "conflict"
        return "saved"


def test_two_admins_saving_at_once_one_wins(tmp_path: Path):
    path = str(tmp_path / "settings.sqlite3")
    SqliteStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        # Both admins have read version 1 before either saves.
        start = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            a = pool.apply_async(_save, (path, "adam", "Europe/Amsterdam", start))
            b = pool.apply_async(_save, (path, "bea", "Asia/Tokyo", start))
            outcomes = {"adam": a.get(timeout=60), "bea": b.get(timeout=60)}
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    with SqliteStore(path) as store:
        saved = store.get_settings("ws")
        assert saved.version == 2
        assert saved.timezone == {"adam": "Europe/Amsterdam", "bea": "Asia/Tokyo"}[winner]
        (entry,) = store.audit_entries("ws")
        assert entry.actor_id == winner
