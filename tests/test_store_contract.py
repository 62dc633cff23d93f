"""One contract for every store implementation: the in-memory fake, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifpolicy import (
    Channel,
    ConflictError,
    Kind,
    KindRegistry,
    Member,
    MemberPreferences,
    Recipients,
    Role,
    StorageError,
    ValidationError,
    WorkspaceSettings,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy._outbox import OutboxItem, OutboxMark, OutboxStats, OutboxStatus
from notifpolicy.adapters.postgres import PostgresStore
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.ports import (
    AuditLog,
    Ledger,
    Outbox,
    OutboxAdmin,
    PreferencesStore,
    SettingsStore,
    WakeUps,
)
from notifpolicy.testing.fakes import InMemoryStore
from tests._postgres import drop_schema, fresh_schema

_RUNS = itertools.count()
T0 = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)
ADMIN = Member("adam", Role.ADMIN)
ANNA = Member("anna", Role.AGENT)
URL = "https://hooks.slack.com/services/T1/B1/SECRET"


AnyStore = InMemoryStore | SqliteStore | PostgresStore
Opener = Callable[..., AnyStore]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores of one kind with the given options (kinds, webhook hosts), all closed and
    cleaned up afterwards."""
    opened: list[SqliteStore | PostgresStore] = []
    schemas: list[str] = []
    conninfo = request.getfixturevalue("postgres_conninfo") if request.param == "postgres" else ""

    def open_one(**options: Any) -> AnyStore:
        if request.param == "memory":
            return InMemoryStore()
        if request.param == "sqlite":
            opened.append(SqliteStore(tmp_path / f"store{len(opened)}.sqlite3", **options))
        else:
            schemas.append(fresh_schema())
            opened.append(PostgresStore(conninfo, schema=schemas[-1], **options))
        return opened[-1]

    try:
        yield open_one
    finally:
        for s in opened:
            s.close()
        for schema in schemas:
            drop_schema(conninfo, schema)


@pytest.fixture
def store(open_store: Opener) -> AnyStore:
    return open_store()


def item(
    n: int, *, ws: str = "ws", due: dt.datetime = T0, status: OutboxStatus = OutboxStatus.PENDING
) -> OutboxItem:
    return OutboxItem(
        id=f"{ws}:item:{n}",
        workspace_id=ws,
        event_id=f"e{n}",
        conversation_id=f"c{n}",
        recipient="anna",
        channel=Channel.EMAIL,
        kinds=("mention",),
        due_at=due,
        status=status,
        subject=f"subject {n}",
        text="hello <b>",
        html="<p>hello</p>",
    )


L = T0 + dt.timedelta(hours=6)  # a lease far enough out for these tests


def test_a_lease_hides_items_from_other_workers_until_it_runs_out(store):
    store.enqueue(
        [item(1), item(2), attrs.evolve(item(3), channel=Channel.SLACK, recipient="slack")]
    )
    lease = T0 + dt.timedelta(minutes=2)
    first = store.lease_due("ws", T0, 10, lease_until=lease, channels=[Channel.EMAIL])
    assert [i.id for i in first] == ["ws:item:1", "ws:item:2"]
    assert first[0].due_at == T0  # returned as it was
    assert store.lease_due("ws", T0, 10, lease_until=lease, channels=[Channel.EMAIL]) == ()
    assert store.next_due_at("ws", channels=[Channel.EMAIL]) == lease
    assert store.next_due_at("ws", channels=[Channel.SLACK]) == T0
    (slack,) = store.lease_due("ws", T0, 10, lease_until=lease)
    assert slack.channel is Channel.SLACK
    assert slack.leased_until == lease
    assert store.mark_sent(first[0], T0)
    # The worker holding item 2 crashed: it is due again when the lease runs out.
    assert [i.id for i in store.lease_due("ws", lease, 10, lease_until=L)] == [
        "ws:item:2",
        "ws:item:3",
    ]


def test_a_claim_with_a_bad_item_writes_nothing(store):
    naive = attrs.evolve(item(1), due_at=dt.datetime(2026, 1, 1))
    with pytest.raises((ValidationError, StorageError)):
        store.claim("ws:k", [item(2), naive])
    assert store.claimed(["ws:k"]) == frozenset()
    assert store.items("ws") == ()
    assert store.claim("ws:k", [item(2)])


def test_host_kinds_and_webhook_hosts_survive_the_round_trip(open_store):
    kinds = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True)
    )
    hosts = ["hooks.example.org"]
    store = open_store(kinds=kinds, extra_webhook_hosts=hosts)
    result = save_workspace_settings(
        WorkspaceSettings(),
        {
            "defaults": {"refund_requested": False},
            "slack": {"webhook_url": "https://hooks.example.org/services/T/B"},
            "version": 1,
        },
        actor=ADMIN,
        workspace_id="ws",
        now=T0,
        kinds=kinds,
        extra_webhook_hosts=hosts,
    )
    assert result.audit is not None
    store.save_settings(result.value, result.audit)
    assert store.get_settings("ws") == result.value
    prefs = save_member_preferences(
        MemberPreferences(),
        {"overrides": {"refund_requested": False}, "version": 1},
        actor=ANNA,
        member_id="anna",
        workspace_id="ws",
        now=T0,
        kinds=kinds,
    )
    assert prefs.audit is not None
    store.save_preferences("anna", prefs.value, prefs.audit)
    assert store.get_preferences("ws", "anna") == prefs.value


def test_text_a_database_cannot_store_is_a_storage_error(store):
    bad = attrs.evolve(item(1), subject="half a surrogate \ud800")
    with pytest.raises(StorageError):
        store.enqueue([bad]) if not isinstance(store, InMemoryStore) else _raise_storage()
    assert store.items("ws") == ()


def _raise_storage() -> None:
    raise StorageError("the in-memory store keeps any str")


def test_implements_every_store_port(store):
    for port in (SettingsStore, PreferencesStore, AuditLog, Ledger, Outbox, WakeUps, OutboxAdmin):
        assert isinstance(store, port)


def test_settings_default_save_conflict_and_audit(store):
    assert store.get_settings("ws") == WorkspaceSettings()
    first = save_workspace_settings(
        store.get_settings("ws"),
        {"version": 1, "slack": {"webhook_url": URL}, "quiet_hours": {"enabled": True}},
        actor=ADMIN,
        workspace_id="ws",
        now=T0,
    )
    assert first.audit is not None
    store.save_settings(first.value, first.audit)
    assert store.get_settings("ws") == first.value
    assert store.get_settings("other") == WorkspaceSettings()
    # A second save based on version 1 (made before the first landed) conflicts.
    stale = save_workspace_settings(
        WorkspaceSettings(),
        {"version": 1, "timezone": "Asia/Tokyo"},
        actor=ADMIN,
        workspace_id="ws",
        now=T0,
    )
    assert stale.audit is not None
    with pytest.raises(ConflictError):
        store.save_settings(stale.value, stale.audit)
    assert store.get_settings("ws") == first.value
    assert store.audit_entries("ws") == (first.audit,)
    assert "SECRET" not in repr(store.audit_entries("ws"))


def test_audit_keys_of_workspace_and_member_ids_with_colons_do_not_collide(store):
    # Unescaped, both entries' keys were "a:audit:member_preferences:b:audit:workspace_settings:v2"
    # and the audit tables' unique key refused the second save.
    odd = "a:audit:member_preferences:b"
    settings = save_workspace_settings(
        store.get_settings(odd), {"version": 1, "timezone": "Asia/Tokyo"}, actor=ADMIN,
        workspace_id=odd, now=T0,
    )  # fmt: skip
    member = Member("b:audit:workspace_settings", Role.AGENT)
    prefs = save_member_preferences(
        store.get_preferences("a", member.id), {"version": 1, "overrides": {"mention": False}},
        actor=member, member_id=member.id, workspace_id="a", now=T0,
    )  # fmt: skip
    assert settings.audit is not None
    assert prefs.audit is not None
    assert settings.audit.key != prefs.audit.key
    store.save_settings(settings.value, settings.audit)
    store.save_preferences(member.id, prefs.value, prefs.audit)
    assert store.audit_entries(odd) == (settings.audit,)
    assert store.audit_entries("a") == (prefs.audit,)


def test_settings_version_must_match_the_audit(store):
    result = save_workspace_settings(
        WorkspaceSettings(),
        {"version": 1, "timezone": "Asia/Tokyo"},
        actor=ADMIN,
        workspace_id="ws",
        now=T0,
    )
    assert result.audit is not None
    with pytest.raises(StorageError):
        store.save_settings(WorkspaceSettings(version=7), result.audit)
    assert store.audit_entries("ws") == ()


def test_preferences_round_trip_and_conflict(store):
    assert store.get_preferences("ws", "anna") == MemberPreferences()
    result = save_member_preferences(
        MemberPreferences(),
        {"overrides": {"mention": {"push": False}}, "version": 1},
        actor=ANNA,
        member_id="anna",
        workspace_id="ws",
        now=T0,
    )
    assert result.audit is not None
    store.save_preferences("anna", result.value, result.audit)
    assert store.get_preferences("ws", "anna") == result.value
    assert store.all_preferences("ws") == {"anna": result.value}
    assert store.all_preferences("other") == {}
    with pytest.raises(ConflictError):
        store.save_preferences("anna", result.value, result.audit)
    assert store.audit_entries("ws") == (result.audit,)


def test_claim_is_once_with_its_items(store):
    assert store.claim("ws:k1", [item(1), item(2)])
    assert not store.claim("ws:k1", [item(3)])
    assert [i.id for i in store.items("ws")] == ["ws:item:1", "ws:item:2"]
    assert store.claimed(["ws:k1", "ws:k2"]) == {"ws:k1"}
    assert store.claim("ws:k2", [])
    assert store.claimed(f"ws:k{n}" for n in range(1000)) == {"ws:k1", "ws:k2"}


def test_enqueue_is_idempotent_by_id(store):
    store.enqueue([item(1)])
    store.enqueue([item(1), item(2)])
    assert len(store.items("ws")) == 2
    assert store.items("ws")[0] == item(1)


def test_due_next_and_marks(store):
    store.enqueue(
        [
            item(1, due=T0 + dt.timedelta(minutes=5)),
            item(2, due=T0),
            item(3, due=T0 + dt.timedelta(hours=1)),
            item(4, ws="other"),
        ]
    )
    assert store.next_due_at("ws") == T0
    (two,) = store.lease_due("ws", T0 + dt.timedelta(minutes=5), 1, lease_until=L)
    assert two.id == "ws:item:2"
    (one,) = store.lease_due("ws", T0 + dt.timedelta(minutes=5), 10, lease_until=L)
    assert one.id == "ws:item:1"
    (three,) = store.lease_due("ws", T0 + dt.timedelta(hours=1), 10, lease_until=L)
    assert store.mark_sent(two, T0)
    assert store.mark_retry(one, T0 + dt.timedelta(minutes=30), "HTTP 500")
    assert store.mark_failed(three, "HTTP 404: the webhook was revoked")
    by_id = {i.id: i for i in store.items("ws")}
    assert by_id["ws:item:2"].status is OutboxStatus.SENT
    assert by_id["ws:item:2"].attempts == 1
    assert by_id["ws:item:1"].status is OutboxStatus.PENDING
    assert by_id["ws:item:1"].due_at == T0 + dt.timedelta(minutes=30)
    assert by_id["ws:item:1"].last_error == "HTTP 500"
    assert by_id["ws:item:3"].status is OutboxStatus.FAILED
    assert by_id["ws:item:3"].last_error == "HTTP 404: the webhook was revoked"
    assert store.next_due_at("ws") == T0 + dt.timedelta(minutes=30)
    assert store.lease_due("ws", T0 + dt.timedelta(minutes=29), 10, lease_until=L) == ()
    with pytest.raises(StorageError, match="does not exist"):
        store.mark_sent(attrs.evolve(two, id="ws:nope"), T0)
    with pytest.raises(StorageError, match="lease_due"):
        store.mark_sent(item(1), T0)  # not leased: no lease to check
    (again,) = store.lease_due("ws", T0 + dt.timedelta(minutes=30), 10, lease_until=L)
    assert again.attempts == 1
    assert store.mark_sent(again, T0)
    assert store.next_due_at("ws") is None


def test_a_lapsed_lease_cannot_record_over_the_next_worker(store):
    store.enqueue([item(1)])
    first_lease = T0 + dt.timedelta(seconds=2)
    (mine,) = store.lease_due("ws", T0, 10, lease_until=first_lease)
    # The lease ran out before worker A recorded anything; worker B takes the item over.
    (theirs,) = store.lease_due("ws", first_lease, 10, lease_until=first_lease + (L - T0))
    assert theirs.leased_until != mine.leased_until
    # A's outcomes are refused, each a no-op reported as False, in the same write.
    assert store.mark_sent(mine, first_lease) is False
    assert store.mark_retry(mine, L, "late") is False
    assert store.mark_failed(mine, "late") is False
    (held,) = store.items("ws")
    assert (held.status, held.attempts, held.due_at) == (
        OutboxStatus.PENDING,
        0,
        theirs.leased_until,
    )
    # B holds it and records; then nobody can record again under either lease.
    assert store.mark_sent(theirs, first_lease) is True
    assert store.mark_sent(theirs, first_lease) is False
    assert store.mark_failed(mine, "late") is False
    (done,) = store.items("ws")
    assert (done.status, done.attempts) == (OutboxStatus.SENT, 1)


def test_a_lapsed_lease_nobody_took_may_still_record(store):
    store.enqueue([item(1)])
    (mine,) = store.lease_due("ws", T0, 10, lease_until=T0 + dt.timedelta(seconds=2))
    # Late, but no other worker holds the item: the outcome is recorded.
    assert store.mark_sent(mine, T0 + dt.timedelta(minutes=5))
    assert store.items("ws")[0].status is OutboxStatus.SENT


def test_after_a_retry_the_old_lease_is_spent(store):
    store.enqueue([item(1)])
    (first,) = store.lease_due("ws", T0, 10, lease_until=T0 + dt.timedelta(seconds=2))
    # The retry lands exactly on the old lease's instant: attempts still tell them apart.
    assert store.mark_retry(first, T0 + dt.timedelta(seconds=2), "HTTP 500")
    assert store.mark_sent(first, T0) is False
    (second,) = store.lease_due("ws", T0 + dt.timedelta(seconds=2), 10, lease_until=L)
    assert second.attempts == 1
    assert store.mark_sent(second, T0)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(["lease", "sent", "retry"])),
        max_size=30,
    )
)
def test_only_the_current_lease_holder_records(store, steps):
    """Two workers lease and record in any order; a record lands only under the lease the
    store holds now, and at most one record lands per lease."""
    n = next(_RUNS)
    store.enqueue([item(n)])
    clock = T0
    held: dict[str, OutboxItem] = {}
    current: dt.datetime | None = None  # the lease the store holds the item under
    for worker, step in steps:
        clock += dt.timedelta(seconds=3)
        if step == "lease":
            got = [
                i
                for i in store.lease_due("ws", clock, 1000, lease_until=clock + (L - T0))
                if i.id == f"ws:item:{n}"
            ]
            if got:
                held[worker] = got[0]
                current = got[0].leased_until
            continue
        mine = held.get(worker)
        if mine is None:
            continue
        if step == "sent":
            recorded = store.mark_sent(mine, clock)
        else:
            recorded = store.mark_retry(mine, clock, "x")
        assert recorded == (mine.leased_until == current)
        if recorded:
            current = None
    assert sum(i.status is OutboxStatus.SENT for i in store.items("ws")) <= n + 1


def test_held_items_by_window(store):
    store.enqueue(
        [
            item(1, due=T0, status=OutboxStatus.HELD),
            item(2, due=T0 + dt.timedelta(hours=2), status=OutboxStatus.HELD),
            item(3, due=T0 + dt.timedelta(hours=1)),
        ]
    )
    assert [i.id for i in store.held("ws", T0, T0 + dt.timedelta(hours=2))] == ["ws:item:1"]
    assert store.next_held_at("ws", T0 - dt.timedelta(microseconds=1)) == T0
    assert store.next_held_at("ws", T0) == T0 + dt.timedelta(hours=2)
    assert store.next_held_at("ws", T0 + dt.timedelta(hours=2)) is None
    assert store.next_held_at("other", T0 - dt.timedelta(days=1)) is None
    pending = store.items("ws")[2]
    assert store.lease_due("ws", T0 + dt.timedelta(days=1), 10, lease_until=L) == (
        attrs.evolve(pending, leased_until=L),
    )


def test_instants_keep_microseconds_across_zones(store):
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 10, 25, 2, 30, 0, 123457, tzinfo=amsterdam)
    store.enqueue([item(1, due=at)])
    (got,) = store.items("ws")
    assert got.due_at == at
    assert store.lease_due("ws", at - dt.timedelta(microseconds=1), 1, lease_until=L) == ()
    assert len(store.lease_due("ws", at, 1, lease_until=L)) == 1


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 20), max_size=40))
def test_every_key_is_claimed_exactly_once(store, keys):
    prefix = f"ws:{next(_RUNS)}:"  # the store outlives the examples: a fresh key space for each
    wins = [store.claim(f"{prefix}{k}", []) for k in keys]
    seen: set[int] = set()
    for k, won in zip(keys, wins, strict=True):
        assert won == (k not in seen)
        seen.add(k)


def test_an_unsubscribe_url_survives_the_round_trip(store):
    url = "https://desk.example/digests/off?m=anna&k=weekly_report"
    store.enqueue([attrs.evolve(item(1), unsubscribe_url=url), item(2)])
    by_id = {i.id: i for i in store.items("ws")}
    assert by_id["ws:item:1"].unsubscribe_url == url
    assert by_id["ws:item:2"].unsubscribe_url is None


# -- wake-ups ----------------------------------------------------------------------------------

M = dt.timedelta(minutes=1)


def _settings_save(store: AnyStore, ws: str, at: dt.datetime) -> None:
    current = store.get_settings(ws)
    result = save_workspace_settings(
        current,
        {"version": current.version, "timezone": "Asia/Tokyo"},
        actor=ADMIN,
        workspace_id=ws,
        now=at,
    )
    assert result.audit is not None
    store.save_settings(result.value, result.audit)


def test_a_store_starts_with_no_wake_ups(store):
    assert store.earliest_wake_at() is None
    assert store.due_workspaces(T0 + dt.timedelta(days=999), 10, lease_until=L) == ()


def test_enqueued_work_wakes_its_workspace_and_a_worker_takes_it(store):
    store.enqueue([item(1, due=T0 + 5 * M), item(2, due=T0 + 9 * M), item(3, ws="b", due=T0)])
    assert store.earliest_wake_at() == T0
    (b,) = store.due_workspaces(T0, 10, lease_until=T0 + 2 * M)
    assert (b.workspace_id, b.wake_at) == ("b", T0)
    # Taken: hidden from the other workers until its lease runs out.
    assert store.due_workspaces(T0 + M, 10, lease_until=L) == ()
    assert store.earliest_wake_at() == T0 + 2 * M
    store.set_wake_at("b", None, generation=b.generation)  # its tick found nothing more
    (ws,) = store.due_workspaces(T0 + 5 * M, 10, lease_until=L)
    assert (ws.workspace_id, ws.wake_at) == ("ws", T0 + 5 * M)
    store.set_wake_at("ws", T0 + 9 * M, generation=ws.generation)
    assert store.earliest_wake_at() == T0 + 9 * M
    assert store.due_workspaces(T0 + 8 * M, 10, lease_until=L) == ()
    assert [w.workspace_id for w in store.due_workspaces(T0 + 9 * M, 10, lease_until=L)] == ["ws"]


def test_due_workspaces_come_earliest_first_and_at_most_limit(store):
    for n, minutes in enumerate([7, 3, 5, 1]):
        store.wake(f"w{n}", T0 + minutes * M)
    first = store.due_workspaces(T0 + 6 * M, 2, lease_until=L)
    assert [(w.workspace_id, w.wake_at) for w in first] == [("w3", T0 + M), ("w1", T0 + 3 * M)]
    assert [w.workspace_id for w in store.due_workspaces(T0 + 6 * M, 5, lease_until=L)] == ["w2"]
    assert store.due_workspaces(T0 + 6 * M, 0, lease_until=L) == ()


def test_work_that_arrives_during_a_tick_keeps_its_earlier_wake_up(store):
    store.wake("ws", T0)
    (taken,) = store.due_workspaces(T0, 10, lease_until=T0 + 2 * M)
    # While the worker ticks, an app server records a delivery due now...
    store.enqueue([item(1, due=T0 + M)])
    # ...and the worker, which computed its next wake-up before that, writes a later one.
    store.set_wake_at("ws", T0 + dt.timedelta(hours=1), generation=taken.generation)
    assert store.earliest_wake_at() == T0 + M
    # Nothing pending by the worker's count does not hide it either.
    store.set_wake_at("ws", None, generation=taken.generation)
    assert store.earliest_wake_at() == T0 + M
    (again,) = store.due_workspaces(T0 + M, 10, lease_until=L)
    assert again.generation != taken.generation


def test_writes_that_bring_work_lower_the_wake_up(store):
    store.wake("ws", T0 + dt.timedelta(hours=5))
    assert store.claim("ws:k", [item(1, due=T0 + dt.timedelta(hours=4))])
    assert store.earliest_wake_at() == T0 + dt.timedelta(hours=4)
    assert not store.claim("ws:k", [item(2, due=T0)])  # a lost claim writes nothing
    assert store.earliest_wake_at() == T0 + dt.timedelta(hours=4)
    store.enqueue([item(3, due=T0 + dt.timedelta(hours=3), status=OutboxStatus.HELD)])
    assert store.earliest_wake_at() == T0 + dt.timedelta(hours=3)  # a catch-up then
    (leased,) = store.lease_due("ws", T0 + dt.timedelta(hours=4), 1, lease_until=L)
    assert store.mark_retry(leased, T0 + dt.timedelta(hours=2), "HTTP 500")
    assert store.earliest_wake_at() == T0 + dt.timedelta(hours=2)
    _settings_save(store, "ws", T0 + M)  # new settings apply at once
    assert store.earliest_wake_at() == T0 + M
    store.wake("ws", T0 + dt.timedelta(days=1))  # a later wake never raises it
    assert store.earliest_wake_at() == T0 + M


def test_a_worker_that_stops_gives_its_items_back(store):
    store.enqueue([item(1, due=T0), item(2, due=T0)])
    one, two = store.lease_due("ws", T0, 10, lease_until=L)
    assert store.mark_sent(one, T0)
    (taken,) = store.due_workspaces(T0, 1, lease_until=L)
    store.set_wake_at("ws", None, generation=taken.generation)
    assert store.release(two)
    (back,) = [i for i in store.items("ws") if i.id == two.id]
    assert (back.status, back.due_at, back.attempts) == (OutboxStatus.PENDING, T0, 0)
    assert store.earliest_wake_at() == T0
    assert store.release(two) is False  # the lease is spent
    assert store.release(one) is False  # recorded already
    (again,) = store.lease_due("ws", T0, 10, lease_until=L)
    assert again.id == two.id
    assert store.mark_sent(again, T0)


def test_a_settings_save_that_conflicts_leaves_the_wake_up(store):
    _settings_save(store, "ws", T0 + 5 * M)
    (taken,) = store.due_workspaces(T0 + 5 * M, 1, lease_until=L)
    store.set_wake_at("ws", None, generation=taken.generation)
    stale = save_workspace_settings(
        WorkspaceSettings(),
        {"version": 1, "timezone": "Europe/Paris"},
        actor=ADMIN,
        workspace_id="ws",
        now=T0,
    )
    assert stale.audit is not None
    with pytest.raises(ConflictError):
        store.save_settings(stale.value, stale.audit)
    assert store.earliest_wake_at() is None


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("enqueue"), st.integers(0, 6)),
            st.tuples(st.just("take"), st.integers(0, 6)),
            st.tuples(st.just("finish"), st.integers(0, 3)),
        ),
        max_size=25,
    )
)
def test_no_wake_up_is_ever_lost(open_store, steps):
    """Workers take the workspace, compute its next wake-up from what they saw, and write it
    later, while deliveries keep arriving: the stored wake-up is never later than a pending
    delivery that the writing worker did not see."""
    store = open_store()  # a fresh one: the wake-ups are the whole store's
    try:
        _no_wake_up_is_lost(store, steps)
    finally:
        if not isinstance(store, InMemoryStore):
            store.close()


def _no_wake_up_is_lost(store: AnyStore, steps: list[tuple[str, int]]) -> None:
    ws = "ws"
    clock = T0
    pending: dict[str, dt.datetime] = {}  # what is in the outbox (no sends here)
    seen: list[tuple[int, dict[str, dt.datetime]]] = []  # workers: generation, their snapshot
    n = 0
    for step, minutes in steps:
        if step == "enqueue":
            n += 1
            due = T0 + minutes * M
            store.enqueue([attrs.evolve(item(n, ws=ws, due=due))])
            pending[f"{ws}:item:{n}"] = due
        elif step == "take":
            clock = max(clock, T0 + minutes * M)
            for taken in store.due_workspaces(clock, 1, lease_until=clock + 2 * M):
                assert taken.workspace_id == ws
                seen.append((taken.generation, dict(pending)))
        elif seen:
            generation, snapshot = seen.pop(minutes % len(seen))
            store.set_wake_at(ws, min(snapshot.values(), default=None), generation=generation)
        stored = store.earliest_wake_at()
        if pending and not seen:
            # Every worker has written what it computed: none of them hid a delivery it did
            # not see behind a later wake-up.
            assert stored is not None
            assert stored <= min(pending.values())
        elif pending:
            assert stored is not None  # a worker holds it, under a lease that runs out


# -- recording several outcomes at once, and recording with the lease ---------------------------


def test_record_writes_every_outcome_in_one_go_each_under_its_lease(store):
    store.enqueue([item(5, due=T0 - M)] + [item(n) for n in range(1, 5)])
    (five,) = store.lease_due("ws", T0 - M, 10, lease_until=T0 + M)
    one, two, three, four = store.lease_due("ws", T0, 10, lease_until=L)
    # Five's lease lapses and another worker takes it over before the outcomes are written.
    (five_again,) = store.lease_due("ws", T0 + M, 10, lease_until=L + M)
    retry_at = T0 + dt.timedelta(hours=1)
    marks = [
        OutboxMark(one, OutboxStatus.SENT),
        OutboxMark(two, OutboxStatus.PENDING, "HTTP 503", retry_at),
        OutboxMark(three, OutboxStatus.FAILED, "HTTP 404"),
        OutboxMark(four, OutboxStatus.SENT),
        OutboxMark(five, OutboxStatus.SENT),
    ]
    assert store.record(marks) == (True, True, True, True, False)
    by_id = {i.id: i for i in store.items("ws")}
    assert (by_id[one.id].status, by_id[one.id].attempts) == (OutboxStatus.SENT, 1)
    assert (by_id[two.id].status, by_id[two.id].due_at, by_id[two.id].last_error) == (
        OutboxStatus.PENDING,
        retry_at,
        "HTTP 503",
    )
    assert (by_id[three.id].status, by_id[three.id].last_error) == (OutboxStatus.FAILED, "HTTP 404")
    assert (by_id[five.id].status, by_id[five.id].due_at) == (OutboxStatus.PENDING, L + M)
    assert store.record([OutboxMark(one, OutboxStatus.SENT)]) == (False,)  # recorded already
    assert store.record([OutboxMark(five_again, OutboxStatus.SENT)]) == (True,)
    assert store.record([]) == ()


def test_record_refuses_an_unknown_or_unleased_item_and_writes_nothing(store):
    store.enqueue([item(1), item(2)])
    one, two = store.lease_due("ws", T0, 10, lease_until=L)
    ghost = attrs.evolve(two, id="ws:ghost")
    with pytest.raises(StorageError, match="does not exist"):
        store.record([OutboxMark(one, OutboxStatus.SENT), OutboxMark(ghost, OutboxStatus.SENT)])
    with pytest.raises(StorageError, match="lease_due"):
        store.record([OutboxMark(one, OutboxStatus.SENT), OutboxMark(item(2), OutboxStatus.SENT)])
    assert {i.status for i in store.items("ws")} == {OutboxStatus.PENDING}
    assert store.record([OutboxMark(one, OutboxStatus.SENT)]) == (True,)


def test_a_mark_says_what_it_records():
    leased = attrs.evolve(item(1), leased_until=L)
    with pytest.raises(ValueError, match="held"):
        OutboxMark(leased, OutboxStatus.HELD)
    with pytest.raises(ValueError, match="retry_at"):
        OutboxMark(leased, OutboxStatus.PENDING, "HTTP 500")
    with pytest.raises(ValueError, match="retry_at"):
        OutboxMark(leased, OutboxStatus.SENT, retry_at=L)


def test_lease_due_can_enqueue_first_in_the_same_write(store):
    store.enqueue([item(1, due=T0 - M)])
    taken = store.lease_due(
        "ws", T0, 10, lease_until=L, enqueue=[item(2), item(3, due=T0 + dt.timedelta(hours=1))]
    )
    assert [i.id for i in taken] == ["ws:item:1", "ws:item:2"]
    assert all(i.leased_until == L for i in taken)
    assert taken[1] == attrs.evolve(item(2), leased_until=L)
    assert len(store.items("ws")) == 3
    assert store.earliest_wake_at() is not None
    # An id that is there already is left as it is, and leased as stored.
    assert store.record([OutboxMark(taken[1], OutboxStatus.SENT)]) == (True,)
    again = store.lease_due(
        "ws", T0 + dt.timedelta(hours=1), 10, lease_until=L + M, enqueue=[item(2), item(4)]
    )
    assert [(i.id, i.attempts) for i in again] == [("ws:item:4", 0), ("ws:item:3", 0)]
    assert {i.id: i.status for i in store.items("ws")}["ws:item:2"] is OutboxStatus.SENT


# -- operating it ---------------------------------------------------------------------------------


def _fail(store: AnyStore, items: list[OutboxItem], error: str = "HTTP 404") -> None:
    store.enqueue(items)
    for ws in {i.workspace_id for i in items}:
        for leased in store.lease_due(ws, T0, 100, lease_until=L):
            assert store.mark_failed(leased, error)


def test_failed_items_are_listed_oldest_first_per_workspace_or_all(store):
    _fail(store, [item(1), item(2), item(3, ws="b")])
    store.enqueue([item(4)])  # pending: not listed
    assert [i.id for i in store.failed_items("ws")] == ["ws:item:1", "ws:item:2"]
    assert [i.id for i in store.failed_items()] == ["ws:item:1", "ws:item:2", "b:item:3"]
    assert [i.id for i in store.failed_items(limit=1)] == ["ws:item:1"]
    assert store.failed_items(limit=0) == ()
    assert store.failed_items("other") == ()
    assert {i.last_error for i in store.failed_items()} == {"HTTP 404"}


def test_a_requeued_item_is_sent_again_with_a_full_round_of_retries(store):
    _fail(store, [item(1), item(2)])
    later = T0 + dt.timedelta(hours=3)
    (taken,) = store.due_workspaces(T0, 1, lease_until=T0 + M)
    store.set_wake_at("ws", None, generation=taken.generation)
    assert store.requeue("ws", "ws:item:1", now=later) is True
    (back,) = [i for i in store.items("ws") if i.id == "ws:item:1"]
    assert (back.status, back.due_at, back.attempts, back.last_error) == (
        OutboxStatus.PENDING,
        later,
        0,
        "HTTP 404",
    )
    assert store.earliest_wake_at() == later
    assert store.requeue("ws", "ws:item:1", now=later) is False  # pending now: nothing changes
    with pytest.raises(StorageError, match="does not exist"):
        store.requeue("ws", "ws:item:99", now=later)
    with pytest.raises(StorageError, match="does not exist"):
        store.requeue("other", "ws:item:2", now=later)  # another workspace's item
    (again,) = store.lease_due("ws", later, 10, lease_until=later + M)
    assert store.mark_sent(again, later)
    assert store.requeue("ws", "ws:item:1", now=later) is False  # sent: stays sent
    assert [i.id for i in store.failed_items()] == ["ws:item:2"]


def test_outbox_stats_count_pending_and_failed_and_name_the_oldest(store):
    assert store.outbox_stats() == OutboxStats()
    _fail(store, [item(1), item(2, ws="b")])
    store.enqueue(
        [
            item(3, due=T0 + dt.timedelta(hours=2)),
            item(4, due=T0 - dt.timedelta(hours=1)),
            item(5, ws="b", due=T0 - dt.timedelta(hours=2)),
            item(6, status=OutboxStatus.HELD),
        ]
    )
    assert store.outbox_stats("ws") == OutboxStats(
        pending=2,
        failed=1,
        oldest_pending_id="ws:item:4",
        oldest_pending_due_at=T0 - dt.timedelta(hours=1),
    )
    assert store.outbox_stats() == OutboxStats(
        pending=3,
        failed=2,
        oldest_pending_id="b:item:5",
        oldest_pending_due_at=T0 - dt.timedelta(hours=2),
    )
    assert store.outbox_stats("other") == OutboxStats()
