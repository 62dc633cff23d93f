"""The smallest real host: the service over an in-memory store, with a transport that prints.

It shows the whole round trip in one screen: an owner saves the workspace settings, two events
arrive (one in the afternoon, one during quiet hours), a ``tick`` sends what was deferred, every
decision is explained, and an agent's attempt to change the settings is refused.

Run it with ``python examples/minimal_host.py``.  The clock is a manual one, so the output is the
same every run; a real host passes a clock whose ``now()`` returns ``datetime.now(UTC)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from notifpolicy import (
    Channel,
    ConversationCreated,
    Delivery,
    Member,
    MemberMentioned,
    PermissionDenied,
    Role,
    Roster,
    SendResult,
    explain,
)
from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.memory import InMemoryStore
from notifpolicy.service import NotificationService, TickReport

OLGA = Member(
    "olga", Role.OWNER, "Olga", channels=[Channel.IN_APP, Channel.EMAIL], email="olga@example.org"
)
ANNA = Member("anna", Role.AGENT, "Anna", channels=[Channel.IN_APP])
TEAM = Roster([OLGA, ANNA])


class Team:
    """The host's roster source: who is in the workspace (a real app reads its database)."""

    def roster(self, workspace_id: str) -> Roster:
        return TEAM


class PrintingTransport:
    """A transport: one attempt per delivery, answered with a ``SendResult``."""

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        item = delivery.item
        print(f"  -> {item.channel.value} to {delivery.destination}: {item.subject}")
        return SendResult.sent()


def show(service: NotificationService, report: TickReport) -> None:
    why = explain(report.decisions, roster=TEAM, settings=service.settings())
    for line in why.splitlines():
        print(f"  why: {line}")
    print(f"  sent now: {len(report.sent)}")


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    clock = ManualClock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))  # Monday 16:00 Amsterdam
    printer = PrintingTransport()
    service = NotificationService(
        workspace_id="ws-1",
        store=InMemoryStore(),
        roster=Team(),
        clock=clock,
        transports={Channel.IN_APP: printer, Channel.EMAIL: printer},
    )

    # 1. The owner saves the settings form: permission, validation, version check, audit entry.
    form = {
        "version": 1,
        "timezone": "Europe/Amsterdam",
        "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00", "mode": "defer"},
    }
    saved = service.save_settings(form, actor=OLGA.id)
    print(f"Olga saves the settings: now version {saved.value.version}")

    # 2. An event in the afternoon is sent at once, to everyone, on each channel they have.
    print("\n16:00  a customer opens a conversation")
    created = ConversationCreated(id="e1", conversation_id="c1", subject="Refund")
    show(service, service.handle(created))

    # 3. An event during quiet hours is deferred: in the outbox, not sent.
    clock.set(dt.datetime(2026, 3, 2, 22, 30, tzinfo=dt.UTC))  # 23:30 in Amsterdam
    print("\n23:30  Olga mentions Anna in a note")
    mention = MemberMentioned(id="e2", conversation_id="c1", author_id="olga", mentioned=["anna"])
    show(service, service.handle(mention))

    # 4. The worker sleeps until the service has work again, then ticks.
    wake = service.next_wake_at()
    if wake is None:
        return 1  # cannot happen: the deferred mention is waiting
    clock.set(wake)
    print(f"\n{wake.astimezone(service.settings().zone):%H:%M}  tick")
    print(f"  sent by tick: {', '.join(service.tick().sent)}")

    # 5. Only owners and admins may change the workspace settings: the roster says who Anna is.
    try:
        service.save_settings({"timezone": "UTC", "version": 2}, actor=ANNA.id)
    except PermissionDenied as exc:
        print(f"\nAnna tries to save the settings: refused: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
