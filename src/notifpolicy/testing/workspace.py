"""``Workspace``: one workspace under test, used by the pytest plugin's fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from notifpolicy._conversation import ConversationState
from notifpolicy._digest_figures import ConversationRecord
from notifpolicy._events import Event
from notifpolicy._kinds import MEMBER_CHANNELS, Channel, Role
from notifpolicy._outbox import Delivery
from notifpolicy._roster import Member, Roster
from notifpolicy._simulation.wake import run_until
from notifpolicy._timeutil import require_aware
from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.memory import InMemoryStore, RecordingTransport
from notifpolicy.service import NotificationService, TickReport

__all__ = ["START", "Workspace"]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
"""Where ``notifpolicy_clock`` starts: Monday 2 March 2026, 09:00 UTC."""


def _instant(at: dt.datetime | str) -> dt.datetime:
    value = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
    return require_aware(value, path="at")


class Workspace:
    """One workspace under test: an owner, a service over in-memory ports, recording transports.

    The owner (``olga``) exists from the start, so ``configure`` can save settings.
    """

    def __init__(
        self, store: InMemoryStore, clock: ManualClock, workspace_id: str = "ws-test"
    ) -> None:
        self.store = store
        self.clock = clock
        self.workspace_id = workspace_id
        self.owner = Member("olga", Role.OWNER, "Olga", email="olga@example.org")
        self.members: list[Member] = [self.owner]
        self.conversations: list[ConversationState] = []
        self.records: list[ConversationRecord] = []
        self.transports = {channel: RecordingTransport() for channel in Channel}
        self.service = NotificationService(
            workspace_id=workspace_id,
            store=store,
            roster=self,
            clock=clock,
            transports=self.transports,
            conversations=self,
            digests=self,
            jitter=lambda: 0.5,
        )

    # The host-side ports, answered from this object's lists.
    def roster(self, workspace_id: str) -> Roster:
        return Roster(self.members)

    def open_conversations(self, workspace_id: str) -> Iterable[ConversationState]:
        return [c for c in self.conversations if c.is_open]

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> Iterable[ConversationRecord]:
        return self.records

    # -- arranging ------------------------------------------------------------------------------

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Save workspace settings as the owner: ``settings`` is a merge patch over the current
        ones (keys left out keep their values, ``None`` resets one to its default); the version
        is filled in."""
        current = self.service.settings()
        self.service.save_settings({**settings, "version": current.version}, actor=self.owner.id)

    def add_member(
        self,
        member_id: str,
        role: Role = Role.AGENT,
        *,
        channels: Iterable[Channel] = MEMBER_CHANNELS,
        email: str | None = None,
        active: bool = True,
        overrides: Mapping[str, Any] | None = None,
    ) -> Member:
        """Add a member, and save their overrides (``{"mention": False}``) if given.

        The member saves the overrides themselves, as the roster's member; one added
        deactivated saved them while still active (a deactivated member can save nothing).
        """
        member = Member(member_id, role, member_id.title(), True, channels, email)
        self.members.append(member)
        if overrides is not None:
            current = self.store.get_preferences(self.workspace_id, member_id)
            self.service.save_preferences(
                member_id, {"overrides": overrides, "version": current.version}, actor=member_id
            )
        if not active:
            member = attrs.evolve(member, active=False)
            self.members[-1] = member
        return member

    # -- acting ---------------------------------------------------------------------------------

    def at(self, when: dt.datetime | str) -> None:
        """Set the clock (an aware datetime or an ISO string with an offset)."""
        self.clock.set(_instant(when))

    def handle(self, event: Event) -> TickReport:
        """Report an event now."""
        return self.service.handle(event)

    def run_until(self, when: dt.datetime | str) -> list[TickReport]:
        """Advance the clock, ticking at every ``next_wake_at`` on the way, and at ``when``."""
        end = _instant(when)
        reports: list[TickReport] = []
        run_until(self.service, self.clock, end, reports.append)
        self.clock.set(end)
        reports.append(self.service.tick())
        return reports

    # -- asserting ------------------------------------------------------------------------------

    @property
    def sent(self) -> list[Delivery]:
        """Every delivery the transports got, in order per channel."""
        return [d for t in self.transports.values() for d in t.sent]

    def sent_to(self, recipient: str, *, channel: Channel | None = None) -> list[Delivery]:
        """The deliveries to one member (or ``"slack"``), on one channel or all."""
        return [
            d
            for d in self.sent
            if d.item.recipient == recipient and (channel is None or d.item.channel is channel)
        ]
