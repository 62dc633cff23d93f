"""The PostgreSQL adapter: every store port in one schema of a PostgreSQL database.

Install with ``pip install "notifpolicy[postgres]"`` (psycopg 3 and psycopg_pool).

Theory of operation:

- One :class:`psycopg_pool.ConnectionPool` per store; a process opens one store and shares it
  between its threads.  Connections run in autocommit: a read is one statement, and every write
  is one explicit transaction, so it commits or rolls back whole.
- Every table lives in one schema (``notifpolicy`` unless the host names another), created and
  brought forward by :data:`MIGRATIONS` on first use.  The applied versions are rows of
  ``schema_migrations``; a store that finds the latest one there starts without taking any lock.
  Otherwise it migrates inside one transaction holding a transaction-level advisory lock keyed
  by the schema name, so two processes starting at once migrate once (the second waits, then
  finds the work done).  DDL is transactional in PostgreSQL: a failed migration leaves nothing.
- Saves are compare-and-set: the stored row is read ``FOR UPDATE`` (a first save inserts with
  ``ON CONFLICT DO NOTHING``, and a lost insert race re-reads), the version is checked with
  :func:`~notifpolicy.check_stored_version`, and the row and its audit entry commit together.
- The audit log is append-only: a trigger refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE``.
- A ledger claim inserts its key with ``ON CONFLICT DO NOTHING``; the caller whose insert
  counted writes the outbox rows in the same transaction.  A concurrent claimer of the same key
  waits for that transaction and then finds the key taken: exactly one ``True``.
- ``lease_due`` selects the due rows ``FOR UPDATE SKIP LOCKED`` and moves their ``due_at`` to the
  lease's end in the same statement, so concurrent workers take disjoint rows and never wait for
  each other.  Every instant compared is one the service passed in; the database server's clock
  is never read (``now()`` appears nowhere), so tests run on a manual clock.
- Instants are ``timestamptz`` (microsecond precision, read back in UTC).  Settings,
  preferences and audit documents are ``json`` (the text as written: ``jsonb`` would refuse a
  ``\\u0000`` inside a string), with their document schema in a column beside them.
- Every database or driver error is a :class:`~notifpolicy.StorageError`; a stored row that does
  not parse is a ``StorageError`` naming its table and key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, cast

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

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
from notifpolicy._timeutil import require_aware
from notifpolicy.adapters import _rows

__all__ = ["DOCUMENT_SCHEMA", "MIGRATIONS", "PostgresListener", "PostgresStore"]

DOCUMENT_SCHEMA = _rows.DOCUMENT_SCHEMA
"""The version of the settings and preferences documents' shape, stored beside each."""

# Each migration is one script; ``{s}`` stands for the quoted schema name.  Never edit a
# released one: append a new script.
MIGRATIONS: tuple[LiteralString, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE {s}.settings (
        workspace_id text PRIMARY KEY,
        version integer NOT NULL,
        doc_schema integer NOT NULL,
        doc json NOT NULL
    );
    CREATE TABLE {s}.preferences (
        workspace_id text NOT NULL,
        member_id text NOT NULL,
        version integer NOT NULL,
        doc_schema integer NOT NULL,
        doc json NOT NULL,
        PRIMARY KEY (workspace_id, member_id)
    );
    CREATE TABLE {s}.audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id text NOT NULL,
        key text NOT NULL UNIQUE,
        doc json NOT NULL
    );
    CREATE INDEX audit_by_workspace ON {s}.audit (workspace_id, seq);
    CREATE FUNCTION {s}.audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
    CREATE TRIGGER audit_no_update_or_delete BEFORE UPDATE OR DELETE ON {s}.audit
        FOR EACH ROW EXECUTE FUNCTION {s}.audit_is_append_only();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {s}.audit
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_is_append_only();
    CREATE TABLE {s}.ledger (
        key text PRIMARY KEY
    );
    CREATE TABLE {s}.outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        workspace_id text NOT NULL,
        event_id text NOT NULL,
        conversation_id text,
        recipient text NOT NULL,
        channel text NOT NULL,
        kinds text[] NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        last_error text,
        subject text NOT NULL,
        text text NOT NULL,
        html text,
        body text
    );
    CREATE INDEX outbox_by_status ON {s}.outbox (workspace_id, status, due_at);
    CREATE INDEX outbox_by_seq ON {s}.outbox (workspace_id, seq);
    """,
    # 2: digest emails carry their one-click unsubscribe URL (List-Unsubscribe).
    """
    ALTER TABLE {s}.outbox ADD COLUMN unsubscribe_url text;
    """,
    # 3: each workspace's next wake-up, for the worker loop.  Every workspace the schema knows
    # already is due at once: the first worker ticks it and writes its real wake-up.
    """
    CREATE TABLE {s}.wakeups (
        workspace_id text PRIMARY KEY,
        wake_at timestamptz,
        generation bigint NOT NULL
    );
    CREATE INDEX wakeups_by_time ON {s}.wakeups (wake_at) WHERE wake_at IS NOT NULL;
    CREATE INDEX outbox_by_status_due ON {s}.outbox (status, due_at);
    INSERT INTO {s}.wakeups (workspace_id, wake_at, generation)
        SELECT workspace_id, '1970-01-01 00:00:00+00'::timestamptz, 1 FROM {s}.settings
        UNION SELECT workspace_id, '1970-01-01 00:00:00+00'::timestamptz, 1 FROM {s}.outbox
        WHERE status IN ('pending', 'held');
    """,
)

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_COLUMNS = sql.SQL(_rows.OUTBOX_COLUMNS)
_PENDING = OutboxStatus.PENDING.value
_HELD = OutboxStatus.HELD.value


def _utc(at: dt.datetime, path: str) -> dt.datetime:
    # A naive instant would be read by the server in its own zone: refused, like everywhere.
    return require_aware(at, path=path).astimezone(dt.UTC)


def _describe(exc: BaseException) -> str:
    """The error's own first line (PostgreSQL's primary message when there is one): no DETAIL
    lines, which can quote the values of a row."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc).split("\n", 1)[0]
    return f"{type(exc).__name__}: {text[:300]}"


class PostgresStore:
    """Settings, preferences, audit log, ledger and outbox in one PostgreSQL schema.

    ``conninfo`` is a libpq connection string (``"host=db.internal dbname=app user=app"`` or a
    ``postgresql://`` URL); ``schema`` is where the tables go (created when missing, with the
    privileges of the connecting role).  One instance holds a pool of at most
    ``max_connections`` connections and may be shared by threads; each process opens its own.
    ``timeout`` (seconds) bounds the wait for the first connection and for a free one.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "notifpolicy",
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
        min_connections: int = 1,
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise ValidationError.single(
                "schema",
                "format",
                "must be a lower-case SQL name (letters, digits, underscores; at most 63), "
                f"got {schema!r:.100}",
            )
        self.schema = schema
        # Stored documents are read back with the host's kinds and webhook hosts (checked
        # here, before any connection); an unchanged settings document is not validated again.
        self._documents = _rows.Documents(kinds, extra_webhook_hosts)
        self._quoted = sql.Identifier(schema)
        self._conninfo = conninfo
        self.channel = f"notifpolicy_{schema}"[:63]
        """The ``LISTEN``/``NOTIFY`` channel: every write that lowers a workspace's wake-up
        notifies it with the workspace id, when its transaction commits."""
        self._queries: dict[tuple[str, str], sql.Composed] = {}
        self._pool = ConnectionPool(
            conninfo,
            min_size=min_connections,
            max_size=max(max_connections, min_connections),
            timeout=timeout,
            kwargs={"autocommit": True},
            configure=self._configure,
            open=False,
            name=f"notifpolicy-{schema}",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            self._migrate()
        except psycopg.Error as exc:
            self._pool.close()
            raise StorageError(f"cannot open the PostgreSQL store: {_describe(exc)}") from exc
        except BaseException:
            self._pool.close()  # a refused schema: no connection is left behind
            raise

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        # Instants come back in UTC whatever the server's default zone is.  (The zone only
        # shapes how values are shown; comparisons are between the service's instants.)
        conn.execute("SET TIME ZONE 'UTC'")

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _q(self, text: LiteralString, where: LiteralString = "") -> sql.Composed:
        """``text`` with ``{s}`` as the quoted schema, ``{cols}`` as the outbox columns and
        ``{where}`` as an extra condition, composed once."""
        query = self._queries.get((text, where))
        if query is None:
            query = sql.SQL(text).format(s=self._quoted, cols=_COLUMNS, where=sql.SQL(where))
            self._queries[(text, where)] = query
        return query

    @contextmanager
    def _write(self, what: str) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction: everything in it commits together or not at all."""
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur
        except (psycopg.Error, UnicodeError) as exc:
            raise StorageError(f"cannot {what}: {_describe(exc)}") from exc

    def _read(
        self, what: str, query: sql.SQL | sql.Composed, args: Sequence[Any] = ()
    ) -> list[Any]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(query, args).fetchall()
        except (psycopg.Error, UnicodeError) as exc:
            raise StorageError(f"cannot read {what}: {_describe(exc)}") from exc

    @property
    def schema_version(self) -> int:
        """The newest migration applied to the schema."""
        rows = self._read(
            "the schema version", self._q("SELECT max(version) FROM {s}.schema_migrations")
        )
        return int(rows[0][0] or 0)

    def _migrate(self) -> None:
        latest = len(MIGRATIONS)
        if self._applied_version() == latest:
            return  # the common case: no lock, no DDL
        # Two processes starting at once: the second waits here until the first committed.
        lock_key = int.from_bytes(
            hashlib.sha256(f"notifpolicy schema {self.schema}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        with self._write("migrate the schema") as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
            cur.execute(self._q("CREATE SCHEMA IF NOT EXISTS {s}"))
            cur.execute(
                self._q(
                    "CREATE TABLE IF NOT EXISTS {s}.schema_migrations (version integer PRIMARY KEY)"
                )
            )
            current = cur.execute(self._q("SELECT max(version) FROM {s}.schema_migrations"))
            row = current.fetchone()
            version = int(row[0] or 0) if row else 0
            if version > latest:
                raise StorageError(
                    f"schema {self.schema!r} is at version {version}, newer than this library "
                    f"knows ({latest}); upgrade notifpolicy"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                cur.execute(sql.SQL(script).format(s=self._quoted))
                cur.execute(
                    self._q("INSERT INTO {s}.schema_migrations (version) VALUES (%s)"), (number,)
                )

    def _applied_version(self) -> int | None:
        """The schema's version, or ``None`` when it has no migrations table yet."""
        exists = self._read(
            "the schema version",
            sql.SQL("SELECT to_regclass(%s)"),
            (f'"{self.schema}".schema_migrations',),  # the name matched _SCHEMA_NAME
        )
        if exists[0][0] is None:
            return None
        return self.schema_version

    # -- wake-ups -------------------------------------------------------------------------------

    def _lower(self, cur: psycopg.Cursor[Any], wakes: Iterable[tuple[str, dt.datetime]]) -> None:
        """Lower each ``(workspace_id, at)`` wake-up and notify the workers, in the caller's
        transaction (the notification is delivered when it commits).  Workspaces in order, so
        two writers never wait for each other's rows in opposite orders."""
        ordered = sorted(wakes)
        if not ordered:
            return
        cur.executemany(
            self._q(
                "INSERT INTO {s}.wakeups AS w (workspace_id, wake_at, generation) "
                "VALUES (%s, %s, 1) ON CONFLICT (workspace_id) DO UPDATE SET "
                "wake_at = LEAST(w.wake_at, excluded.wake_at), generation = w.generation + 1"
            ),
            ordered,
        )
        cur.execute(
            "SELECT pg_notify(%s, ws) FROM unnest(%s::text[]) AS ws",
            (self.channel, [ws for ws, _ in ordered]),
        )

    def wake(self, workspace_id: str, at: dt.datetime) -> None:
        when = _utc(at, "at")
        with self._write("wake the workspace") as cur:
            self._lower(cur, [(workspace_id, when)])

    def due_workspaces(
        self, now: dt.datetime, limit: int, *, lease_until: dt.datetime
    ) -> tuple[WakeUp, ...]:
        # Workspaces another worker is taking right now are skipped, not waited for.
        query = self._q(
            "WITH due AS (SELECT workspace_id, wake_at AS was FROM {s}.wakeups "
            "WHERE wake_at <= %s ORDER BY wake_at, workspace_id LIMIT %s "
            "FOR UPDATE SKIP LOCKED) "
            "UPDATE {s}.wakeups AS w SET wake_at = %s, generation = w.generation + 1 "
            "FROM due WHERE w.workspace_id = due.workspace_id "
            "RETURNING w.workspace_id, due.was, w.generation"
        )
        args = (_utc(now, "now"), max(limit, 0), _utc(lease_until, "lease_until"))
        with self._write("take due workspaces") as cur:
            rows = cur.execute(query, args).fetchall()
        rows.sort(key=lambda r: (r[1], r[0]))
        return tuple(WakeUp(ws, was, generation) for ws, was, generation in rows)

    def set_wake_at(self, workspace_id: str, at: dt.datetime | None, *, generation: int) -> None:
        when = None if at is None else _utc(at, "at")
        with self._write("set the wake-up") as cur:
            cur.execute(
                self._q(
                    "INSERT INTO {s}.wakeups AS w (workspace_id, wake_at, generation) "
                    "VALUES (%s, %s, 0) ON CONFLICT (workspace_id) DO UPDATE SET wake_at = "
                    "CASE WHEN w.generation = %s THEN excluded.wake_at "
                    "ELSE LEAST(w.wake_at, excluded.wake_at) END"
                ),
                (workspace_id, when, generation),
            )

    def earliest_wake_at(self) -> dt.datetime | None:
        rows = self._read(
            "the wake-ups",
            self._q("SELECT min(wake_at) FROM {s}.wakeups WHERE wake_at IS NOT NULL"),
        )
        return cast(dt.datetime | None, rows[0][0])

    def listen(self) -> PostgresListener:
        """A connection of its own, listening (``LISTEN``) on :attr:`channel`: the worker
        loop sleeps in :meth:`PostgresListener.wait` until new work or new settings arrive.
        Close it."""
        return PostgresListener(self._conninfo, self.channel)

    # -- settings and preferences ---------------------------------------------------------------

    def get_settings(self, workspace_id: str) -> WorkspaceSettings:
        rows = self._read(
            "settings",
            self._q("SELECT doc_schema, doc::text FROM {s}.settings WHERE workspace_id = %s"),
            (workspace_id,),
        )
        if not rows:
            return WorkspaceSettings()
        return self._documents.settings(workspace_id, *rows[0])

    def save_settings(self, settings: WorkspaceSettings, audit: AuditEntry) -> None:
        doc = json.dumps(settings.to_dict(), sort_keys=True)
        with self._write("save the settings") as cur:
            self._compare_and_set(
                cur,
                audit,
                settings.version,
                select=self._q(
                    "SELECT version FROM {s}.settings WHERE workspace_id = %s FOR UPDATE"
                ),
                insert=self._q(
                    "INSERT INTO {s}.settings (workspace_id, version, doc_schema, doc) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (workspace_id) DO NOTHING"
                ),
                update=self._q(
                    "UPDATE {s}.settings SET version = %s, doc_schema = %s, doc = %s "
                    "WHERE workspace_id = %s"
                ),
                key=(audit.workspace_id,),
                doc=doc,
            )
            self._lower(cur, [(audit.workspace_id, _utc(audit.at, "audit.at"))])

    def get_preferences(self, workspace_id: str, member_id: str) -> MemberPreferences:
        rows = self._read(
            "preferences",
            self._q(
                "SELECT doc_schema, doc::text FROM {s}.preferences "
                "WHERE workspace_id = %s AND member_id = %s"
            ),
            (workspace_id, member_id),
        )
        if not rows:
            return MemberPreferences()
        return self._documents.preferences(workspace_id, member_id, *rows[0])

    def all_preferences(self, workspace_id: str) -> Mapping[str, MemberPreferences]:
        rows = self._read(
            "preferences",
            self._q(
                "SELECT member_id, doc_schema, doc::text FROM {s}.preferences "
                "WHERE workspace_id = %s ORDER BY member_id"
            ),
            (workspace_id,),
        )
        return self._documents.all_preferences(workspace_id, rows)

    def save_preferences(
        self, member_id: str, preferences: MemberPreferences, audit: AuditEntry
    ) -> None:
        doc = json.dumps(preferences.to_dict(), sort_keys=True)
        with self._write("save the preferences") as cur:
            self._compare_and_set(
                cur,
                audit,
                preferences.version,
                select=self._q(
                    "SELECT version FROM {s}.preferences "
                    "WHERE workspace_id = %s AND member_id = %s FOR UPDATE"
                ),
                insert=self._q(
                    "INSERT INTO {s}.preferences "
                    "(workspace_id, member_id, version, doc_schema, doc) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workspace_id, member_id) DO NOTHING"
                ),
                update=self._q(
                    "UPDATE {s}.preferences SET version = %s, doc_schema = %s, doc = %s "
                    "WHERE workspace_id = %s AND member_id = %s"
                ),
                key=(audit.workspace_id, member_id),
                doc=doc,
            )

    def _compare_and_set(
        self,
        cur: psycopg.Cursor[Any],
        audit: AuditEntry,
        new_version: int,
        *,
        select: sql.Composed,
        insert: sql.Composed,
        update: sql.Composed,
        key: tuple[str, ...],
        doc: str,
    ) -> None:
        row = cur.execute(select, key).fetchone()
        check_stored_version(1 if row is None else row[0], new_version, audit)
        if row is None:
            cur.execute(insert, (*key, new_version, DOCUMENT_SCHEMA, doc))
            if cur.rowcount != 1:
                # Another first save committed between our read and our insert: read its row
                # (now locked for us) and let the version rule decide.
                row = cur.execute(select, key).fetchone()
                check_stored_version(row[0] if row else 1, new_version, audit)
                cur.execute(update, (new_version, DOCUMENT_SCHEMA, doc, *key))
        else:
            cur.execute(update, (new_version, DOCUMENT_SCHEMA, doc, *key))
        self._append_audit(cur, audit)

    # -- audit log ------------------------------------------------------------------------------

    def _append_audit(self, cur: psycopg.Cursor[Any], audit: AuditEntry) -> None:
        cur.execute(
            self._q("INSERT INTO {s}.audit (workspace_id, key, doc) VALUES (%s, %s, %s)"),
            (audit.workspace_id, audit.key, _rows.audit_document(audit)),
        )

    def audit_entries(self, workspace_id: str) -> tuple[AuditEntry, ...]:
        rows = self._read(
            "the audit log",
            self._q("SELECT seq, doc::text FROM {s}.audit WHERE workspace_id = %s ORDER BY seq"),
            (workspace_id,),
        )
        return _rows.audit_entries(rows)

    # -- ledger and outbox ----------------------------------------------------------------------

    def claim(self, key: str, items: Sequence[OutboxItem]) -> bool:
        rows = [_item_row(i) for i in items]  # checked before anything is written
        with self._write("claim") as cur:
            cur.execute(
                self._q("INSERT INTO {s}.ledger (key) VALUES (%s) ON CONFLICT DO NOTHING"),
                (key,),
            )
            if cur.rowcount != 1:
                return False
            self._insert(cur, rows)
            return True

    def claimed(self, keys: Iterable[str]) -> frozenset[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return frozenset()
        rows = self._read(
            "the ledger", self._q("SELECT key FROM {s}.ledger WHERE key = ANY(%s)"), (wanted,)
        )
        return frozenset(r[0] for r in rows)

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        rows = [_item_row(i) for i in items]
        if not rows:
            return
        with self._write("enqueue") as cur:
            self._insert(cur, rows)

    def _insert(self, cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cur.executemany(
                self._q(
                    "INSERT INTO {s}.outbox ({cols}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING"
                ),
                rows,
            )
            earliest: dict[str, dt.datetime] = {}
            for r in rows:
                if r[8] in (_PENDING, _HELD):
                    earliest[r[1]] = min(r[7], earliest.get(r[1], r[7]))
            self._lower(cur, earliest.items())

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
        added = [_item_row(i) for i in enqueue]  # checked before anything is written
        args: list[Any] = [workspace_id, _PENDING, _utc(now, "now")]
        where: LiteralString = ""
        if channels is not None:
            where = " AND channel = ANY(%s)"
            args.append(sorted(c.value for c in channels))
        lease = require_aware(lease_until, path="lease_until")
        args += [limit, lease]
        # Rows another worker is leasing right now are skipped, not waited for; the lease
        # (a later due_at) is written in the same statement that picks the rows.
        query = self._q(
            "WITH due AS ("
            "SELECT id, due_at AS was FROM {s}.outbox "
            "WHERE workspace_id = %s AND status = %s AND due_at <= %s{where} "
            "ORDER BY due_at, seq LIMIT %s FOR UPDATE SKIP LOCKED) "
            "UPDATE {s}.outbox AS o SET due_at = %s FROM due WHERE o.id = due.id "
            "RETURNING o.seq, o.id, o.workspace_id, o.event_id, o.conversation_id, "
            "o.recipient, o.channel, o.kinds, due.was, o.status, o.attempts, o.last_error, "
            "o.subject, o.text, o.html, o.body, o.unsubscribe_url",
            where,
        )
        with self._write("lease due items") as cur:
            self._insert(cur, added)
            rows = cur.execute(query, args).fetchall()
        rows.sort(key=lambda r: (r[8], r[0]))  # oldest first, as they were before the lease
        # Unreadable rows are leased too: reported now, they come back when the lease ends
        # instead of on every tick.
        return _items([r[1:] for r in rows], leased_until=lease)

    def next_due_at(
        self, workspace_id: str, *, channels: Collection[Channel] | None = None
    ) -> dt.datetime | None:
        args: list[Any] = [workspace_id, _PENDING]
        where: LiteralString = ""
        if channels is not None:
            where = " AND channel = ANY(%s)"
            args.append(sorted(c.value for c in channels))
        rows = self._read(
            "the outbox",
            self._q(
                "SELECT min(due_at) FROM {s}.outbox WHERE workspace_id = %s AND status = %s{where}",
                where,
            ),
            args,
        )
        return cast(dt.datetime | None, rows[0][0])

    def next_held_at(self, workspace_id: str, after: dt.datetime) -> dt.datetime | None:
        rows = self._read(  # the (workspace_id, status, due_at) index answers it
            "the outbox",
            self._q(
                "SELECT min(due_at) FROM {s}.outbox "
                "WHERE workspace_id = %s AND status = %s AND due_at > %s"
            ),
            (workspace_id, _HELD, _utc(after, "after")),
        )
        return cast(dt.datetime | None, rows[0][0])

    def held(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[OutboxItem, ...]:
        rows = self._read(
            "the outbox",
            self._q(
                "SELECT {cols} FROM {s}.outbox WHERE workspace_id = %s "
                "AND status = %s AND due_at >= %s AND due_at < %s ORDER BY seq"
            ),
            (workspace_id, _HELD, _utc(start, "start"), _utc(end, "end")),
        )
        return _items(rows)

    def mark_sent(self, item: OutboxItem, at: dt.datetime) -> bool:
        return self._mark(
            item,
            "status = %s, last_error = NULL, attempts = attempts + 1",
            (OutboxStatus.SENT.value,),
        )

    def mark_retry(self, item: OutboxItem, retry_at: dt.datetime, error: str) -> bool:
        when = _utc(retry_at, "retry_at")
        return self._mark(
            item,
            "status = %s, last_error = %s, due_at = %s, attempts = attempts + 1",
            (_PENDING, error, when),
            wake_at=when,
        )

    def record(self, marks: Sequence[OutboxMark]) -> tuple[bool, ...]:
        leases = [_rows.lease_of(mark.item) for mark in marks]
        results = []
        with self._write("record the outcomes") as cur:
            for mark, lease in zip(marks, leases, strict=True):
                item = mark.item
                # A retry moves due_at; a final outcome leaves it (the mark checked which).
                due = lease if mark.retry_at is None else _utc(mark.retry_at, "mark.retry_at")
                cur.execute(
                    self._q(
                        "UPDATE {s}.outbox SET status = %s, last_error = %s, due_at = %s, "
                        "attempts = attempts + 1 "
                        "WHERE id = %s AND status = %s AND due_at = %s AND attempts = %s"
                    ),
                    (
                        mark.status.value,
                        mark.error,
                        due,
                        item.id,
                        _PENDING,
                        lease,
                        item.attempts,
                    ),
                )
                done = cur.rowcount == 1
                if not done:
                    cur.execute(self._q("SELECT 1 FROM {s}.outbox WHERE id = %s"), (item.id,))
                    if cur.fetchone() is None:
                        raise _rows.missing_item(item.id)
                elif mark.retry_at is not None:
                    self._lower(cur, [(item.workspace_id, due)])
                results.append(done)
        return tuple(results)

    def release(self, item: OutboxItem) -> bool:
        was = _utc(item.due_at, "item.due_at")
        return self._mark(item, "due_at = %s", (was,), wake_at=was)

    def mark_failed(self, item: OutboxItem, error: str) -> bool:
        return self._mark(
            item,
            "status = %s, last_error = %s, attempts = attempts + 1",
            (OutboxStatus.FAILED.value, error),
        )

    def _mark(
        self,
        item: OutboxItem,
        assignments: LiteralString,
        args: tuple[Any, ...],
        *,
        wake_at: dt.datetime | None = None,
    ) -> bool:
        """Fenced: ``assignments`` (which count the attempt, or not) land only under the
        item's lease."""
        _rows.lease_of(item)
        with self._write("record the outcome") as cur:
            # Fenced: the row changes only while it is still pending under the lease this item
            # was taken with (a later lease moved due_at; an earlier mark raised attempts).
            # The UPDATE locks the row, so a concurrent lease_due skips it until we commit.
            cur.execute(
                self._q(
                    "UPDATE {s}.outbox SET {where} "
                    "WHERE id = %s AND status = %s AND due_at = %s AND attempts = %s",
                    assignments,
                ),
                (*args, item.id, _PENDING, item.leased_until, item.attempts),
            )
            if cur.rowcount == 1:
                if wake_at is not None:
                    self._lower(cur, [(item.workspace_id, wake_at)])
                return True
            cur.execute(self._q("SELECT 1 FROM {s}.outbox WHERE id = %s"), (item.id,))
            if cur.fetchone() is None:
                raise _rows.missing_item(item.id)
            return False

    # -- operating it ---------------------------------------------------------------------------

    def failed_items(
        self, workspace_id: str | None = None, *, limit: int = 100
    ) -> tuple[OutboxItem, ...]:
        rows = self._read(
            "the outbox",
            self._q(
                "SELECT {cols} FROM {s}.outbox WHERE status = %s "
                "AND (%s::text IS NULL OR workspace_id = %s) ORDER BY seq LIMIT %s"
            ),
            (OutboxStatus.FAILED.value, workspace_id, workspace_id, max(limit, 0)),
        )
        return _items(rows)

    def requeue(self, workspace_id: str, item_id: str, *, now: dt.datetime) -> bool:
        at = _utc(now, "now")
        with self._write("requeue") as cur:
            cur.execute(
                self._q(
                    "UPDATE {s}.outbox SET status = %s, due_at = %s, attempts = 0 "
                    "WHERE id = %s AND workspace_id = %s AND status = %s"
                ),
                (_PENDING, at, item_id, workspace_id, OutboxStatus.FAILED.value),
            )
            if cur.rowcount == 1:
                self._lower(cur, [(workspace_id, at)])
                return True
            cur.execute(
                self._q("SELECT 1 FROM {s}.outbox WHERE id = %s AND workspace_id = %s"),
                (item_id, workspace_id),
            )
            if cur.fetchone() is None:
                raise _rows.missing_workspace_item(workspace_id, item_id)
            return False

    def outbox_stats(self, workspace_id: str | None = None) -> OutboxStats:
        rows = self._read(
            "the outbox",
            self._q(
                "SELECT count(*) FILTER (WHERE status = %s), count(*) FILTER (WHERE status = %s) "
                "FROM {s}.outbox WHERE status IN (%s, %s) "
                "AND (%s::text IS NULL OR workspace_id = %s)"
            ),
            (
                _PENDING,
                OutboxStatus.FAILED.value,
                _PENDING,
                OutboxStatus.FAILED.value,
                workspace_id,
                workspace_id,
            ),
        )
        oldest = self._read(
            "the outbox",
            self._q(
                "SELECT id, due_at FROM {s}.outbox WHERE status = %s "
                "AND (%s::text IS NULL OR workspace_id = %s) ORDER BY due_at, seq LIMIT 1"
            ),
            (_PENDING, workspace_id, workspace_id),
        )
        return OutboxStats(
            pending=rows[0][0],
            failed=rows[0][1],
            oldest_pending_id=oldest[0][0] if oldest else None,
            oldest_pending_due_at=oldest[0][1] if oldest else None,
        )

    def items(self, workspace_id: str) -> tuple[OutboxItem, ...]:
        rows = self._read(
            "the outbox",
            self._q("SELECT {cols} FROM {s}.outbox WHERE workspace_id = %s ORDER BY seq"),
            (workspace_id,),
        )
        return _items(rows)


class PostgresListener:
    """One connection, outside the store's pool, listening on the store's channel."""

    def __init__(self, conninfo: str, channel: str) -> None:
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True)
            self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except psycopg.Error as exc:
            raise StorageError(f"cannot listen for new work: {_describe(exc)}") from exc

    def wait(self, timeout: float) -> bool:
        """Up to ``timeout`` seconds for a notification; ``True`` when one (or more) came."""
        try:
            got = any(True for _ in self._conn.notifies(timeout=max(timeout, 0.0), stop_after=1))
            if got:  # the others that queued up meanwhile say the same: take them too
                for _ in self._conn.notifies(timeout=0.0):
                    pass
        except psycopg.Error as exc:
            raise StorageError(f"cannot listen for new work: {_describe(exc)}") from exc
        return got

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> PostgresListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _item_row(item: OutboxItem) -> tuple[Any, ...]:
    if not isinstance(item, OutboxItem):
        raise StorageError(f"the outbox takes OutboxItem values, got {type(item).__name__}")
    return _rows.item_row(item, list(item.kinds), _utc(item.due_at, "item.due_at"))


def _row_item(row: Sequence[Any], leased_until: dt.datetime | None) -> OutboxItem:
    kinds = row[6]
    if not all(isinstance(k, str) for k in kinds):
        raise TypeError(f"kinds must be text, got {_rows.quote(kinds)}")
    return _rows.outbox_item(row, kinds, row[7], leased_until)


def _items(
    rows: Sequence[Sequence[Any]], *, leased_until: dt.datetime | None = None
) -> tuple[OutboxItem, ...]:
    return _rows.outbox_items(rows, _row_item, leased_until=leased_until)
