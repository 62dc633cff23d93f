"""Leases that hold: two worker processes on one SQLite file, a slow transport, a short lease.

Before leases were taken a few items at a time, one lease covered a whole batch sent one by one:
with a 2 s lease and a 20 ms transport a second worker took over, and most of 500 items were
sent twice.  Here every send is recorded by the transport in a shared file; the law is that each
item is sent exactly once.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterable
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from notifpolicy import Channel, Member, Role, Roster, SendResult, ValidationError
from notifpolicy._outbox import Delivery, OutboxItem, OutboxStatus
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock

ITEMS = 200
ANNA = Member("anna", Role.AGENT, "Anna", channels=[Channel.EMAIL], email="anna@example.org")


class _Host:
    def roster(self, workspace_id: str) -> Roster:
        return Roster([ANNA])

    def open_conversations(self, workspace_id: str) -> Iterable[object]:
        return []


class SlowLoggingTransport:
    """Takes ``seconds`` per send (every tenth one up to ``slowest``) and appends the item id
    to a file shared by every process (one ``O_APPEND`` write per line)."""

    def __init__(self, log: str, seconds: float, slowest: float) -> None:
        self._log = log
        self._seconds = seconds
        self._slowest = slowest
        self._count = 0

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        self._count += 1
        time.sleep(self._slowest if self._count % 10 == 0 else self._seconds)
        fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{os.getpid()} {delivery.item.id}\n".encode())
        finally:
            os.close(fd)
        return SendResult.sent()


def _work(path: str, log: str, start: Barrier) -> tuple[int, int]:
    """One worker's loop, as docs/concepts/service.md says: tick until nothing is due."""
    with SqliteStore(path) as store:
        service = NotificationService(
            workspace_id="ws",
            store=store,
            roster=_Host(),
            clock=SystemClock(),
            transports={Channel.EMAIL: SlowLoggingTransport(log, 0.02, 0.2)},
            lease=dt.timedelta(seconds=2),
            send_deadline=dt.timedelta(seconds=0.25),
        )
        start.wait()
        sent = fenced = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report = service.tick()
            sent += len(report.sent)
            fenced += len(report.errors)
            wake = service.next_wake_at()
            if wake is None:
                break
            if not report.sent:
                time.sleep(min(max((wake - SystemClock().now()).total_seconds(), 0.0), 0.2))
        return sent, fenced


def _items(now: dt.datetime) -> list[OutboxItem]:
    return [
        OutboxItem(
            id=f"ws:item:{n:04d}",
            workspace_id="ws",
            event_id=f"e{n}",
            conversation_id=None,
            recipient="anna",
            channel=Channel.EMAIL,
            kinds=("new_conversation",),
            due_at=now,
            subject=f"#{n}",
            text="hello",
        )
        for n in range(ITEMS)
    ]


def test_two_processes_send_every_item_exactly_once(tmp_path: Path):
    path = str(tmp_path / "outbox.sqlite3")
    log = str(tmp_path / "sent.log")
    with SqliteStore(path) as store:
        store.enqueue(_items(SystemClock().now()))
    ctx = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with ctx.Manager() as manager:
        start = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            pending = [pool.apply_async(_work, (path, log, start)) for _ in range(2)]
            results = [p.get(timeout=120) for p in pending]
    elapsed = time.monotonic() - started
    lines = Path(log).read_text().splitlines()
    sends = Counter(line.split()[1] for line in lines)
    twice = [i for i, n in sends.items() if n > 1]
    lost = ITEMS - len(sends)
    summary = f"{len(lines)} sends in {elapsed:.1f} s, per worker (sent, fenced) {results}"
    assert twice == [], summary
    assert lost == 0, summary
    assert sum(sent for sent, _ in results) == ITEMS
    assert all(sent > 0 for sent, _ in results), "both workers took part"
    with SqliteStore(path) as store:
        assert {i.status for i in store.items("ws")} == {OutboxStatus.SENT}
        assert all(i.attempts == 1 for i in store.items("ws"))


class _StepClock:
    """A clock that moves ``step`` forward every time it is read (a slow world)."""

    def __init__(self, start: dt.datetime, step: dt.timedelta) -> None:
        self.at = start
        self.step = step

    def now(self) -> dt.datetime:
        self.at += self.step
        return self.at


class _Recording:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dt.datetime]] = []

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        self.sent.append((delivery.item.id, now))
        return SendResult.sent()


def test_a_send_starts_only_while_its_lease_covers_it():
    """Every send starts at least ``send_deadline`` before the end of its item's lease."""
    store = InMemoryStore()
    t0 = dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)
    store.enqueue(_items(t0)[:50])
    leases: list[tuple[str, dt.datetime]] = []
    real_lease_due = store.lease_due

    def lease_due(*args: object, **kwargs: object) -> tuple[OutboxItem, ...]:
        got = real_lease_due(*args, **kwargs)  # type: ignore[arg-type]
        leases.extend((i.id, i.leased_until) for i in got)  # type: ignore[misc]
        return got

    store.lease_due = lease_due  # type: ignore[method-assign]
    transport = _Recording()
    clock = _StepClock(t0, dt.timedelta(seconds=1))
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=_Host(),
        clock=clock,
        transports={Channel.EMAIL: transport},
        lease=dt.timedelta(seconds=20),
        send_deadline=dt.timedelta(seconds=3),
    )
    report = service.tick()
    assert len(report.sent) == 50  # the batch went out, in leases of 20 s // 3 s = 6 items
    lease_of = dict(leases)
    assert len(set(lease_of.values())) >= 50 // 6
    for item_id, started in transport.sent:
        assert lease_of[item_id] - started >= dt.timedelta(seconds=3)


def test_a_send_that_overruns_stops_the_batch_instead_of_outliving_the_lease():
    store = InMemoryStore()
    t0 = dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)
    store.enqueue(_items(t0)[:6])
    clock = ManualClock(t0)

    class Stuck:
        def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
            clock.advance(dt.timedelta(seconds=16))  # far past its deadline
            return SendResult.sent()

    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=_Host(),
        clock=clock,
        transports={Channel.EMAIL: Stuck()},
        lease=dt.timedelta(seconds=20),
        send_deadline=dt.timedelta(seconds=5),
    )
    report = service.tick()
    # 20 s // 5 s = 4 leased; after one 16 s send only 4 s of lease are left: not enough for
    # the next.  The three left over are due again when the lease ends.
    assert len(report.sent) == 1
    assert service.next_wake_at() == t0 + dt.timedelta(seconds=16)
    left = [i for i in store.items("ws") if i.status is OutboxStatus.PENDING]
    assert {i.due_at for i in left} == {t0 + dt.timedelta(seconds=20), t0}


def test_a_fenced_out_outcome_is_reported_not_written():
    store = InMemoryStore()
    t0 = dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)
    store.enqueue(_items(t0)[:1])
    clock = ManualClock(t0)
    taken: list[OutboxItem] = []

    class Overtaken:
        """While this send hangs, the lease lapses and another worker takes the item."""

        def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
            later = t0 + dt.timedelta(minutes=3)
            taken.extend(
                store.lease_due("ws", later, 10, lease_until=later + dt.timedelta(minutes=2))
            )
            return SendResult.sent()

    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=_Host(),
        clock=clock,
        transports={Channel.EMAIL: Overtaken()},
    )
    report = service.tick()
    assert report.sent == ()
    (error,) = report.errors
    assert "the lease ran out" in str(error)
    (item,) = taken
    assert store.mark_sent(item, t0)  # the worker that holds it now records its outcome


@pytest.mark.parametrize(
    ("lease", "deadline"),
    [
        (dt.timedelta(seconds=10), dt.timedelta(seconds=10)),
        (dt.timedelta(1), dt.timedelta(0)),
        (120, dt.timedelta(seconds=1)),
    ],
)
def test_the_lease_must_outlast_a_send(lease, deadline):
    with pytest.raises(
        ValidationError,
        match=r"lease: must be (longer than send_deadline|a datetime.timedelta, got int)",
    ):
        NotificationService(
            workspace_id="ws",
            store=InMemoryStore(),
            roster=_Host(),
            clock=SystemClock(),
            transports={},
            lease=lease,
            send_deadline=deadline,
        )
