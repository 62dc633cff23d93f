"""The worker loop on every store: many workspaces, one loop; sleeping until the next wake-up or
a notification; stopping cleanly (a ``stop`` event, and a real SIGTERM to a real process)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notifpolicy import (
    Channel,
    ConflictError,
    ConversationCreated,
    ConversationState,
    Member,
    MemberMentioned,
    Role,
    Roster,
    SendResult,
    StorageError,
    ValidationError,
)
from notifpolicy._outbox import Delivery, OutboxItem, OutboxStatus
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.adapters.postgres import PostgresListener, PostgresStore
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock
from notifpolicy.worker import WorkerReport, run_worker
from tests._postgres import drop_schema, fresh_schema

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = [
    Member("olga", Role.OWNER, channels=[Channel.EMAIL], email="olga@example.org"),
    Member("anna", Role.AGENT, channels=[Channel.EMAIL, Channel.IN_APP], email="anna@example.org"),
]

AnyStore = InMemoryStore | SqliteStore | PostgresStore


class Host:
    def __init__(self, conversations: list[ConversationState] | None = None) -> None:
        self.conversations = conversations or []

    def roster(self, workspace_id: str) -> Roster:
        return Roster(MEMBERS)

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return list(self.conversations)


class Recording:
    """Thread-safe: the worker sends from its own thread."""

    def __init__(self, on_send: Callable[[Delivery], None] | None = None) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()
        self.on_send = on_send

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        if self.on_send is not None:
            self.on_send(delivery)
        with self.lock:
            self.sent.append(delivery.item.id)
        return SendResult.sent()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        with SqliteStore(tmp_path / "worker.sqlite3") as opened:
            yield opened
    else:
        conninfo = request.getfixturevalue("postgres_conninfo")
        schema = fresh_schema()
        try:
            with PostgresStore(conninfo, schema=schema) as opened:
                yield opened
        finally:
            drop_schema(conninfo, schema)


def factory(
    store: AnyStore, transport: Recording, host: Host | None = None, **options: Any
) -> tuple[Callable[[str], NotificationService], list[str]]:
    built: list[str] = []
    host = host or Host()

    def service_for(workspace_id: str) -> NotificationService:
        built.append(workspace_id)
        return NotificationService(
            workspace_id=workspace_id,
            store=store,
            roster=host,
            clock=SystemClock(),
            transports=dict.fromkeys(Channel, transport),
            conversations=host,
            jitter=lambda: 0.0,
            **options,
        )

    return service_for, built


class Running:
    """``run_worker`` in a thread, stopped by an event."""

    def __init__(
        self, store: AnyStore, service_for: Callable[[str], NotificationService], **kw: Any
    ):
        self.stop = threading.Event()
        self.report: WorkerReport | None = None
        self.thread = threading.Thread(
            target=self._run, args=(store, service_for), kwargs=kw, daemon=True
        )
        self.thread.start()

    def _run(self, store: AnyStore, service_for: Callable[[str], NotificationService], **kw: Any):
        self.report = run_worker(store, service_for, stop=self.stop, **kw)

    def finish(self) -> WorkerReport:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        assert self.report is not None
        return self.report


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> float:
    """Seconds until ``condition`` held (fails after ``seconds``)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.01)
    return time.monotonic() - start


def record(store: AnyStore, workspace: str, event: str, *, host: Host | None = None) -> None:
    web, _ = factory(store, Recording(), host)
    web(workspace).handle(ConversationCreated(id=event, conversation_id=f"c-{event}"), send=False)


def test_one_loop_sends_every_workspace_once(store):
    for ws in ("ws-a", "ws-b", "ws-c"):
        for n in range(3):
            record(store, ws, f"e{n}")
    expected = {i.id for ws in ("ws-a", "ws-b", "ws-c") for i in store.items(ws)}
    assert len(expected) == 3 * 3 * 3  # olga by email, anna by email and in-app
    transport = Recording()
    service_for, built = factory(store, transport)
    worker = Running(store, service_for, poll=0.05)
    wait_for(lambda: len(transport.sent) >= len(expected))
    time.sleep(0.2)  # nothing more comes
    report = worker.finish()
    assert Counter(transport.sent) == Counter(expected)
    assert sorted(built) == ["ws-a", "ws-b", "ws-c"]  # one service per workspace, kept
    assert report.sent == len(expected)
    assert report.ticks >= 3
    assert all(i.status is OutboxStatus.SENT for ws in built for i in store.items(ws))
    assert store.earliest_wake_at() is None  # nothing pending anywhere


def test_the_worker_sleeps_until_the_next_wake_up_not_the_poll(store):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    store.enqueue(
        [OutboxItem("ws:later:olga:email", "ws", "later", None, "olga", Channel.EMAIL, (), later)]
    )
    transport = Recording()
    service_for, _ = factory(store, transport)
    worker = Running(store, service_for, poll=30.0, max_sleep=30.0)
    waited = wait_for(lambda: transport.sent == ["ws:later:olga:email"])
    report = worker.finish()
    assert dt.datetime.now(dt.UTC) >= later
    assert waited < 10  # the wake-up, far sooner than the 30 s poll
    assert report.sent == 1


@pytest.mark.postgres
def test_a_notify_wakes_a_sleeping_worker(postgres_conninfo):
    schema = fresh_schema()
    try:
        with PostgresStore(postgres_conninfo, schema=schema) as store:
            transport = Recording()
            service_for, _ = factory(store, transport)
            worker = Running(store, service_for, max_sleep=60.0)
            time.sleep(0.5)  # asleep: nothing is due anywhere
            record(store, "ws", "e1")
            waited = wait_for(lambda: len(transport.sent) == 3)
            saved = service_for("ws").save_settings(
                {"version": 1, "timezone": "Europe/Amsterdam"}, actor="olga"
            )
            assert saved.audit is not None
            time.sleep(0.5)
            report = worker.finish()
        assert waited < 5  # the notification, not the 60 s sleep
        assert report.wakeups >= 2  # the enqueue, and the settings save
    finally:
        drop_schema(postgres_conninfo, schema)


def test_settings_saved_elsewhere_win_over_a_stale_copy(store):
    """Two servers: the second read version 1, the first saved version 2 meanwhile.  The
    second's save is refused, and its next read has version 2."""
    first, _ = factory(store, Recording())
    second, _ = factory(store, Recording())
    a, b = first("ws"), second("ws")
    seen_by_b = b.settings()
    a.save_settings({"version": 1, "timezone": "Asia/Tokyo"}, actor="olga")
    with pytest.raises(ConflictError):
        b.save_settings({"version": seen_by_b.version, "timezone": "UTC"}, actor="olga")
    assert b.settings().version == 2
    assert b.settings().timezone == "Asia/Tokyo"
    b.save_settings({"version": b.settings().version, "timezone": "UTC"}, actor="olga")
    assert a.settings().version == 3


def test_stopping_finishes_the_send_in_hand_and_gives_the_rest_back(store):
    for n in range(4):
        record(store, "ws", f"e{n}")
    stop = threading.Event()

    def stop_during_the_first_send(delivery: Delivery) -> None:
        stop.set()

    transport = Recording(stop_during_the_first_send)
    service_for, _ = factory(store, transport)
    report = run_worker(store, service_for, stop=stop, poll=0.05)
    assert len(transport.sent) == 1  # the send in hand finished...
    assert report.sent == 1
    by_status = Counter(i.status for i in store.items("ws"))
    assert by_status == {OutboxStatus.SENT: 1, OutboxStatus.PENDING: 11}
    # ...and nothing is left leased: every other item is due again at once, for another worker.
    now = dt.datetime.now(dt.UTC)
    assert all(i.due_at <= now for i in store.items("ws") if i.status is OutboxStatus.PENDING)
    assert all(i.attempts == 0 for i in store.items("ws") if i.status is OutboxStatus.PENDING)
    wake = store.earliest_wake_at()
    assert wake is not None
    assert wake <= now
    # Another worker carries on.
    other = Recording()
    later, _ = factory(store, other)
    rest = Running(store, later, poll=0.05)
    wait_for(lambda: len(other.sent) == 11)
    rest.finish()
    assert set(other.sent).isdisjoint(transport.sent)


def test_workspaces_taken_but_not_ticked_are_put_back_due(store):
    for ws in ("ws-a", "ws-b"):
        record(store, ws, "e1")
    stop = threading.Event()
    transport = Recording(lambda d: stop.set())
    service_for, built = factory(store, transport)
    run_worker(store, service_for, stop=stop, poll=0.05)
    assert len(built) == 1  # stopped during the first workspace's first send
    (untouched,) = {"ws-a", "ws-b"} - set(built)
    assert all(i.status is OutboxStatus.PENDING for i in store.items(untouched))
    now = dt.datetime.now(dt.UTC)
    taken = store.due_workspaces(now, 10, lease_until=now + dt.timedelta(minutes=1))
    assert {w.workspace_id for w in taken} == {"ws-a", "ws-b"}


def test_a_drain_ticks_again_while_there_is_more(store):
    for n in range(5):
        record(store, "ws", f"e{n}")  # 15 deliveries
    transport = Recording()
    service_for, _ = factory(store, transport, batch=4)
    worker = Running(store, service_for, poll=30.0, max_sleep=30.0)
    wait_for(lambda: len(transport.sent) == 15, seconds=10)  # far sooner than one poll
    report = worker.finish()
    assert report.ticks >= 4


def test_a_workspace_whose_service_cannot_be_built_does_not_stop_the_others(store, caplog):
    for ws in ("ws-bad", "ws-good"):
        record(store, ws, "e1")
    transport = Recording()
    service_for, _ = factory(store, transport)

    def fussy(workspace_id: str) -> NotificationService:
        if workspace_id == "ws-bad":
            raise RuntimeError("the host's tenant table is unreachable")
        return service_for(workspace_id)

    with caplog.at_level(logging.ERROR, logger="notifpolicy.worker"):
        worker = Running(store, fussy, poll=0.05, retry_after_error=dt.timedelta(minutes=5))
        wait_for(lambda: len(transport.sent) == 3)
        time.sleep(0.2)
        report = worker.finish()
    assert report.errors >= 1
    assert any("'ws-bad'" in r.getMessage() for r in caplog.records)
    # Tried again later, not in a busy loop.
    wake = store.earliest_wake_at()
    assert wake is not None
    assert wake > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)
    assert {i.status for i in store.items("ws-bad")} == {OutboxStatus.PENDING}


def test_an_event_that_sends_nothing_still_wakes_the_workspace_for_escalations(store):
    at = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)
    host = Host()
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=host,
        clock=ManualClock(at),
        transports={},
        conversations=host,
    )
    store.set_wake_at("ws", None, generation=0)
    # A mention of someone who is not in the roster: no delivery at all.
    report = service.handle(
        MemberMentioned(id="e1", conversation_id="c1", author_id="olga", mentioned=["x"])
    )
    assert report.decisions == ()
    assert store.earliest_wake_at() == at


@pytest.mark.parametrize(
    ("option", "value"),
    [("poll", 0), ("max_sleep", -1.0), ("poll", "5"), ("workspaces_per_round", 0)],
)
def test_bad_options_are_refused(option, value):
    with pytest.raises(ValidationError, match=option):
        run_worker(InMemoryStore(), lambda ws: None, **{option: value})  # type: ignore[arg-type, return-value]


CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from notifpolicy import Channel, ConversationCreated, Member, Role, Roster, SendResult
    from notifpolicy.adapters.clock import SystemClock
    from notifpolicy.adapters.sqlite import SqliteStore
    from notifpolicy.service import NotificationService
    from notifpolicy.worker import run_worker

    path, log = sys.argv[1], sys.argv[2]

    class Host:
        def roster(self, workspace_id):
            return Roster([Member("olga", Role.OWNER, channels=[Channel.EMAIL], email="o@x.org")])

    class Slow:
        def send(self, delivery, *, now):
            with open(log, "a") as f:
                f.write("start " + delivery.item.id + "\\n")
            time.sleep(0.3)
            with open(log, "a") as f:
                f.write("done " + delivery.item.id + "\\n")
            return SendResult.sent()

    store = SqliteStore(path)
    def service_for(ws):
        return NotificationService(workspace_id=ws, store=store, roster=Host(),
                                   clock=SystemClock(), transports={Channel.EMAIL: Slow()})
    for n in range(20):
        service_for("ws").handle(ConversationCreated(id=f"e{n}", conversation_id="c"), send=False)
    report = run_worker(store, service_for, poll=0.1)
    store.close()
    print("stopped", report.sent)
    """
)


def test_sigterm_stops_a_worker_process_cleanly(tmp_path):
    path, log = tmp_path / "w.sqlite3", tmp_path / "sends.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for(lambda: log.exists() and log.read_text().count("done") >= 2, seconds=60)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:  # pragma: no cover - only when the test failed
            child.kill()
    assert child.returncode == 0, err
    lines = log.read_text().splitlines()
    started = [line.split()[1] for line in lines if line.startswith("start")]
    done = [line.split()[1] for line in lines if line.startswith("done")]
    assert started == done  # the send in hand finished before it stopped
    assert out.split() == ["stopped", str(len(done))]
    with SqliteStore(path) as store:
        items = store.items("ws")
        now = dt.datetime.now(dt.UTC)
    assert {i.id for i in items if i.status is OutboxStatus.SENT} == set(done)
    rest = [i for i in items if i.status is OutboxStatus.PENDING]
    assert len(rest) == 20 - len(done) > 0
    assert all(i.due_at <= now and i.attempts == 0 for i in rest)  # none left leased


class Flaky(InMemoryStore):
    """The in-memory store, whose worker-facing calls fail the first time each is made."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = {"due_workspaces", "set_wake_at", "earliest_wake_at"}

    def _fail(self, name: str) -> None:
        if name in self.failing:
            self.failing.discard(name)
            raise StorageError(f"{name}: the database went away")

    def due_workspaces(self, now, limit, *, lease_until):
        self._fail("due_workspaces")
        return super().due_workspaces(now, limit, lease_until=lease_until)

    def set_wake_at(self, workspace_id, at, *, generation):
        self._fail("set_wake_at")
        super().set_wake_at(workspace_id, at, generation=generation)

    def earliest_wake_at(self):
        self._fail("earliest_wake_at")
        return super().earliest_wake_at()


def test_a_store_that_fails_now_and_then_is_logged_and_worked_around(caplog):
    store = Flaky()
    record(store, "ws-1", "e1")
    transport = Recording()
    service_for, _ = factory(store, transport)
    with caplog.at_level(logging.ERROR, logger="notifpolicy.worker"):
        worker = Running(
            store, service_for, poll=0.05, retry_after_error=dt.timedelta(milliseconds=50)
        )
        wait_for(lambda: not store.failing and len(transport.sent) == 3)
        record(store, "ws-1", "e2")  # after the failed write of its wake-up: still found
        wait_for(lambda: len(transport.sent) == 6)
        worker.finish()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "cannot take due workspaces" in messages
    assert "cannot write its next wake-up" in messages
    assert "cannot read the next wake-up" in messages


class BrokenListener:
    def __init__(self) -> None:
        self.closed = False

    def wait(self, timeout: float) -> bool:
        raise StorageError("cannot listen for new work: the connection was closed")

    def close(self) -> None:
        self.closed = True


class ListeningStore(InMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.listener = BrokenListener()

    def listen(self) -> BrokenListener:
        return self.listener


def test_a_lost_notification_connection_falls_back_to_polling(caplog):
    store = ListeningStore()
    transport = Recording()
    service_for, _ = factory(store, transport)
    with caplog.at_level(logging.ERROR, logger="notifpolicy.worker"):
        worker = Running(store, service_for, poll=0.05, max_sleep=30.0)
        wait_for(lambda: store.listener.closed)
        record(store, "ws-1", "e1")
        wait_for(lambda: len(transport.sent) == 3, seconds=5)  # by polling
        worker.finish()
    assert any("polling from now on" in r.getMessage() for r in caplog.records)


def test_the_service_cache_keeps_the_most_recently_used(store):
    for ws in ("ws-a", "ws-b", "ws-c"):
        record(store, ws, "e1")
    transport = Recording()
    service_for, built = factory(store, transport)
    worker = Running(store, service_for, poll=0.05, cache_size=1)
    wait_for(lambda: len(transport.sent) == 9)
    record(store, "ws-a", "e2")
    wait_for(lambda: len(transport.sent) == 12)
    worker.finish()
    assert sorted(built) == ["ws-a", "ws-a", "ws-b", "ws-c"]  # ws-a was built again


def test_sigterm_in_the_main_thread_stops_the_loop_and_restores_the_handler(store):
    record(store, "ws-1", "e1")
    previous = signal.getsignal(signal.SIGTERM)

    def terminate(delivery: Delivery) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler only sets a flag

    transport = Recording(terminate)
    service_for, _ = factory(store, transport)
    report = run_worker(store, service_for, poll=0.05)  # pytest runs tests in the main thread
    assert report.sent == 1  # the send in hand finished; the others were given back
    assert signal.getsignal(signal.SIGTERM) is previous


@pytest.mark.postgres
def test_the_listener_reports_a_lost_connection_as_a_storage_error(postgres_conninfo):
    schema = fresh_schema()
    try:
        with PostgresStore(postgres_conninfo, schema=schema) as store, store.listen() as listener:
            assert listener.wait(0.01) is False
            store.wake("ws", dt.datetime.now(dt.UTC))
            assert listener.wait(5) is True
            listener.close()
            with pytest.raises(StorageError, match="cannot listen"):
                listener.wait(0.01)
        with pytest.raises(StorageError, match="cannot listen"):
            PostgresListener("host=127.0.0.1 port=1 connect_timeout=2", store.channel)
    finally:
        drop_schema(postgres_conninfo, schema)
