"""The service shell over real ports: the in-memory store and SQLite, recording transports."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from notifpolicy import (
    Channel,
    ConversationState,
    Member,
    PermissionDenied,
    Role,
    Roster,
    ValidationError,
)
from notifpolicy._digest_figures import ConversationRecord, Reply
from notifpolicy._events import ConversationCreated, MemberMentioned
from notifpolicy._outbox import OutboxItem, OutboxStatus, SendResult, SendStatus
from notifpolicy.adapters.postgres import PostgresStore
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock, RecordingTransport
from tests._postgres import drop_schema, fresh_schema

WS = "ws"
URL = "https://hooks.slack.com/services/T0/B0/SECRETPART"
# Saturday 2026-03-28, 20:00 UTC = 21:00 in Amsterdam; quiet hours 22:00-08:00 start in an hour.
T0 = dt.datetime(2026, 3, 28, 20, 0, tzinfo=dt.UTC)
OWNER = Member("olga", Role.OWNER, "Olga", channels=[Channel.EMAIL], email="olga@example.org")
ANNA = Member("anna", Role.AGENT, "Anna", email="anna@example.org")
BOB = Member("bob", Role.AGENT, "Bob", channels=[Channel.IN_APP])


@attrs.define
class Host:
    """The host app's side: its roster, its conversations, its digest records."""

    members: list[Member]
    states: list[ConversationState] = attrs.field(factory=list)
    records: list[ConversationRecord] = attrs.field(factory=list)

    def roster(self, workspace_id: str) -> Roster:
        return Roster(self.members)

    def open_conversations(self, workspace_id: str) -> Iterable[ConversationState]:
        return [s for s in self.states if s.is_open]

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> Iterable[ConversationRecord]:
        return self.records


@attrs.define
class World:
    service: NotificationService
    store: InMemoryStore | SqliteStore | PostgresStore
    clock: ManualClock
    host: Host
    transports: dict[Channel, RecordingTransport]

    def sent(self, channel: Channel) -> list[str]:
        return [d.item.recipient for d in self.transports[channel].sent]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterable[InMemoryStore | SqliteStore | PostgresStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        with SqliteStore(tmp_path / "s.sqlite3") as s:
            yield s
    else:
        conninfo = request.getfixturevalue("postgres_conninfo")
        schema = fresh_schema()
        try:
            with PostgresStore(conninfo, schema=schema) as pg:
                yield pg
        finally:
            drop_schema(conninfo, schema)


def make_world(
    store: InMemoryStore | SqliteStore | PostgresStore,
    settings: dict[str, object] | None = None,
    **kw: object,
) -> World:
    clock = ManualClock(T0)
    host = Host([OWNER, ANNA, BOB])
    transports = {c: RecordingTransport() for c in Channel}
    service = NotificationService(
        workspace_id=WS,
        store=store,
        roster=host,
        clock=clock,
        transports=transports,
        conversations=host,
        digests=host,
        jitter=lambda: 0.0,
        **kw,  # type: ignore[arg-type]
    )
    world = World(service, store, clock, host, transports)
    if settings is not None:
        base = {"timezone": "Europe/Amsterdam", **settings}
        service.save_settings({**base, "version": 1}, actor=OWNER.id)
    return world


def created(n: int = 1, assignee: str | None = None) -> ConversationCreated:
    return ConversationCreated(
        id=f"e{n}", conversation_id=f"c{n}", assignee=assignee, subject="Printer <on fire>"
    )


def test_handle_decides_enqueues_and_sends(store):
    w = make_world(store, {"slack": {"webhook_url": URL}})
    report = w.service.handle(created())
    assert w.sent(Channel.EMAIL) == ["olga", "anna"]
    assert w.sent(Channel.IN_APP) == ["anna", "bob"]
    assert w.sent(Channel.SLACK) == ["slack"]
    assert len(report.sent) == 6
    slack = w.transports[Channel.SLACK].sent[0]
    assert slack.destination.reveal() == URL  # type: ignore[union-attr]
    assert "&lt;on fire&gt;" in (slack.item.body or "")
    assert all(i.status is OutboxStatus.SENT for i in store.items(WS))
    assert all("SECRETPART" not in repr(i) for i in store.items(WS))
    assert w.transports[Channel.EMAIL].sent[0].destination == "olga@example.org"


def test_handle_without_sending_records_and_a_worker_sends(store):
    w = make_world(store, {"slack": {"webhook_url": URL}})
    report = w.service.handle(created(), send=False)
    # Email to olga and anna, in-app to anna and bob, push to anna, and Slack.
    assert len(report.decisions) == 6
    assert report.sent == ()
    assert all(t.sent == [] for t in w.transports.values())
    recorded = store.items(WS)
    assert len(recorded) == 6
    assert {i.status for i in recorded} == {OutboxStatus.PENDING}
    assert {i.due_at for i in recorded} == {T0}
    assert w.service.next_wake_at() == T0
    # A worker process: its own service over the same store, its own transports.
    transports = {c: RecordingTransport() for c in Channel}
    worker = NotificationService(
        workspace_id=WS, store=store, roster=w.host, clock=w.clock, transports=transports
    )
    sent = worker.tick().sent
    assert sorted(sent) == sorted(i.id for i in recorded)
    assert [d.item.recipient for d in transports[Channel.EMAIL].sent] == ["olga", "anna"]
    assert all(t.sent == [] for t in w.transports.values())
    assert {i.status for i in store.items(WS)} == {OutboxStatus.SENT}
    # Handling the same event again records nothing new (the ids are the event's).
    assert w.service.handle(created(), send=False).sent == ()
    assert len(store.items(WS)) == 6


def test_deferred_until_quiet_hours_end(store):
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "defer"}})
    w.clock.set(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC))  # 23:30 local
    w.service.handle(created())
    assert w.sent(Channel.EMAIL) == []
    end = dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)  # 08:00 CEST, after the DST jump
    assert w.service.next_wake_at() == end
    assert w.service.tick(now=end - dt.timedelta(microseconds=1)).sent == ()
    report = w.service.tick(now=end)
    assert w.sent(Channel.EMAIL) == ["olga", "anna"]
    assert len(report.sent) == 5  # email 2, in-app 2, push 1


def test_summarize_sends_one_catch_up_per_member_once(store):
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "summarize"}})
    w.clock.set(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC))
    w.service.handle(created(1))
    w.service.handle(created(2))
    w.service.handle(
        MemberMentioned(id="e3", conversation_id="c1", author_id="olga", mentioned=["anna"])
    )
    assert not any(t.sent for t in w.transports.values())
    end = dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    assert w.service.next_wake_at() == end
    report = w.service.tick(now=end)
    assert {c.member_id for c in report.catchups} == {"olga", "anna", "bob"}
    anna_mail = [d.item for d in w.transports[Channel.EMAIL].sent if d.item.recipient == "anna"]
    assert len(anna_mail) == 1
    assert "2 new conversations" in anna_mail[0].text
    assert "1 mention" in anna_mail[0].text
    again = w.service.tick(now=end + dt.timedelta(minutes=5))
    assert again.catchups == ()
    assert len([d for d in w.transports[Channel.EMAIL].sent if d.item.recipient == "anna"]) == 1


class CountingStore(InMemoryStore):
    """Counts the held items each catch-up pass reads."""

    def __init__(self) -> None:
        super().__init__()
        self.held_read: list[int] = []

    def held(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[OutboxItem, ...]:
        found = super().held(workspace_id, start, end)
        self.held_read.append(len(found))
        return found


def test_a_summarised_night_is_not_read_again_on_every_tick():
    # Each tick after a quiet period used to re-read (and re-decode) the week's held items,
    # which made a busy day quadratic in the night's traffic.
    store = CountingStore()
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "summarize"}})
    w.clock.set(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC))
    w.service.handle(created(1))
    w.service.handle(created(2))
    end = dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    store.held_read.clear()
    assert len(w.service.tick(now=end).catchups) == 3
    decoded: list[int] = []
    summarize = w.service._summarize

    def counting(held: list[OutboxItem], *rest: object) -> None:
        decoded.append(len(held))
        summarize(held, *rest)  # type: ignore[arg-type]

    w.service._summarize = counting  # type: ignore[assignment,method-assign]
    for minutes in (1, 2, 3, 6, 7):
        report = w.service.tick(now=end + dt.timedelta(minutes=minutes))
        assert report.catchups == ()
    held = sum(1 for i in store.items(WS) if i.status is OutboxStatus.HELD)
    assert held == 10  # two conversations, five member deliveries each
    # Read again only until a pass five minutes after their end (items written late could
    # still appear until then), and only to see that their catch-ups are claimed: nothing is
    # decoded again.
    assert store.held_read == [held, held, held, held, held, 0]
    assert decoded == []
    # A new worker (a restart) reads the week once and finds the catch-ups claimed.
    again = NotificationService(
        workspace_id=WS, store=store, roster=w.host, clock=w.clock, transports=w.transports
    )
    assert again.tick(now=end + dt.timedelta(minutes=4)).catchups == ()
    assert store.held_read[-1] == held


def test_items_held_just_after_a_workers_pass_still_get_their_catch_up(store):
    """An app server decides just before a quiet period ends and commits just after a worker's
    tick at the end (or its clock is a little behind): the worker still summarises them."""
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "summarize"}})
    end = dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)  # 08:00 in Amsterdam
    app = NotificationService(
        workspace_id=WS, store=store, roster=w.host, clock=w.clock, transports=w.transports
    )
    assert w.service.tick(now=end + dt.timedelta(milliseconds=2)).catchups == ()
    app.handle(created(1), now=end - dt.timedelta(milliseconds=1), send=False)
    report = w.service.tick(now=end + dt.timedelta(minutes=1))
    assert {c.member_id for c in report.catchups} == {"olga", "anna", "bob"}
    assert w.service.tick(now=end + dt.timedelta(minutes=2)).catchups == ()


def test_escalation_fires_once_across_workers(store, caplog):
    caplog.set_level(logging.INFO, logger="notifpolicy")
    w = make_world(store, {"slack": {"webhook_url": URL}})
    w.host.states.append(
        ConversationState(
            id="c1",
            created_at=T0,
            status="open",
            assignee=None,
            unassigned_since=T0,
            first_response_at=dt.datetime(2026, 3, 28, 20, 1, tzinfo=dt.UTC),
        )
    )
    assert w.service.tick().escalations == ()
    due_at = T0 + dt.timedelta(minutes=30)
    assert w.service.next_wake_at() == due_at
    second = NotificationService(
        workspace_id=WS,
        store=store,
        roster=w.host,
        clock=w.clock,
        transports=w.transports,
        conversations=w.host,
        jitter=lambda: 0.0,
    )
    first_report = w.service.tick(now=due_at)
    second_report = second.tick(now=due_at)
    assert [e.kind for e in first_report.escalations] == ["escalation_unassigned"]
    assert second_report.escalations == ()
    # Admins only, and Slack once.
    assert w.sent(Channel.EMAIL) == ["olga"]
    assert w.sent(Channel.SLACK) == ["slack"]
    assert w.service.tick(now=due_at + dt.timedelta(hours=1)).escalations == ()
    # The claim is logged once, by the worker that won it; the sends after it.
    (escalation,) = first_report.escalations
    claims = [r for r in caplog.records if getattr(r, "claim", None) == "escalation"]
    assert [(r.name, r.claim_key) for r in claims] == [("notifpolicy.service", escalation.key)]
    sends = [r for r in caplog.records if getattr(r, "outcome", None) == "sent"]
    assert {r.channel for r in sends} == {"email", "slack"}
    assert not any("SECRETPART" in str(vars(r)) for r in caplog.records)


def test_retry_with_backoff_then_give_up(store):
    w = make_world(store, max_attempts=3)
    flaky = w.transports[Channel.EMAIL]
    flaky.results = [SendResult(SendStatus.RETRY, error="HTTP 503")] * 3
    w.host.members = [OWNER]
    w.service.handle(created())
    (item,) = [i for i in store.items(WS) if i.channel is Channel.EMAIL]
    assert item.status is OutboxStatus.PENDING
    assert item.attempts == 1
    # jitter 0: half of base * 2**0 = 15 s
    assert item.due_at == T0 + dt.timedelta(seconds=15)
    w.service.tick(now=T0 + dt.timedelta(seconds=15))
    (item,) = [i for i in store.items(WS) if i.channel is Channel.EMAIL]
    assert item.due_at == T0 + dt.timedelta(seconds=15 + 30)
    report = w.service.tick(now=T0 + dt.timedelta(seconds=45))
    (item,) = [i for i in store.items(WS) if i.channel is Channel.EMAIL]
    assert item.status is OutboxStatus.FAILED
    assert item.last_error == "gave up after 3 attempts: HTTP 503"
    assert report.failed == ((item.id, item.last_error),)


def test_retry_after_is_honoured_and_permanent_failures_are_reported(store):
    w = make_world(store, {"slack": {"webhook_url": URL}})
    w.host.members = []
    later = T0 + dt.timedelta(seconds=7)
    w.transports[Channel.SLACK].results = [
        SendResult(SendStatus.RETRY, retry_after=later, error="HTTP 429: rate limited")
    ]
    w.service.handle(created())
    assert w.service.next_wake_at() == later
    w.transports[Channel.SLACK].results = [
        SendResult(
            SendStatus.PERMANENT,
            error="HTTP 404 (no_service): the webhook refused the message; check its URL",
        )
    ]
    report = w.service.tick(now=later)
    assert len(report.failed) == 1
    assert "no_service" in report.failed[0][1]
    assert w.service.next_wake_at() is None


def test_slack_is_paced(store):
    w = make_world(store, {"slack": {"webhook_url": URL}})
    w.host.members = []
    w.service.handle(created(1))
    w.service.handle(created(2))
    assert w.sent(Channel.SLACK) == ["slack"]
    assert w.service.next_wake_at() == T0 + dt.timedelta(seconds=1)
    w.service.tick(now=T0 + dt.timedelta(seconds=1))
    assert w.sent(Channel.SLACK) == ["slack", "slack"]


def test_save_through_the_service_applies_at_once(store):
    w = make_world(store)
    with pytest.raises(PermissionDenied):
        w.service.save_settings(
            {"defaults": {"new_conversation": False}, "version": 1}, actor=ANNA.id
        )
    assert store.audit_entries(WS) == ()
    w.service.save_settings({"defaults": {"new_conversation": False}, "version": 1}, actor=OWNER.id)
    assert w.service.settings().version == 2
    w.service.save_preferences(
        "anna", {"overrides": {"new_conversation": {"email": True}}, "version": 1}, actor=ANNA.id
    )
    w.service.handle(created(assignee="anna"))
    assert w.sent(Channel.EMAIL) == ["anna"]
    assert len(store.audit_entries(WS)) == 2


def test_missing_transport_or_address_is_recorded_not_dropped(store):
    w = make_world(store)
    del w.service._transports[Channel.PUSH]
    w.host.members = [Member("carl", Role.AGENT, channels=[Channel.PUSH, Channel.EMAIL])]
    report = w.service.handle(created())
    errors = sorted(error for _, error in report.failed)
    assert errors == ["no transport for the push channel", "the member has no email address"]


def test_daily_digest_once_and_the_skipped_days_named(store):
    w = make_world(store, {"digests": {"daily": {"enabled": True, "send_time": "09:00"}}})
    w.host.records = [
        ConversationRecord(
            "c1",
            T0 - dt.timedelta(hours=2),
            first_response_at=T0 - dt.timedelta(hours=1),
            replies=[Reply("anna", T0 - dt.timedelta(hours=1))],
        )
    ]
    sunday_nine = dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC)  # 09:00 CEST
    assert w.service.next_wake_at() == sunday_nine
    report = w.service.tick(now=sunday_nine)
    assert [p.key for p in report.digests] == ["ws:daily_summary:2026-03-29"]
    mails = [d.item for d in w.transports[Channel.EMAIL].sent]
    assert [m.recipient for m in mails] == ["olga", "anna"]
    assert mails[0].subject == "Daily summary, 28 Mar 2026"  # the day it covers, from 09:00
    assert mails[0].html is not None
    assert w.service.tick(now=sunday_nine + dt.timedelta(minutes=1)).digests == ()
    # The scheduler sleeps three days: only the latest day is sent, naming the two it skipped.
    wednesday = dt.datetime(2026, 4, 1, 7, 30, tzinfo=dt.UTC)
    late = w.service.tick(now=wednesday)
    assert [p.key for p in late.digests] == ["ws:daily_summary:2026-04-01"]
    text = w.transports[Channel.EMAIL].sent[-1].item.text
    assert "away: 29 Mar 2026, 30 Mar 2026\n" in text  # the periods sent on 30 and 31 March
    assert store.claimed(["ws:daily_summary:2026-03-30", "ws:daily_summary:2026-03-31"]) == {
        "ws:daily_summary:2026-03-30",
        "ws:daily_summary:2026-03-31",
    }


# -- what an independent review found, each pinned by a test -----------------------------------


class _Reentrant(RecordingTransport):
    """Lets another worker tick while this one is in the middle of a send."""

    other: NotificationService | None = None

    def send(self, delivery, *, now):
        other, self.other = self.other, None
        if other is not None:
            other.tick(now=now)
        return super().send(delivery, now=now)


def test_two_workers_never_send_one_item_twice(store):
    w = make_world(store)
    w.host.members = [OWNER]
    shared = _Reentrant()
    transports = dict.fromkeys(Channel, shared)
    a = NotificationService(
        workspace_id=WS,
        store=store,
        roster=w.host,
        clock=w.clock,
        transports=transports,
        jitter=lambda: 0.0,
    )
    b = NotificationService(
        workspace_id=WS,
        store=store,
        roster=w.host,
        clock=w.clock,
        transports=transports,
        jitter=lambda: 0.0,
    )
    shared.other = b
    a.handle(created())
    assert [d.item.id for d in shared.sent] == ["ws:e1:olga:email"]


def test_backoff_is_real_time_with_a_zoned_clock(store):
    w = make_world(store)
    w.host.members = [OWNER]
    amsterdam = ZoneInfo("Europe/Amsterdam")
    now = dt.datetime(2026, 10, 25, 2, 40, tzinfo=amsterdam)  # first pass of the repeated hour
    w.transports[Channel.EMAIL].results = [SendResult(SendStatus.RETRY, error="HTTP 503")]
    w.service.handle(created(), now=now)
    (item,) = store.items(WS)
    assert item.due_at - now == dt.timedelta(seconds=15)


def test_slack_pacing_does_not_hold_up_other_channels(store):
    w = make_world(store, {"slack": {"webhook_url": URL}}, batch=3)
    w.host.members = []
    for n in range(5):
        w.service.handle(created(n))
    w.host.members = [OWNER]
    w.service.handle(
        MemberMentioned(id="m1", conversation_id="c1", author_id="anna", mentioned=["olga"])
    )
    assert w.sent(Channel.EMAIL) == ["olga"]
    assert w.sent(Channel.SLACK) == ["slack"]


def test_next_wake_is_never_in_the_past(store):
    w = make_world(store, {"slack": {"webhook_url": URL}})
    w.host.members = []
    w.service.handle(created(1))
    w.service.handle(created(2))
    later = T0 + dt.timedelta(seconds=10)
    wake = w.service.next_wake_at(now=later)
    assert wake is not None
    assert wake >= later
    w.service.tick(now=later)
    assert w.sent(Channel.SLACK) == ["slack", "slack"]


def test_deferred_delivery_to_a_member_deactivated_meanwhile_is_dropped(store):
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "defer"}})
    w.host.members = [OWNER, BOB]
    w.clock.set(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC))
    w.service.handle(created())
    w.host.members = [OWNER, attrs.evolve(BOB, active=False)]
    report = w.service.tick(now=dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC))
    assert w.sent(Channel.EMAIL) == ["olga"]
    assert w.sent(Channel.IN_APP) == []
    assert report.failed == ()
    assert [item_id for item_id, _ in report.dropped] == ["ws:e1:bob:in_app"]


def test_a_subject_with_line_breaks_becomes_one_line(store):
    w = make_world(store)
    w.host.members = [OWNER]
    w.service.handle(
        ConversationCreated(
            id="e1", conversation_id="c1", assignee="olga", subject="Help\r\nBcc: x@evil.example"
        )
    )
    (mail,) = w.transports[Channel.EMAIL].sent
    assert mail.item.subject == "New conversation: Help Bcc: x@evil.example"


class _Broken(RecordingTransport):
    def send(self, delivery, *, now):
        raise RuntimeError("bug in a host transport")


def test_a_transport_that_raises_is_retried_not_fatal(store):
    w = make_world(store)
    w.host.members = [OWNER]
    w.service._transports[Channel.EMAIL] = _Broken()
    report = w.service.handle(created())
    assert report.retried == ("ws:e1:olga:email",)
    (item,) = [i for i in store.items(WS) if i.channel is Channel.EMAIL]
    assert item.last_error == "the transport raised RuntimeError"


def test_bad_host_data_in_one_phase_does_not_stop_the_deliveries(store):
    w = make_world(store, {"quiet_hours": {"enabled": True, "mode": "defer"}})
    w.host.members = [OWNER]
    w.clock.set(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC))
    w.service.handle(created())
    state = ConversationState(
        id="c1", created_at=T0, status="open", assignee="olga", unassigned_since=None
    )
    w.host.states.extend([state, state])  # the same id twice: invalid
    report = w.service.tick(now=dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC))
    assert len(report.errors) == 1
    assert "given twice" in str(report.errors[0])
    assert w.sent(Channel.EMAIL) == ["olga"]


def test_a_digest_just_switched_on_does_not_send_a_stale_period(store):
    w = make_world(store)
    monday_nine = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 CET
    w.service.save_settings(
        {"timezone": "Europe/Amsterdam", "digests": {"weekly": {"enabled": True}}, "version": 1},
        actor=OWNER.id,
    )
    # Switched on at 08:59: last week's period (sent a week ago, 09:00) is stale.
    assert w.service.tick(now=monday_nine - dt.timedelta(minutes=1)).digests == ()
    assert [p.key for p in w.service.tick(now=monday_nine).digests] == ["ws:weekly_report:2026-W10"]
    assert len(w.transports[Channel.EMAIL].sent) == 2  # olga and anna, once


def test_only_admins_read_the_audit_log(store):
    w = make_world(store, {"quiet_hours": {"enabled": True}})
    assert len(w.service.audit_log(actor=OWNER.id)) == 1
    with pytest.raises(PermissionDenied):
        w.service.audit_log(actor=ANNA.id)


def test_a_save_that_changes_nothing_writes_nothing(store):
    w = make_world(store, {"quiet_hours": {"enabled": True}})
    current = w.service.settings()
    result = w.service.save_settings(current.to_dict(), actor=OWNER.id)
    assert not result.changed
    prefs = w.service.save_preferences(
        "anna", {"overrides": {"mention": None}, "version": 1}, actor=ANNA.id
    )
    assert not prefs.changed
    assert w.service.settings() == current
    assert len(store.audit_entries(WS)) == 1  # only the first configuration


def test_a_one_section_save_through_the_service_keeps_the_rest(store):
    w = make_world(store, {"slack": {"webhook_url": URL}, "quiet_hours": {"enabled": True}})
    w.service.save_settings(
        {"escalation": {"unassigned": {"after_minutes": 20}}, "version": 2}, actor=OWNER.id
    )
    saved = w.service.settings()
    assert (saved.timezone, saved.quiet_hours.enabled, saved.slack.configured) == (
        "Europe/Amsterdam",
        True,
        True,
    )
    assert saved.escalation.unassigned.after_minutes == 20
    (entry,) = w.service.audit_log(actor=OWNER.id)[1:]
    assert [c.path for c in entry.changes] == ["escalation.unassigned.after_minutes"]


class WriteCountingStore(InMemoryStore):
    """The in-memory store, counting the writes the service makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def enqueue(self, items):
        self.calls.append(("enqueue", len(items)))
        super().enqueue(items)

    def lease_due(self, *args, **kwargs):
        taken = super().lease_due(*args, **kwargs)
        self.calls.append(("lease_due", len(kwargs.get("enqueue", ()))))
        return taken

    def record(self, marks):
        self.calls.append(("record", len(marks)))
        return super().record(marks)


def test_handle_records_and_leases_in_one_write_and_the_outcomes_in_another():
    store = WriteCountingStore()
    member = Member("anna", Role.OWNER, channels=[Channel.EMAIL, Channel.IN_APP, Channel.PUSH])
    transport = RecordingTransport()
    service = NotificationService(
        workspace_id=WS,
        store=store,
        roster=Host([attrs.evolve(member, email="anna@example.org")]),
        clock=ManualClock(T0 - dt.timedelta(hours=10)),
        transports=dict.fromkeys(Channel, transport),
    )
    report = service.handle(ConversationCreated(id="e1", conversation_id="c1"))
    assert len(report.sent) == 3
    # No Slack webhook: no look for Slack messages either.
    assert store.calls == [("lease_due", 3), ("record", 3)]
    store.calls.clear()
    service.handle(ConversationCreated(id="e2", conversation_id="c2"), send=False)
    assert store.calls == [("enqueue", 3)]
    store.calls.clear()
    assert len(service.tick().sent) == 3
    assert store.calls == [("lease_due", 0), ("lease_due", 0), ("record", 3)]


def test_an_unusable_conversation_link_template_is_refused_when_the_service_is_built():
    with pytest.raises(ValidationError) as info:
        make_world(InMemoryStore(), conversation_url_template="https://desk.example/c/{id}")
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("conversation_url_template", "template")
