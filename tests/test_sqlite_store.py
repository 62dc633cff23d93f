"""What only the SQLite adapter has: the schema version, migrations, append-only audit, errors."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from notifpolicy import (
    Channel,
    Member,
    OutboxItem,
    OutboxMark,
    OutboxStatus,
    Role,
    StorageError,
    ValidationError,
    WorkspaceSettings,
    save_workspace_settings,
)
from notifpolicy.adapters.sqlite import DOCUMENT_SCHEMA, MIGRATIONS, SqliteStore

T0 = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)


def _save_once(store: SqliteStore) -> None:
    result = save_workspace_settings(
        WorkspaceSettings(),
        {"timezone": "Europe/Amsterdam", "version": 1},
        actor=Member("a", Role.OWNER),
        workspace_id="ws",
        now=T0,
    )
    assert result.audit is not None
    store.save_settings(result.value, result.audit)


def test_schema_version_and_wal(tmp_path: Path):
    path = tmp_path / "s.sqlite3"
    with SqliteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        _save_once(store)
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = db.execute("SELECT version, doc_schema FROM settings").fetchone()
    assert row == (2, DOCUMENT_SCHEMA)
    # Reopening migrates nothing and keeps the data.
    with SqliteStore(path) as store:
        assert store.get_settings("ws").timezone == "Europe/Amsterdam"


def test_a_newer_schema_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "s.sqlite3"
    SqliteStore(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(StorageError, match="newer than this library knows"):
        SqliteStore(path)
    # The refused store closed its connection (Python 3.13 warns about one left open).
    (connection,) = opened
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        connection.execute("SELECT 1")


def test_audit_log_is_append_only(tmp_path: Path):
    path = tmp_path / "s.sqlite3"
    with SqliteStore(path) as store:
        _save_once(store)
    with closing(sqlite3.connect(path)) as db, db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit SET doc = '{}'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit")


def test_unknown_document_schema_is_a_storage_error(tmp_path: Path):
    path = tmp_path / "s.sqlite3"
    with SqliteStore(path) as store:
        _save_once(store)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE settings SET doc_schema = 99")
    with SqliteStore(path) as store, pytest.raises(StorageError, match="document schema 99"):
        store.get_settings("ws")


def test_settings_read_again_are_the_same_value_until_anyone_changes_them(tmp_path: Path):
    path = tmp_path / "s.sqlite3"
    with SqliteStore(path) as reader, SqliteStore(path) as writer:
        _save_once(writer)
        first = reader.get_settings("ws")
        assert reader.get_settings("ws") is first  # not parsed and validated again
        current = writer.get_settings("ws")
        result = save_workspace_settings(
            current,
            {**current.to_dict(), "timezone": "Asia/Tokyo"},
            actor=Member("a", Role.OWNER),
            workspace_id="ws",
            now=T0,
        )
        assert result.audit is not None
        writer.save_settings(result.value, result.audit)  # another connection's save
        again = reader.get_settings("ws")
        assert (again.timezone, again.version) == ("Asia/Tokyo", 3)
        # A document changed behind the store's back (same version) is read afresh too.
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("UPDATE settings SET doc = replace(doc, 'Asia/Tokyo', 'Europe/Oslo')")
        assert reader.get_settings("ws").timezone == "Europe/Oslo"


def test_stored_preferences_load_leniently(tmp_path: Path):
    path = tmp_path / "s.sqlite3"
    SqliteStore(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "INSERT INTO preferences VALUES ('ws', 'anna', 3, ?, ?)",
            (
                DOCUMENT_SCHEMA,
                '{"version": 3, "overrides": {"escalation_unassigned": false, "mention": false}}',
            ),
        )
    with SqliteStore(path) as store:
        prefs = store.get_preferences("ws", "anna")
    assert prefs.version == 3
    assert dict(prefs.overrides) == {"mention": {"*": False}}


def test_unopenable_path_is_a_storage_error(tmp_path: Path):
    with pytest.raises(StorageError, match="cannot open"):
        SqliteStore(tmp_path / "missing-dir" / "s.sqlite3")


def test_a_failed_write_rolls_back(tmp_path: Path):
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        with pytest.raises(StorageError):
            store.mark_failed(
                OutboxItem(
                    "ws:none", "ws", "e", None, "anna", Channel.EMAIL, (), T0, leased_until=T0
                ),
                "x",
            )
        _save_once(store)  # the connection is usable again
        assert store.get_settings("ws").version == 2


def test_a_schema_1_file_gains_the_unsubscribe_column_and_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO outbox (id, workspace_id, event_id, conversation_id, recipient, channel, "
            "kinds, due_at, status, attempts, last_error, subject, text, html, body) VALUES "
            "('ws:1', 'ws', 'e1', NULL, 'anna', 'email', '[\"mention\"]', 0, 'pending', 0, "
            "NULL, 's', 't', NULL, NULL)"
        )
    with SqliteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 2
        (old,) = store.items("ws")
        assert (old.id, old.unsubscribe_url) == ("ws:1", None)


def test_a_schema_2_file_makes_every_workspace_it_knows_due_at_once(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(MIGRATIONS[0])
        db.executescript(MIGRATIONS[1])
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO settings (workspace_id, version, doc_schema, doc) "
            "VALUES ('ws-settings', 2, 1, '{}')"
        )
        for ws, status in (("ws-pending", "pending"), ("ws-held", "held"), ("ws-done", "sent")):
            db.execute(
                "INSERT INTO outbox (id, workspace_id, event_id, conversation_id, recipient, "
                "channel, kinds, due_at, status, attempts, last_error, subject, text, html, body) "
                "VALUES (?, ?, 'e1', NULL, 'anna', 'email', '[]', 99, ?, 0, NULL, 's', 't', NULL, "
                "NULL)",
                (f"{ws}:1", ws, status),
            )
    with SqliteStore(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 3
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        assert store.earliest_wake_at() == epoch
        taken = store.due_workspaces(epoch, 10, lease_until=epoch + dt.timedelta(minutes=1))
    assert sorted(w.workspace_id for w in taken) == ["ws-held", "ws-pending", "ws-settings"]


def _synchronous(store: SqliteStore) -> int:
    return int(store._db.execute("PRAGMA synchronous").fetchone()[0])


def test_durability_is_full_unless_normal_is_asked_for_by_name(tmp_path: Path):
    with SqliteStore(tmp_path / "a.sqlite3") as store:
        assert store.durability == "full"
        assert _synchronous(store) == 2  # FULL
    with SqliteStore(tmp_path / "b.sqlite3", durability="normal") as store:
        assert _synchronous(store) == 1  # NORMAL
        store.enqueue([_item(1)])
        assert _synchronous(store) == 1
    with pytest.raises(ValidationError, match="durability"):
        SqliteStore(tmp_path / "c.sqlite3", durability="fast")  # type: ignore[arg-type]


def test_a_full_store_syncs_what_must_survive_and_not_what_may_be_redone(tmp_path: Path):
    t0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)
    with SqliteStore(tmp_path / "a.sqlite3") as store:
        store.enqueue([_item(1)])
        assert _synchronous(store) == 2  # a recorded delivery: synced
        (leased,) = store.lease_due("ws", t0, 10, lease_until=t0 + dt.timedelta(minutes=2))
        assert _synchronous(store) == 1  # a lease: lost in a crash, it is taken again
        store.record([OutboxMark(leased, OutboxStatus.SENT)])
        assert _synchronous(store) == 1  # an outcome: lost, the item is sent again
        assert store.claim("ws:k", [])
        assert _synchronous(store) == 2  # a claim: synced, with everything before it
        store.set_wake_at("ws", None, generation=0)
        assert _synchronous(store) == 1
        _save_once(store)
        assert _synchronous(store) == 2


def _item(n: int) -> OutboxItem:
    return OutboxItem(
        f"ws:{n}",
        "ws",
        f"e{n}",
        None,
        "anna",
        Channel.EMAIL,
        ("mention",),
        dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC),
    )


def test_audit_rows_with_the_old_unescaped_key_are_read_with_the_new_ones(tmp_path: Path):
    """Earlier versions wrote audit keys without escaping the workspace id (``ws:1:audit:...``).
    The key is only written (unique), never read: old and new rows read back in order."""
    path = tmp_path / "audit.sqlite3"
    store = SqliteStore(path)
    first = save_workspace_settings(
        store.get_settings("ws:1"),
        {"version": 1, "timezone": "Asia/Tokyo"},
        actor=Member("olga", Role.OWNER),
        workspace_id="ws:1",
        now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    assert first.audit is not None
    store.save_settings(first.value, first.audit)
    # Rewrite the row's key as the old code wrote it (the log is append-only: the test drops
    # the trigger for this surgery on the raw file).
    with closing(sqlite3.connect(path)) as raw, raw:
        assert raw.execute("SELECT key FROM audit").fetchall() == [
            ("ws%3A1:audit:workspace_settings:v2",)
        ]
        raw.execute("DROP TRIGGER audit_no_update")
        raw.execute("UPDATE audit SET key = 'ws:1:audit:workspace_settings:v2'")
    second = save_workspace_settings(
        store.get_settings("ws:1"),
        {"version": 2, "timezone": "Europe/Amsterdam"},
        actor=Member("olga", Role.OWNER),
        workspace_id="ws:1",
        now=dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
    )
    assert second.audit is not None
    store.save_settings(second.value, second.audit)
    assert store.audit_entries("ws:1") == (first.audit, second.audit)
    store.close()
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("SELECT key FROM audit ORDER BY seq").fetchall() == [
            ("ws:1:audit:workspace_settings:v2",),
            ("ws%3A1:audit:workspace_settings:v3",),
        ]
