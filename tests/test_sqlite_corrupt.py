"""Rows corrupted underneath a real SqliteStore: each is a StorageError naming its row, and the
other rows, and the other phases of a tick, go on."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from pathlib import Path

import pytest

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
    WorkspaceSettings,
)
from notifpolicy._outbox import OutboxItem, OutboxStatus
from notifpolicy._saving import AuditEntry, FieldChange
from notifpolicy.adapters.sqlite import DOCUMENT_SCHEMA, SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock, RecordingTransport

T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)  # a Monday morning, no quiet hours
URL = "https://hooks.slack.com/services/T0/B0/SECRETPART"
DEEP = "[" * 100_000 + "]" * 100_000
OLGA = Member("olga", Role.OWNER, "Olga", channels=[Channel.EMAIL], email="olga@example.org")
ANNA = Member("anna", Role.AGENT, "Anna", channels=[Channel.EMAIL], email="anna@example.org")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "s.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(path) as s:
        yield s


def raw(path: Path, sql: str, *args: object) -> None:
    """Change the file underneath the store, as a bad migration or a hand edit would."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(sql, args)


def put_settings(path: Path, workspace_id: str, doc: str) -> None:
    raw(
        path,
        "INSERT OR REPLACE INTO settings (workspace_id, version, doc_schema, doc) "
        "VALUES (?, 2, ?, ?)",
        workspace_id,
        DOCUMENT_SCHEMA,
        doc,
    )


def settings_doc(**changes: object) -> str:
    data = {**WorkspaceSettings().to_dict(), "timezone": "Europe/Amsterdam", **changes}
    return json.dumps(WorkspaceSettings.from_dict(data).to_dict())


def item(n: int, *, channel: Channel = Channel.EMAIL, recipient: str = "anna") -> OutboxItem:
    return OutboxItem(
        id=f"ws:item:{n}",
        workspace_id="ws",
        event_id=f"e{n}",
        conversation_id=None,
        recipient=recipient,
        channel=channel,
        kinds=("new_conversation",),
        due_at=T0,
        subject=f"subject {n}",
        text="hello",
        body=json.dumps({"text": "hi"}) if channel is Channel.SLACK else None,
    )


def check_bounded(error: BaseException) -> None:
    text = str(error)
    assert len(text) < 600
    text.encode("utf-8")


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ("{", "JSONDecodeError"),
        (DEEP, "RecursionError"),
        ("[]", "ValidationError"),
        ('{"timezone": "Mars/Olympus"}', "ValidationError"),
    ],
    ids=["truncated", "deep", "not-an-object", "invalid"],
)
def test_unreadable_settings_name_their_row(path, store, doc, why):
    put_settings(path, "ws", doc)
    put_settings(path, "other", settings_doc())
    with pytest.raises(StorageError) as caught:
        store.get_settings("ws")
    assert "settings row workspace_id='ws'" in str(caught.value)
    assert why in str(caught.value)
    check_bounded(caught.value)
    assert store.get_settings("other").timezone == "Europe/Amsterdam"


def test_a_long_workspace_id_is_quoted_short(path, store):
    long_id = "w" * 10_000 + "\ud800"
    raw(
        path,
        "INSERT INTO settings (workspace_id, version, doc_schema, doc) VALUES (?, 2, 1, '{')",
        long_id.encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    )
    stored_id = long_id.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    with pytest.raises(StorageError) as caught:
        store.get_settings(stored_id)
    check_bounded(caught.value)
    assert "10001 chars" in str(caught.value) or "chars)" in str(caught.value)


def test_a_wrong_document_schema_names_the_row(path, store):
    raw(path, "INSERT INTO settings VALUES ('ws', 2, 99, '{}')")
    with pytest.raises(StorageError, match=r"settings row workspace_id='ws': document schema 99"):
        store.get_settings("ws")


def test_unreadable_preferences_leave_the_other_members_readable(path, store):
    good = json.dumps(MemberPreferences.from_dict({"overrides": {"mention": False}}).to_dict())
    for member, doc in (("anna", "{"), ("bob", good), ("carl", DEEP)):
        raw(path, "INSERT INTO preferences VALUES ('ws', ?, 2, 1, ?)", member, doc)
    with pytest.raises(UnreadableRowsError) as caught:
        store.all_preferences("ws")
    errors = caught.value.errors
    assert [type(e) for e in errors] == [StorageError, StorageError]
    assert "member_id='anna'" in str(errors[0])
    assert "member_id='carl'" in str(errors[1])
    assert dict(caught.value.readable) == {"bob": store.get_preferences("ws", "bob")}
    assert isinstance(caught.value, StorageError)
    check_bounded(caught.value)
    with pytest.raises(StorageError, match="member_id='anna'"):
        store.get_preferences("ws", "anna")


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        "ws", "olga", T0, "settings", n, n + 1, (FieldChange("timezone", "UTC", "Asia/Tokyo"),)
    )


@pytest.mark.parametrize(
    "doc",
    ["x", "{}", '{"at": "yesterday"}', "[1, 2]", DEEP],
    ids=["not-json", "empty", "bad-instant", "a-list", "deep"],
)
def test_unreadable_audit_rows_name_their_seq(path, store, doc):
    raw(path, "INSERT INTO audit (workspace_id, key, doc) VALUES ('ws', 'k-bad', ?)", doc)
    good = _entry(1)
    good_doc = {
        "workspace_id": "ws",
        "actor_id": "olga",
        "at": T0.isoformat(),
        "target": "settings",
        "version_before": 1,
        "version_after": 2,
        "changes": [["timezone", "UTC", "Asia/Tokyo"]],
    }
    raw(
        path,
        "INSERT INTO audit (workspace_id, key, doc) VALUES ('ws', 'k-good', ?)",
        json.dumps(good_doc),
    )
    with pytest.raises(UnreadableRowsError) as caught:
        store.audit_entries("ws")
    (error,) = caught.value.errors
    assert str(error).startswith("audit row seq=1: cannot be read")
    check_bounded(error)
    assert caught.value.readable == (good,)


def test_unreadable_outbox_rows_in_items(path, store):
    store.enqueue([item(1), item(2), item(3)])
    raw(path, "UPDATE outbox SET status = 'weird' WHERE id = 'ws:item:1'")
    raw(path, "UPDATE outbox SET kinds = 'x' WHERE id = 'ws:item:2'")
    with pytest.raises(UnreadableRowsError) as caught:
        store.items("ws")
    assert [str(e).split(":")[0] for e in caught.value.errors] == [
        "outbox row id='ws",
        "outbox row id='ws",
    ]
    assert "'ws:item:1'" in str(caught.value.errors[0])
    assert "'ws:item:2'" in str(caught.value.errors[1])
    assert [i.id for i in caught.value.readable] == ["ws:item:3"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("kinds", "x"),
        ("kinds", "{}"),
        ("kinds", DEEP),
        ("kinds", "[1]"),
        ("channel", "pigeon"),
        ("recipient", b"\xff"),
        ("attempts", "many"),
    ],
)
def test_lease_due_skips_an_unreadable_row_and_leases_it(path, store, column, value):
    store.enqueue([item(1), item(2), item(3)])
    raw(path, f"UPDATE outbox SET {column} = ? WHERE id = 'ws:item:2'", value)  # noqa: S608
    lease = T0 + dt.timedelta(minutes=2)
    with pytest.raises(UnreadableRowsError) as caught:
        store.lease_due("ws", T0, 10, lease_until=lease)
    assert [i.id for i in caught.value.readable] == ["ws:item:1", "ws:item:3"]
    assert all(i.leased_until == lease for i in caught.value.readable)
    (error,) = caught.value.errors
    assert "outbox row id='ws:item:2'" in str(error)
    check_bounded(error)
    # The bad row is leased with the rest: it comes back after the lease, not on every call.
    assert store.lease_due("ws", T0, 10, lease_until=lease) == ()
    assert store.mark_sent(caught.value.readable[0], T0)


class Host:
    def __init__(self, members: list[Member], states: list[ConversationState]) -> None:
        self.members = members
        self.states = states

    def roster(self, workspace_id: str) -> Roster:
        return Roster(self.members)

    def open_conversations(self, workspace_id: str) -> Iterable[ConversationState]:
        return self.states


def service_on(store: SqliteStore, states: list[ConversationState] | None = None):
    transports = {c: RecordingTransport() for c in Channel}
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=Host([OLGA, ANNA], states or []),
        clock=ManualClock(T0),
        transports=transports,
        conversations=Host([OLGA, ANNA], states or []),
        jitter=lambda: 0.0,
    )
    return service, transports


def unassigned(conversation_id: str) -> ConversationState:
    return ConversationState(
        id=conversation_id,
        status=ConversationStatus.OPEN,
        created_at=T0 - dt.timedelta(hours=2),
        assignee=None,
        unassigned_since=T0 - dt.timedelta(hours=2),
    )


def test_a_corrupt_outbox_row_does_not_stop_the_tick(path, store):
    put_settings(path, "ws", settings_doc())
    store.enqueue([item(1), item(2), item(3, recipient="olga")])
    raw(path, "UPDATE outbox SET kinds = ? WHERE id = 'ws:item:2'", DEEP)
    service, transports = service_on(store, [unassigned("c9")])
    report = service.tick(now=T0)
    # The other deliveries went out, the escalation phase ran, and the bad row is reported.
    assert set(report.sent) >= {"ws:item:1", "ws:item:3"}
    assert "ws:item:2" not in report.sent
    assert "escalation_unassigned" in [e.kind for e in report.escalations]
    (error,) = report.errors
    assert isinstance(error, StorageError)
    assert "outbox row id='ws:item:2'" in str(error)
    assert "RecursionError" in str(error)
    sent_ids = [d.item.id for d in transports[Channel.EMAIL].sent]
    assert "ws:item:1" in sent_ids
    assert "ws:item:2" not in sent_ids


def test_unreadable_settings_stop_the_decisions_not_the_outbox(path, store):
    put_settings(path, "ws", settings_doc(slack={"webhook_url": URL}))
    store.enqueue([item(1), item(2, channel=Channel.SLACK, recipient="slack")])
    put_settings(path, "ws", "{")
    service, transports = service_on(store, [unassigned("c9")])
    report = service.tick(now=T0)
    (error,) = report.errors
    assert "settings row workspace_id='ws'" in str(error)
    assert report.escalations == ()  # nothing is decided on settings nobody can read
    assert report.sent == ("ws:item:1",)  # what was decided is still sent
    assert transports[Channel.SLACK].sent == []  # Slack's URL is in the settings: it waits
    assert service.next_wake_at(now=T0) == T0  # the Slack item is still due
    with pytest.raises(StorageError, match="settings row"):
        service.handle(ConversationCreated(id="e9", conversation_id="c9"), now=T0)
    put_settings(path, "ws", settings_doc(slack={"webhook_url": URL}))  # an admin repairs it
    later = service.tick(now=T0 + dt.timedelta(seconds=1))
    assert "ws:item:2" in later.sent
    assert later.errors == ()


def test_unreadable_preferences_of_one_member_are_reported_and_the_others_decided(path, store):
    put_settings(path, "ws", settings_doc())
    raw(path, "INSERT INTO preferences VALUES ('ws', 'anna', 2, 1, '{')")
    service, transports = service_on(store, [unassigned("c9")])
    report = service.tick(now=T0)
    (error,) = report.errors
    assert "member_id='anna'" in str(error)
    # The escalation still went out; anna, whose row cannot be read, gets the defaults.
    assert "escalation_unassigned" in [e.kind for e in report.escalations]
    assert {d.item.recipient for d in transports[Channel.EMAIL].sent} >= {"olga"}


def test_an_unreadable_held_item_costs_only_its_own_catch_up(path, store):
    put_settings(path, "ws", settings_doc(quiet_hours={"enabled": True, "mode": "summarize"}))
    service, transports = service_on(store)
    night = dt.datetime(2026, 3, 30, 21, 30, tzinfo=dt.UTC)  # 23:30 in Amsterdam
    for n in range(3):
        service.handle(ConversationCreated(id=f"e{n}", conversation_id=f"c{n}"), now=night)
    held = [i for i in store.items("ws") if i.status is OutboxStatus.HELD]
    assert {i.recipient for i in held} == {"olga", "anna"}
    anna = sorted(i.id for i in held if i.recipient == "anna")
    raw(path, "UPDATE outbox SET body = '{' WHERE id = ?", anna[0])
    raw(path, "UPDATE outbox SET body = ? WHERE id = ?", DEEP, anna[1])
    raw(path, "UPDATE outbox SET kinds = 'x' WHERE id = ?", anna[2])
    end = dt.datetime(2026, 3, 31, 6, 0, tzinfo=dt.UTC)  # 08:00 in Amsterdam
    report = service.tick(now=end)
    messages = sorted(str(e) for e in report.errors)
    assert len(messages) == 3
    assert all(any(a in m for a in anna) for m in messages)
    for error in report.errors:
        check_bounded(error)
    # Olga's catch-up is whole; anna's records cannot be read, so she has none.
    assert [c.member_id for c in report.catchups] == ["olga"]
    assert [d.item.recipient for d in transports[Channel.EMAIL].sent] == ["olga"]
    assert "3 new conversations" in transports[Channel.EMAIL].sent[0].item.text


class _PlainErrorStore(InMemoryStore):
    """A host's store that reports a bad preferences table with a plain StorageError."""

    def all_preferences(self, workspace_id: str) -> Mapping[str, MemberPreferences]:
        raise StorageError("preferences table: cannot be read")


def test_a_plain_storage_error_stops_the_decisions_not_the_outbox():
    store = _PlainErrorStore()
    store.enqueue([item(1)])
    transports = {c: RecordingTransport() for c in Channel}
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=Host([OLGA, ANNA], []),
        clock=ManualClock(T0),
        transports=transports,
        conversations=Host([OLGA, ANNA], [unassigned("c9")]),
    )
    report = service.tick(now=T0)
    assert [str(e) for e in report.errors] == ["preferences table: cannot be read"]
    assert report.escalations == ()
    assert report.sent == ("ws:item:1",)
    with pytest.raises(StorageError, match="preferences table"):
        service.handle(ConversationCreated(id="e9", conversation_id="c9"), now=T0)
