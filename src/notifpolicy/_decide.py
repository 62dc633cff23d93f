"""Decisions: who is notified of an event, on which channel, now, later or never, and why.

Theory of operation
-------------------
``decide`` returns one :class:`Decision` per (recipient, channel): the active members the event's
kinds go to (each kind's ``recipients`` attribute, resolved with the event's facts), on each
channel the member is offered and the kind can use, and one decision for the workspace's Slack
channel when a kind has a Slack event.  The checks, first match wins:

member channels
    1. the kind's workspace switch is off (an escalation rule, a digest) -> ``RULE_DISABLED``;
    2. the preference (not overridable: the workspace decides; else the member's override for
       the channel, for every channel, then the workspace default) -> ``DISABLED_BY_MEMBER`` /
       ``DISABLED_BY_WORKSPACE``.  A channel switched off is suppressed, never deferred;
    3. quiet hours: a critical kind delivers ("critical: bypasses quiet hours"), an exempt kind
       delivers, anything else is held: ``suppress`` drops it, ``defer`` delivers at exactly
       ``quiet_until(now)``, ``summarize`` drops it into the member's catch-up.
Slack
    the switch (escalation rule) -> no webhook URL -> event not selected -> quiet hours (held
    Slack messages in ``summarize`` mode are dropped: the catch-up is per member).  Slack
    ignores ``defaults.<kind>``, which are the members' defaults.

A decision lists the kinds it is about: the kinds that are on, when any is (the decision
delivers, or is held as a whole), else the kinds that are off, each with its reason.

Speed: everything that does not depend on the member is resolved once per call: the kinds'
attributes and switches, the workspace defaults, quiet-ness of ``now`` and ``quiet_until``.  What
a decision says apart from its recipient and channel is a :class:`Ruling`, built once per
distinct outcome and shared; members without an override for the event's kinds share whole
per-channel templates.  So a decision costs one small allocation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from notifpolicy._decision import (  # the hot loop builds decisions without attrs' __init__
    _NEW,
    _SET_RECIPIENT,
    _SET_RULING,
    CHANNEL_ORDER,
    SLACK_CHANNEL,
    Decision,
    Outcome,
    Ruling,
)
from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._events import Event
from notifpolicy._kinds import Channel, Kind, KindRegistry, Recipients
from notifpolicy._preferences import ALL_CHANNELS, MemberPreferences
from notifpolicy._quiet_hours import QuietMode
from notifpolicy._reasons import Reason, ReasonCode, reason
from notifpolicy._roster import Roster
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = ["decide"]

# -- the engine -------------------------------------------------------------------------------

# The state of one kind on one (member, channel), by the first rule that applies.
_ON = 0
_OFF_MEMBER = 1  # the member's override (for the channel, or for every channel)
_OFF_WORKSPACE = 2  # the workspace default, with no override
_OFF_RULE = 3  # the kind's workspace switch (escalation rule, digest) is off
_OFF_CODES = {
    _OFF_MEMBER: ReasonCode.DISABLED_BY_MEMBER,
    _OFF_WORKSPACE: ReasonCode.DISABLED_BY_WORKSPACE,
    _OFF_RULE: ReasonCode.RULE_DISABLED,
}

# What quiet hours do to a held decision, by mode (suppress: dropped; defer: delivered at
# quiet_until(now); summarize: dropped here, counted in the member's catch-up).
_HELD: dict[QuietMode, tuple[Outcome, Reason]] = {
    QuietMode.SUPPRESS: (Outcome.SUPPRESS, reason(ReasonCode.QUIET_HOURS_SUPPRESS)),
    QuietMode.DEFER: (Outcome.DEFER, reason(ReasonCode.QUIET_HOURS_DEFER)),
    QuietMode.SUMMARIZE: (Outcome.SUPPRESS, reason(ReasonCode.QUIET_HOURS_SUMMARIZE)),
}
_CRITICAL = (reason(ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS),)
_EXEMPT = (reason(ReasonCode.QUIET_HOURS_EXEMPT),)
_NOT_CONFIGURED = (reason(ReasonCode.SLACK_NOT_CONFIGURED),)

_StateKey = tuple[int, tuple[int | None, ...]]
_CHANNEL_KEYS = tuple(channel.value for channel in CHANNEL_ORDER)
_Rulings = tuple[Ruling, ...]


class _Call:
    """What one ``decide`` call resolves once: the kinds, the switches, quiet hours, rulings."""

    def __init__(
        self, event: Event, kinds: tuple[Kind, ...], settings: WorkspaceSettings, now: dt.datetime
    ) -> None:
        self.event_id = event.id
        self.conversation_id = event.conversation_id
        self.kinds = kinds
        self.names = tuple(k.name for k in kinds)
        self.switch_on = tuple(k.switch is None or settings.switch(k.switch) for k in kinds)
        # The state with no member override: the switch, then "not overridable: the workspace
        # decides" (on while its rule is enabled), then the workspace default.
        self.default_state = tuple(
            _OFF_RULE
            if not on
            else _ON
            if not k.overridable or settings.default_for(k.name)
            else _OFF_WORKSPACE
            for k, on in zip(kinds, self.switch_on, strict=True)
        )
        # The kinds a member override can change: overridable and switched on.  Overrides of
        # kinds that are not overridable are ignored if found in stored data.
        self.live = {
            k.name: i
            for i, (k, on) in enumerate(zip(kinds, self.switch_on, strict=True))
            if k.overridable and on
        }
        qh = settings.quiet_hours
        self.quiet = qh.is_quiet(now, settings.timezone)
        self.until = qh.quiet_until(now, settings.timezone) if self.quiet else None
        self.mode = qh.mode
        # Whether each kind can use each member channel, by position in CHANNEL_ORDER.
        self.applies = tuple(tuple(c in k.channels for k in kinds) for c in CHANNEL_ORDER)
        self.rulings: dict[_StateKey, Ruling] = {}
        self._positions: dict[frozenset[Channel], tuple[int, ...]] = {}
        self.templates: dict[tuple[int, frozenset[Channel]], _Rulings] = {}

    # -- rulings, one per distinct outcome ----------------------------------------------------

    def ruling(self, ci: int, states: tuple[int | None, ...]) -> Ruling:
        """The ruling for the kinds' states on ``CHANNEL_ORDER[ci]`` (None: does not apply)."""
        key = (ci, states)
        found = self.rulings.get(key)
        if found is None:
            channel = CHANNEL_ORDER[ci]
            on = [i for i, state in enumerate(states) if state == _ON]
            if on:
                found = self.timed(channel, on)
            else:
                # Every kind is off: say which rule turned each one off.
                off = [(i, state) for i, state in enumerate(states) if state is not None]
                reasons = tuple(reason(_OFF_CODES[state], self.names[i]) for i, state in off)
                found = self.make(channel, [i for i, _ in off], Outcome.SUPPRESS, reasons)
            self.rulings[key] = found
        return found

    def timed(self, channel: Channel, on: list[int]) -> Ruling:
        """The ruling for kinds that are on: delivered, unless quiet hours hold them."""
        if not self.quiet:
            return self.make(channel, on, Outcome.DELIVER, ())
        kinds = self.kinds
        if any(kinds[i].critical for i in on):
            # During quiet hours only critical notifications (such as escalations) are sent.
            return self.make(channel, on, Outcome.DELIVER, _CRITICAL)
        if any(kinds[i].quiet_hours_exempt for i in on):
            # Digests and the catch-up are not subject to quiet hours.
            return self.make(channel, on, Outcome.DELIVER, _EXEMPT)
        outcome, why = _HELD[self.mode]
        deliver_at = self.until if outcome is Outcome.DEFER else None
        return self.make(channel, on, outcome, (why,), deliver_at, self.until)

    def make(
        self,
        channel: Channel,
        indices: list[int],
        outcome: Outcome,
        reasons: tuple[Reason, ...],
        deliver_at: dt.datetime | None = None,
        held_until: dt.datetime | None = None,
    ) -> Ruling:
        return Ruling(
            channel,
            self.event_id,
            self.conversation_id,
            tuple(self.names[i] for i in indices),
            outcome,
            reasons,
            deliver_at,
            held_until,
        )

    # -- a member's rulings, channel by channel -----------------------------------------------
    #
    # Channels are handled by their position in CHANNEL_ORDER: hashing an enum member runs
    # Python code, and these loops run for every member.

    def positions(self, offered: frozenset[Channel]) -> tuple[int, ...]:
        """The positions in CHANNEL_ORDER of the member channels ``offered``."""
        found = self._positions.get(offered)
        if found is None:
            found = self._positions[offered] = tuple(
                ci for ci, channel in enumerate(CHANNEL_ORDER) if channel in offered
            )
        return found

    def template(self, mask: int, offered: frozenset[Channel]) -> _Rulings:
        """The rulings of a member without overrides for these kinds, in channel order.

        ``mask``: the kinds (bits) the member receives; ``offered``: the member's channels.
        """
        rulings = []
        for ci in self.positions(offered):
            applies = self.applies[ci]
            states = tuple(
                state if mask >> i & 1 and applies[i] else None
                for i, state in enumerate(self.default_state)
            )
            if any(state is not None for state in states):
                rulings.append(self.ruling(ci, states))
        return tuple(rulings)

    def own_overrides(self, prefs: MemberPreferences) -> dict[int, dict[str, bool]]:
        """The member's overrides for this call's overridable kinds, by kind index.

        Copied into plain dicts: the lookups below mostly miss, and a dict answers a miss
        without raising ``KeyError`` inside ``Mapping.get``.
        """
        own = {}
        overrides = prefs.overrides
        for name in overrides:
            i = self.live.get(name)
            if i is not None:
                chans = overrides[name]
                own[i] = {key: chans[key] for key in chans}
        return own

    def custom(
        self, mask: int, offered: frozenset[Channel], own: dict[int, dict[str, bool]]
    ) -> _Rulings:
        """Like :meth:`template` for a member with overrides for some of these kinds."""
        rulings = []
        default_state = self.default_state
        for ci in self.positions(offered):
            applies = self.applies[ci]
            channel_key = _CHANNEL_KEYS[ci]
            states: list[int | None] = []
            for i, default in enumerate(default_state):
                if not (mask >> i & 1 and applies[i]):
                    states.append(None)
                    continue
                chans = own.get(i)
                if chans is None:
                    states.append(default)
                    continue
                # Preference rules 2-4, as `MemberPreferences.lookup` and then the default:
                # the override for the channel, then for every channel ("*"), then the default.
                value = chans.get(channel_key)
                if value is None:
                    value = chans.get(ALL_CHANNELS)
                states.append(default if value is None else _ON if value else _OFF_MEMBER)
            if any(state is not None for state in states):
                rulings.append(self.ruling(ci, tuple(states)))
        return tuple(rulings)

    # -- Slack --------------------------------------------------------------------------------

    def slack(self, settings: WorkspaceSettings) -> Ruling | None:
        """The one Slack ruling, or None when no kind has a Slack event (mention, sla_breach).

        Checks in order: the switch (escalation rule) -> no webhook -> event not selected ->
        quiet hours.  ``defaults.<kind>`` is not consulted: those are the members' defaults.
        """
        slack = Channel.SLACK
        routed = [i for i, k in enumerate(self.kinds) if k.slack_event is not None]
        if not routed:
            return None
        live = [i for i in routed if self.switch_on[i]]
        if not live:
            reasons = tuple(reason(ReasonCode.RULE_DISABLED, self.names[i]) for i in routed)
            return self.make(slack, routed, Outcome.SUPPRESS, reasons)
        if settings.slack.webhook_url is None:
            return self.make(slack, live, Outcome.SUPPRESS, _NOT_CONFIGURED)
        selected = [i for i in live if self.kinds[i].slack_event in settings.slack.events]
        if not selected:
            reasons = tuple(
                reason(ReasonCode.SLACK_EVENT_NOT_SELECTED, self.names[i]) for i in live
            )
            return self.make(slack, live, Outcome.SUPPRESS, reasons)
        # In summarize mode a held Slack message is dropped: the catch-up is per member.
        return self.timed(slack, selected)


def _audience(
    kinds: tuple[Kind, ...], event: Event, roster: Roster
) -> tuple[int, int, dict[str, int]]:
    """Who receives each kind, as bit masks over the kinds: (everyone, admins, by member id).

    Resolved from each kind's ``recipients`` and the event's facts; deactivated members and ids
    not in the roster drop out when the roster is walked.
    """
    everyone = admins = 0
    by_id: dict[str, int] = {}

    def add(ids: Iterable[str], bit: int) -> None:
        for member_id in ids:
            by_id[member_id] = by_id.get(member_id, 0) | bit

    for i, kind in enumerate(kinds):
        bit = 1 << i
        who = kind.recipients
        if who is Recipients.ALL_MEMBERS:
            everyone |= bit
        elif who is Recipients.ADMINS:
            admins |= bit
        elif who is Recipients.ASSIGNEE_OR_ALL:
            # To the assignee, or to all active members when there is none or the assignee is
            # deactivated (as if unassigned).
            assignee = event.assignee
            member = roster.get(assignee) if assignee is not None else None
            if member is not None and member.active:
                add((member.id,), bit)
            else:
                everyone |= bit
        elif who is Recipients.MENTIONED:
            # A mention never goes to the note's author.
            add((m for m in event.mentioned if m != event.author_id), bit)
        else:  # Recipients.MEMBERS_WITH_HELD_ITEMS
            add(event.held_for, bit)
    return everyone, admins, by_id


def _check_inputs(
    event: object,
    settings: object,
    roster: object,
    preferences: object,
    kinds: object,
) -> dict[str, MemberPreferences]:
    problems: list[Problem] = []
    for path, value, cls in (
        ("event", event, Event),
        ("settings", settings, WorkspaceSettings),
        ("roster", roster, Roster),
    ):
        if not isinstance(value, cls):
            problems.append(
                Problem(path, "type", f"must be a {cls.__name__}, got {type(value).__name__}")
            )
    if kinds is not None and not isinstance(kinds, KindRegistry):
        problems.append(
            Problem("kinds", "type", f"must be a KindRegistry or None, got {type(kinds).__name__}")
        )
    given: dict[object, object] = {}
    if not isinstance(preferences, Mapping):
        problems.append(
            Problem(
                "preferences",
                "type",
                "must be a mapping of member id to MemberPreferences, "
                f"got {type(preferences).__name__}",
            )
        )
    else:
        # A plain dict: most members have no overrides, so a miss is the common case, and a
        # dict answers it without raising KeyError inside `Mapping.get`.
        given = dict(preferences.items())
        for member_id, value in given.items():
            if not isinstance(value, MemberPreferences):
                problems.append(
                    Problem(
                        f"preferences[{quote(member_id)}]",
                        "type",
                        f"must be a MemberPreferences, got {type(value).__name__}",
                    )
                )
    if problems:
        raise ValidationError(problems)
    return given  # type: ignore[return-value]  # every value was checked above


def decide(
    event: Event,
    *,
    settings: WorkspaceSettings,
    roster: Roster,
    preferences: Mapping[str, MemberPreferences],
    now: dt.datetime,
    kinds: KindRegistry | None = None,
) -> tuple[Decision, ...]:
    """Who is notified of ``event``, on which channel, now, later or never, and why.

    One :class:`Decision` per (recipient, channel): active members in roster order, channels
    in ``in_app, email, push`` order, then the Slack channel.  Members who are not recipients
    (the mention's author, deactivated members) get no decision at all; ``preferences`` for ids
    not in the roster are ignored.  ``now`` must be timezone-aware; nothing else reads the clock.

    >>> import datetime as dt
    >>> from notifpolicy import Member, Role, Roster, WorkspaceSettings
    >>> from notifpolicy._events import MemberMentioned
    >>> roster = Roster([Member("ann", Role.AGENT, "Anna"), Member("bo", Role.ADMIN, "Bo")])
    >>> prefs = {"bo": MemberPreferences.from_dict({"overrides": {"mention": {"email": False}}})}
    >>> now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
    >>> event = MemberMentioned(id="e1", conversation_id="c1", author_id="ann", mentioned=["bo"])
    >>> for d in decide(event, settings=WorkspaceSettings(), roster=roster, preferences=prefs,
    ...                 now=now):
    ...     print(d.recipient, d.channel.value, d.outcome.value, [str(r) for r in d.reasons])
    bo in_app deliver []
    bo email suppress ['disabled_by_member (mention)']
    bo push deliver []
    """
    prefs = _check_inputs(event, settings, roster, preferences, kinds)
    now = require_aware(now, path="now")
    registry = kinds if kinds is not None else KindRegistry.default()
    event_kinds = tuple(
        registry.get(name, path=f"event.kinds[{i}]") for i, name in enumerate(event.kinds)
    )
    call = _Call(event, event_kinds, settings, now)
    everyone, admins, by_id = _audience(event_kinds, event, roster)

    out: list[Decision] = []
    append = out.append
    templates = call.templates
    get_prefs = prefs.get
    new, set_recipient, set_ruling = _NEW, _SET_RECIPIENT, _SET_RULING
    # Consecutive members usually share their template (the same kinds, the same channels).
    last: tuple[int, frozenset[Channel] | None, _Rulings] = (0, None, ())
    for member in roster:
        if not member.active:
            continue  # Deactivated members receive nothing.
        member_id = member.id
        mask = everyone
        if admins and member.role.is_admin:
            mask |= admins
        if by_id:
            mask |= by_id.get(member_id, 0)
        if not mask:
            continue  # Not a recipient of any of the kinds: no decision at all.
        offered = member.channels
        own_prefs = get_prefs(member_id)
        own = call.own_overrides(own_prefs) if own_prefs is not None else None
        if own:
            rulings = call.custom(mask, offered, own)
        elif mask == last[0] and offered is last[1]:
            rulings = last[2]
        else:
            found = templates.get((mask, offered))
            if found is None:
                found = templates[(mask, offered)] = call.template(mask, offered)
            rulings = found
            last = (mask, offered, rulings)
        for ruling in rulings:
            decision = new(Decision)
            set_recipient(decision, member_id)
            set_ruling(decision, ruling)
            append(decision)
    slack = call.slack(settings)
    if slack is not None:
        append(Decision(SLACK_CHANNEL, slack))
    return tuple(out)
