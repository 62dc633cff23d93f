"""The worker loop: one process serves many workspaces, and many such processes share them.

A host runs :func:`run_worker` from its process manager (systemd, a container, a Django
management command, a task queue's beat).  Each round it asks the store for the workspaces whose
wake-up has come (:meth:`~notifpolicy.ports.WakeUps.due_workspaces`: an index lookup, never a
scan of every workspace), ticks each with the :class:`~notifpolicy.service.NotificationService`
the host's factory builds for it (kept for the next rounds: a service remembers its Slack
pacing and how far its catch-ups got), ticks again while a tick sent something, and writes the
workspace's next wake-up back (:meth:`~notifpolicy.ports.WakeUps.set_wake_at`).  With nothing
due it sleeps until the earliest wake-up of any workspace: on PostgreSQL it wakes at once when
a ``NOTIFY`` says new work or new settings arrived; on other stores it looks again at least every
``poll`` seconds.

It stops cleanly on SIGTERM or SIGINT (or when ``stop`` says so): the send in hand finishes, the
items leased for sends not started are given back, and the workspaces taken but not ticked are
put back as due, so another worker carries on at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Protocol

import attrs

from notifpolicy._errors import ValidationError
from notifpolicy._outbox import WakeUp
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.ports import Clock, Store
from notifpolicy.service import NotificationService, TickReport

__all__ = ["WorkerReport", "run_worker"]

log = logging.getLogger("notifpolicy.worker")

_IDLE = 0.05  # seconds: the least a worker waits when others hold every due workspace


class _Listener(Protocol):
    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


@attrs.frozen
class WorkerReport:
    """What one :func:`run_worker` did before it stopped."""

    rounds: int = 0
    """Times it asked the store for due workspaces."""
    ticks: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: int = 0
    """Errors the ticks reported, and ticks that raised (each logged)."""
    wakeups: int = 0
    """Times a notification (PostgreSQL ``NOTIFY``) cut a sleep short."""


def run_worker(
    store: Store,
    service_for: Callable[[str], NotificationService],
    *,
    clock: Clock | None = None,
    stop: threading.Event | Callable[[], bool] | None = None,
    handle_signals: bool = True,
    workspaces_per_round: int = 1,
    lease: dt.timedelta = dt.timedelta(minutes=2),
    poll: float = 5.0,
    max_sleep: float = 60.0,
    retry_after_error: dt.timedelta = dt.timedelta(seconds=30),
    cache_size: int = 1000,
) -> WorkerReport:
    """Tick the workspaces whose wake-up has come, and sleep until the next, until stopped.

    ``service_for(workspace_id)`` builds the workspace's service on ``store`` (the same store
    object, or one on the same database); it is called once per workspace and the service kept
    (at most ``cache_size``, least recently used dropped).  ``clock`` must agree with the
    services' clocks (``SystemClock`` by default).  ``stop``: an event, or a callable asked
    between sends, that ends the loop; with ``handle_signals`` (and when called from the main
    thread) SIGTERM and SIGINT end it too, and the previous handlers come back on return.

    ``workspaces_per_round``: how many workspaces one round takes (one: the next due workspace
    goes to whichever worker is free first, so busy workspaces spread over the workers); each is
    held for ``lease`` (another worker takes it over when this one dies).  ``poll``: the
    longest sleep without ``LISTEN``/``NOTIFY`` (every store but PostgreSQL); ``max_sleep``: the
    longest with it.  A workspace whose tick raised (a database that went away, a factory that
    failed) is logged and tried again after ``retry_after_error``.
    """
    for name, value in (("poll", poll), ("max_sleep", max_sleep)):
        if not isinstance(value, int | float) or not value > 0:
            raise ValidationError.single(name, "range", f"must be a positive number, got {value!r}")
    if not isinstance(workspaces_per_round, int) or workspaces_per_round < 1:
        raise ValidationError.single(
            "workspaces_per_round", "range", f"must be at least 1, got {workspaces_per_round!r}"
        )
    worker = _Worker(
        store,
        service_for,
        clock or SystemClock(),
        stop,
        workspaces_per_round,
        lease,
        poll,
        max_sleep,
        retry_after_error,
        cache_size,
    )
    with _signals(worker.halt, enabled=handle_signals):
        worker.run()
    return WorkerReport(**worker.counts)


@contextmanager
def _signals(halt: threading.Event, *, enabled: bool) -> Iterator[None]:
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        halt.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class _Worker:
    def __init__(
        self,
        store: Store,
        service_for: Callable[[str], NotificationService],
        clock: Clock,
        stop: threading.Event | Callable[[], bool] | None,
        per_round: int,
        lease: dt.timedelta,
        poll: float,
        max_sleep: float,
        retry_after_error: dt.timedelta,
        cache_size: int,
    ) -> None:
        self.store = store
        self.service_for = service_for
        self.clock = clock
        self.halt = threading.Event()
        self.user_stop: Callable[[], bool] | None = (
            stop.is_set if isinstance(stop, threading.Event) else stop
        )
        self.per_round = per_round
        self.lease = lease
        self.poll = poll
        self.max_sleep = max_sleep
        self.retry_after_error = retry_after_error
        self.cache_size = cache_size
        self.services: OrderedDict[str, NotificationService] = OrderedDict()
        self.listener: _Listener | None = None
        # Counted by WorkerReport's field names, which the report is built from.
        self.counts: Counter[str] = Counter()

    def stopping(self) -> bool:
        if not self.halt.is_set() and self.user_stop is not None and self.user_stop():
            self.halt.set()
        return self.halt.is_set()

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(dt.UTC)

    def run(self) -> None:
        listen = getattr(self.store, "listen", None)
        self.listener = listen() if callable(listen) else None
        log.info(
            "worker started (%s)", "LISTEN/NOTIFY" if self.listener else f"polling, {self.poll} s"
        )
        try:
            while not self.stopping():
                taken = self.round()
                if taken is None:
                    self.sleep(min(self.retry_after_error.total_seconds(), self.poll))
                elif not taken:
                    self.sleep(self.sleep_for())
        finally:
            if self.listener is not None:
                self.listener.close()
            log.info(
                "worker stopped after %d ticks, %d sent", self.counts["ticks"], self.counts["sent"]
            )

    def round(self) -> int | None:
        """Tick the due workspaces; how many there were (``None``: the store failed)."""
        self.counts["rounds"] += 1
        now = self.now()
        try:
            due = self.store.due_workspaces(now, self.per_round, lease_until=now + self.lease)
        except Exception:
            log.exception("cannot take due workspaces")
            return None
        for wake in due:
            if self.stopping():
                # Not started: due again at once, for another worker.
                self.put_back(wake, wake.wake_at)
                continue
            self.serve(wake)
        return len(due)

    def serve(self, wake: WakeUp) -> None:
        workspace = wake.workspace_id
        try:
            service = self.service(workspace)
            report = service.tick(stop=self.stopping)
            self.count(report)
            while report.sent and not self.stopping():  # more may be due: drain it
                report = service.tick(stop=self.stopping)
                self.count(report)
            next_at = service.next_wake_at()
            log.debug(
                "workspace %r ticked; next wake-up %s",
                workspace,
                "none" if next_at is None else next_at.isoformat(),
                extra={"workspace_id": workspace},
            )
        except Exception:  # host code (the factory, the roster) or the database: logged, retried
            self.counts["errors"] += 1
            log.exception("workspace %r: the tick failed; trying again later", workspace)
            next_at = self.now() + self.retry_after_error
        self.put_back(wake, next_at)

    def count(self, report: TickReport) -> None:
        self.counts["ticks"] += 1
        self.counts["sent"] += len(report.sent)
        self.counts["retried"] += len(report.retried)
        self.counts["failed"] += len(report.failed)
        self.counts["errors"] += len(report.errors)

    def put_back(self, wake: WakeUp, at: dt.datetime | None) -> None:
        try:
            self.store.set_wake_at(wake.workspace_id, at, generation=wake.generation)
        except Exception:  # its lease runs out and another worker takes it then
            log.exception("workspace %r: cannot write its next wake-up", wake.workspace_id)

    def service(self, workspace: str) -> NotificationService:
        service = self.services.get(workspace)
        if service is None:
            service = self.service_for(workspace)
            self.services[workspace] = service
            while len(self.services) > self.cache_size:
                self.services.popitem(last=False)
        else:
            self.services.move_to_end(workspace)
        return service

    def sleep_for(self) -> float:
        cap = self.max_sleep if self.listener is not None else self.poll
        try:
            earliest = self.store.earliest_wake_at()
        except Exception:
            log.exception("cannot read the next wake-up")
            return min(cap, self.retry_after_error.total_seconds())
        if earliest is None:
            return cap
        return min(max((earliest - self.now()).total_seconds(), _IDLE), cap)

    def sleep(self, seconds: float) -> None:
        """Up to ``seconds``, cut short by a stop or (with a listener) a notification."""
        deadline = time.monotonic() + seconds
        while not self.stopping():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.listener is None:
                self.halt.wait(min(left, 0.2))
                continue
            try:
                if self.listener.wait(min(left, 0.5)):
                    self.counts["wakeups"] += 1
                    return
            except Exception:
                log.exception("lost the notification connection; polling from now on")
                with suppress(Exception):
                    self.listener.close()
                self.listener = None
                deadline = min(deadline, time.monotonic() + self.poll)
