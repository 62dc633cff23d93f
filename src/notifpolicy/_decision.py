"""The decision values: :class:`Decision`, its shared :class:`Ruling`, :class:`Outcome`.

A decision is one (recipient, channel) and a ruling: the outcome, the reasons, the kinds it is
about and, for a deferral, when it is delivered.  ``decide`` (in ``_decide``) builds many
decisions per event and shares one ruling between all that come out alike, so a decision costs
one small allocation; this module holds the values and their validation and storage form.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, TypeVar

import attrs

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._keys import id_problem
from notifpolicy._kinds import Channel
from notifpolicy._loader import Reader
from notifpolicy._reasons import Reason, ReasonCode, reason
from notifpolicy._timeutil import require_aware

__all__ = [
    "CHANNEL_ORDER",
    "SLACK_CHANNEL",
    "Decision",
    "Outcome",
    "Recipient",
    "Ruling",
    "SlackTarget",
]

UTC = dt.UTC
_E = TypeVar("_E", bound=enum.Enum)


class Outcome(enum.Enum):
    """What happens to one (recipient, channel)."""

    DELIVER = "deliver"  # now
    SUPPRESS = "suppress"  # never (the reasons say why)
    DEFER = "defer"  # at ``deliver_at``, when quiet hours end


class SlackTarget(enum.StrEnum):
    """The workspace's Slack channel as a recipient (members are named by their ids).

    Its one value is ``"slack"``, the name the outbox and the testing kit use for it too:
    ``str(SLACK_CHANNEL) == SLACK_RECIPIENT == "slack"``.
    """

    CHANNEL = "slack"


SLACK_CHANNEL = SlackTarget.CHANNEL
"""The recipient of every Slack decision; equal to ``"slack"``."""

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
        problems.append(Problem("channel", "type", f"must be a Channel, got {quote(channel)}"))
    if (problem := id_problem("event_id", r.event_id)) is not None:
        problems.append(problem)
    if r.conversation_id is not None and (
        not isinstance(r.conversation_id, str) or not r.conversation_id
    ):
        problems.append(
            Problem(
                "conversation_id",
                "type",
                f"must be a non-empty string or None, got {quote(r.conversation_id)}",
            )
        )
    if not r.kinds or not all(isinstance(k, str) and k for k in r.kinds):
        problems.append(
            Problem("kinds", "type", f"must be one or more kind names, got {quote(r.kinds)}")
        )
    if not isinstance(outcome, Outcome):
        problems.append(Problem("outcome", "type", f"must be an Outcome, got {quote(outcome)}"))
    if not all(isinstance(x, Reason) for x in r.reasons):
        problems.append(
            Problem("reasons", "type", f"must be Reason values, got {quote(r.reasons)}")
        )
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
        # `decide` builds its decisions without this check (see `trusted_decisions`):
        # they are consistent by construction.  Decisions built by hand are checked.
        recipient: object = self.recipient
        ruling: object = self.ruling
        if not isinstance(ruling, Ruling):
            raise ValidationError.single("ruling", "type", f"must be a Ruling, got {quote(ruling)}")
        if ruling.channel is Channel.SLACK:
            if recipient != SLACK_CHANNEL:
                raise ValidationError.single(
                    "recipient", "type", f"must be 'slack' on Slack, got {quote(recipient)}"
                )
            # The plain string "slack" names the same recipient: kept as the one value.
            object.__setattr__(self, "recipient", SLACK_CHANNEL)
        elif isinstance(recipient, SlackTarget) or not isinstance(recipient, str) or not recipient:
            raise ValidationError.single(
                "recipient", "type", f"must be a member id, got {quote(recipient)}"
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
        return None if recipient is SLACK_CHANNEL else recipient

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


# -- construction without the checks, for `decide` ---------------------------------------------
#
# `decide` allocates one Decision per (recipient, channel) and a few rulings per call (one per
# distinct outcome), from parts it resolved once per settings value and checked then, and the
# event's own checked ids.  The attrs `__init__` of a frozen class sets each field through
# `object.__setattr__` and then runs the consistency check, which together cost more than the
# rest of a decision (about 2.5 us a ruling, a fifth of a small event).  The two functions below
# are the one way to build these values without it: they set the slots directly, and what they
# build is equal to what `Ruling(...)` and `Decision(recipient, ruling)` build.  They are for
# callers that guarantee what the checks would (today `decide` alone); everything else goes
# through the constructors.

_NEW = object.__new__
_SET_RECIPIENT = Decision.__dict__["recipient"].__set__
_SET_RULING = Decision.__dict__["ruling"].__set__
_RULING_SLOTS = {a.name: Ruling.__dict__[a.name].__set__ for a in attrs.fields(Ruling)}
_SET_CHANNEL = _RULING_SLOTS["channel"]
_SET_EVENT_ID = _RULING_SLOTS["event_id"]
_SET_CONVERSATION_ID = _RULING_SLOTS["conversation_id"]
_SET_KINDS = _RULING_SLOTS["kinds"]
_SET_OUTCOME = _RULING_SLOTS["outcome"]
_SET_REASONS = _RULING_SLOTS["reasons"]
_SET_DELIVER_AT = _RULING_SLOTS["deliver_at"]
_SET_HELD_UNTIL = _RULING_SLOTS["held_until"]


def trusted_ruling(
    channel: Channel,
    event_id: str,
    conversation_id: str | None,
    kinds: tuple[str, ...],
    outcome: Outcome,
    reasons: tuple[Reason, ...],
    deliver_at: dt.datetime | None,
    held_until: dt.datetime | None,
) -> Ruling:
    """Equal to ``Ruling(...)`` with these fields, without the check.

    The caller guarantees what the check would: tuples, a reason unless delivered,
    ``deliver_at`` exactly for a deferral, aware instants, non-empty ids and kinds.
    """
    ruling: Ruling = _NEW(Ruling)
    _SET_CHANNEL(ruling, channel)
    _SET_EVENT_ID(ruling, event_id)
    _SET_CONVERSATION_ID(ruling, conversation_id)
    _SET_KINDS(ruling, kinds)
    _SET_OUTCOME(ruling, outcome)
    _SET_REASONS(ruling, reasons)
    _SET_DELIVER_AT(ruling, deliver_at)
    _SET_HELD_UNTIL(ruling, held_until)
    return ruling


def trusted_decisions(
    groups: Iterable[tuple[Recipient, Iterable[Ruling]]],
) -> tuple[Decision, ...]:
    """One decision per recipient and each of its rulings, in order, without the check.

    Each is equal to ``Decision(recipient, ruling)``.  The caller guarantees what the check
    would: the recipient is :data:`SLACK_CHANNEL` itself for a Slack ruling and a member id
    otherwise.  One call per ``decide``, so that a decision costs one allocation and no call.
    """
    out: list[Decision] = []
    append = out.append
    new, set_recipient, set_ruling = _NEW, _SET_RECIPIENT, _SET_RULING
    for recipient, theirs in groups:
        for ruling in theirs:
            decision = new(Decision)
            set_recipient(decision, recipient)
            set_ruling(decision, ruling)
            append(decision)
    return tuple(out)


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
        raise ValidationError.single(
            "", "type", f"must be a decision mapping, got {quote(data)}"[:120]
        )
    r = Reader()
    r.unknown_keys(data, "", _DECISION_KEYS, f"unknown key; expected {', '.join(_DECISION_KEYS)}")
    for key in _DECISION_KEYS:
        if key not in data:
            r.problem(key, "missing", "is required")
    r.raise_if_any()
    channel = _enum(r, Channel, data["channel"], "channel")
    outcome = _enum(r, Outcome, data["outcome"], "outcome")
    recipient = data["recipient"]
    if channel is Channel.SLACK:
        if recipient is not None:
            r.problem("recipient", "type", "must be null for the Slack channel")
    elif channel is not None and (not isinstance(recipient, str) or not recipient):
        r.problem("recipient", "type", f"must be a member id, got {quote(recipient)}")
    kinds = data["kinds"]
    if not isinstance(kinds, list | tuple):
        r.problem("kinds", "type", f"must be a list of kind names, got {quote(kinds)}")
        kinds = ()
    reasons = _reasons(r, data["reasons"])
    instants = {name: _instant(r, data[name], name) for name in ("deliver_at", "held_until")}
    if r.problems or channel is None or outcome is None:  # a None here came with a problem
        raise ValidationError(r.problems)
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


def _reasons(r: Reader, raw_reasons: object) -> list[Reason]:
    reasons: list[Reason] = []
    if not isinstance(raw_reasons, list | tuple):
        r.problem("reasons", "type", f"must be a list, got {quote(raw_reasons)}")
        return reasons
    for i, item in enumerate(raw_reasons):
        path = f"reasons[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"code", "kind"}:
            r.problem(path, "type", "must be a mapping with code and kind")
            continue
        code = _enum(r, ReasonCode, item["code"], f"{path}.code")
        kind = item["kind"]
        if kind is not None and (not isinstance(kind, str) or not kind):
            r.problem(f"{path}.kind", "type", f"must be a kind or null, got {quote(kind)}")
        elif code is not None:
            reasons.append(reason(code, kind))
    return reasons


def _enum(r: Reader, cls: type[_E], value: object, path: str) -> _E | None:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        r.problem(
            path,
            "choice" if isinstance(value, str) else "type",  # a name, or not a name at all
            f"must be one of {allowed}, got {quote(value)}",
        )
        return None


def _instant(r: Reader, value: object, path: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.utcoffset() is not None:
            return parsed.astimezone(UTC)
    r.problem(
        path, "type", f"must be an ISO 8601 instant with an offset or null, got {quote(value)}"
    )
    return None
