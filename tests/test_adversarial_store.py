"""The adversarial suite, part 3: the SQLite store reading rows corrupted underneath it.

A row is overwritten with raw ``sqlite3`` (as a bad migration, a hand edit or another program
would) and read back through the store's public getters.  Law: only a NotifPolicyError comes
out (or a value), its message is bounded and encodes, the read writes nothing, and the other
workspace's rows still read.

Corrupt rows that are not JSON at all, and corrupt audit and outbox rows, are a
``StorageError`` naming the row (``UnreadableRowsError`` where a read returns many rows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Channel, OutboxItem, WorkspaceSettings
from notifpolicy.adapters.sqlite import SqliteStore

from ._adversarial import (
    adversarial,
    json_texts,
    obeys_law,
    preference_documents,
    settings_documents,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the store's file, committed and closed at the end (a bare
    ``with sqlite3.connect()`` commits but does not close: Python 3.13 warns about that)."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A store with one row of each kind for the workspaces ``bad`` and ``good``; each test
    corrupts ``bad``'s rows (and puts them back after each example)."""
    path = tmp_path / "store.sqlite3"
    with SqliteStore(path) as store:
        store.enqueue(
            [
                OutboxItem(
                    id=f"{ws}:e1:olga:email",
                    workspace_id=ws,
                    event_id="e1",
                    conversation_id="c1",
                    recipient="olga",
                    channel=Channel.EMAIL,
                    kinds=("new_conversation",),
                    due_at=T0,
                )
                for ws in ("bad", "good")
            ]
        )
    with _raw(path) as raw:
        for ws in ("bad", "good"):
            doc = json.dumps(WorkspaceSettings().to_dict())
            raw.execute(
                "INSERT INTO settings (workspace_id, version, doc_schema, doc) VALUES (?, 1, 1, ?)",
                (ws, doc),
            )
            raw.execute(
                "INSERT INTO preferences (workspace_id, member_id, version, doc_schema, doc) "
                "VALUES (?, 'olga', 1, 1, ?)",
                (ws, json.dumps({"version": 1, "overrides": {}})),
            )
            raw.execute(
                "INSERT INTO audit (workspace_id, key, doc) VALUES (?, ?, ?)",
                (
                    ws,
                    f"{ws}:audit:1",
                    json.dumps(
                        {
                            "workspace_id": ws,
                            "actor_id": "olga",
                            "at": T0.isoformat(),
                            "target": "settings",
                            "version_before": 1,
                            "version_after": 2,
                            "changes": [],
                        }
                    ),
                ),
            )
    return path


def _corrupt(path: Path, sql: str, value: object) -> bool:
    """Run ``sql`` with ``value``; False when it cannot be stored (NULL in a NOT NULL column,
    or text with a lone surrogate, which sqlite3 cannot encode either)."""
    with _raw(path) as raw:
        try:
            raw.execute(sql, (value,))
        except (sqlite3.IntegrityError, UnicodeEncodeError):
            return False
    return True


def _snapshot(path: Path) -> list[object]:
    with _raw(path) as raw:
        return [
            raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608 -- constants
            for table in ("settings", "preferences", "audit", "outbox", "ledger")
        ]


def _read_everything(path: Path) -> None:
    before = _snapshot(path)
    with SqliteStore(path) as store:
        obeys_law(lambda: store.get_settings("bad"))
        obeys_law(lambda: store.get_preferences("bad", "olga"))
        obeys_law(lambda: store.all_preferences("bad"))
        obeys_law(lambda: store.audit_entries("bad"))
        obeys_law(lambda: store.items("bad"))
        obeys_law(lambda: store.held("bad", T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1)))
        # The other workspace is untouched and still reads.
        assert store.get_settings("good") == WorkspaceSettings()
        assert len(store.items("good")) == 1
    assert _snapshot(path) == before  # reading wrote nothing


def _as_document(doc: object) -> str:
    try:
        return json.dumps(doc)
    except (TypeError, ValueError, RecursionError):
        return json.dumps({"version": 1, "colour": "blue"})


# Parseable JSON that is not a valid document: the loaders' ValidationError, today already.
JSON_DOCUMENTS = (settings_documents | preference_documents).map(_as_document)


@adversarial(ci_examples=800, quick_examples=15)
@given(doc=JSON_DOCUMENTS)
def test_settings_and_preferences_rows_with_wrong_documents(db_path, doc):
    for table in ("settings", "preferences"):
        _corrupt(db_path, f"UPDATE {table} SET doc = ? WHERE workspace_id = 'bad'", doc)  # noqa: S608
    _read_everything(db_path)


@adversarial(ci_examples=1_000, quick_examples=15, shrink=False)
@given(text=json_texts, column=st.sampled_from(["settings", "preferences"]))
def test_rows_that_are_not_json(db_path, text, column):
    update = f"UPDATE {column} SET doc = ? WHERE workspace_id = 'bad'"  # noqa: S608 -- constants
    if not _corrupt(db_path, update, text):
        return
    try:
        _read_everything(db_path)
    finally:
        _corrupt(db_path, update, json.dumps({"version": 1}))


@adversarial(ci_examples=1_000, quick_examples=15, shrink=False)
@given(
    column=st.sampled_from(["kinds", "status", "channel", "due_at", "attempts", "recipient"]),
    value=st.one_of(
        json_texts,
        st.sampled_from(["x", "weird", "[]", "[1]", "{}", None, 2**62, -1, 1.5]),
        st.binary(max_size=4),
    ),
)
def test_outbox_rows(db_path, column, value):
    with _raw(db_path) as raw:
        (original,) = raw.execute(
            f"SELECT {column} FROM outbox WHERE workspace_id = 'bad'"  # noqa: S608 -- constants
        ).fetchone()
    update = f"UPDATE outbox SET {column} = ? WHERE workspace_id = 'bad'"  # noqa: S608
    if _corrupt(db_path, update, value):
        try:
            _read_everything(db_path)
        finally:
            _corrupt(db_path, update, original)


@adversarial(ci_examples=500, quick_examples=10, shrink=False)
@given(doc=json_texts | JSON_DOCUMENTS, n=st.integers(0, 10**9))
def test_audit_rows(db_path, doc, n):
    # The audit log is append-only (a trigger refuses UPDATE): a corrupt entry is appended.
    with _raw(db_path) as raw:
        try:
            raw.execute(
                "INSERT OR IGNORE INTO audit (workspace_id, key, doc) VALUES ('bad', ?, ?)",
                (f"bad:corrupt:{n}", doc),
            )
        except UnicodeEncodeError:
            return
    _read_everything(db_path)
