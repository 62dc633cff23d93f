"""The service shell: the only code that calls ports, reads a clock or sends anything.

Theory of operation.  The core decides; this shell carries decisions through the outbox:

1. **In the outbox before it is sent.**  ``handle`` decides, writes every delivery (now or
   deferred) to the outbox, and only then sends what is due.  A crash between the two loses
   nothing: the next ``tick`` sends it.  Transports are therefore **at least once**: a crash after
   a send and before ``mark_sent`` sends that item again.
2. **Exactly once for keyed decisions.**  Escalations, digest periods and quiet-hours catch-ups
   have keys; ``tick`` claims a key and enqueues its deliveries in one atomic ledger operation,
   so across any number of workers each key's deliveries are enqueued once.
3. **Retries** are the outbox's: a ``RETRY`` result reschedules the item with capped exponential
   backoff and the jitter the host passes in (or the transport's ``Retry-After``); after
   ``max_attempts`` attempts, or on a ``PERMANENT`` result, the item is marked failed with its
   error, never silently dropped.  Slack deliveries are paced to about one per second per
   service (Slack's limit per webhook) instead of collecting 429s.
4. **Held items.**  In ``summarize`` mode, member deliveries held by quiet hours go to the
   outbox as ``HELD`` records (the decision as JSON, ``due_at`` = the end of the quiet period);
   when the period is over, ``tick`` builds one catch-up per member from them.

``next_wake_at`` says when the service needs ``tick`` again, so a host can sleep instead of poll.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CatchUp, _is_summarized, build_catchups, catchup_text
from notifpolicy._conversation import ConversationState
from notifpolicy._decide import decide
from notifpolicy._decision import Decision, Outcome
from notifpolicy._digest import build_report
from notifpolicy._digest_render import render_digest
from notifpolicy._digest_schedule import DailyDigest, DigestPeriod, WeeklyDigest
from notifpolicy._errors import NotifPolicyError, PermissionDenied, ValidationError, quote
from notifpolicy._escalation import Escalation, due, next_check_at
from notifpolicy._events import DigestReady, EscalationDue, Event, SlaBreached
from notifpolicy._keys import key_part
from notifpolicy._kinds import Channel, KindRegistry
from notifpolicy._outbox import (
    SLACK_RECIPIENT,
    Delivery,
    OutboxItem,
    OutboxStatus,
    SendResult,
    SendStatus,
)
from notifpolicy._preferences import MemberPreferences
from notifpolicy._roster import Member, Roster
from notifpolicy._saving import (
    AuditEntry,
    SaveResult,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy._secret import Secret
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._slack_payload import slack_payload
from notifpolicy._timeutil import require_aware
from notifpolicy.ports import (
    Clock,
    ConversationSource,
    DigestSource,
    RosterSource,
    Store,
    Transport,
)

__all__ = ["NotificationService", "TickReport"]

_ONE_US = dt.timedelta(microseconds=1)
# Held items older than this are not summarized any more (a service that was down for over a
# week sends no stale catch-ups).
_CATCHUP_LOOKBACK = dt.timedelta(days=7)
# How far back a digest looks for the periods a sleeping scheduler skipped.
_DIGEST_LOOKBACK = {"daily_summary": 14, "weekly_report": 8}
_SLACK = frozenset({Channel.SLACK})
_NOT_SLACK = frozenset(Channel) - _SLACK


@attrs.frozen
class TickReport:
    """What one ``handle`` or ``tick`` did."""

    decisions: tuple[Decision, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    catchups: tuple[CatchUp, ...] = ()
    digests: tuple[DigestPeriod, ...] = ()
    sent: tuple[str, ...] = ()
    retried: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    """``(item id, error)`` of deliveries that finally failed: show them to an admin (a revoked
    Slack webhook arrives here)."""
    dropped: tuple[tuple[str, str], ...] = ()
    """``(item id, why)`` of deliveries that no longer apply: the member was deactivated, or
    the admin deselected the message's Slack event before it was sent."""
    errors: tuple[NotifPolicyError, ...] = ()
    """Errors of one phase of ``tick`` (bad host data, say): the other phases still ran.  From
    ``handle``: an event id handled before with different content (code ``reused_id``; nothing
    was enqueued for it)."""


def _fingerprint(event: Event) -> str:
    """A digest of the event's content: its class and every field."""
    content = json.dumps([type(event).__qualname__, attrs.astuple(event)], sort_keys=True)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


class _Tally:
    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.escalations: list[Escalation] = []
        self.catchups: list[CatchUp] = []
        self.digests: list[DigestPeriod] = []
        self.sent: list[str] = []
        self.retried: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.dropped: list[tuple[str, str]] = []
        self.errors: list[NotifPolicyError] = []

    def report(self) -> TickReport:
        return TickReport(
            tuple(self.decisions),
            tuple(self.escalations),
            tuple(self.catchups),
            tuple(self.digests),
            tuple(self.sent),
            tuple(self.retried),
            tuple(self.failed),
            tuple(self.dropped),
            tuple(self.errors),
        )


class NotificationService:
    """One workspace's notifications, carried through the ports.

    ``store`` implements every store port (settings, preferences, audit, ledger, outbox);
    ``roster`` and ``conversations`` (and ``digests``, for digest content) are the host's;
    ``transports`` maps channels to transports (``Channel.SLACK`` to the webhook transport,
    ``Channel.EMAIL`` to SMTP, and the host's own for in-app and push).  ``jitter`` returns a
    float in ``[0, 1)`` for the retry backoff (``random.random`` unless a test passes its own).
    """

    def __init__(
        self,
        *,
        workspace_id: str,
        store: Store,
        roster: RosterSource,
        clock: Clock,
        transports: Mapping[Channel, Transport],
        conversations: ConversationSource | None = None,
        digests: DigestSource | None = None,
        kinds: KindRegistry | None = None,
        catalog: MessageCatalog | None = None,
        language: str = "en",
        conversation_url_template: str | None = None,
        extra_webhook_hosts: Iterable[str] = (),
        max_attempts: int = 8,
        backoff_base: dt.timedelta = dt.timedelta(seconds=30),
        backoff_cap: dt.timedelta = dt.timedelta(hours=1),
        jitter: Callable[[], float] = random.random,
        slack_interval: dt.timedelta = dt.timedelta(seconds=1),
        batch: int = 500,
        lease: dt.timedelta = dt.timedelta(minutes=2),
        digest_grace: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        self.workspace_id = workspace_id
        self._store = store
        self._roster = roster
        self._clock = clock
        self._transports = dict(transports)
        self._conversations = conversations
        self._digests = digests
        self._kinds = kinds or KindRegistry.default()
        self._catalog = catalog or MessageCatalog.default()
        self._catalog.messages(language)  # an unknown language fails now, not at send time
        self._language = language
        self._url_template = conversation_url_template
        self._extra_hosts = tuple(extra_webhook_hosts)
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._jitter = jitter
        self._slack_interval = slack_interval
        self._slack_ready_at: dt.datetime | None = None
        # Held items due before this instant are summarised already: every catch-up built from
        # them was claimed (here or by another worker).  Without it, each tick after a quiet
        # period would re-read and re-decode the whole week's held items.
        self._caught_up_until: dt.datetime | None = None
        self._batch = batch
        self._lease = lease
        self._digest_grace = digest_grace

    # -- reading the world ----------------------------------------------------------------------

    def _now(self, now: dt.datetime | None) -> dt.datetime:
        # In UTC: every sum below (backoff, pacing, look-backs) is real elapsed time, which a
        # zoned datetime would turn into wall-clock arithmetic.
        value = require_aware(self._clock.now() if now is None else now, path="now")
        return value.astimezone(dt.UTC)

    def settings(self) -> WorkspaceSettings:
        """The workspace's current settings."""
        return self._store.get_settings(self.workspace_id)

    def _facts(self) -> tuple[WorkspaceSettings, Roster, Mapping[str, MemberPreferences]]:
        return (
            self._store.get_settings(self.workspace_id),
            self._roster.roster(self.workspace_id),
            self._store.all_preferences(self.workspace_id),
        )

    def _open_conversations(self) -> list[ConversationState]:
        if self._conversations is None:
            return []
        return list(self._conversations.open_conversations(self.workspace_id))

    # -- events ---------------------------------------------------------------------------------

    def handle(self, event: Event, *, now: dt.datetime | None = None) -> TickReport:
        """Decide ``event``, put its deliveries in the outbox, then send what is due."""
        at = self._now(now)
        settings, roster, preferences = self._facts()
        decisions = decide(
            event,
            settings=settings,
            roster=roster,
            preferences=preferences,
            now=at,
            kinds=self._kinds,
        )
        tally = _Tally()
        # An id handled before with other content is reported, not silently merged: the
        # ledger keeps one key per event id and one per (id, content).
        seen_key = f"{key_part(self.workspace_id)}:event:{key_part(event.id)}"
        content_key = f"{seen_key}:{_fingerprint(event)}"
        seen = self._store.claimed([seen_key, content_key])
        if seen_key in seen and content_key not in seen:
            tally.errors.append(
                ValidationError.single(
                    "event.id",
                    "reused_id",
                    f"event {quote(event.id)} was handled before with different content; "
                    "nothing was enqueued for it (a changed event needs a new id)",
                )
            )
        else:
            self._store.enqueue(self._items(event, decisions, settings, roster, at))
            tally.decisions.extend(decisions)
            for key in (content_key, seen_key):
                if key not in seen:
                    self._store.claim(key, [])
        self._send_due(at, settings, roster, tally)
        return tally.report()

    def _items(
        self,
        event: Event,
        decisions: Sequence[Decision],
        settings: WorkspaceSettings,
        roster: Roster,
        now: dt.datetime,
    ) -> list[OutboxItem]:
        items = []
        for d in decisions:
            recipient = SLACK_RECIPIENT if d.is_slack else str(d.recipient)
            base = OutboxItem(
                id=f"{key_part(self.workspace_id)}:{key_part(event.id)}:{key_part(recipient)}"
                f":{d.channel.value}",
                workspace_id=self.workspace_id,
                event_id=event.id,
                conversation_id=d.conversation_id,
                recipient=recipient,
                channel=d.channel,
                kinds=d.kinds,
                due_at=now,
            )
            if d.outcome is Outcome.SUPPRESS:
                if d.held_until is not None and _is_summarized(d):
                    # Input for the catch-up when the quiet period ends: kept, never sent.
                    record = json.dumps(d.to_dict(), sort_keys=True)
                    held = attrs.evolve(base, due_at=d.held_until, status=OutboxStatus.HELD)
                    items.append(attrs.evolve(held, body=record))
                continue
            when = d.deliver_at if d.outcome is Outcome.DEFER and d.deliver_at else now
            if d.is_slack:
                payload = slack_payload(
                    d,
                    event,
                    settings=settings,
                    conversation_url_template=self._url_template,
                    language=self._language,
                    catalog=self._catalog,
                )
                text = str(payload.get("text", ""))
                items.append(
                    attrs.evolve(base, due_at=when, subject=text, body=json.dumps(payload))
                )
            else:
                subject, text = self._member_text(event, d)
                items.append(attrs.evolve(base, due_at=when, subject=subject, text=text))
        return items

    def _member_text(self, event: Event, d: Decision) -> tuple[str, str]:
        title = self._catalog.kind_list(self._language, d.kinds)
        title = title[:1].upper() + title[1:]
        # A subject is one line: a customer's line breaks would break the email header.
        subject = f"{title}: {' '.join(event.subject.split())}" if event.subject else title
        lines = [subject]
        if event.customer:
            lines.append(event.customer)
        if self._url_template is not None and d.conversation_id is not None:
            lines.append(self._url_template.format(conversation_id=d.conversation_id))
        return subject, "\n".join(lines) + "\n"

    # -- the periodic work ----------------------------------------------------------------------

    def tick(self, *, now: dt.datetime | None = None) -> TickReport:
        """Escalations, catch-ups and digests that fell due (each claimed once, with its
        deliveries), then every outbox delivery whose time has come."""
        at = self._now(now)
        settings, roster, preferences = self._facts()
        tally = _Tally()
        for phase in (self._escalate, self._catch_up, self._send_digests):
            try:
                phase(at, settings, roster, preferences, tally)
            except NotifPolicyError as exc:
                # One bad conversation state from the host must not stop every delivery.
                tally.errors.append(exc)
        self._send_due(at, settings, roster, tally)
        return tally.report()

    def _escalate(
        self,
        now: dt.datetime,
        settings: WorkspaceSettings,
        roster: Roster,
        preferences: Mapping[str, MemberPreferences],
        tally: _Tally,
    ) -> None:
        conversations = self._open_conversations()
        if not conversations:
            return
        found = due(
            conversations,
            settings=settings,
            now=now,
            already_fired=frozenset(),
            workspace_id=self.workspace_id,
        )
        taken = self._store.claimed(e.key for e in found)
        by_id = {c.id: c for c in conversations}
        for escalation in found:
            if escalation.key in taken:
                continue
            event = self._escalation_event(escalation, by_id[escalation.conversation_id])
            decisions = decide(
                event,
                settings=settings,
                roster=roster,
                preferences=preferences,
                now=now,
                kinds=self._kinds,
            )
            items = self._items(event, decisions, settings, roster, now)
            if self._store.claim(escalation.key, items):
                tally.escalations.append(escalation)
                tally.decisions.extend(decisions)

    @staticmethod
    def _escalation_event(escalation: Escalation, state: ConversationState) -> Event:
        if escalation.kind == "sla_breach":
            return SlaBreached(id=escalation.key, conversation_id=state.id, assignee=state.assignee)
        return EscalationDue(id=escalation.key, conversation_id=state.id, kind=escalation.kind)

    def _catch_up(
        self,
        now: dt.datetime,
        settings: WorkspaceSettings,
        roster: Roster,
        preferences: Mapping[str, MemberPreferences],
        tally: _Tally,
    ) -> None:
        since = now - _CATCHUP_LOOKBACK
        until = now + _ONE_US
        if self._caught_up_until is not None:
            # A held item is due at the end of its quiet period, after the instant it was held,
            # so nothing can newly appear before the last pass's end.
            since = max(since, self._caught_up_until)
        held = self._store.held(self.workspace_id, since, until) if since < until else ()
        if held:
            self._summarize(held, now, settings, roster, preferences, tally)
        self._caught_up_until = max(until, self._caught_up_until or until)

    def _summarize(
        self,
        held: Sequence[OutboxItem],
        now: dt.datetime,
        settings: WorkspaceSettings,
        roster: Roster,
        preferences: Mapping[str, MemberPreferences],
        tally: _Tally,
    ) -> None:
        decisions = [Decision.from_dict(json.loads(i.body)) for i in held if i.body]
        catchups = build_catchups(
            decisions,
            workspace_id=self.workspace_id,
            settings=settings,
            roster=roster,
            preferences=preferences,
            now=now,
            kinds=self._kinds,
        )
        taken = self._store.claimed(c.key for c in catchups)
        for catchup in catchups:
            if catchup.key in taken:
                continue
            text = catchup_text(catchup, language=self._language, catalog=self._catalog)
            items = [
                OutboxItem(
                    id=f"{catchup.key}:{channel.value}",
                    workspace_id=self.workspace_id,
                    event_id=catchup.key,
                    conversation_id=None,
                    recipient=catchup.member_id,
                    channel=channel,
                    kinds=("quiet_hours_summary",),
                    due_at=now,
                    subject=text,
                    text=text + "\n",
                )
                for channel in catchup.channels
            ]
            if self._store.claim(catchup.key, items):
                tally.catchups.append(catchup)

    def _digest_schedules(self, settings: WorkspaceSettings) -> list[DailyDigest | WeeklyDigest]:
        return [d for d in (settings.digests.daily, settings.digests.weekly) if d.enabled]

    def _send_digests(
        self,
        now: dt.datetime,
        settings: WorkspaceSettings,
        roster: Roster,
        preferences: Mapping[str, MemberPreferences],
        tally: _Tally,
    ) -> None:
        if self._digests is None:
            return
        zone = settings.zone
        for schedule in self._digest_schedules(settings):
            last_send = schedule.previous_at_or_before(now, zone)
            period = schedule.period_ending_at(last_send, zone, workspace_id=self.workspace_id)
            if self._store.claimed([period.key]):
                continue
            skipped = self._skipped(schedule, period, zone)
            if skipped is None:
                # Nothing was ever sent: a digest just switched on does not send a stale period
                # at once, only one whose send time is within the grace.
                if now - period.end > self._digest_grace:
                    self._store.claim(period.key, [])
                    continue
                skipped = ()
            previous = None
            start = period.start
            if period.kind == "weekly_report":
                previous = schedule.period_ending_at(
                    period.start, zone, workspace_id=self.workspace_id
                )
                start = previous.start
            records = list(self._digests.conversation_records(self.workspace_id, start, period.end))
            report = build_report(
                records, period=period, settings=settings, previous_period=previous, skipped=skipped
            )
            email = render_digest(
                report,
                roster=roster,
                language=self._language,
                catalog=self._catalog,
                first_response_target_minutes=settings.escalation.first_response.after_minutes,
            )
            event = DigestReady(id=period.key, kind=period.kind)
            decisions = decide(
                event,
                settings=settings,
                roster=roster,
                preferences=preferences,
                now=now,
                kinds=self._kinds,
            )
            items = [
                OutboxItem(
                    id=f"{period.key}:{key_part(str(d.recipient))}",
                    workspace_id=self.workspace_id,
                    event_id=period.key,
                    conversation_id=None,
                    recipient=str(d.recipient),
                    channel=d.channel,
                    kinds=d.kinds,
                    due_at=now,
                    subject=email.subject,
                    text=email.text,
                    html=email.html,
                )
                for d in decisions
                if d.outcome is Outcome.DELIVER and d.channel is Channel.EMAIL
            ]
            if self._store.claim(period.key, items):
                for gone in skipped:
                    # The skipped periods are named in this report and never sent on their own.
                    self._store.claim(gone.key, [])
                tally.digests.append(period)
                tally.decisions.extend(decisions)

    def _skipped(
        self, schedule: DailyDigest | WeeklyDigest, period: DigestPeriod, zone: dt.tzinfo
    ) -> tuple[DigestPeriod, ...] | None:
        """The periods before ``period`` that were never sent, back to the last one that was;
        ``None`` when none was sent in the lookback (a digest just switched on)."""
        earlier: list[DigestPeriod] = []
        cursor = period
        for _ in range(_DIGEST_LOOKBACK[period.kind]):
            cursor = schedule.period_ending_at(cursor.start, zone, workspace_id=self.workspace_id)
            earlier.append(cursor)
        taken = self._store.claimed(p.key for p in earlier)
        skipped = list(itertools.takewhile(lambda p: p.key not in taken, earlier))
        if len(skipped) == len(earlier):
            return None
        return tuple(reversed(skipped))

    # -- sending --------------------------------------------------------------------------------

    def _send_due(
        self, now: dt.datetime, settings: WorkspaceSettings, roster: Roster, tally: _Tally
    ) -> None:
        lease_until = now + self._lease
        items = list(
            self._store.lease_due(
                self.workspace_id, now, self._batch, lease_until=lease_until, channels=_NOT_SLACK
            )
        )
        if self._slack_ready_at is None or now >= self._slack_ready_at:
            # Paced: about one Slack message per second per webhook; the rest wait their turn
            # without holding up the other channels.
            items.extend(
                self._store.lease_due(
                    self.workspace_id, now, 1, lease_until=lease_until, channels=_SLACK
                )
            )
        for item in items:
            if item.channel is Channel.SLACK:
                self._slack_ready_at = now + self._slack_interval
            self._send_one(item, now, settings, roster, tally)

    def _send_one(
        self,
        item: OutboxItem,
        now: dt.datetime,
        settings: WorkspaceSettings,
        roster: Roster,
        tally: _Tally,
    ) -> None:
        destination = self._destination(item, settings, roster)
        if isinstance(destination, _Failure):
            self._store.mark_failed(item.id, destination.error)
            (tally.dropped if destination.dropped else tally.failed).append(
                (item.id, destination.error)
            )
            return
        transport = self._transports.get(item.channel)
        if transport is None:
            error = f"no transport for the {item.channel.value} channel"
            self._store.mark_failed(item.id, error)
            tally.failed.append((item.id, error))
            return
        try:
            result = transport.send(Delivery(item, destination), now=now)
        except Exception as exc:
            # Transports must not raise; one that does must not stall the outbox either.
            result = SendResult(
                SendStatus.RETRY, error=f"the transport raised {type(exc).__name__}"
            )
        if result.status is SendStatus.SENT:
            self._store.mark_sent(item.id, now)
            tally.sent.append(item.id)
            return
        error = result.error or result.status.value
        attempts = item.attempts + 1
        if result.status is SendStatus.PERMANENT or attempts >= self._max_attempts:
            if result.status is SendStatus.RETRY:
                error = f"gave up after {attempts} attempts: {error}"
            self._store.mark_failed(item.id, error)
            tally.failed.append((item.id, error))
            return
        retry_at = now + self.backoff(attempts)
        if result.retry_after is not None:
            # The other side said when; honoured, within reason.
            retry_at = min(result.retry_after.astimezone(dt.UTC), now + self._backoff_cap)
        self._store.mark_retry(item.id, max(retry_at, now + _ONE_US), error)
        tally.retried.append(item.id)

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after ``attempts`` failed attempts: ``base * 2**(attempts-1)``, capped, then
        between half and all of it by the injected jitter ("equal jitter")."""
        ceiling: dt.timedelta = min(
            self._backoff_cap, self._backoff_base * 2 ** min(attempts - 1, 30)
        )
        share = min(max(float(self._jitter()), 0.0), 1.0)
        return ceiling / 2 + ceiling / 2 * share

    def _destination(
        self, item: OutboxItem, settings: WorkspaceSettings, roster: Roster
    ) -> Secret | str | _Failure:
        if item.channel is Channel.SLACK:
            # Taken from the current settings at send time: the URL is never in the outbox.
            url = settings.slack.webhook_url
            if url is None:
                return _Failure("Slack is not configured any more")
            # "Only the events selected in slack.events": an admin who deselects an event stops
            # its deferred and retried messages too, not only new ones.
            if not self._slack_selected(item.kinds, settings):
                return _Failure("not sent: its Slack event is no longer selected", dropped=True)
            return url
        member = roster.get(item.recipient)
        if member is None or not member.active:
            # Deactivated members receive nothing, deferred deliveries included.
            return _Failure("not sent: the recipient is no longer an active member", dropped=True)
        if item.channel is Channel.EMAIL:
            return member.email if member.email else _Failure("the member has no email address")
        return item.recipient

    def _slack_selected(self, kinds: Iterable[str], settings: WorkspaceSettings) -> bool:
        selected = settings.slack.events
        return any(k in self._kinds and self._kinds.get(k).slack_event in selected for k in kinds)

    # -- scheduling -----------------------------------------------------------------------------

    def next_wake_at(self, *, now: dt.datetime | None = None) -> dt.datetime | None:
        """The earliest instant at which ``tick`` has work: a delivery due, an escalation due,
        a quiet period ending with held items, a digest to send.  ``None``: nothing pending."""
        at = self._now(now)
        settings = self.settings()
        candidates: list[dt.datetime] = []
        member_next = self._store.next_due_at(self.workspace_id, channels=_NOT_SLACK)
        if member_next is not None:
            candidates.append(member_next)
        slack_next = self._store.next_due_at(self.workspace_id, channels=_SLACK)
        if slack_next is not None:
            if self._slack_ready_at is not None:
                slack_next = max(slack_next, self._slack_ready_at)
            candidates.append(slack_next)
        escalation_next = next_check_at(self._open_conversations(), settings=settings, now=at)
        if escalation_next is not None:
            candidates.append(escalation_next)
        held_next = self._store.next_held_at(self.workspace_id, at)
        if held_next is not None:
            candidates.append(held_next)  # a quiet period with held items ends: catch-ups
        if self._digests is not None:
            candidates.extend(
                s.next_after(at, settings.zone) for s in self._digest_schedules(settings)
            )
        # Never in the past: a host that sleeps until this instant must not busy-loop.
        return max(min(candidates), at) if candidates else None

    # -- the audit log ------------------------------------------------------------------------

    def audit_log(self, *, actor: Member) -> tuple[AuditEntry, ...]:
        """Every accepted change, oldest first; owners and admins only."""
        if not (actor.active and actor.role.is_admin):
            raise PermissionDenied(
                f"only owners and admins can read the audit log; {actor.id} cannot"
            )
        return self._store.audit_entries(self.workspace_id)

    # -- saving ---------------------------------------------------------------------------------

    def save_settings(
        self,
        draft: WorkspaceSettings | Mapping[str, object],
        *,
        actor: Member,
        now: dt.datetime | None = None,
    ) -> SaveResult[WorkspaceSettings]:
        """Authorize, validate, compare-and-set, audit; applies to the next decision at once."""
        at = self._now(now)
        result = save_workspace_settings(
            self.settings(),
            draft,
            actor=actor,
            workspace_id=self.workspace_id,
            now=at,
            kinds=self._kinds,
            extra_webhook_hosts=self._extra_hosts,
        )
        if result.audit is not None:
            self._store.save_settings(result.value, result.audit)
        return result

    def save_preferences(
        self,
        member_id: str,
        draft: MemberPreferences | Mapping[str, object],
        *,
        actor: Member,
        now: dt.datetime | None = None,
    ) -> SaveResult[MemberPreferences]:
        """A member saves their own preferences (same flow as the settings)."""
        at = self._now(now)
        result = save_member_preferences(
            self._store.get_preferences(self.workspace_id, member_id),
            draft,
            actor=actor,
            member_id=member_id,
            workspace_id=self.workspace_id,
            now=at,
            kinds=self._kinds,
        )
        if result.audit is not None:
            self._store.save_preferences(member_id, result.value, result.audit)
        return result


@attrs.frozen
class _Failure:
    error: str
    dropped: bool = False  # not a failure to report: the delivery no longer applies
