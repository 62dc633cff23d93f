"""Real worker processes against one PostgreSQL database: every delivery sent by exactly one
worker, every escalation claimed once, no lost update, and a worker killed mid-send loses
nothing."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest

from notifpolicy import (
    Channel,
    ConflictError,
    ConversationCreated,
    ConversationState,
    ConversationStatus,
    Member,
    Role,
    Roster,
    save_workspace_settings,
)
from notifpolicy._outbox import Delivery, OutboxStatus, SendResult
from notifpolicy.adapters.postgres import PostgresStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import ManualClock
from tests._postgres import drop_schema, fresh_schema

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)  # a Monday morning, no quiet hours
WORKERS = 8
EVENTS = 40
CONVERSATIONS = 12
MEMBERS = [
    Member("olga", Role.OWNER, channels=[Channel.EMAIL], email="olga@example.org"),
    Member("adam", Role.ADMIN, channels=[Channel.EMAIL, Channel.IN_APP], email="adam@example.org"),
    Member("anna", Role.AGENT, channels=[Channel.EMAIL, Channel.IN_APP], email="anna@example.org"),
]


class Host:
    """The host's side, the same in every process: members and overdue conversations."""

    def __init__(self, late: int) -> None:
        self.late = late

    def roster(self, workspace_id: str) -> Roster:
        return Roster(MEMBERS)

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return [
            ConversationState(
                id=f"late{n}",
                status=ConversationStatus.OPEN,
                created_at=T0 - dt.timedelta(hours=2),
                assignee=None,
                unassigned_since=T0 - dt.timedelta(hours=2),
                first_response_at=T0 - dt.timedelta(hours=1),
            )
            for n in range(self.late)
        ]


class SlowTransport:
    """Records what it sent; each send waits a little, as a network call would."""

    def __init__(self, seconds: float = 0.002) -> None:
        self.seconds = seconds
        self.sent: list[str] = []

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        time.sleep(self.seconds)
        self.sent.append(delivery.item.id)
        return SendResult.sent()


def service(
    store: PostgresStore,
    transport: object,
    *,
    clock: ManualClock | None = None,
    late: int = CONVERSATIONS,
) -> NotificationService:
    host = Host(late)
    return NotificationService(
        workspace_id="ws",
        store=store,
        roster=host,
        clock=clock or ManualClock(T0),
        transports=dict.fromkeys(Channel, transport),  # type: ignore[arg-type]
        conversations=host,
        jitter=lambda: 0.0,
    )


@pytest.fixture
def conninfo_and_schema(postgres_conninfo: str) -> Iterator[tuple[str, str]]:
    schema = fresh_schema()
    try:
        yield postgres_conninfo, schema
    finally:
        drop_schema(postgres_conninfo, schema)


def _work(conninfo: str, schema: str, start: Barrier) -> tuple[list[str], list[str]]:
    transport = SlowTransport()
    claimed: list[str] = []
    with PostgresStore(conninfo, schema=schema) as store:
        worker = service(store, transport)
        start.wait()
        while True:
            report = worker.tick(now=T0)
            claimed.extend(e.key for e in report.escalations)
            if not report.sent and not report.escalations:
                return transport.sent, claimed


def test_eight_workers_send_every_delivery_once_and_claim_every_escalation_once(
    conninfo_and_schema,
):
    conninfo, schema = conninfo_and_schema
    with PostgresStore(conninfo, schema=schema) as store:
        app = service(store, SlowTransport())
        for n in range(EVENTS):  # app servers record; workers send
            app.handle(ConversationCreated(id=f"e{n}", conversation_id=f"c{n}"), send=False)
        recorded = {i.id for i in store.items("ws")}
    assert len(recorded) == EVENTS * 5  # olga by email; adam and anna by email and in-app
    ctx = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with ctx.Manager() as manager:
        start = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            pending = [pool.apply_async(_work, (conninfo, schema, start)) for _ in range(WORKERS)]
            results = [p.get(timeout=120) for p in pending]
    elapsed = time.monotonic() - started
    sent = [i for worker_sent, _ in results for i in worker_sent]
    claimed = [k for _, worker_claimed in results for k in worker_claimed]
    # Every escalation (one per conversation left unassigned too long) claimed once.
    assert len(claimed) == len(set(claimed)) == CONVERSATIONS
    with PostgresStore(conninfo, schema=schema) as store:
        items = store.items("ws")
        assert store.claimed(claimed) == frozenset(claimed)
    # Every delivery, the events' and the escalations', sent by exactly one worker.
    duplicates = [i for i, count in Counter(sent).items() if count > 1]
    assert duplicates == []
    assert set(sent) == {i.id for i in items}
    assert recorded < set(sent)
    assert all(i.status is OutboxStatus.SENT and i.attempts == 1 for i in items)
    busy = sum(1 for worker_sent, _ in results if worker_sent)
    assert busy > 1, f"only {busy} worker sent anything: the race was not real"
    assert elapsed < 60


def _save_many(conninfo: str, schema: str, admin: str, saves: int, start: Barrier) -> int:
    conflicts = 0
    actor = Member(admin, Role.ADMIN)
    with PostgresStore(conninfo, schema=schema) as store:
        start.wait()
        done = 0
        while done < saves:
            current = store.get_settings("ws")
            # A value no other save uses, so every save is a change.
            minutes = 1 + int(admin[1:]) * 100 + done
            result = save_workspace_settings(
                current,
                {
                    "version": current.version,
                    "escalation": {"unassigned": {"enabled": True, "after_minutes": minutes}},
                },
                actor=actor,
                workspace_id="ws",
                now=T0,
            )
            assert result.audit is not None
            try:
                store.save_settings(result.value, result.audit)
            except ConflictError:
                conflicts += 1
                continue
            done += 1
    return conflicts


def test_eight_processes_saving_lose_no_update(conninfo_and_schema):
    conninfo, schema = conninfo_and_schema
    saves = 10
    PostgresStore(conninfo, schema=schema).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            pending = [
                pool.apply_async(_save_many, (conninfo, schema, f"a{n}", saves, start))
                for n in range(WORKERS)
            ]
            conflicts = [p.get(timeout=120) for p in pending]
    with PostgresStore(conninfo, schema=schema) as store:
        final = store.get_settings("ws")
        log = store.audit_entries("ws")
    assert final.version == 1 + WORKERS * saves
    # One unbroken chain of versions: each save was based on the one before it.
    assert [(e.version_before, e.version_after) for e in log] == [
        (v, v + 1) for v in range(1, WORKERS * saves + 1)
    ]
    assert Counter(e.actor_id for e in log) == {f"a{n}": saves for n in range(WORKERS)}
    # The stored value is the last save's.
    (change,) = [c for c in log[-1].changes if c.path == "escalation.unassigned.after_minutes"]
    assert final.escalation.unassigned.after_minutes == change.new
    assert sum(conflicts) > 0, "no save ever conflicted: the race was not real"


class HangingTransport:
    """Reports the delivery it started, then never returns: the process is killed here."""

    def __init__(self, started: Queue[str]) -> None:
        self.started = started

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        self.started.put(delivery.item.id)
        time.sleep(600)
        raise AssertionError("unreachable: the test kills this process")  # pragma: no cover


def _hang(conninfo: str, schema: str, started: Queue[str]) -> None:  # pragma: no cover
    # Runs in the child that is killed: coverage cannot record it.
    with PostgresStore(conninfo, schema=schema) as store:
        service(store, HangingTransport(started), late=0).tick(now=T0)


def test_a_worker_killed_mid_send_loses_nothing_and_its_lease_is_taken_over(
    conninfo_and_schema,
):
    conninfo, schema = conninfo_and_schema
    with PostgresStore(conninfo, schema=schema) as store:
        app = service(store, SlowTransport(), late=0)
        app.handle(ConversationCreated(id="e1", conversation_id="c1"), send=False)
        recorded = [i.id for i in store.items("ws")]
        ctx = multiprocessing.get_context("spawn")
        started: Queue[str] = ctx.Queue()
        victim = ctx.Process(target=_hang, args=(conninfo, schema, started))
        victim.start()
        try:
            in_hand = started.get(timeout=60)
        finally:
            assert victim.pid is not None
            os.kill(victim.pid, signal.SIGKILL)
            victim.join(timeout=30)
        assert victim.exitcode == -signal.SIGKILL
        assert in_hand in recorded
        # Its items are leased: while the lease lasts, no other worker sends them.
        transport = SlowTransport(0)
        clock = ManualClock(T0 + dt.timedelta(seconds=1))
        survivor = service(store, transport, clock=clock, late=0)
        survivor.tick()
        assert transport.sent == []
        assert {i.status for i in store.items("ws")} == {OutboxStatus.PENDING}
        # Once it lapses, they are taken over and sent; the one in hand included.
        clock.set(T0 + dt.timedelta(minutes=2))
        survivor.tick()
        assert sorted(transport.sent) == sorted(recorded)
        assert all(i.status is OutboxStatus.SENT and i.attempts == 1 for i in store.items("ws"))
