"""The worker loop a host runs beside its web app: sleep until the service has work, then tick.

::

    while not stopping:
        wake = service.next_wake_at()          # None: nothing pending
        sleep until wake, at most --max-nap    # so new events and settings are picked up
        service.tick()

It runs on the real clock.  At start an event arrives whose in-app delivery fails on its first
attempt (the app's notification hub is restarting), so the service schedules a retry a second or
two away (``--retry-base`` seconds of backoff, with jitter); the loop sleeps until exactly then
and the retry is delivered.  SIGTERM or SIGINT (Ctrl-C) stops the loop between ticks, at once
even while it sleeps.

Run it with ``python examples/scheduler_loop.py --run-for 5`` (without ``--run-for`` it runs
until stopped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from notifpolicy import (
    Channel,
    ConversationCreated,
    Delivery,
    Member,
    OutboxStatus,
    Role,
    Roster,
    SendResult,
    SendStatus,
)
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.adapters.memory import InMemoryStore
from notifpolicy.service import NotificationService


def stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="microseconds")


class Team:
    def roster(self, workspace_id: str) -> Roster:
        return Roster([Member("anna", Role.AGENT, "Anna", channels=[Channel.IN_APP])])


class FlakyInApp:
    """An in-app transport whose first attempt fails with ``RETRY``; the rest are delivered."""

    def __init__(self) -> None:
        self.attempts = 0

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        self.attempts += 1
        if self.attempts == 1:
            return SendResult(SendStatus.RETRY, error="the notification hub is restarting")
        print(f"{stamp(now)} delivered to {delivery.destination}: {delivery.item.subject}")
        return SendResult.sent()


class Stop:
    """The signal handler: remembers the signal and wakes the sleeping loop.

    The loop sleeps in ``Event.wait`` rather than ``time.sleep``: after a signal handler returns,
    ``time.sleep`` goes on sleeping (PEP 475), so a long nap would delay the stop.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.reason = signal.Signals(signum).name
        self.event.set()


def run(service: NotificationService, *, run_for: float | None, max_nap: float, stop: Stop) -> None:
    clock = SystemClock()
    deadline = None if run_for is None else clock.now() + dt.timedelta(seconds=run_for)
    while not stop.event.is_set():
        now = clock.now()
        if deadline is not None and now >= deadline:
            stop.reason = "--run-for elapsed"
            break
        wake = service.next_wake_at(now=now)
        until = min(t for t in (wake, now + dt.timedelta(seconds=max_nap), deadline) if t)
        print(f"{stamp(now)} sleeping until {stamp(until)}, next wake {wake and stamp(wake)}")
        if stop.event.wait((until - now).total_seconds()):
            break  # stopped while asleep: no half-done work to finish
        at = clock.now()
        report = service.tick(now=at)
        woke = f"wake was {stamp(wake)}" if wake else "no wake"
        print(
            f"{stamp(at)} tick ({woke}): sent {list(report.sent)}, retried {list(report.retried)}"
        )


def seconds(text: str) -> float:
    """A number of seconds from 0.01 to a day: a zero nap would spin, a NaN never ends."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.01 <= value <= 86_400:  # False for NaN too
        raise argparse.ArgumentTypeError(f"expected seconds from 0.01 to 86400, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run-for", type=seconds, metavar="SECONDS", help="then stop")
    parser.add_argument("--max-nap", type=seconds, default=60.0, metavar="SECONDS")
    parser.add_argument("--retry-base", type=seconds, default=2.0, metavar="SECONDS")
    args = parser.parse_args(argv)

    store = InMemoryStore()
    service = NotificationService(
        workspace_id="ws-1",
        store=store,
        roster=Team(),
        clock=SystemClock(),
        transports={Channel.IN_APP: FlakyInApp()},
        # The first retry waits between half and all of the base (random jitter); the library's
        # default base is 30 seconds.
        backoff_base=dt.timedelta(seconds=args.retry_base),
    )
    stop = Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        report = service.handle(ConversationCreated(id="e1", conversation_id="c1", subject="Hi"))
        for item_id in report.retried:
            print(f"{stamp(SystemClock().now())} handled e1: {item_id} will be retried")
        run(service, run_for=args.run_for, max_nap=args.max_nap, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sent = [i.id for i in store.items("ws-1") if i.status is OutboxStatus.SENT]
    print(f"stopped ({stop.reason}); sent: {sent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
