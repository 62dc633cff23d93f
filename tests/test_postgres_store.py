"""What only the PostgreSQL adapter has: its schema and migrations, the append-only audit log,
errors as StorageError, rows corrupted underneath it, and its instants (never the server's
clock).  The ports themselves are held to the contract in test_store_contract.py."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import socket
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from typing import Any, LiteralString

import psycopg
import pytest
from psycopg import sql

from notifpolicy import (
    Channel,
    ConversationCreated,
    ConversationState,
    ConversationStatus,
    Member,
    MemberPreferences,
    Role,
    Roster,
    StorageError,
    UnreadableRowsError,
    ValidationError,
    WorkspaceSettings,
    save_workspace_settings,
)
from notifpolicy._outbox import OutboxItem, OutboxStatus
from notifpolicy.adapters.postgres import DOCUMENT_SCHEMA, MIGRATIONS, PostgresStore
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock, RecordingTransport
from tests._postgres import ROOT, drop_schema, fresh_schema

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)  # a Monday morning, no quiet hours
DEEP = "[" * 5_000 + "]" * 5_000  # valid JSON for the server, too deep for Python's reader
OLGA = Member("olga", Role.OWNER, "Olga", channels=[Channel.EMAIL], email="olga@example.org")
ANNA = Member("anna", Role.AGENT, "Anna", channels=[Channel.EMAIL], email="anna@example.org")


@pytest.fixture
def schema(postgres_conninfo: str) -> Iterator[str]:
    name = fresh_schema()
    try:
        yield name
    finally:
        drop_schema(postgres_conninfo, name)


@pytest.fixture
def store(postgres_conninfo: str, schema: str) -> Iterator[PostgresStore]:
    with PostgresStore(postgres_conninfo, schema=schema) as s:
        yield s


def raw(conninfo: str, schema: str, query: LiteralString, *args: object) -> list[Any]:
    """Run ``query`` (``{s}`` is the schema) underneath the store, as a bad migration or a
    hand edit would."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        cur = conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), args or None)
        return cur.fetchall() if cur.description else []


def item(n: int, **changes: Any) -> OutboxItem:
    fields: dict[str, Any] = {
        "id": f"ws:item:{n}",
        "workspace_id": "ws",
        "event_id": f"e{n}",
        "conversation_id": None,
        "recipient": "anna",
        "channel": Channel.EMAIL,
        "kinds": ("new_conversation",),
        "due_at": T0,
        "subject": f"subject {n}",
        "text": "hello",
        **changes,
    }
    return OutboxItem(**fields)


def save_zone(store: PostgresStore | SqliteStore | InMemoryStore, zone: str) -> WorkspaceSettings:
    current = store.get_settings("ws")
    result = save_workspace_settings(
        current,
        {"version": current.version, "timezone": zone},
        actor=OLGA,
        workspace_id="ws",
        now=T0,
    )
    assert result.audit is not None
    store.save_settings(result.value, result.audit)
    return result.value


def check_bounded(error: BaseException) -> None:
    assert len(str(error)) < 600


# -- the schema ---------------------------------------------------------------------------------


def test_the_schema_is_created_once_and_reopened_as_it_is(postgres_conninfo, schema):
    with PostgresStore(postgres_conninfo, schema=schema) as store:
        assert store.schema_version == len(MIGRATIONS)
        save_zone(store, "Europe/Amsterdam")
    versions = raw(postgres_conninfo, schema, "SELECT version FROM {s}.schema_migrations")
    assert versions == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    tables = raw(
        postgres_conninfo,
        schema,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "ORDER BY table_name",
        schema,
    )
    assert [t for (t,) in tables] == [
        "audit",
        "ledger",
        "outbox",
        "preferences",
        "schema_migrations",
        "settings",
        "wakeups",
    ]
    with PostgresStore(postgres_conninfo, schema=schema) as again:
        assert again.get_settings("ws").timezone == "Europe/Amsterdam"
        assert again.schema_version == len(MIGRATIONS)
    assert raw(postgres_conninfo, schema, "SELECT version, doc_schema FROM {s}.settings") == [
        (2, DOCUMENT_SCHEMA)
    ]


def _open(conninfo: str, schema: str, start: Barrier) -> int:
    start.wait()
    with PostgresStore(conninfo, schema=schema) as store:
        return store.schema_version


def test_processes_starting_at_once_migrate_once(postgres_conninfo, schema):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            pending = [pool.apply_async(_open, (postgres_conninfo, schema, start)) for _ in "abcd"]
            versions = [p.get(timeout=60) for p in pending]
    assert versions == [len(MIGRATIONS)] * 4
    rows = raw(postgres_conninfo, schema, "SELECT version FROM {s}.schema_migrations")
    assert rows == [(n,) for n in range(1, len(MIGRATIONS) + 1)]


def test_a_schema_2_database_makes_every_workspace_it_knows_due_at_once(postgres_conninfo, schema):
    raw(postgres_conninfo, schema, "CREATE SCHEMA {s}")
    raw(
        postgres_conninfo,
        schema,
        "CREATE TABLE {s}.schema_migrations (version integer PRIMARY KEY)",
    )
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        raw(postgres_conninfo, schema, script)
        raw(postgres_conninfo, schema, "INSERT INTO {s}.schema_migrations VALUES (%s)", number)
    raw(
        postgres_conninfo,
        schema,
        "INSERT INTO {s}.settings VALUES ('ws-settings', 2, 1, '{{}}')",
    )
    for ws, status in (("ws-pending", "pending"), ("ws-held", "held"), ("ws-done", "sent")):
        raw(
            postgres_conninfo,
            schema,
            "INSERT INTO {s}.outbox (id, workspace_id, event_id, recipient, channel, kinds, "
            "due_at, status, attempts, subject, text) VALUES "
            "(%s, %s, 'e1', 'anna', 'email', '{{}}', %s, %s, 0, 's', 't')",
            f"{ws}:1",
            ws,
            T0,
            status,
        )
    with PostgresStore(postgres_conninfo, schema=schema) as store:
        assert store.schema_version == len(MIGRATIONS) >= 3
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        assert store.earliest_wake_at() == epoch
        taken = store.due_workspaces(epoch, 10, lease_until=T0)
    assert sorted(w.workspace_id for w in taken) == ["ws-held", "ws-pending", "ws-settings"]


def _sessions(conninfo: str, name: str) -> int:
    rows = raw(
        conninfo, "", "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", name
    )
    return int(rows[0][0])


def test_a_newer_schema_is_refused_and_no_connection_is_left(postgres_conninfo, schema):
    PostgresStore(postgres_conninfo, schema=schema).close()
    raw(
        postgres_conninfo,
        schema,
        "INSERT INTO {s}.schema_migrations VALUES (%s)",
        len(MIGRATIONS) + 1,
    )
    name = f"refused-{schema}"
    with pytest.raises(StorageError, match="newer than this library knows"):
        PostgresStore(f"{postgres_conninfo} application_name={name}", schema=schema)
    assert _sessions(postgres_conninfo, name) == 0


def test_close_closes_every_connection(postgres_conninfo, schema):
    name = f"closing-{schema}"
    store = PostgresStore(
        f"{postgres_conninfo} application_name={name}", schema=schema, min_connections=2
    )
    assert _sessions(postgres_conninfo, name) == 2
    store.close()
    assert _sessions(postgres_conninfo, name) == 0
    with pytest.raises(StorageError, match="cannot read"):
        store.get_settings("ws")


@pytest.mark.parametrize("name", ["", "Upper", "drop table", "a-b", "x" * 64, "1abc", 7])
def test_a_schema_name_must_be_a_plain_sql_name(postgres_conninfo, name):
    with pytest.raises(ValidationError, match="schema: must be a lower-case SQL name"):
        PostgresStore(postgres_conninfo, schema=name)


def test_bad_webhook_hosts_are_refused_before_connecting(postgres_conninfo, schema):
    name = f"hosts-{schema}"
    with pytest.raises(ValidationError, match=r"extra_webhook_hosts\[1\]: must be a host name"):
        PostgresStore(
            f"{postgres_conninfo} application_name={name}",
            schema=schema,
            extra_webhook_hosts=["hooks.example.org", "x."],
        )
    assert _sessions(postgres_conninfo, name) == 0


def test_no_server_is_a_storage_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once it is closed
    with pytest.raises(StorageError, match="cannot open the PostgreSQL store"):
        PostgresStore(f"host=127.0.0.1 port={port} user=nobody connect_timeout=1", timeout=1)


def test_the_audit_log_is_append_only_in_the_database(postgres_conninfo, store):
    save_zone(store, "Europe/Amsterdam")
    for statement in (
        "UPDATE {s}.audit SET workspace_id = 'other'",
        "DELETE FROM {s}.audit",
        "TRUNCATE {s}.audit",
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            raw(postgres_conninfo, store.schema, statement)
    assert len(store.audit_entries("ws")) == 1


# -- errors -------------------------------------------------------------------------------------


def test_text_postgresql_refuses_is_a_storage_error_and_nothing_is_written(store):
    with pytest.raises(StorageError) as caught:
        store.claim("ws:k", [item(1), item(2, text="a NUL \x00 byte")])
    assert "NUL" in str(caught.value)
    assert "a NUL" not in str(caught.value)  # the value itself is not quoted back
    assert store.claimed(["ws:k"]) == frozenset()
    assert store.items("ws") == ()
    with pytest.raises(StorageError):
        store.enqueue([item(3, subject="\ud800")])
    assert store.items("ws") == ()


def test_a_missing_table_is_a_storage_error(postgres_conninfo, store):
    raw(postgres_conninfo, store.schema, "DROP TABLE {s}.ledger")
    with pytest.raises(StorageError, match="cannot claim: UndefinedTable"):
        store.claim("ws:k", [item(1)])
    with pytest.raises(StorageError, match="cannot read the ledger"):
        store.claimed(["ws:k"])
    assert store.items("ws") == ()


def test_items_that_are_not_outbox_items_are_refused(store):
    with pytest.raises(StorageError, match="takes OutboxItem values, got dict"):
        store.enqueue([{"id": "x"}])
    with pytest.raises(ValidationError, match=r"item\.due_at"):
        store.enqueue([item(1, due_at=dt.datetime(2026, 1, 1))])
    with pytest.raises(ValidationError, match="now"):
        store.lease_due("ws", dt.datetime(2026, 1, 1), 1, lease_until=T0)


# -- instants -----------------------------------------------------------------------------------


def test_leases_and_due_times_use_the_instants_given_not_the_server_clock(store):
    """The server's clock says some day in the 2020s; the service's says 2090 or 1990."""
    far = dt.datetime(2090, 1, 1, tzinfo=dt.UTC)
    past = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
    store.enqueue([item(1, due_at=far), item(2, due_at=past)])
    (old,) = store.lease_due("ws", past, 10, lease_until=past + dt.timedelta(minutes=2))
    assert old.id == "ws:item:2"
    # At 1990 + 1 minute the lease still holds, however long ago 1990 is for the server.
    assert store.lease_due("ws", past + dt.timedelta(minutes=1), 10, lease_until=far) == ()
    later = far + dt.timedelta(days=1)
    (taken_over,) = store.lease_due("ws", past + dt.timedelta(minutes=2), 10, lease_until=later)
    assert taken_over.id == "ws:item:2"
    assert store.lease_due("ws", far - dt.timedelta(microseconds=1), 10, lease_until=far) == ()
    assert {i.id for i in store.lease_due("ws", far, 10, lease_until=far)} == {"ws:item:1"}


def test_instants_come_back_in_utc_whatever_the_server_zone(postgres_conninfo, schema):
    tokyo = f"{postgres_conninfo} options='-c TimeZone=Asia/Tokyo'"
    with PostgresStore(tokyo, schema=schema) as store:
        at = dt.datetime(2026, 3, 29, 2, 30, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        store.enqueue([item(1, due_at=at)])
        (got,) = store.items("ws")
        assert got.due_at == at
        assert got.due_at.utcoffset() == dt.timedelta(0)
        assert store.next_due_at("ws") == at


def test_a_save_through_another_store_is_seen_at_once(postgres_conninfo, store):
    with PostgresStore(postgres_conninfo, schema=store.schema) as other:
        save_zone(store, "Europe/Amsterdam")
        assert other.get_settings("ws").timezone == "Europe/Amsterdam"
        save_zone(other, "Asia/Tokyo")
        assert store.get_settings("ws").timezone == "Asia/Tokyo"
        assert store.get_settings("ws").version == 3


# -- rows corrupted underneath the store --------------------------------------------------------


def put_settings(conninfo: str, schema: str, workspace_id: str, doc: str) -> None:
    raw(
        conninfo,
        schema,
        "INSERT INTO {s}.settings VALUES (%s, 2, %s, %s) "
        "ON CONFLICT (workspace_id) DO UPDATE SET doc = excluded.doc",
        workspace_id,
        DOCUMENT_SCHEMA,
        doc,
    )


def good_settings(**changes: object) -> str:
    data = {**WorkspaceSettings().to_dict(), "timezone": "Europe/Amsterdam", **changes}
    return json.dumps(WorkspaceSettings.from_dict(data).to_dict())


@pytest.mark.parametrize(
    ("doc", "why"),
    # How far a 100,000-deep document gets depends on the interpreter's JSON decoder (3.11 and
    # 3.12 run out of stack while decoding it; 3.13 decodes it, and the loader refuses it).
    [
        (DEEP, ("RecursionError", "ValidationError")),
        ("[]", ("ValidationError",)),
        ('{"timezone": "Mars/X"}', ("Valid",)),
    ],
    ids=["deep", "not-an-object", "invalid"],
)
def test_unreadable_settings_name_their_row(postgres_conninfo, store, doc, why):
    put_settings(postgres_conninfo, store.schema, "ws", doc)
    put_settings(postgres_conninfo, store.schema, "other", good_settings())
    with pytest.raises(StorageError) as caught:
        store.get_settings("ws")
    assert "settings row workspace_id='ws': cannot be read" in str(caught.value)
    assert any(reason in str(caught.value) for reason in why)
    check_bounded(caught.value)
    assert store.get_settings("other").timezone == "Europe/Amsterdam"


def test_a_wrong_document_schema_names_the_row(postgres_conninfo, store):
    raw(postgres_conninfo, store.schema, "INSERT INTO {s}.settings VALUES ('ws', 2, 99, '{{}}')")
    with pytest.raises(StorageError, match=r"settings row workspace_id='ws': document schema 99"):
        store.get_settings("ws")


def test_unreadable_preferences_leave_the_other_members_readable(postgres_conninfo, store):
    good = json.dumps(MemberPreferences.from_dict({"overrides": {"mention": False}}).to_dict())
    for member, doc in (("anna", "[]"), ("bob", good), ("carl", DEEP)):
        raw(
            postgres_conninfo,
            store.schema,
            "INSERT INTO {s}.preferences VALUES ('ws', %s, 2, 1, %s)",
            member,
            doc,
        )
    with pytest.raises(UnreadableRowsError) as caught:
        store.all_preferences("ws")
    assert ["member_id='anna'" in str(e) for e in caught.value.errors] == [True, False]
    assert "member_id='carl'" in str(caught.value.errors[1])
    assert dict(caught.value.readable) == {"bob": store.get_preferences("ws", "bob")}
    with pytest.raises(StorageError, match="member_id='anna'"):
        store.get_preferences("ws", "anna")


@pytest.mark.parametrize("doc", ["{}", '{"at": "yesterday"}', "[1, 2]", DEEP])
def test_unreadable_audit_rows_name_their_seq(postgres_conninfo, store, doc):
    raw(
        postgres_conninfo,
        store.schema,
        "INSERT INTO {s}.audit (workspace_id, key, doc) VALUES ('ws', 'k', %s)",
        doc,
    )
    save_zone(store, "Europe/Amsterdam")
    with pytest.raises(UnreadableRowsError) as caught:
        store.audit_entries("ws")
    (error,) = caught.value.errors
    assert str(error).startswith("audit row seq=1: cannot be read")
    check_bounded(error)
    assert [e.version_after for e in caught.value.readable] == [2]


@pytest.mark.parametrize(
    ("column", "value"),
    [("kinds", "{NULL}"), ("channel", "pigeon"), ("status", "weird")],
)
def test_lease_due_and_items_report_an_unreadable_row_and_go_on(
    postgres_conninfo, store, column, value
):
    store.enqueue([item(1), item(2), item(3)])
    with psycopg.connect(postgres_conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("UPDATE {s}.outbox SET {c} = %s WHERE id = 'ws:item:2'").format(
                s=sql.Identifier(store.schema), c=sql.Identifier(column)
            ),
            (value,),
        )
    with pytest.raises(UnreadableRowsError) as caught:
        store.items("ws")
    assert [i.id for i in caught.value.readable] == ["ws:item:1", "ws:item:3"]
    if column == "status":
        return  # not pending: lease_due does not look at it
    lease = T0 + dt.timedelta(minutes=2)
    with pytest.raises(UnreadableRowsError) as caught:
        store.lease_due("ws", T0, 10, lease_until=lease)
    assert [i.id for i in caught.value.readable] == ["ws:item:1", "ws:item:3"]
    (error,) = caught.value.errors
    assert "outbox row id='ws:item:2': cannot be read" in str(error)
    check_bounded(error)
    # Leased with the rest: it comes back after the lease, not on every call.
    assert store.lease_due("ws", T0, 10, lease_until=lease) == ()
    assert store.mark_sent(caught.value.readable[0], T0)


# -- one service, three stores: the same ids and keys -------------------------------------------


class Host:
    def __init__(self) -> None:
        self.states = [
            ConversationState(
                id="c9",
                status=ConversationStatus.OPEN,
                created_at=T0 - dt.timedelta(hours=2),
                assignee=None,
                unassigned_since=T0 - dt.timedelta(hours=2),
            )
        ]

    def roster(self, workspace_id: str) -> Roster:
        return Roster([OLGA, ANNA])

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return self.states


def _story(store: PostgresStore | SqliteStore | InMemoryStore) -> tuple[Any, ...]:
    save_zone(store, "Europe/Amsterdam")
    host = Host()
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=host,
        clock=ManualClock(T0),
        transports={c: RecordingTransport() for c in Channel},
        conversations=host,
        jitter=lambda: 0.0,
    )
    service.handle(ConversationCreated(id="e1", conversation_id="c1"), send=False)
    report = service.tick()
    keys = [e.key for e in report.escalations]
    items = [
        (i.id, i.event_id, i.recipient, i.channel, i.status, i.due_at, i.attempts)
        for i in store.items("ws")
    ]
    return keys, sorted(store.claimed(keys)), items


def test_every_store_makes_the_same_outbox_ids_and_ledger_keys(postgres_conninfo, store, tmp_path):
    with SqliteStore(tmp_path / "s.sqlite3") as sqlite:
        stories = [_story(InMemoryStore()), _story(sqlite), _story(store)]
    assert stories[0] == stories[1] == stories[2]
    keys, claimed, items = stories[2]
    assert claimed == keys
    assert keys == [
        "ws:first_response:c9:escalation_first_response",
        "ws:first_response:c9:sla_breach",
        "ws:unassigned:c9:2026-03-30T08:00:00+00:00",
    ]
    assert [i[0] for i in items][:3] == [
        "ws:e1:olga:email",
        "ws:e1:anna:email",
        "ws:ws%3Afirst_response%3Ac9%3Aescalation_first_response:olga:email",
    ]
    assert len(items) == 6
    assert {i[4] for i in items} == {OutboxStatus.SENT}


# -- the guide ----------------------------------------------------------------------------------


def test_the_guide_runs(postgres_conninfo, monkeypatch):
    """docs/how-to/postgres.md's ``py`` blocks (tests/test_docs.py runs ``python`` blocks, which
    have no server), in order, in one namespace, with DATABASE_URL set to the test server."""
    page = ROOT / "docs" / "how-to" / "postgres.md"
    found = re.findall(
        r"^(<!-- not run: .*? -->\n)?```py\n(.*?)^```$",
        page.read_text(encoding="utf-8"),
        re.S | re.M,
    )
    # A block behind "<!-- not run: ... -->" needs what the test environment lacks (Celery).
    blocks = [code for marker, code in found if not marker]
    assert (len(found), len(blocks)) == (6, 5)
    monkeypatch.setenv("DATABASE_URL", postgres_conninfo)
    namespace: dict[str, Any] = {"__name__": "guide"}
    try:
        for block in blocks:
            exec(compile(block, str(page), "exec"), namespace)  # noqa: S102 -- our own page
        assert namespace["work_once"](namespace["workers"]) is None  # nothing left to do
        assert namespace["Command"].help.startswith("Send notifications")
    finally:
        if "store" in namespace:
            namespace["store"].close()
        drop_schema(postgres_conninfo, "notifpolicy")
