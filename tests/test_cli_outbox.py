"""``notifpolicy outbox failed|requeue|stats`` on a real SQLite store file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from notifpolicy import Channel, OutboxItem, OutboxStatus
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.cli import main

T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)


def item(n: int, ws: str = "ws-1", due: dt.datetime = T0) -> OutboxItem:
    return OutboxItem(f"{ws}:e{n}:olga:email", ws, f"e{n}", None, "olga", Channel.EMAIL, (), due)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Two failed deliveries in two workspaces, one pending, one sent."""
    path = tmp_path / "store.sqlite3"
    with SqliteStore(path) as store:
        store.enqueue([item(1), item(2, ws="ws-2"), item(3), item(4, due=T0 + dt.timedelta(1))])
        lease = T0 + dt.timedelta(minutes=2)
        one, three = store.lease_due("ws-1", T0, 10, lease_until=lease)
        (two,) = store.lease_due("ws-2", T0, 10, lease_until=lease)
        assert store.mark_failed(one, "gave up after 8 attempts: HTTP 500")
        assert store.mark_failed(two, "HTTP 550: mailbox unavailable")
        assert store.mark_sent(three, T0)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_failed_lists_every_failed_delivery_with_its_error(db, capsys):
    code, out, _ = run(capsys, "outbox", "failed", "--db", db)
    assert code == 0
    assert out.splitlines() == [
        f"{db}: 2 failed deliveries",
        "  ws-1:e1:olga:email  email to olga, 1 attempt",
        "    gave up after 8 attempts: HTTP 500",
        "  ws-2:e2:olga:email  email to olga, 1 attempt",
        "    HTTP 550: mailbox unavailable",
    ]
    code, out, _ = run(capsys, "outbox", "failed", "--db", db, "--workspace", "ws-2", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["failed"] == [
        {
            "id": "ws-2:e2:olga:email",
            "workspace_id": "ws-2",
            "channel": "email",
            "recipient": "olga",
            "attempts": 1,
            "last_error": "HTTP 550: mailbox unavailable",
            "due_at": "2026-03-30T10:02:00+00:00",
        }
    ]
    code, out, _ = run(capsys, "outbox", "failed", "--db", db, "--limit", "1")
    assert out.splitlines()[0] == f"{db}: 1 failed delivery"


def test_requeue_makes_failed_deliveries_pending_again(db, capsys):
    code, out, _ = run(
        capsys,
        "outbox",
        "requeue",
        "ws-1:e1:olga:email",
        "ws-1:e3:olga:email",  # sent: not requeued
        "--db",
        db,
        "--at",
        "2026-03-30T12:00:00+02:00",
    )
    assert code == 1
    assert out.splitlines() == [
        "requeued ws-1:e1:olga:email, due 2026-03-30T10:00:00+00:00",
        "not requeued ws-1:e3:olga:email: no failed delivery has this id",
    ]
    with SqliteStore(db) as store:
        by_id = {i.id: i for i in store.items("ws-1")}
        assert store.earliest_wake_at() == T0
    requeued = by_id["ws-1:e1:olga:email"]
    assert (requeued.status, requeued.due_at, requeued.attempts) == (OutboxStatus.PENDING, T0, 0)
    assert by_id["ws-1:e3:olga:email"].status is OutboxStatus.SENT
    before = dt.datetime.now(dt.UTC)
    code, out, _ = run(capsys, "outbox", "requeue", "ws-2:e2:olga:email", "--db", db, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["requeued"] == ["ws-2:e2:olga:email"]
    assert document["not_failed"] == []
    assert dt.datetime.fromisoformat(document["due_at"]) >= before  # now, by default


def test_stats_count_pending_and_failed(db, capsys):
    code, out, _ = run(capsys, "outbox", "stats", "--db", db)
    assert code == 0
    assert out.splitlines() == [
        f"{db}: 1 pending, 2 failed",
        "  oldest pending: ws-1:e4:olga:email, due 2026-03-31T10:00:00+00:00",
    ]
    code, out, _ = run(capsys, "outbox", "stats", "--db", db, "--workspace", "ws-2", "--json")
    assert json.loads(out) == {
        "db": db,
        "workspace": "ws-2",
        "pending": 0,
        "failed": 1,
        "oldest_pending": None,
    }
    code, out, _ = run(capsys, "outbox", "stats", "--db", db, "--workspace", "ws-2")
    assert out.splitlines() == [f"{db}: 0 pending, 1 failed"]


def test_a_missing_file_is_an_error_and_is_not_created(tmp_path, capsys):
    path = tmp_path / "nope.sqlite3"
    code, out, err = run(capsys, "outbox", "stats", "--db", str(path))
    assert code == 2
    assert "no such file" in err
    assert not path.exists()
    code, out, _ = run(capsys, "outbox", "failed", "--db", str(path), "--json")
    assert json.loads(out)["exit_code"] == 2


def test_a_file_that_is_not_a_store_is_an_error(tmp_path, capsys):
    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database")
    code, _, err = run(capsys, "outbox", "failed", "--db", str(path))
    assert code == 2
    assert "cannot open the SQLite store" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["outbox", "failed", "--db", "x", "--limit", "0"], "--limit: must be at least 1"),
        (["outbox", "requeue", "id", "--db", "DB", "--at", "soon"], "--at"),
        (["outbox", "requeue", "--db", "x"], "the following arguments are required: ID"),
        (["outbox"], "the following arguments are required: ACTION"),
    ],
)
def test_bad_usage_exits_2(db, capsys, argv, message):
    code, _, err = run(capsys, *[db if a == "DB" else a for a in argv])
    assert code == 2
    assert message in err
