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

Speed: a decision costs its audience, plus a small fixed cost per call.

- What depends only on the settings value, the kinds registry and the event's kind names is a
  :class:`_Plan`, resolved once and cached: the kinds' attributes and switches, the workspace
  defaults, who each kind goes to, and every distinct outcome as a :class:`_Shape` (what a
  ruling says apart from the event's ids and the end of quiet hours), including the Slack one.
  Settings and registries are immutable values, so a plan never goes stale; the cache is keyed
  on their identity and holds them alive (an id is never reused while its entry exists), and it
  is bounded.  A new settings version is a new value and gets a plan of its own.
- Per call: quiet-ness of ``now`` and ``quiet_until``, then one :class:`Ruling` per distinct
  outcome (built without attrs' checks: its parts were resolved here), shared by every decision
  that comes out alike; members without an override for the event's kinds share whole
  per-channel templates.  So a decision costs one small allocation.
- Recipients: a broadcast walks the roster; an event whose kinds go to named members (the
  mentioned, the assignee, members with held items) and admins looks them up in the roster's
  index instead (:meth:`Roster.in_order`), in the same roster order.  Only the preferences of
  members who get a decision are read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import attrs

from notifpolicy._decision import (  # the hot loop builds decisions without attrs' checks
    CHANNEL_ORDER,
    SLACK_CHANNEL,
    Decision,
    Outcome,
    Recipient,
    Ruling,
    trusted_decisions,
    trusted_ruling,
)
from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._events import Event
from notifpolicy._kinds import Channel, KindRegistry, Recipients
from notifpolicy._preferences import ALL_CHANNELS, MemberPreferences
from notifpolicy._quiet_hours import QuietMode
from notifpolicy._reasons import Reason, ReasonCode, reason
from notifpolicy._roster import Member, Roster
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

_CHANNEL_KEYS = tuple(channel.value for channel in CHANNEL_ORDER)
_States = tuple[int | None, ...]
# A plan's memos grow with the distinct override combinations a workspace has; past this many
# entries a memo starts afresh (it is a cache: what it held is computed again on demand).
_MEMO_LIMIT = 4096


class _Shape:
    """What a ruling says apart from the event's ids and the end of quiet hours.

    Resolved once per plan and shared by its calls, each of which turns it into a
    :class:`Ruling` (one per call and shape).  ``held``: quiet hours hold it, so its
    ``held_until`` (and a deferral's ``deliver_at``) is the end of the quiet period.
    Compared by identity: a plan makes one shape per distinct outcome.
    """

    __slots__ = ("channel", "held", "kinds", "outcome", "reasons")

    def __init__(
        self,
        channel: Channel,
        kinds: tuple[str, ...],
        outcome: Outcome,
        reasons: tuple[Reason, ...],
        held: bool,
    ) -> None:
        self.channel = channel
        self.kinds = kinds
        self.outcome = outcome
        self.reasons = reasons
        self.held = held


_Shapes = tuple[_Shape, ...]


class _Plan:
    """What ``decide`` resolves from a settings value, a registry and the event's kind names.

    Nothing here depends on the event's ids, its recipients or ``now``; a plan is cached and
    shared by every call with the same three (see :func:`_plan`).  ``quiet`` below is whether
    ``now`` is in quiet hours, the one fact of the call the shapes depend on.
    """

    def __init__(
        self, settings: WorkspaceSettings, registry: KindRegistry, names: tuple[str, ...]
    ) -> None:
        # Kept alive so that the cache's identity keys cannot be reused while it holds them.
        self.settings = settings
        self.registry = registry
        kinds = tuple(registry.get(name, path=f"event.kinds[{i}]") for i, name in enumerate(names))
        self.kinds = kinds
        self.names = tuple(k.name for k in kinds)
        self.switch_on = tuple(k.switch is None or settings.switch(k.switch) for k in kinds)
        # The state with no member override: the switch, then "not overridable: the workspace
        # decides" (on while its rule is enabled), then the workspace default.
        self.default_state: _States = tuple(
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
        self.mode = settings.quiet_hours.mode
        # Whether each kind can use each member channel, by position in CHANNEL_ORDER.
        self.applies = tuple(tuple(c in k.channels for k in kinds) for c in CHANNEL_ORDER)
        # Who receives each kind, as bit masks over the kinds, by the kinds' `recipients`.
        bits = dict.fromkeys(Recipients, 0)
        for i, kind in enumerate(kinds):
            bits[kind.recipients] |= 1 << i
        self.everyone = bits[Recipients.ALL_MEMBERS]
        self.admins = bits[Recipients.ADMINS]
        self.assignee = bits[Recipients.ASSIGNEE_OR_ALL]
        self.mentioned = bits[Recipients.MENTIONED]
        self.held_for = bits[Recipients.MEMBERS_WITH_HELD_ITEMS]
        self._shapes: dict[tuple[bool, int, _States], _Shape] = {}
        self._templates: dict[tuple[bool, int, frozenset[Channel]], _Shapes] = {}
        self._positions: dict[frozenset[Channel], tuple[int, ...]] = {}
        # The one Slack shape (or None), outside and inside quiet hours.
        self.slack = (self._slack(settings, quiet=False), self._slack(settings, quiet=True))

    # -- shapes, one per distinct outcome ------------------------------------------------------

    def shape(self, quiet: bool, ci: int, states: _States) -> _Shape:
        """The shape for the kinds' states on ``CHANNEL_ORDER[ci]`` (None: does not apply)."""
        key = (quiet, ci, states)
        found = self._shapes.get(key)
        if found is None:
            channel = CHANNEL_ORDER[ci]
            on = [i for i, state in enumerate(states) if state == _ON]
            # Say which rule turned each kind off that is off, whether or not others are on:
            # "why didn't this count?" has an answer for every kind of the event.
            off = [(i, state) for i, state in enumerate(states) if state not in (None, _ON)]
            dropped = tuple(reason(_OFF_CODES[state], self.names[i]) for i, state in off)
            if on:
                found = self._timed(channel, on, quiet, dropped)
            else:
                found = self._make(channel, [i for i, _ in off], Outcome.SUPPRESS, dropped)
            _remember(self._shapes, key, found)
        return found

    def _timed(
        self, channel: Channel, on: list[int], quiet: bool, dropped: tuple[Reason, ...]
    ) -> _Shape:
        """The shape for kinds that are on: delivered, unless quiet hours hold them.

        ``dropped``: why the event's other kinds are off on this channel; they follow the
        reasons of the outcome.
        """
        if not quiet:
            return self._make(channel, on, Outcome.DELIVER, dropped)
        kinds = self.kinds
        if any(kinds[i].critical for i in on):
            # During quiet hours only critical notifications (such as escalations) are sent.
            return self._make(channel, on, Outcome.DELIVER, _CRITICAL + dropped)
        if any(kinds[i].quiet_hours_exempt for i in on):
            # Digests and the catch-up are not subject to quiet hours.
            return self._make(channel, on, Outcome.DELIVER, _EXEMPT + dropped)
        outcome, why = _HELD[self.mode]
        return self._make(channel, on, outcome, (why, *dropped), held=True)

    def _make(
        self,
        channel: Channel,
        indices: list[int],
        outcome: Outcome,
        reasons: tuple[Reason, ...],
        *,
        held: bool = False,
    ) -> _Shape:
        return _Shape(channel, tuple(self.names[i] for i in indices), outcome, reasons, held)

    # -- a member's shapes, channel by channel ------------------------------------------------
    #
    # Channels are handled by their position in CHANNEL_ORDER: hashing an enum member runs
    # Python code, and these loops run for every member.

    def positions(self, offered: frozenset[Channel]) -> tuple[int, ...]:
        """The positions in CHANNEL_ORDER of the member channels ``offered``."""
        found = self._positions.get(offered)
        if found is None:
            found = tuple(ci for ci, channel in enumerate(CHANNEL_ORDER) if channel in offered)
            _remember(self._positions, offered, found)
        return found

    def template(self, quiet: bool, mask: int, offered: frozenset[Channel]) -> _Shapes:
        """The shapes of a member without overrides for these kinds, in channel order.

        ``mask``: the kinds (bits) the member receives; ``offered``: the member's channels.
        """
        key = (quiet, mask, offered)
        found = self._templates.get(key)
        if found is None:
            shapes = []
            for ci in self.positions(offered):
                applies = self.applies[ci]
                states = tuple(
                    state if mask >> i & 1 and applies[i] else None
                    for i, state in enumerate(self.default_state)
                )
                if any(state is not None for state in states):
                    shapes.append(self.shape(quiet, ci, states))
            found = tuple(shapes)
            _remember(self._templates, key, found)
        return found

    def own_overrides(self, prefs: MemberPreferences) -> dict[int, dict[str, bool]]:
        """The member's overrides for these overridable kinds, by kind index.

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
        self, quiet: bool, mask: int, offered: frozenset[Channel], own: dict[int, dict[str, bool]]
    ) -> _Shapes:
        """Like :meth:`template` for a member with overrides for some of these kinds."""
        shapes = []
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
                shapes.append(self.shape(quiet, ci, tuple(states)))
        return tuple(shapes)

    # -- Slack --------------------------------------------------------------------------------

    def _slack(self, settings: WorkspaceSettings, *, quiet: bool) -> _Shape | None:
        """The one Slack shape, or None when no kind has a Slack event (mention, sla_breach).

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
            return self._make(slack, routed, Outcome.SUPPRESS, reasons)
        if settings.slack.webhook_url is None:
            return self._make(slack, live, Outcome.SUPPRESS, _NOT_CONFIGURED)
        selected = [i for i in live if self.kinds[i].slack_event in settings.slack.events]
        if not selected:
            reasons = tuple(
                reason(ReasonCode.SLACK_EVENT_NOT_SELECTED, self.names[i]) for i in live
            )
            return self._make(slack, live, Outcome.SUPPRESS, reasons)
        # The event's other Slack kinds: their rule is off, or their event is not selected.
        dropped = tuple(
            reason(ReasonCode.RULE_DISABLED, self.names[i])
            if not self.switch_on[i]
            else reason(ReasonCode.SLACK_EVENT_NOT_SELECTED, self.names[i])
            for i in routed
            if i not in selected
        )
        # In summarize mode a held Slack message is dropped: the catch-up is per member.
        return self._timed(slack, selected, quiet, dropped)


# -- the plan cache ---------------------------------------------------------------------------
#
# Keyed on the identity of the settings value and the registry (hashing a settings value costs
# about as much as a small event's whole decision).  Each entry holds both objects, so their
# ids cannot be reused by other objects while it exists, and the lookup checks them with `is`
# anyway.  A new settings version, or settings read back from a store as a new object, is a
# miss and gets its own plan.  Bounded: the oldest entry goes first.

_K = TypeVar("_K")
_V = TypeVar("_V")
_PLAN_LIMIT = 256
_PLANS: dict[tuple[int, int, tuple[str, ...]], _Plan] = {}


def _remember(cache: dict[_K, _V], key: _K, value: _V, limit: int = _MEMO_LIMIT) -> None:
    if len(cache) >= limit:
        # Dropping the oldest; another thread may be doing the same, which is harmless.
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del cache[next(iter(cache))]
    cache[key] = value


def _plan(settings: WorkspaceSettings, registry: KindRegistry, names: tuple[str, ...]) -> _Plan:
    key = (id(settings), id(registry), names)
    plan = _PLANS.get(key)
    if plan is None or plan.settings is not settings or plan.registry is not registry:
        plan = _Plan(settings, registry, names)
        _remember(_PLANS, key, plan, _PLAN_LIMIT)
    return plan


# -- one call ---------------------------------------------------------------------------------


class _Rulings:
    """A call's rulings: one per shape, made on first use (the event's ids, quiet's end)."""

    __slots__ = ("conversation_id", "event_id", "made", "until")

    def __init__(self, event: Event, until: dt.datetime | None) -> None:
        self.event_id = event.id
        self.conversation_id = event.conversation_id
        self.until = until
        self.made: dict[_Shape, Ruling] = {}

    def of(self, shape: _Shape) -> Ruling:
        found = self.made.get(shape)
        if found is None:
            held_until = self.until if shape.held else None
            found = self.made[shape] = trusted_ruling(
                shape.channel,
                self.event_id,
                self.conversation_id,
                shape.kinds,
                shape.outcome,
                shape.reasons,
                held_until if shape.outcome is Outcome.DEFER else None,
                held_until,
            )
        return found

    def all(self, shapes: _Shapes) -> tuple[Ruling, ...]:
        return tuple(map(self.of, shapes))


def _audience(
    plan: _Plan, event: Event, roster: Roster
) -> tuple[int, Iterable[Member], dict[str, int]]:
    """Who receives the kinds: (kinds every member receives, the members to visit, kinds by id).

    Resolved from each kind's ``recipients`` and the event's facts.  When some kind goes to
    every member the roster is walked; else only the named members and the admins are visited,
    looked up in the roster's index, in roster order.  Deactivated members and ids not in the
    roster drop out either way.
    """
    everyone = plan.everyone
    by_id: dict[str, int] = {}
    if plan.assignee:
        # To the assignee, or to all active members when there is none or the assignee is
        # deactivated (as if unassigned).
        assignee = event.assignee
        member = roster.get(assignee) if assignee is not None else None
        if member is not None and member.active:
            by_id[member.id] = plan.assignee
        else:
            everyone |= plan.assignee
    if plan.mentioned:
        # A mention never goes to the note's author.
        author = event.author_id
        for member_id in event.mentioned:
            if member_id != author:
                by_id[member_id] = by_id.get(member_id, 0) | plan.mentioned
    if plan.held_for:
        for member_id in event.held_for:
            by_id[member_id] = by_id.get(member_id, 0) | plan.held_for
    if everyone:
        return everyone, roster, by_id
    if plan.admins:
        ids: Iterable[str] = itertools.chain(by_id, (m.id for m in roster.admins()))
    else:
        ids = by_id
    return everyone, roster.in_order(ids), by_id


_MISSING = object()


def _input_problems(
    event: object,
    settings: object,
    roster: object,
    preferences: object,
    kinds: object,
) -> list[Problem]:
    """Every problem with the arguments' types, each preference value included."""
    problems: list[Problem] = []
    if not isinstance(event, Event):
        problems.append(
            Problem(
                "event",
                "type",
                "must be an event (ConversationCreated, MemberMentioned, HostEvent, ...), "
                f"got {type(event).__name__}",
            )
        )
    for path, value, cls in (
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
        problems.extend(
            _not_preferences(member_id, value)
            for member_id, value in preferences.items()
            if not isinstance(value, MemberPreferences)
        )
    return problems


def _not_preferences(member_id: object, value: object) -> Problem:
    return Problem(
        f"preferences[{quote(member_id)}]",
        "type",
        f"must be a MemberPreferences, got {type(value).__name__}",
    )


def _at_is_now(exc: ValidationError) -> ValidationError:
    """The time primitives name their argument ``at``; ``decide``'s caller passed ``now``."""
    return ValidationError(
        [attrs.evolve(p, path="now") if p.path == "at" else p for p in exc.problems]
    )


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

    Only the preferences of members who get a decision are read, so that an event for one
    member costs the same in any workspace: a value that is not a :class:`MemberPreferences`
    is a :class:`ValidationError` (listing every such value) when it is read.

    >>> import datetime as dt
    >>> from notifpolicy import Member, Role, Roster, WorkspaceSettings
    >>> from notifpolicy import MemberMentioned
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
    if not (
        isinstance(event, Event)
        and isinstance(settings, WorkspaceSettings)
        and isinstance(roster, Roster)
        and (kinds is None or isinstance(kinds, KindRegistry))
        and (type(preferences) is dict or isinstance(preferences, Mapping))
    ):
        raise ValidationError(_input_problems(event, settings, roster, preferences, kinds))
    try:
        now = require_aware(now, path="now")
        registry = kinds if kinds is not None else KindRegistry.default()
        plan = _plan(settings, registry, event.kinds)
    except ValidationError:
        # The preference values' problems come first, as they would for a full check.
        problems = _input_problems(event, settings, roster, preferences, kinds)
        if problems:
            raise ValidationError(problems) from None
        raise
    qh = settings.quiet_hours
    try:
        quiet = qh.is_quiet(now, settings.timezone)
        until = qh.quiet_until(now, settings.timezone) if quiet else None
    except ValidationError as exc:
        raise _at_is_now(exc) from None
    rulings = _Rulings(event, until)
    everyone, members, by_id = _audience(plan, event, roster)
    if members is roster and type(preferences) is not dict:
        # A walk looks up every member, and most have no preferences: a plain dict answers a
        # miss without raising KeyError inside `Mapping.get`.
        get_prefs: Callable[[str, object], object] = dict(preferences.items()).get
    else:
        get_prefs = preferences.get

    def bad_preferences(member_id: str, value: object) -> ValidationError:
        problems = _input_problems(event, settings, roster, preferences, kinds)
        return ValidationError(problems or [_not_preferences(member_id, value)])

    groups = _member_decisions(
        plan, quiet, rulings, members, everyone, by_id, get_prefs, bad_preferences
    )
    slack = plan.slack[quiet]
    if slack is not None:
        groups.append((SLACK_CHANNEL, (rulings.of(slack),)))
    return trusted_decisions(groups)


def _member_decisions(
    plan: _Plan,
    quiet: bool,
    rulings: _Rulings,
    members: Iterable[Member],
    everyone: int,
    by_id: dict[str, int],
    get_prefs: Callable[[str, object], object],
    bad_preferences: Callable[[str, object], ValidationError],
) -> list[tuple[Recipient, tuple[Ruling, ...]]]:
    """The members' decisions, in the order of ``members`` and then of CHANNEL_ORDER: each
    member with its rulings, one decision each (built by ``trusted_decisions``)."""
    groups: list[tuple[Recipient, tuple[Ruling, ...]]] = []
    add = groups.append
    admins = plan.admins
    # Members without overrides for these kinds share their rulings by (kinds, channels), and
    # consecutive members usually share them (the same kinds, the same channels).
    shared: dict[tuple[int, frozenset[Channel]], tuple[Ruling, ...]] = {}
    last: tuple[int, frozenset[Channel] | None, tuple[Ruling, ...]] = (0, None, ())
    for member in members:
        if not member.active:
            continue  # Deactivated members receive nothing.
        member_id = member.id
        mask = everyone
        if admins and member.role.is_admin:
            mask |= admins
        if by_id:
            mask |= by_id.get(member_id, 0)
        # `mask` is never empty: a walk happens only when some kind goes to every member, and a
        # lookup visits only the named members and the admins.  Non-recipients are not visited.
        offered = member.channels
        own_prefs = get_prefs(member_id, _MISSING)
        own = None
        if own_prefs is not _MISSING:
            if not isinstance(own_prefs, MemberPreferences):
                raise bad_preferences(member_id, own_prefs)
            own = plan.own_overrides(own_prefs)
        if own:
            theirs = rulings.all(plan.custom(quiet, mask, offered, own))
        elif mask == last[0] and offered is last[1]:
            theirs = last[2]
        else:
            found = shared.get((mask, offered))
            if found is None:
                found = shared[(mask, offered)] = rulings.all(plan.template(quiet, mask, offered))
            theirs = found
            last = (mask, offered, theirs)
        add((member_id, theirs))
    return groups
