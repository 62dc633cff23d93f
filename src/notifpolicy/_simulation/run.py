"""Plays a :class:`DayPlan` through the real :class:`NotificationService` and records what it did.

Theory of operation.  The simulation is the host app (:class:`~.host.Helpdesk`): it keeps the
conversations (the escalation check's states and the digest's records), reports what happens as
events, and moves a :class:`ManualClock`.  Between two actions of the plan it wakes the service
exactly when the service asks to be woken (:func:`~.wake.run_until`), never by polling, so every
escalation fires at its due instant.  Transports record
instead of sending.  After each ``handle`` or ``tick`` the :class:`TickReport` and the recorded
deliveries become timeline entries.

The window: from local midnight to the next local midnight (23 or 25 hours on DST days); when
quiet hours are on at that midnight, on without new traffic up to and including the instant they
end, so the evening's deferred deliveries and catch-ups are sent; then until the outbox holds
nothing due by then (Slack messages are paced one per second).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

import attrs

from notifpolicy import (
    Channel,
    Decision,
    OutboxItem,
    Outcome,
    ReasonCode,
    Roster,
    WorkspaceSettings,
)
from notifpolicy._simulation.host import Helpdesk
from notifpolicy._simulation.traffic import Action, DayPlan
from notifpolicy._simulation.wake import run_until
from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.memory import RecordingTransport
from notifpolicy.ports import Store
from notifpolicy.service import NotificationService, TickReport

__all__ = [
    "WORKSPACE_ID",
    "CatchUpEntry",
    "DigestEntry",
    "Entry",
    "EscalationEntry",
    "HeldEntry",
    "ProblemEntry",
    "SentEntry",
    "Simulation",
    "TrafficEntry",
    "simulate",
]

WORKSPACE_ID = "sim"
_ONE_US = dt.timedelta(microseconds=1)

Targets = tuple[tuple[str, str], ...]  # (channel, recipient) pairs, in the order decided or sent
# Held decisions shown on one line: event id, outcome label, reasons, until, kinds.
_HeldKey = tuple[str, str, tuple[str, ...], dt.datetime | None, tuple[str, ...]]


@attrs.frozen
class TrafficEntry:
    at: dt.datetime
    action: Action
    event_id: str | None


@attrs.frozen
class SentEntry:
    at: dt.datetime
    event_id: str
    conversation_id: str | None
    kinds: tuple[str, ...]
    subject: str
    reasons: tuple[str, ...]
    targets: Targets


@attrs.frozen
class HeldEntry:
    at: dt.datetime
    outcome: str  # deferred, summarized or suppressed
    event_id: str
    conversation_id: str | None
    kinds: tuple[str, ...]
    reasons: tuple[str, ...]
    until: dt.datetime | None  # deferred: when it will be sent; summarized: the catch-up; else None
    targets: Targets


@attrs.frozen
class EscalationEntry:
    at: dt.datetime
    kind: str
    conversation_id: str
    due_at: dt.datetime
    key: str


@attrs.frozen
class CatchUpEntry:
    at: dt.datetime
    member_id: str
    counts: tuple[tuple[str, int], ...]
    conversation_ids: tuple[str, ...]
    channels: tuple[str, ...]
    key: str


@attrs.frozen
class DigestEntry:
    at: dt.datetime
    kind: str
    key: str
    start: dt.datetime
    end: dt.datetime
    recipients: tuple[str, ...]


@attrs.frozen
class ProblemEntry:
    at: dt.datetime
    what: str  # failed, dropped or error
    item_id: str | None
    message: str


Entry = (
    TrafficEntry
    | SentEntry
    | HeldEntry
    | EscalationEntry
    | CatchUpEntry
    | DigestEntry
    | ProblemEntry
)


@attrs.frozen
class Simulation:
    """What one simulated day did, ready to print."""

    plan: DayPlan
    settings: WorkspaceSettings
    stop: dt.datetime  # the last instant the service ran at (without the outbox drain)
    entries: tuple[Entry, ...]
    outcomes: tuple[tuple[str, int], ...]  # decisions per outcome
    reasons: tuple[tuple[str, int], ...]  # reason codes over every decision
    outbox: tuple[OutboxItem, ...]


def _label(d: Decision) -> str:
    if d.outcome is Outcome.DEFER:
        return "deferred"
    if d.outcome is Outcome.DELIVER:
        return "delivered"
    # In summarize mode a held Slack message is dropped: the catch-up is per member, so Slack's
    # copy is in none (explain calls it suppress too, "dropped").
    if ReasonCode.QUIET_HOURS_SUMMARIZE in d.codes() and not d.is_slack:
        return "summarized"
    return "suppressed"


def _until(d: Decision, label: str) -> dt.datetime | None:
    """When a held decision comes back: a deferral's send, a summarized one's catch-up.

    A suppressed decision never comes back, even where the library notes the end of the quiet
    period that held it (``held_until``, in suppress mode and for Slack in summarize mode).
    """
    if label == "deferred":
        return d.deliver_at
    if label == "summarized":
        return d.held_until
    return None


def _target(d: Decision) -> tuple[str, str]:
    return d.channel.value, str(d.recipient)


@attrs.define
class _Run:
    """One simulated day in progress: the service and the host around it, and what it recorded."""

    service: NotificationService
    clock: ManualClock
    desk: Helpdesk
    recorder: RecordingTransport
    store: Store
    entries: list[Entry] = attrs.field(factory=list, init=False)
    outcomes: Counter[str] = attrs.field(factory=Counter, init=False)
    reasons: Counter[str] = attrs.field(factory=Counter, init=False)
    # Why each (event, recipient, channel) was delivered, for the "sent" lines.
    _why: dict[tuple[str, str, str], tuple[str, ...]] = attrs.field(factory=dict, init=False)
    _seen: int = attrs.field(default=0, init=False)  # recorded deliveries already turned into lines

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(dt.UTC)

    def act(self, action: Action) -> None:
        self.clock.set(action.at)
        event_id = f"evt{action.order + 1}"
        event = self.desk.apply(action, event_id)
        self.entries.append(TrafficEntry(action.at, action, None if event is None else event_id))
        if event is not None:
            self._record(self.service.handle(event))

    def tick(self) -> None:
        self._record(self.service.tick())

    def run_until(self, limit: dt.datetime, on_step: Callable[[], None]) -> None:
        """Wake the service whenever it asks, up to and including ``limit``."""

        def record(report: TickReport) -> None:
            self._record(report)
            on_step()

        run_until(self.service, self.clock, limit, record)

    def drain(self, last: dt.datetime, on_step: Callable[[], None]) -> None:
        """Keep sending until nothing due by ``last`` is left in the outbox (paced Slack)."""
        while (due := self.store.next_due_at(WORKSPACE_ID)) is not None and due <= last:
            wake = self.service.next_wake_at()
            assert wake is not None  # noqa: S101 -- a pending item is a reason to wake
            self.clock.set(wake)
            self.tick()
            on_step()

    def _record(self, report: TickReport) -> None:
        at = self.now()
        for e in report.escalations:
            self.entries.append(EscalationEntry(at, e.kind, e.conversation_id, e.due_at, e.key))
        for c in report.catchups:
            counts = tuple((k, n) for k, n in c.counts.items())
            channels = tuple(ch.value for ch in c.channels)
            self.entries.append(
                CatchUpEntry(at, c.member_id, counts, c.conversation_ids, channels, c.key)
            )
        for p in report.digests:
            recipients = tuple(
                str(d.recipient)
                for d in report.decisions
                if d.event_id == p.key and d.outcome is Outcome.DELIVER
            )
            self.entries.append(DigestEntry(at, p.kind, p.key, p.start, p.end, recipients))
        held: dict[_HeldKey, tuple[str, Decision, list[tuple[str, str]]]] = {}
        for d in report.decisions:
            label = _label(d)
            reasons = tuple(str(r) for r in d.reasons)
            self.outcomes[label] += 1
            self.reasons.update(r.code.value for r in d.reasons)
            channel, recipient = _target(d)
            self._why[(d.event_id, recipient, channel)] = reasons
            if d.outcome is not Outcome.DELIVER:
                group = (d.event_id, label, reasons, _until(d, label), d.kinds)
                held.setdefault(group, (label, d, []))[2].append((channel, recipient))
        for (_, label, reasons, until, _), (_, d, targets) in held.items():
            self.entries.append(
                HeldEntry(
                    at,
                    label,
                    d.event_id,
                    d.conversation_id,
                    d.kinds,
                    reasons,
                    until,
                    tuple(targets),
                )
            )
        self._record_sent(at)
        for item_id, error in report.failed:
            self.entries.append(ProblemEntry(at, "failed", item_id, error))
        for item_id, why in report.dropped:
            self.entries.append(ProblemEntry(at, "dropped", item_id, why))
        for exc in report.errors:
            self.entries.append(ProblemEntry(at, "error", None, " ".join(str(exc).split())))

    def _record_sent(self, at: dt.datetime) -> None:
        fresh = self.recorder.sent[self._seen :]
        self._seen = len(self.recorder.sent)
        groups: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], list[tuple[str, str]]] = {}
        items: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], OutboxItem] = {}
        for delivery in fresh:
            item = delivery.item
            why = self._why.get((item.event_id, item.recipient, item.channel.value), ())
            key = (item.event_id, item.subject, why, item.kinds)
            groups.setdefault(key, []).append((item.channel.value, item.recipient))
            items.setdefault(key, item)
        for key, targets in groups.items():
            item = items[key]
            self.entries.append(
                SentEntry(
                    at,
                    item.event_id,
                    item.conversation_id,
                    item.kinds,
                    item.subject,
                    key[2],
                    tuple(targets),
                )
            )


def window_stop(settings: WorkspaceSettings, end: dt.datetime) -> dt.datetime | None:
    """When the service stops: the end of the quiet period in progress at ``end`` (the next
    local midnight), or ``None`` when that midnight is not quiet."""
    until = settings.quiet_hours.quiet_until(end, settings.zone)
    return None if until is None else until.astimezone(dt.UTC)


def simulate(
    settings: WorkspaceSettings,
    plan: DayPlan,
    store: Store,
    *,
    progress: Callable[[float], None] = lambda fraction: None,
    extra_webhook_hosts: Iterable[str] = (),
) -> Simulation:
    """Play ``plan`` through a service on ``store`` and return what happened."""
    clock = ManualClock(plan.start)
    desk = Helpdesk(Roster(plan.members))
    recorder = RecordingTransport()
    service = NotificationService(
        workspace_id=WORKSPACE_ID,
        store=store,
        roster=desk,
        clock=clock,
        transports=dict.fromkeys(Channel, recorder),
        conversations=desk,
        digests=desk,
        extra_webhook_hosts=extra_webhook_hosts,
        jitter=lambda: 0.5,  # no retries happen here; fixed anyway, so nothing is random
    )
    owner = plan.members[0]
    service.save_settings({**settings.to_dict(), "version": 1}, actor=owner.id)
    for member_id, overrides in plan.overrides:
        draft: Mapping[str, object] = {"overrides": overrides, "version": 1}
        service.save_preferences(member_id, draft, actor=member_id)
    quiet_end = window_stop(settings, plan.end)
    # Without quiet hours at midnight the day ends just before it: the next midnight's
    # work (a digest sent at 00:00, say) belongs to the next day.
    last = quiet_end if quiet_end is not None else plan.end - _ONE_US
    total = (last - plan.start) / _ONE_US
    run = _Run(service, clock, desk, recorder, store)

    def step() -> None:
        progress(min(1.0, max(0.0, (run.now() - plan.start) / _ONE_US / total)))

    run.tick()  # midnight itself: a digest scheduled at 00:00 goes out now
    for action in plan.actions:
        run.run_until(action.at, step)
        run.act(action)
        step()
    run.run_until(last, step)
    run.drain(last, step)
    progress(1.0)
    return Simulation(
        plan=plan,
        settings=settings,
        stop=last,
        entries=tuple(run.entries),
        outcomes=_ordered(run.outcomes, ("delivered", "deferred", "summarized", "suppressed")),
        reasons=tuple(sorted(run.reasons.items())),
        outbox=store.items(WORKSPACE_ID),
    )


def _ordered(counts: Counter[str], names: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple((name, counts[name]) for name in names)
