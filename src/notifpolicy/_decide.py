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
import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, TypeVar

import attrs

from notifpolicy._errors import Problem, ValidationError
from notifpolicy._events import Event
from notifpolicy._kinds import Channel, Kind, KindRegistry, Recipients
from notifpolicy._preferences import ALL_CHANNELS, MemberPreferences
from notifpolicy._quiet_hours import QuietMode
from notifpolicy._reasons import Reason, ReasonCode, reason
from notifpolicy._roster import Roster
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = [
    "SLACK_CHANNEL",
    "Decision",
    "Outcome",
    "Recipient",
    "Ruling",
    "SlackTarget",
    "decide",
]

UTC = dt.UTC
_E = TypeVar("_E", bound=enum.Enum)


class Outcome(enum.Enum):
    """What happens to one (recipient, channel)."""

    DELIVER = "deliver"  # now
    SUPPRESS = "suppress"  # never (the reasons say why)
    DEFER = "defer"  # at ``deliver_at``, when quiet hours end


class SlackTarget(enum.Enum):
    """The workspace's Slack channel as a recipient (members are named by their ids)."""

    CHANNEL = "slack_channel"


SLACK_CHANNEL = SlackTarget.CHANNEL
"""The recipient of every Slack decision."""

Recipient: TypeAlias = str | SlackTarget
"""A member id, or :data:`SLACK_CHANNEL`."""

# Member channels in the order decisions list them; Slack comes last.
CHANNEL_ORDER = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)


def _to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class Ruling:
    """What a decision says apart from its recipient: built once per call and shared.

    - ``channel``: where the notification goes (``SLACK`` for the Slack channel);
    - ``kinds``: the kinds the decision is about (the ones that are on, when any is; else the
      ones that are off);
    - ``outcome``, and ``deliver_at`` exactly when the outcome is ``DEFER``;
    - ``reasons``: at least one unless the outcome is ``DELIVER`` (a delivery outside quiet
      hours needs none);
    - ``held_until``: when quiet hours held the decision, the end of that quiet period
      (``quiet_until(now)``): the instant a ``defer`` delivers and a ``summarize`` catch-up is
      due.  Decisions held in one quiet period share it.
    """

    channel: Channel
    event_id: str
    conversation_id: str | None
    kinds: tuple[str, ...] = attrs.field(converter=_to_tuple)
    outcome: Outcome
    reasons: tuple[Reason, ...] = attrs.field(default=(), converter=_to_tuple)
    deliver_at: dt.datetime | None = None
    held_until: dt.datetime | None = None

    def __attrs_post_init__(self) -> None:
        problems = _check_ruling(self)
        if problems:
            raise ValidationError(problems)


def _check_ruling(r: Ruling) -> list[Problem]:
    # Typed fields, but hosts rebuild rulings from their own stored data: check anyway.
    problems: list[Problem] = []
    channel: object = r.channel
    outcome: object = r.outcome
    if not isinstance(channel, Channel):
        problems.append(Problem("channel", "type", f"must be a Channel, got {channel!r}"))
    if not isinstance(r.event_id, str) or not r.event_id:
        problems.append(
            Problem("event_id", "type", f"must be a non-empty string, got {r.event_id!r}")
        )
    if r.conversation_id is not None and (
        not isinstance(r.conversation_id, str) or not r.conversation_id
    ):
        problems.append(
            Problem(
                "conversation_id",
                "type",
                f"must be a non-empty string or None, got {r.conversation_id!r}",
            )
        )
    if not r.kinds or not all(isinstance(k, str) and k for k in r.kinds):
        problems.append(
            Problem("kinds", "type", f"must be one or more kind names, got {r.kinds!r}")
        )
    if not isinstance(outcome, Outcome):
        problems.append(Problem("outcome", "type", f"must be an Outcome, got {outcome!r}"))
    if not all(isinstance(x, Reason) for x in r.reasons):
        problems.append(Problem("reasons", "type", f"must be Reason values, got {r.reasons!r}"))
    elif isinstance(outcome, Outcome) and outcome is not Outcome.DELIVER and not r.reasons:
        # Every decision that does not deliver says why.
        problems.append(
            Problem("reasons", "missing_reason", f"a {outcome.value} decision must say why")
        )
    for name, value in (("deliver_at", r.deliver_at), ("held_until", r.held_until)):
        if value is not None:
            try:
                require_aware(value, path=name)
            except ValidationError as e:
                problems.extend(e.problems)
    if (r.deliver_at is None) == (outcome is Outcome.DEFER):
        problems.append(
            Problem("deliver_at", "defer", "is required for a defer decision, and only for one")
        )
    return problems


@attrs.frozen(repr=False)
class Decision:
    """One (recipient, channel): a member id or :data:`SLACK_CHANNEL`, and its :class:`Ruling`.

    The ruling's fields read as the decision's own: ``channel``, ``kinds``, ``event_id``,
    ``conversation_id``, ``outcome``, ``deliver_at``, ``held_until``, ``reasons``.

    >>> d = Decision.of("u1", Channel.EMAIL, ("mention",), event_id="e1", conversation_id="c1",
    ...                 outcome=Outcome.DELIVER)
    >>> d.outcome, d.kinds, d.member_id, d.channel
    (<Outcome.DELIVER: 'deliver'>, ('mention',), 'u1', <Channel.EMAIL: 'email'>)
    """

    recipient: Recipient
    ruling: Ruling

    def __attrs_post_init__(self) -> None:
        # `decide` builds its decisions without this check (see `_fast_decision`): they are
        # consistent by construction.  Decisions built by hand are checked.
        recipient: object = self.recipient
        ruling: object = self.ruling
        if not isinstance(ruling, Ruling):
            raise ValidationError.single("ruling", "type", f"must be a Ruling, got {ruling!r}")
        if ruling.channel is Channel.SLACK:
            if recipient is not SLACK_CHANNEL:
                raise ValidationError.single(
                    "recipient", "type", f"must be SLACK_CHANNEL on Slack, got {recipient!r}"
                )
        elif not isinstance(recipient, str) or not recipient:
            raise ValidationError.single(
                "recipient", "type", f"must be a member id, got {recipient!r}"
            )

    @classmethod
    def of(
        cls,
        recipient: Recipient,
        channel: Channel,
        kinds: Iterable[str],
        *,
        event_id: str,
        conversation_id: str | None,
        outcome: Outcome,
        reasons: Iterable[Reason] = (),
        deliver_at: dt.datetime | None = None,
        held_until: dt.datetime | None = None,
    ) -> Decision:
        """A decision from its fields, the ruling built for it."""
        return cls(
            recipient,
            Ruling(
                channel,
                event_id,
                conversation_id,
                tuple(kinds),
                outcome,
                tuple(reasons),
                deliver_at,
                held_until,
            ),
        )

    @property
    def channel(self) -> Channel:
        return self.ruling.channel

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.ruling.kinds

    @property
    def event_id(self) -> str:
        return self.ruling.event_id

    @property
    def conversation_id(self) -> str | None:
        return self.ruling.conversation_id

    @property
    def outcome(self) -> Outcome:
        return self.ruling.outcome

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.ruling.reasons

    @property
    def deliver_at(self) -> dt.datetime | None:
        return self.ruling.deliver_at

    @property
    def held_until(self) -> dt.datetime | None:
        return self.ruling.held_until

    @property
    def member_id(self) -> str | None:
        """The member's id, or None for the Slack channel."""
        recipient = self.recipient
        return recipient if isinstance(recipient, str) else None

    @property
    def is_slack(self) -> bool:
        return self.recipient is SLACK_CHANNEL

    def codes(self) -> tuple[ReasonCode, ...]:
        """The reasons' codes, in order."""
        return tuple(r.code for r in self.ruling.reasons)

    def __repr__(self) -> str:
        r = self.ruling
        return (
            f"Decision(recipient={self.recipient!r}, channel={r.channel!r}, kinds={r.kinds!r}, "
            f"outcome={r.outcome!r}, reasons={r.reasons!r}, deliver_at={r.deliver_at!r}, "
            f"held_until={r.held_until!r}, event_id={r.event_id!r}, "
            f"conversation_id={r.conversation_id!r})"
        )

    # -- storage form ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the host's outbox; :meth:`from_dict` reads it back.

        The Slack channel's recipient is ``None`` (its channel is ``"slack"``); instants are
        ISO 8601 in UTC.
        """
        r = self.ruling
        return {
            "recipient": self.member_id,
            "channel": r.channel.value,
            "kinds": list(r.kinds),
            "event_id": r.event_id,
            "conversation_id": r.conversation_id,
            "outcome": r.outcome.value,
            "reasons": [{"code": x.code.value, "kind": x.kind} for x in r.reasons],
            "deliver_at": _iso(r.deliver_at),
            "held_until": _iso(r.held_until),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Read :meth:`to_dict`'s form strictly; a :class:`ValidationError` names each problem."""
        return _decision_from_dict(data)


# `decide` allocates one Decision per (recipient, channel) and nothing else per decision.  The
# attrs `__init__` of a frozen class sets each field through `object.__setattr__` and then runs
# the consistency check, which together cost more than the rest of a decision; the slot
# descriptors set the same two fields directly.  Equal to `Decision(recipient, ruling)`.
_NEW = object.__new__
_SET_RECIPIENT = Decision.__dict__["recipient"].__set__
_SET_RULING = Decision.__dict__["ruling"].__set__


def _fast_decision(recipient: Recipient, ruling: Ruling) -> Decision:
    decision: Decision = _NEW(Decision)
    _SET_RECIPIENT(decision, recipient)
    _SET_RULING(decision, ruling)
    return decision


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


_DECISION_KEYS = (
    "recipient",
    "channel",
    "kinds",
    "event_id",
    "conversation_id",
    "outcome",
    "reasons",
    "deliver_at",
    "held_until",
)


def _decision_from_dict(data: object) -> Decision:
    if not isinstance(data, Mapping):
        raise ValidationError.single("", "type", f"must be a decision mapping, got {data!r}"[:120])
    problems: list[Problem] = []
    for key in data:
        if key not in _DECISION_KEYS:
            problems.append(
                Problem(
                    str(key), "unknown_key", f"unknown key; expected {', '.join(_DECISION_KEYS)}"
                )
            )
    for key in _DECISION_KEYS:
        if key not in data:
            problems.append(Problem(key, "missing", "is required"))
    if problems:
        raise ValidationError(problems)
    channel = _enum(Channel, data["channel"], "channel", problems)
    outcome = _enum(Outcome, data["outcome"], "outcome", problems)
    recipient = data["recipient"]
    if channel is Channel.SLACK:
        if recipient is not None:
            problems.append(Problem("recipient", "type", "must be null for the Slack channel"))
    elif channel is not None and (not isinstance(recipient, str) or not recipient):
        problems.append(Problem("recipient", "type", f"must be a member id, got {recipient!r}"))
    kinds = data["kinds"]
    if not isinstance(kinds, list | tuple):
        problems.append(Problem("kinds", "type", f"must be a list of kind names, got {kinds!r}"))
        kinds = ()
    reasons: list[Reason] = []
    raw_reasons = data["reasons"]
    if not isinstance(raw_reasons, list | tuple):
        problems.append(Problem("reasons", "type", f"must be a list, got {raw_reasons!r}"))
        raw_reasons = ()
    for i, item in enumerate(raw_reasons):
        path = f"reasons[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"code", "kind"}:
            problems.append(Problem(path, "type", "must be a mapping with code and kind"))
            continue
        code = _enum(ReasonCode, item["code"], f"{path}.code", problems)
        kind = item["kind"]
        if kind is not None and (not isinstance(kind, str) or not kind):
            problems.append(
                Problem(f"{path}.kind", "type", f"must be a kind or null, got {kind!r}")
            )
        elif code is not None:
            reasons.append(reason(code, kind))
    instants = {name: _instant(data[name], name, problems) for name in ("deliver_at", "held_until")}
    if problems or channel is None or outcome is None:  # a None here came with a problem
        raise ValidationError(problems)
    ruling = Ruling(
        channel,
        data["event_id"],
        data["conversation_id"],
        tuple(kinds),
        outcome,
        tuple(reasons),
        instants["deliver_at"],
        instants["held_until"],
    )
    return Decision(SLACK_CHANNEL if channel is Channel.SLACK else recipient, ruling)


def _enum(cls: type[_E], value: object, path: str, problems: list[Problem]) -> _E | None:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        problems.append(Problem(path, "type", f"must be one of {allowed}, got {value!r}"))
        return None


def _instant(value: object, path: str, problems: list[Problem]) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.utcoffset() is not None:
            return parsed.astimezone(UTC)
    problems.append(
        Problem(path, "type", f"must be an ISO 8601 instant with an offset or null, got {value!r}")
    )
    return None


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
                        f"preferences[{member_id!r}]",
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
