"""The SQLite adapter: every store port in one database file (stdlib ``sqlite3``).

Theory of operation:

- WAL journal and a ``busy_timeout``, so readers do not block the writer and concurrent writers
  (threads or processes) wait their turn instead of failing at once.
- Every write is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock up front, so a
  compare-and-set (``UPDATE ... WHERE version = ?``) and the audit append beside it, or a ledger
  claim (``INSERT OR IGNORE`` on the primary key) and the outbox rows it brings, commit together
  or not at all.  A crash leaves both done or neither.
- The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file
  forward on open.  Settings and preferences documents are JSON, with their own document schema
  number in a column beside them (never a key inside the document).
- Instants are stored as integer microseconds since the epoch (UTC): exact, and ordered.
- The audit log is append-only: triggers refuse updates and deletes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Literal

from notifpolicy import (
    AuditEntry,
    Channel,
    KindRegistry,
    MemberPreferences,
    OutboxItem,
    OutboxMark,
    OutboxStats,
    OutboxStatus,
    StorageError,
    ValidationError,
    WakeUp,
    WorkspaceSettings,
    check_stored_version,
)
from notifpolicy._errors import quote
from notifpolicy._timeutil import require_aware
from notifpolicy.adapters import _rows

__all__ = ["DOCUMENT_SCHEMA", "MIGRATIONS", "SqliteStore"]

DOCUMENT_SCHEMA = _rows.DOCUMENT_SCHEMA
"""The version of the settings and preferences documents' shape, stored beside each."""

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE settings (
        workspace_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        doc_schema INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE TABLE preferences (
        workspace_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc_schema INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, member_id)
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE ledger (
        key TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workspace_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        conversation_id TEXT,
        recipient TEXT NOT NULL,
        channel TEXT NOT NULL,
        kinds TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT,
        body TEXT
    );
    CREATE INDEX outbox_by_status ON outbox (workspace_id, status, due_at);
    """,
    # 2: digest emails carry the URL that turns them off (List-Unsubscribe).
    """
    ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT;
    """,
    # 3: each workspace's next wake-up, for the worker loop.  Every workspace the file knows
    # already is due at once: the first worker ticks it and writes its real wake-up.
    """
    CREATE TABLE wakeups (
        workspace_id TEXT PRIMARY KEY,
        wake_at INTEGER,
        generation INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX wakeups_by_time ON wakeups (wake_at) WHERE wake_at IS NOT NULL;
    CREATE INDEX outbox_by_status_due ON outbox (status, due_at);
    INSERT INTO wakeups (workspace_id, wake_at, generation)
        SELECT workspace_id, 0, 1 FROM settings
        UNION SELECT workspace_id, 0, 1 FROM outbox WHERE status IN ('pending', 'held');
    """,
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Outbox rows whose due_at is a reason to wake the workspace: sends, and catch-ups.
_WAKING = frozenset({OutboxStatus.PENDING.value, OutboxStatus.HELD.value})
_SENT = OutboxStatus.SENT
_MICROSECOND = dt.timedelta(microseconds=1)
_OUTBOX_COLUMNS = _rows.OUTBOX_COLUMNS


def _to_micros(at: dt.datetime) -> int:
    return (require_aware(at, path="at") - _EPOCH) // _MICROSECOND


def _from_micros(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


class SqliteStore:
    """Settings, preferences, audit log, ledger and outbox in one SQLite file.

    One instance holds one connection and may be shared by threads; each process opens its own.

    ``durability`` says what a power cut or an operating-system crash may undo:

    - ``"full"`` (the default): nothing that was reported done.  The writes that must survive
      (recording deliveries, ledger claims, saves, wake-ups lowered by hand) wait until the log
      is on disk (``synchronous = FULL``).  Writes whose loss costs only a second send or a
      second look (leases, the outcomes of sends, the worker's wake-ups) do not wait; the next
      write that does makes them durable too.  A crash can therefore send a delivery twice
      (its outcome was lost), never lose one.
    - ``"normal"``: no write waits for the disk (``synchronous = NORMAL``; the log is synced at
      checkpoints).  The file is never corrupted, but the last transactions before a power cut
      can be lost: a delivery that ``handle`` reported as recorded can vanish, a claimed
      escalation be claimed again, a saved setting revert.  A process crash loses nothing.
      About 1.6 times as fast on the development machine (``benchmarks/bench_handle.py``).

    >>> store = SqliteStore(":memory:")
    >>> store.get_settings("ws-1").version
    1
    >>> store.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 10_000,
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
        durability: Literal["full", "normal"] = "full",
    ) -> None:
        if durability not in ("full", "normal"):
            raise ValidationError.single(
                "durability",
                "choice",
                f"must be 'full' (the default) or 'normal', got {durability!r:.100}",
            )
        self.durability = durability
        # With "full", the writes whose loss a crash must not allow (recording deliveries,
        # claims, saves) sync the log before they return; writes whose loss only means a
        # second send or a second look (leases, outcomes, wake-ups) do not wait for the disk.
        # A later synced commit makes every earlier one durable too: the log is written in
        # order and synced as a whole.
        self._synced = durability == "full"
        # Stored documents are read back with the host's kinds and webhook hosts, as they
        # were validated when saved; an unchanged settings document is not validated again.
        self._documents = _rows.Documents(kinds, extra_webhook_hosts)
        self._lock = threading.RLock()
        if not isinstance(path, str | os.PathLike):
            raise ValidationError.single(
                "path", "type", f"must be a file path (str or os.PathLike), got {quote(path)}"
            )
        try:
            self._db = sqlite3.connect(
                os.fspath(path),
                isolation_level=None,
                check_same_thread=False,
                timeout=busy_timeout_ms / 1000,
            )
        except (sqlite3.Error, ValueError, TypeError) as exc:  # a NUL in the path: ValueError
            raise StorageError(f"cannot open the SQLite store: {exc}") from exc
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {durability.upper()}")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StorageError(f"cannot open the SQLite store: {exc}") from exc
        except BaseException:
            self._db.close()  # a refused schema: no connection is left behind
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The database schema version (``PRAGMA user_version``)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._write():
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise StorageError(
                    f"the database has schema {current}, newer than this library knows "
                    f"({len(MIGRATIONS)}); upgrade notifpolicy"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in script.split(";\n"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction, the write lock taken up front.

        ``durable=False``: a write whose loss in a power cut costs only a second send or a
        second look; on a ``"full"`` store it commits without waiting for the disk."""
        with self._lock:
            try:
                if self.durability == "full" and durable != self._synced:
                    self._db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                    self._synced = durable
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot start a write: {exc}") from exc
            try:
                yield self._db
            except (sqlite3.Error, UnicodeError) as exc:
                self._rollback()
                raise StorageError(f"cannot write: {type(exc).__name__}: {exc}") from exc
            except BaseException:
                self._rollback()
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:  # disk full, read-only file, I/O error
                self._rollback()
                raise StorageError(f"cannot commit: {exc}") from exc

    def _rollback(self) -> None:
        # After some errors (a full disk, an I/O error) SQLite has rolled the transaction back
        # by itself: a second ROLLBACK would fail with "cannot rollback - no transaction is
        # active" and hide the error that says what went wrong.
        if self._db.in_transaction:
            with suppress(sqlite3.Error):  # the first error is the one to report
                self._db.execute("ROLLBACK")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:  # pragma: no cover - corrupt file and the like
                raise StorageError(f"cannot read: {exc}") from exc

    # -- wake-ups -------------------------------------------------------------------------------

    @staticmethod
    def _lower(db: sqlite3.Connection, wakes: Iterable[tuple[str, int]]) -> None:
        """Lower each ``(workspace_id, micros)`` wake-up, in the caller's transaction."""
        db.executemany(
            "INSERT INTO wakeups (workspace_id, wake_at, generation) VALUES (?, ?, 1) "
            "ON CONFLICT (workspace_id) DO UPDATE SET generation = generation + 1, "
            "wake_at = CASE WHEN wake_at IS NULL OR wake_at > excluded.wake_at "
            "THEN excluded.wake_at ELSE wake_at END",
            wakes,
        )

    def wake(self, workspace_id: str, at: dt.datetime) -> None:
        micros = _to_micros(at)
        with self._write() as db:
            self._lower(db, [(workspace_id, micros)])

    def due_workspaces(
        self, now: dt.datetime, limit: int, *, lease_until: dt.datetime
    ) -> tuple[WakeUp, ...]:
        at, lease = _to_micros(now), _to_micros(lease_until)
        with self._write(durable=False) as db:
            rows = db.execute(
                "SELECT workspace_id, wake_at, generation FROM wakeups "
                "WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at, workspace_id LIMIT ?",
                (at, max(limit, 0)),
            ).fetchall()
            db.executemany(
                "UPDATE wakeups SET wake_at = ?, generation = generation + 1 "
                "WHERE workspace_id = ?",
                [(lease, r[0]) for r in rows],
            )
        return tuple(WakeUp(r[0], _from_micros(r[1]), r[2] + 1) for r in rows)

    def set_wake_at(self, workspace_id: str, at: dt.datetime | None, *, generation: int) -> None:
        micros = None if at is None else _to_micros(at)
        with self._write(durable=False) as db:
            db.execute(
                "INSERT INTO wakeups (workspace_id, wake_at, generation) VALUES (?, ?, 0) "
                "ON CONFLICT (workspace_id) DO UPDATE SET wake_at = CASE "
                "WHEN generation = ? THEN excluded.wake_at "
                "WHEN excluded.wake_at IS NULL THEN wake_at "
                "WHEN wake_at IS NULL OR wake_at > excluded.wake_at THEN excluded.wake_at "
                "ELSE wake_at END",
                (workspace_id, micros, generation),
            )

    def earliest_wake_at(self) -> dt.datetime | None:
        rows = self._read("SELECT MIN(wake_at) FROM wakeups WHERE wake_at IS NOT NULL")
        value = rows[0][0]
        return None if value is None else _from_micros(value)

    # -- settings and preferences ---------------------------------------------------------------

    def get_settings(self, workspace_id: str) -> WorkspaceSettings:
        rows = self._read(
            "SELECT doc_schema, doc FROM settings WHERE workspace_id = ?", (workspace_id,)
        )
        if not rows:
            return WorkspaceSettings()
        return self._documents.settings(workspace_id, *rows[0])

    def save_settings(self, settings: WorkspaceSettings, audit: AuditEntry) -> None:
        doc = json.dumps(settings.to_dict(), sort_keys=True)
        with self._write() as db:
            row = db.execute(
                "SELECT version FROM settings WHERE workspace_id = ?", (audit.workspace_id,)
            ).fetchone()
            check_stored_version(1 if row is None else row[0], settings.version, audit)
            db.execute(
                "INSERT INTO settings (workspace_id, version, doc_schema, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (workspace_id) DO UPDATE SET version = excluded.version, "
                "doc_schema = excluded.doc_schema, doc = excluded.doc",
                (audit.workspace_id, settings.version, DOCUMENT_SCHEMA, doc),
            )
            self._append_audit(db, audit)
            self._lower(db, [(audit.workspace_id, _to_micros(audit.at))])  # apply at once

    def get_preferences(self, workspace_id: str, member_id: str) -> MemberPreferences:
        rows = self._read(
            "SELECT doc_schema, doc FROM preferences WHERE workspace_id = ? AND member_id = ?",
            (workspace_id, member_id),
        )
        if not rows:
            return MemberPreferences()
        return self._documents.preferences(workspace_id, member_id, *rows[0])

    def all_preferences(self, workspace_id: str) -> Mapping[str, MemberPreferences]:
        rows = self._read(
            "SELECT member_id, doc_schema, doc FROM preferences WHERE workspace_id = ? "
            "ORDER BY member_id",
            (workspace_id,),
        )
        return self._documents.all_preferences(workspace_id, rows)

    def save_preferences(
        self, member_id: str, preferences: MemberPreferences, audit: AuditEntry
    ) -> None:
        doc = json.dumps(preferences.to_dict(), sort_keys=True)
        with self._write() as db:
            row = db.execute(
                "SELECT version FROM preferences WHERE workspace_id = ? AND member_id = ?",
                (audit.workspace_id, member_id),
            ).fetchone()
            check_stored_version(1 if row is None else row[0], preferences.version, audit)
            db.execute(
                "INSERT INTO preferences (workspace_id, member_id, version, doc_schema, doc) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, member_id) DO UPDATE SET "
                "version = excluded.version, doc_schema = excluded.doc_schema, doc = excluded.doc",
                (audit.workspace_id, member_id, preferences.version, DOCUMENT_SCHEMA, doc),
            )
            self._append_audit(db, audit)

    # -- audit log ------------------------------------------------------------------------------

    @staticmethod
    def _append_audit(db: sqlite3.Connection, audit: AuditEntry) -> None:
        db.execute(
            "INSERT INTO audit (workspace_id, key, doc) VALUES (?, ?, ?)",
            (audit.workspace_id, audit.key, _rows.audit_document(audit)),
        )

    def audit_entries(self, workspace_id: str) -> tuple[AuditEntry, ...]:
        rows = self._read(
            "SELECT seq, doc FROM audit WHERE workspace_id = ? ORDER BY seq", (workspace_id,)
        )
        return _rows.audit_entries(rows)

    # -- ledger and outbox ----------------------------------------------------------------------

    def claim(self, key: str, items: Sequence[OutboxItem]) -> bool:
        rows = [_item_row(i) for i in items]
        with self._write() as db:
            if db.execute("INSERT OR IGNORE INTO ledger (key) VALUES (?)", (key,)).rowcount != 1:
                return False
            self._insert(db, rows)
            return True

    def claimed(self, keys: Iterable[str]) -> frozenset[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # stay under SQLite's variable limit
            chunk = wanted[start : start + 500]
            sql = f"SELECT key FROM ledger WHERE key IN ({','.join('?' * len(chunk))})"  # noqa: S608 -- placeholders only
            found.update(r[0] for r in self._read(sql, chunk))
        return frozenset(found)

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        rows = [_item_row(i) for i in items]
        with self._write() as db:
            self._insert(db, rows)

    @classmethod
    def _insert(cls, db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> int:
        """Add the rows an id is not taken by; how many were added."""
        if not rows:
            return 0
        added = db.executemany(
            f"INSERT OR IGNORE INTO outbox ({_OUTBOX_COLUMNS}) VALUES ({','.join('?' * 16)})",  # noqa: S608 -- constants only
            rows,
        ).rowcount
        earliest: dict[str, int] = {}
        for r in rows:
            if r[8] in _WAKING:
                earliest[r[1]] = min(r[7], earliest.get(r[1], r[7]))
        cls._lower(db, sorted(earliest.items()))
        return added

    @staticmethod
    def _channel_filter(channels: Collection[Channel] | None) -> tuple[str, list[str]]:
        if channels is None:
            return "", []
        values = sorted(c.value for c in channels)
        return f" AND channel IN ({','.join('?' * len(values))})", values

    def lease_due(
        self,
        workspace_id: str,
        now: dt.datetime,
        limit: int,
        *,
        lease_until: dt.datetime,
        channels: Collection[Channel] | None = None,
        enqueue: Sequence[OutboxItem] = (),
    ) -> tuple[OutboxItem, ...]:
        where, values = self._channel_filter(channels)
        args = (workspace_id, OutboxStatus.PENDING.value, _to_micros(now), *values)
        added = [_item_row(i) for i in enqueue]
        if not added and not self._read(
            f"SELECT 1 FROM outbox WHERE workspace_id = ? AND status = ? AND due_at <= ?{where} "  # noqa: S608 -- placeholders only
            "LIMIT 1",
            args,
        ):
            return ()  # nothing due: no write lock taken (and on a durable store, no sync)
        lease = require_aware(lease_until, path="lease_until")
        with self._write(durable=bool(added)) as db:
            # Items this write added are returned as given, not read back and parsed again.
            fresh = self._insert(db, added) == len(added)
            rows = db.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = ? AND status = ? "  # noqa: S608 -- constants and placeholders only
                f"AND due_at <= ?{where} ORDER BY due_at, seq LIMIT ?",
                (*args, limit),
            ).fetchall()
            # Unreadable rows are leased too: reported now, they come back after the lease
            # instead of on every tick.
            if rows:
                db.execute(
                    f"UPDATE outbox SET due_at = ? WHERE id IN ({','.join('?' * len(rows))})",  # noqa: S608 -- placeholders only
                    (_to_micros(lease), *(r[0] for r in rows)),
                )
        if not fresh or not added:
            return _items(rows, leased_until=lease)
        given = {i.id: i for i in enqueue}
        known = [_leased(given[r[0]], lease) for r in rows if r[0] in given]
        if len(known) == len(rows):
            return tuple(known)
        return _items(rows, leased_until=lease)

    def next_due_at(
        self, workspace_id: str, *, channels: Collection[Channel] | None = None
    ) -> dt.datetime | None:
        where, values = self._channel_filter(channels)
        rows = self._read(
            f"SELECT MIN(due_at) FROM outbox WHERE workspace_id = ? AND status = ?{where}",  # noqa: S608 -- placeholders only
            (workspace_id, OutboxStatus.PENDING.value, *values),
        )
        value = rows[0][0]
        return None if value is None else _from_micros(value)

    def next_held_at(self, workspace_id: str, after: dt.datetime) -> dt.datetime | None:
        rows = self._read(  # the (workspace_id, status, due_at) index answers it
            "SELECT MIN(due_at) FROM outbox WHERE workspace_id = ? AND status = ? AND due_at > ?",
            (workspace_id, OutboxStatus.HELD.value, _to_micros(after)),
        )
        value = rows[0][0]
        return None if value is None else _from_micros(value)

    def held(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[OutboxItem, ...]:
        rows = self._read(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = ? AND status = ? "  # noqa: S608 -- constants only
            "AND due_at >= ? AND due_at < ? ORDER BY seq",
            (workspace_id, OutboxStatus.HELD.value, _to_micros(start), _to_micros(end)),
        )
        return _items(rows)

    def mark_sent(self, item: OutboxItem, at: dt.datetime) -> bool:
        return self._update(item, "status = ?, last_error = NULL", (OutboxStatus.SENT.value,))

    def mark_retry(self, item: OutboxItem, retry_at: dt.datetime, error: str) -> bool:
        return self._update(
            item,
            "status = ?, last_error = ?, due_at = ?",
            (OutboxStatus.PENDING.value, error, _to_micros(retry_at)),
            wake_at=retry_at,
        )

    def record(self, marks: Sequence[OutboxMark]) -> tuple[bool, ...]:
        fences = [(mark, _to_micros(_rows.lease_of(mark.item))) for mark in marks]
        sent = [(m.item.id, lease, m.item.attempts) for m, lease in fences if m.status is _SENT]
        done: set[str] = set()
        with self._write(durable=False) as db:
            # The common case, every send went through: one fenced statement for many.
            for start in range(0, len(sent), 200):  # stay under SQLite's variable limit
                chunk = sent[start : start + 200]
                done.update(
                    r[0]
                    for r in db.execute(
                        "UPDATE outbox SET status = ?, last_error = NULL, attempts = attempts + 1 "  # noqa: S608 -- placeholders only
                        f"WHERE id IN ({','.join('?' * len(chunk))}) AND status = ? "
                        "AND (id, due_at, attempts) IN "
                        f"(VALUES {','.join(['(?, ?, ?)'] * len(chunk))}) RETURNING id",
                        (
                            _SENT.value,
                            *(t[0] for t in chunk),
                            OutboxStatus.PENDING.value,
                            *(v for t in chunk for v in t),
                        ),
                    )
                )
            for mark, lease in fences:
                if mark.status is _SENT:
                    continue
                item = mark.item
                # A retry moves due_at; a final outcome leaves it (the mark checked which).
                due = lease if mark.retry_at is None else _to_micros(mark.retry_at)
                cursor = db.execute(
                    "UPDATE outbox SET status = ?, last_error = ?, due_at = ?, "
                    "attempts = attempts + 1 "
                    "WHERE id = ? AND status = ? AND due_at = ? AND attempts = ?",
                    (
                        mark.status.value,
                        mark.error,
                        due,
                        item.id,
                        OutboxStatus.PENDING.value,
                        lease,
                        item.attempts,
                    ),
                )
                if cursor.rowcount == 1:
                    done.add(item.id)
                    if mark.retry_at is not None:
                        self._lower(db, [(item.workspace_id, due)])
            missed = list({m.item.id for m in marks} - done)
            for start in range(0, len(missed), 500):  # stay under SQLite's variable limit
                ids = missed[start : start + 500]
                found = db.execute(
                    f"SELECT id FROM outbox WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608 -- placeholders only
                    ids,
                ).fetchall()
                if len(found) < len(ids):
                    gone = sorted(set(ids) - {r[0] for r in found})
                    raise _rows.missing_item(gone[0])
        return tuple(m.item.id in done for m in marks)

    def release(self, item: OutboxItem) -> bool:
        return self._update(
            item, "due_at = ?", (_to_micros(item.due_at),), wake_at=item.due_at, attempt=0
        )

    def mark_failed(self, item: OutboxItem, error: str) -> bool:
        return self._update(item, "status = ?, last_error = ?", (OutboxStatus.FAILED.value, error))

    def _update(
        self,
        item: OutboxItem,
        assignments: str,
        args: tuple[Any, ...],
        *,
        wake_at: dt.datetime | None = None,
        attempt: int = 1,
    ) -> bool:
        lease = _rows.lease_of(item)
        wake = None if wake_at is None else _to_micros(wake_at)
        with self._write(durable=False) as db:
            # Fenced: the row changes only while it is still pending under the lease this item
            # was taken with (a later lease moved due_at; an earlier mark raised attempts).
            cursor = db.execute(
                f"UPDATE outbox SET {assignments}, attempts = attempts + {attempt:d} "  # noqa: S608 -- constants only
                "WHERE id = ? AND status = ? AND due_at = ? AND attempts = ?",
                (*args, item.id, OutboxStatus.PENDING.value, _to_micros(lease), item.attempts),
            )
            if cursor.rowcount == 1:
                if wake is not None:
                    self._lower(db, [(item.workspace_id, wake)])
                return True
            if db.execute("SELECT 1 FROM outbox WHERE id = ?", (item.id,)).fetchone() is None:
                raise StorageError(f"outbox item {quote(item.id)} does not exist")
            return False

    # -- operating it ---------------------------------------------------------------------------

    def failed_items(
        self, workspace_id: str | None = None, *, limit: int = 100
    ) -> tuple[OutboxItem, ...]:
        mine = "" if workspace_id is None else " AND workspace_id = ?"
        rows = self._read(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status = ?{mine} ORDER BY seq LIMIT ?",  # noqa: S608 -- constants only
            (
                OutboxStatus.FAILED.value,
                *([] if workspace_id is None else [workspace_id]),
                max(limit, 0),
            ),
        )
        return _items(rows)

    def requeue(self, workspace_id: str, item_id: str, *, now: dt.datetime) -> bool:
        at = _to_micros(now)
        with self._write() as db:
            cursor = db.execute(
                "UPDATE outbox SET status = ?, due_at = ?, attempts = 0 "
                "WHERE id = ? AND workspace_id = ? AND status = ?",
                (OutboxStatus.PENDING.value, at, item_id, workspace_id, OutboxStatus.FAILED.value),
            )
            if cursor.rowcount == 1:
                self._lower(db, [(workspace_id, at)])
                return True
            found = db.execute(
                "SELECT 1 FROM outbox WHERE id = ? AND workspace_id = ?", (item_id, workspace_id)
            ).fetchone()
            if found is None:
                raise _rows.missing_workspace_item(workspace_id, item_id)
            return False

    def outbox_stats(self, workspace_id: str | None = None) -> OutboxStats:
        mine = "" if workspace_id is None else " AND workspace_id = ?"
        where = [] if workspace_id is None else [workspace_id]
        pending, failed = (
            self._read(
                f"SELECT COUNT(*) FROM outbox WHERE status = ?{mine}",  # noqa: S608 -- constants only
                (status.value, *where),
            )[0][0]
            for status in (OutboxStatus.PENDING, OutboxStatus.FAILED)
        )
        oldest = self._read(
            f"SELECT id, due_at FROM outbox WHERE status = ?{mine} ORDER BY due_at, seq LIMIT 1",  # noqa: S608 -- constants only
            (OutboxStatus.PENDING.value, *where),
        )
        return OutboxStats(
            pending=pending,
            failed=failed,
            oldest_pending_id=oldest[0][0] if oldest else None,
            oldest_pending_due_at=_from_micros(oldest[0][1]) if oldest else None,
        )

    def items(self, workspace_id: str) -> tuple[OutboxItem, ...]:
        rows = self._read(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = ? ORDER BY seq",  # noqa: S608 -- constants only
            (workspace_id,),
        )
        return _items(rows)


def _item_row(item: OutboxItem) -> tuple[Any, ...]:
    return _rows.item_row(item, json.dumps(list(item.kinds)), _to_micros(item.due_at))


def _leased(i: OutboxItem, lease: dt.datetime) -> OutboxItem:
    """``i`` with ``leased_until`` set (``attrs.evolve``, without its introspection)."""
    return OutboxItem(
        i.id,
        i.workspace_id,
        i.event_id,
        i.conversation_id,
        i.recipient,
        i.channel,
        i.kinds,
        i.due_at,
        i.status,
        i.attempts,
        i.last_error,
        i.subject,
        i.text,
        i.html,
        i.body,
        i.unsubscribe_url,
        lease,
    )


def _row_item(row: Sequence[Any], leased_until: dt.datetime | None) -> OutboxItem:
    kinds = json.loads(row[6])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise ValueError(f"kinds must be a JSON list of strings, got {_rows.quote(row[6])}")
    for column, index in (("id", 0), ("workspace_id", 1), ("event_id", 2), ("recipient", 4)):
        value = row[index]
        if not isinstance(value, str):
            raise TypeError(f"{column} must be text, got {_rows.quote(value)}")
    if not isinstance(row[7], int) or not isinstance(row[9], int):
        raise TypeError(f"due_at and attempts must be integers, got {_rows.quote(row[7:10:2])}")
    return _rows.outbox_item(row, kinds, _from_micros(row[7]), leased_until)


def _items(
    rows: Sequence[Sequence[Any]], *, leased_until: dt.datetime | None = None
) -> tuple[OutboxItem, ...]:
    return _rows.outbox_items(rows, _row_item, leased_until=leased_until)
