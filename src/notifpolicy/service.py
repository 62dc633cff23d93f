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
import logging
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from notifpolicy import _unsubscribe as unsubscribe
from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CatchUp, build_catchups, catchup_key
from notifpolicy._conversation import ConversationState
from notifpolicy._decide import decide
from notifpolicy._decision import Decision
from notifpolicy._digest_report import build_report
from notifpolicy._digest_schedule import DailyDigest, DigestPeriod, WeeklyDigest
from notifpolicy._errors import (
    NotifPolicyError,
    PermissionDenied,
    StorageError,
    UnreadableRowsError,
    ValidationError,
    quote,
)
from notifpolicy._escalation import Escalation, due, next_check_at
from notifpolicy._events import DigestReady, EscalationDue, Event, SlaBreached
from notifpolicy._keys import check_workspace_id, key_part
from notifpolicy._kinds import (
    KIND_DAILY_SUMMARY,
    KIND_SLA_BREACH,
    KIND_WEEKLY_REPORT,
    Channel,
    KindRegistry,
)
from notifpolicy._loader import describe
from notifpolicy._outbox import (
    Delivery,
    ItemTexts,
    OutboxItem,
    OutboxMark,
    OutboxStatus,
    SendResult,
    SendStatus,
    backoff,
    catchup_items,
    digest_items,
    outbox_items,
    retry_at,
)
from notifpolicy._permissions import Permission, authorize, settings_view
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
from notifpolicy._slack_payload import check_conversation_url_template
from notifpolicy._timeutil import require_aware
from notifpolicy._webhook import allowed_hosts
from notifpolicy.ports import (
    Clock,
    ConversationSource,
    DigestSource,
    RosterSource,
    Store,
    Transport,
)

__all__ = ["NotificationService", "TickReport"]

log = logging.getLogger("notifpolicy.service")
"""Each send, retry, failure, drop and claim, with ``extra`` fields ``workspace_id``,
``outbox_id``, ``channel`` and ``outcome`` (or ``claim_key`` and ``claim``): INFO for sends, drops
and claims, WARNING for retries and reported errors, ERROR for deliveries that finally failed.
No record holds a secret (the Slack webhook URL is never in an item, an error or a key)."""

_ONE_US = dt.timedelta(microseconds=1)
# Held items older than this are not summarized any more (a service that was down for over a
# week sends no stale catch-ups).
_CATCHUP_LOOKBACK = dt.timedelta(days=7)
# Held items may be written a little after the end of their quiet period: an app server decided
# just before it and committed just after a worker's tick, or its clock is a little behind the
# worker's.  Each pass therefore looks this far back past the previous one (a few rows, read
# again; their catch-ups already claimed are skipped by the ledger).
_LATE_HELD = dt.timedelta(minutes=5)
# How far back a digest looks for the periods a sleeping scheduler skipped.
_DIGEST_LOOKBACK = {KIND_DAILY_SUMMARY: 14, KIND_WEEKLY_REPORT: 8}
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
    Digests are rendered in each recipient's ``Member.language`` (else ``language``);
    ``digest_unsubscribe_url_template`` (``https://...{member_id}...{kind}``) gives each digest
    email the URL that turns it off, for the ``List-Unsubscribe`` headers.

    ``lease`` is how long a worker holds the outbox items it is sending; ``send_deadline`` the
    longest one send may take (at least the overall deadline of your slowest transport; the
    shipped ones stop at their ``timeout``).  Items are leased a few at a time, as many as
    ``lease // send_deadline``, and the clock is read again before each send: a send starts only
    while the rest of its lease is at least ``send_deadline``.  ``batch`` bounds the deliveries
    one ``handle`` or ``tick`` sends; more wait for the next ``tick``.
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
        digest_unsubscribe_url_template: str | None = None,
        extra_webhook_hosts: Iterable[str] = (),
        max_attempts: int = 8,
        backoff_base: dt.timedelta = dt.timedelta(seconds=30),
        backoff_cap: dt.timedelta = dt.timedelta(hours=1),
        jitter: Callable[[], float] = random.random,
        slack_interval: dt.timedelta = dt.timedelta(seconds=1),
        batch: int = 500,
        lease: dt.timedelta = dt.timedelta(minutes=2),
        send_deadline: dt.timedelta = dt.timedelta(seconds=15),
        digest_grace: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        check_workspace_id(workspace_id)
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
        # Checked now (a bad template fails here, not at the first event it would link).
        self._url_template = check_conversation_url_template(conversation_url_template)
        self._texts = ItemTexts(
            self._catalog,
            language,
            None
            if digest_unsubscribe_url_template is None
            else unsubscribe.check_template(digest_unsubscribe_url_template),
        )
        # Checked once (a bad entry fails here, not at the first save); kept as the allowed set.
        self._extra_hosts = tuple(sorted(allowed_hosts(extra_webhook_hosts)))
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
        for name, value in (("lease", lease), ("send_deadline", send_deadline)):
            if not isinstance(value, dt.timedelta):
                raise ValidationError.single(
                    name, "type", f"must be a datetime.timedelta, got {type(value).__name__}"
                )
        if not dt.timedelta(0) < send_deadline < lease:
            raise ValidationError.single(
                "lease",
                "range",
                f"must be longer than send_deadline ({send_deadline}), which must be positive; "
                f"got lease={lease}",
            )
        self._lease = lease
        self._send_deadline = send_deadline
        # The lease covers every send it protects: a worker takes at most as many items per
        # lease as it can send, one after another, each within the deadline.
        self._per_lease = max(1, lease // send_deadline)
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

    def _facts(
        self, tally: _Tally
    ) -> tuple[WorkspaceSettings | None, Roster, Mapping[str, MemberPreferences] | None]:
        """The settings, roster and preferences; a stored value that cannot be read is reported
        in ``tally`` and comes back as ``None`` (unreadable rows of single members are left out,
        so those members get the workspace's defaults until an admin fixes the row)."""
        settings: WorkspaceSettings | None = None
        preferences: Mapping[str, MemberPreferences] | None = None
        try:
            settings = self._store.get_settings(self.workspace_id)
        except StorageError as exc:
            tally.errors.append(exc)
        roster = self._roster.roster(self.workspace_id)
        try:
            preferences = self._store.all_preferences(self.workspace_id)
        except UnreadableRowsError as exc:
            tally.errors.extend(exc.errors)
            preferences = dict(exc.readable)
        except StorageError as exc:
            tally.errors.append(exc)
        return settings, roster, preferences

    def _decide(self, event: Event, facts: _Facts) -> tuple[Decision, ...]:
        return decide(
            event,
            settings=facts.settings,
            roster=facts.roster,
            preferences=facts.preferences,
            now=facts.now,
            kinds=self._kinds,
        )

    def _open_conversations(self) -> list[ConversationState]:
        if self._conversations is None:
            return []
        return list(self._conversations.open_conversations(self.workspace_id))

    # -- events ---------------------------------------------------------------------------------

    def handle(
        self, event: Event, *, now: dt.datetime | None = None, send: bool = True
    ) -> TickReport:
        """Decide ``event``, put its deliveries in the outbox, then send what is due.

        With ``send=False`` it returns once the deliveries are recorded, sending nothing: an
        app server answering a web request does that, and workers send on ``tick``.  The
        deliveries are as safe either way: they are in the outbox before ``handle`` returns.
        """
        at = self._now(now)
        tally = _Tally()
        settings, roster, preferences = self._facts(tally)
        if settings is None or preferences is None:
            raise tally.errors[0]  # nothing can be decided without them
        decisions = self._decide(event, _Facts(at, settings, roster, preferences))
        # An id handled before with other content is reported, not silently merged: the
        # ledger keeps one key per event id and one per (id, content).  Read first (cheap);
        # the keys are written only the first time an event (or its content) is seen.
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
            self._log_errors(tally)
            return tally.report()
        items = self._items(event, decisions, settings, at)
        for key in (seen_key, content_key):
            if key not in seen:
                # A crash before the deliveries are recorded leaves the keys claimed: handling
                # the same event again still records them (the same content is not a reuse).
                self._store.claim(key, [])
        if send:
            # Recorded and the due ones leased in one write (it lowers the workspace's wake-up
            # to the earliest item, as enqueue does).
            self._send_due(at, settings, roster, tally, fixed=now is not None, enqueue=items)
        else:
            self._store.enqueue(items)
        if self._conversations is not None and not any(i.due_at <= at for i in items):
            # The event may bring an escalation forward (a new or unassigned conversation):
            # a worker recomputes the workspace's wake-up with it.
            self._store.wake(self.workspace_id, at)
        tally.decisions.extend(decisions)
        self._log_errors(tally)
        return tally.report()

    def _items(
        self,
        event: Event,
        decisions: Sequence[Decision],
        settings: WorkspaceSettings,
        now: dt.datetime,
    ) -> tuple[OutboxItem, ...]:
        return outbox_items(
            event,
            decisions,
            workspace_id=self.workspace_id,
            settings=settings,
            now=now,
            catalog=self._catalog,
            language=self._language,
            conversation_url_template=self._url_template,
        )

    # -- the periodic work ----------------------------------------------------------------------

    def tick(
        self, *, now: dt.datetime | None = None, stop: Callable[[], bool] | None = None
    ) -> TickReport:
        """Escalations, catch-ups and digests that fell due (each claimed once, with its
        deliveries), then every outbox delivery whose time has come.

        ``stop`` is asked before each send: once it says ``True``, the send in hand has
        finished and the items leased but not sent yet are given back (due again at once, for
        another worker), so a worker that is shutting down holds nothing."""
        at = self._now(now)
        tally = _Tally()
        settings, roster, preferences = self._facts(tally)
        if settings is not None and preferences is not None:
            facts = _Facts(at, settings, roster, preferences)
            for phase in (self._escalate, self._catch_up, self._send_digests):
                try:
                    phase(facts, tally)
                except NotifPolicyError as exc:
                    # One bad conversation state from the host must not stop every delivery.
                    tally.errors.append(exc)
        # Unreadable settings or preferences stop the decisions, not what was decided already.
        self._send_due(at, settings, roster, tally, fixed=now is not None, stop=stop)
        self._log_errors(tally)
        return tally.report()

    def _escalate(self, facts: _Facts, tally: _Tally) -> None:
        now, settings = facts.now, facts.settings
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
            decisions = self._decide(event, facts)
            items = self._items(event, decisions, settings, now)
            if self._store.claim(escalation.key, items):
                self._claimed("escalation", escalation.key, len(items))
                tally.escalations.append(escalation)
                tally.decisions.extend(decisions)

    @staticmethod
    def _escalation_event(escalation: Escalation, state: ConversationState) -> Event:
        if escalation.kind == KIND_SLA_BREACH:
            return SlaBreached(id=escalation.key, conversation_id=state.id, assignee=state.assignee)
        return EscalationDue(id=escalation.key, conversation_id=state.id, kind=escalation.kind)

    def _catch_up(self, facts: _Facts, tally: _Tally) -> None:
        now = facts.now
        since = now - _CATCHUP_LOOKBACK
        until = now + _ONE_US
        if self._caught_up_until is not None:
            # A held item is due at the end of its quiet period, after the instant it was held,
            # so nothing can newly appear long before the last pass's end (see _LATE_HELD).
            since = max(since, self._caught_up_until)
        held: Sequence[OutboxItem] = ()
        if since < until:
            try:
                held = self._store.held(self.workspace_id, since, until)
            except UnreadableRowsError as exc:
                tally.errors.extend(exc.errors)
                held = exc.readable
        if held:
            # Rows whose catch-up is claimed already (read again in the _LATE_HELD window, or
            # summarised by another worker) are not decoded again.
            keys = [catchup_key(self.workspace_id, i.recipient, i.due_at) for i in held]
            taken = self._store.claimed(set(keys))
            held = [i for i, key in zip(held, keys, strict=True) if key not in taken]
        if held:
            self._summarize(held, facts, tally)
        settled = until - _LATE_HELD
        self._caught_up_until = max(settled, self._caught_up_until or settled)

    def _summarize(self, held: Sequence[OutboxItem], facts: _Facts, tally: _Tally) -> None:
        decisions = []
        for item in held:
            try:
                decisions.append(Decision.from_dict(json.loads(item.body or "")))
            except (ValueError, TypeError, LookupError, RecursionError, NotifPolicyError) as exc:
                # One unreadable record must not cost the other members their catch-up.
                tally.errors.append(
                    StorageError(
                        f"outbox row id={_short(item.id)}: its held decision cannot be read "
                        f"({type(exc).__name__})"
                    )
                )
        catchups = build_catchups(
            decisions,
            workspace_id=self.workspace_id,
            settings=facts.settings,
            roster=facts.roster,
            preferences=facts.preferences,
            now=facts.now,
            kinds=self._kinds,
        )
        taken = self._store.claimed(c.key for c in catchups)
        for catchup in catchups:
            if catchup.key in taken:
                continue
            items = catchup_items(
                catchup, workspace_id=self.workspace_id, now=facts.now, texts=self._texts
            )
            if self._store.claim(catchup.key, items):
                self._claimed("catch-up", catchup.key, len(items))
                tally.catchups.append(catchup)

    def _digest_schedules(self, settings: WorkspaceSettings) -> list[DailyDigest | WeeklyDigest]:
        return [d for d in (settings.digests.daily, settings.digests.weekly) if d.enabled]

    def _send_digests(self, facts: _Facts, tally: _Tally) -> None:
        now, settings = facts.now, facts.settings
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
            if period.kind == KIND_WEEKLY_REPORT:
                previous = schedule.period_ending_at(
                    period.start, zone, workspace_id=self.workspace_id
                )
                start = previous.start
            records = list(self._digests.conversation_records(self.workspace_id, start, period.end))
            report = build_report(
                records, period=period, settings=settings, previous_period=previous, skipped=skipped
            )
            event = DigestReady(id=period.key, kind=period.kind)
            decisions = self._decide(event, facts)
            items, problems = digest_items(report, decisions, facts.roster, now, self._texts)
            if self._store.claim(period.key, items):
                self._claimed("digest", period.key, len(items))
                tally.errors.extend(problems)
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
        self,
        now: dt.datetime,
        settings: WorkspaceSettings | None,
        roster: Roster,
        tally: _Tally,
        *,
        fixed: bool,
        stop: Callable[[], bool] | None = None,
        enqueue: Sequence[OutboxItem] | None = None,
    ) -> None:
        """Send what is due, leased a few items at a time so that the lease covers each send.

        ``fixed``: the caller passed ``now``, and the whole call happens at that instant (tests,
        simulations); otherwise the clock is read again before every lease and every send.
        ``settings`` is ``None`` when they cannot be read: member deliveries still go out,
        Slack (whose URL is in the settings) waits.  ``enqueue`` (from ``handle``): items to
        record first, in the same write as the first lease.  The outcomes of one lease's sends
        are recorded together, in one write, once they are all done (at least once allows it:
        a crash before that write sends them again).
        """

        def clock() -> dt.datetime:
            return now if fixed else self._now(None)

        budget = self._batch
        # Slack's turn: not without settings (the URL is there); and not in ``handle`` when no
        # webhook is configured (no new Slack delivery can be due then, and any older one is
        # failed by the next tick), which spares every event a look for Slack items.
        slack_turn = settings is not None and (
            enqueue is None or settings.slack.webhook_url is not None
        )
        while budget > 0:
            at = clock()
            lease_until = at + self._lease
            chunk = min(budget, self._per_lease)
            items = self._lease_due(at, chunk, lease_until, _NOT_SLACK, tally, enqueue or ())
            enqueue = ()
            budget -= chunk
            more = len(items) == chunk
            if slack_turn and (self._slack_ready_at is None or at >= self._slack_ready_at):
                # Paced: about one Slack message per second per webhook; the rest wait their
                # turn without holding up the other channels.
                items.extend(self._lease_due(at, 1, lease_until, _SLACK, tally))
            slack_turn = False
            outcomes: list[_Outcome] = []
            try:
                for index, item in enumerate(items):
                    if stop is not None and stop():
                        self._release(items[index:], tally)
                        return
                    started = clock()
                    if item.leased_until is not None and (
                        item.leased_until - started < self._send_deadline
                    ):
                        # The lease would not cover this send: stop.  The items left over are
                        # due again when their lease ends (a send overran its deadline, or the
                        # clock jumped).
                        return
                    if item.channel is Channel.SLACK:
                        self._slack_ready_at = started + self._slack_interval
                    outcomes.append(self._send_one(item, started, settings, roster))
            finally:
                self._record(outcomes, tally)
            if not more:
                return

    def _release(self, items: Sequence[OutboxItem], tally: _Tally) -> None:
        for item in items:
            try:
                self._store.release(item)
            except StorageError as exc:  # it comes back when its lease runs out
                tally.errors.append(exc)

    def _lease_due(
        self,
        at: dt.datetime,
        limit: int,
        lease_until: dt.datetime,
        channels: frozenset[Channel],
        tally: _Tally,
        enqueue: Sequence[OutboxItem] = (),
    ) -> list[OutboxItem]:
        try:
            return list(
                self._store.lease_due(
                    self.workspace_id,
                    at,
                    limit,
                    lease_until=lease_until,
                    channels=channels,
                    enqueue=enqueue,
                )
            )
        except UnreadableRowsError as exc:
            # A row that does not parse is skipped and reported; the others are sent.
            tally.errors.extend(exc.errors)
            return list(exc.readable)

    def _send_one(
        self,
        item: OutboxItem,
        now: dt.datetime,
        settings: WorkspaceSettings | None,
        roster: Roster,
    ) -> _Outcome:
        """One send, and the outcome to record."""
        destination = self._destination(item, settings, roster)
        if isinstance(destination, _Failure):
            mark = OutboxMark(item, OutboxStatus.FAILED, destination.error)
            return _Outcome(mark, "dropped" if destination.dropped else "failed")
        transport = self._transports.get(item.channel)
        if transport is None:
            error = f"no transport for the {item.channel.value} channel"
            return _Outcome(OutboxMark(item, OutboxStatus.FAILED, error), "failed")
        try:
            result = transport.send(Delivery(item, destination), now=now)
        except Exception as exc:
            # Transports must not raise; one that does must not stall the outbox either.
            result = SendResult(
                SendStatus.RETRY, error=f"the transport raised {type(exc).__name__}"
            )
        if result.status is SendStatus.SENT:
            return _Outcome(OutboxMark(item, OutboxStatus.SENT), "sent")
        error = result.error or result.status.value
        attempts = item.attempts + 1
        if result.status is SendStatus.PERMANENT or attempts >= self._max_attempts:
            if result.status is SendStatus.RETRY:
                error = f"gave up after {attempts} attempts: {error}"
            return _Outcome(OutboxMark(item, OutboxStatus.FAILED, error), "failed")
        retry_after = result.retry_after
        if retry_after is not None and retry_after.utcoffset() is None:
            retry_after = None  # naive, against the transport contract: the backoff decides
        when = retry_at(
            attempts,
            now=now,
            jitter=float(self._jitter()),
            base=self._backoff_base,
            cap=self._backoff_cap,
            retry_after=retry_after,
        )
        return _Outcome(OutboxMark(item, OutboxStatus.PENDING, error, when), "retried")

    def _record(self, outcomes: Sequence[_Outcome], tally: _Tally) -> None:
        if not outcomes:
            return
        recorded = self._store.record([o.mark for o in outcomes])
        for outcome, done in zip(outcomes, recorded, strict=True):
            mark = outcome.mark
            item = mark.item
            fields = {
                "workspace_id": self.workspace_id,
                "outbox_id": item.id,
                "channel": item.channel.value,
                "outcome": outcome.kind if done else "fenced",
            }
            if not done:
                # Fenced out: this worker's lease lapsed and the item moved on (another worker
                # holds it, or recorded it).  Its outcome stands; ours is reported, not written.
                error = StorageError(
                    f"outbox item {_short(item.id)}: the lease ran out before the outcome "
                    "was recorded; another worker holds the item now"
                )
                tally.errors.append(error)
                log.warning("%s: not recorded (%s)", item.id, outcome.kind, extra=fields)
            elif outcome.kind == "sent":
                tally.sent.append(item.id)
                log.info("%s: sent by %s", item.id, item.channel.value, extra=fields)
            elif outcome.kind == "retried":
                tally.retried.append(item.id)
                log.warning(
                    "%s: attempt %d failed, retry at %s: %s",
                    item.id,
                    item.attempts + 1,
                    mark.retry_at.isoformat() if mark.retry_at else "?",
                    mark.error,
                    extra=fields,
                )
            elif outcome.kind == "dropped":
                tally.dropped.append((item.id, mark.error or ""))
                log.info("%s: dropped: %s", item.id, mark.error, extra=fields)
            else:
                tally.failed.append((item.id, mark.error or ""))
                log.error("%s: failed: %s", item.id, mark.error, extra=fields)

    def _claimed(self, what: str, key: str, deliveries: int) -> None:
        log.info(
            "%s claimed: %s (%d deliveries)",
            what,
            key,
            deliveries,
            extra={"workspace_id": self.workspace_id, "claim_key": key, "claim": what},
        )

    def _log_errors(self, tally: _Tally) -> None:
        for error in tally.errors:
            # The library's messages name rows and fields, never a secret's value.
            log.warning(
                "workspace %s: %s",
                self.workspace_id,
                error,
                extra={"workspace_id": self.workspace_id},
            )

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after ``attempts`` failed attempts: ``base * 2**(attempts-1)``, capped, then
        between half and all of it by the injected jitter ("equal jitter"); see
        :func:`~notifpolicy.retry_at`."""
        return backoff(
            attempts, base=self._backoff_base, cap=self._backoff_cap, jitter=float(self._jitter())
        )

    def _destination(
        self, item: OutboxItem, settings: WorkspaceSettings | None, roster: Roster
    ) -> Secret | str | _Failure:
        if item.channel is Channel.SLACK:
            if settings is None:  # pragma: no cover - Slack is leased only with settings
                return _Failure("the settings cannot be read")
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
        try:
            settings: WorkspaceSettings | None = self.settings()
        except StorageError:
            settings = None  # reported by tick; the outbox still has its times
        candidates: list[dt.datetime] = []
        member_next = self._store.next_due_at(self.workspace_id, channels=_NOT_SLACK)
        if member_next is not None:
            candidates.append(member_next)
        slack_next = self._store.next_due_at(self.workspace_id, channels=_SLACK)
        if slack_next is not None:
            if self._slack_ready_at is not None:
                slack_next = max(slack_next, self._slack_ready_at)
            candidates.append(slack_next)
        escalation_next = (
            None
            if settings is None
            else next_check_at(self._open_conversations(), settings=settings, now=at)
        )
        if escalation_next is not None:
            candidates.append(escalation_next)
        held_next = self._store.next_held_at(self.workspace_id, at)
        if held_next is not None:
            candidates.append(held_next)  # a quiet period with held items ends: catch-ups
        if self._digests is not None and settings is not None:
            candidates.extend(
                s.next_after(at, settings.zone) for s in self._digest_schedules(settings)
            )
        # Never in the past: a host that sleeps until this instant must not busy-loop.
        return max(min(candidates), at) if candidates else None

    # -- who is asking -------------------------------------------------------------------------

    def _member(self, actor: object) -> Member:
        """The roster's member for the id ``actor``: its role and active flag decide.

        Who is asking is never the caller's word: a ``Member`` passed in (whose role anyone can
        write) is refused, and an id the roster does not know is denied like a deactivated one.
        """
        if not isinstance(actor, str):
            raise ValidationError.single(
                "actor",
                "type",
                "must be the member id (a string) of whoever is asking, looked up in the "
                f"roster; got {type(actor).__name__} (pass member.id, not the member)",
            )
        member = self._roster.roster(self.workspace_id).get(actor)
        if member is None:
            raise PermissionDenied(
                f"{describe(actor)} is not a member of workspace {describe(self.workspace_id)}"
            )
        return member

    def settings_view(self, *, actor: str) -> dict[str, Any]:
        """The settings document the member ``actor`` (an id) may see: the webhook URL in clear
        for owners and admins only.  ``settings()`` is the host's own read, without a check."""
        return settings_view(self.settings(), actor=self._member(actor))

    # -- the audit log ------------------------------------------------------------------------

    def audit_log(self, *, actor: str) -> tuple[AuditEntry, ...]:
        """Every accepted change, oldest first; for active owners and admins only.

        ``actor`` is the member id of whoever is asking; the roster says who that is.
        """
        authorize(self._member(actor), Permission.READ_AUDIT_LOG)
        return self._store.audit_entries(self.workspace_id)

    # -- saving ---------------------------------------------------------------------------------

    def save_settings(
        self,
        changes: WorkspaceSettings | Mapping[str, object],
        *,
        actor: str,
        now: dt.datetime | None = None,
    ) -> SaveResult[WorkspaceSettings]:
        """Authorize, merge, validate, compare-and-set, audit; applies to the next decision.

        ``changes`` is a merge patch with the ``version`` it was based on (see
        :func:`~notifpolicy.save_workspace_settings`); ``actor`` is the member id of whoever is
        asking, looked up in the roster: its role and active flag decide, and an unknown id is
        ``PermissionDenied``.
        """
        member = self._member(actor)
        at = self._now(now)
        result = save_workspace_settings(
            self.settings(),
            changes,
            actor=member,
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
        changes: MemberPreferences | Mapping[str, object],
        *,
        actor: str,
        now: dt.datetime | None = None,
    ) -> SaveResult[MemberPreferences]:
        """A member saves their own preferences (same flow as the settings; ``actor`` is the id
        of whoever is asking, and must be ``member_id``)."""
        member = self._member(actor)
        at = self._now(now)
        result = save_member_preferences(
            self._store.get_preferences(self.workspace_id, member_id),
            changes,
            actor=member,
            member_id=member_id,
            workspace_id=self.workspace_id,
            now=at,
            kinds=self._kinds,
        )
        if result.audit is not None:
            self._store.save_preferences(member_id, result.value, result.audit)
        return result


@attrs.frozen
class _Facts:
    """What one ``handle`` or ``tick`` decides with: read once, for one instant."""

    now: dt.datetime
    settings: WorkspaceSettings
    roster: Roster
    preferences: Mapping[str, MemberPreferences]


@attrs.frozen
class _Outcome:
    mark: OutboxMark
    kind: str  # sent, retried, failed or dropped: where TickReport lists it


@attrs.frozen
class _Failure:
    error: str
    dropped: bool = False  # not a failure to report: the delivery no longer applies


def _short(text: str) -> str:
    """``repr(text)``, cut to about 100 characters for a message."""
    shown = repr(text)
    return shown if len(shown) <= 100 else shown[:100] + "..."
