"""The quiet-hours catch-up (mode ``summarize``): one summary per member per quiet period.

In ``summarize`` mode every held member delivery is a ``suppress`` decision with the reason
``QUIET_HOURS_SUMMARIZE`` and ``held_until`` set to the end of its quiet period.  The host keeps
those decisions (its outbox); when the period is over it passes them here and gets one
:class:`CatchUp` per member and period instead of a flood or silence:

- counts per kind (events, not channels: one event held on three channels counts once);
- the conversations concerned;
- the channels that had held items, and of those the ones to deliver the catch-up on: the ones
  the member is still offered and has on for ``quiet_hours_summary`` (a preference like any
  other kind's).

Decisions held in different quiet periods (different ``held_until``; a DST night can split one
night in two) give separate catch-ups.  Held Slack messages are not summarized: the catch-up is
per member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs

from notifpolicy._catalog import MessageCatalog
from notifpolicy._decision import CHANNEL_ORDER, Decision, Outcome
from notifpolicy._errors import ValidationError, quote
from notifpolicy._frozen import FrozenMap
from notifpolicy._keys import check_workspace_id, key_part
from notifpolicy._kinds import KIND_CATCHUP, Channel, KindRegistry
from notifpolicy._loader import Reader
from notifpolicy._preferences import MemberPreferences, effective_preference
from notifpolicy._reasons import ReasonCode
from notifpolicy._roster import Roster
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = [
    "CATCHUP_KIND",
    "CatchUp",
    "build_catchups",
    "catchup_key",
    "catchup_text",
    "is_summarized",
]

CATCHUP_KIND = KIND_CATCHUP
UTC = dt.UTC


def _to_counts(value: Mapping[str, int]) -> FrozenMap[str, int]:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


def _to_ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _to_channels(value: Iterable[Channel]) -> tuple[Channel, ...]:
    return tuple(value)


@attrs.frozen
class CatchUp:
    """One member's summary of one quiet period.

    - ``due_at``: the end of the quiet period (UTC), when the catch-up is sent;
    - ``counts``: events held per kind, in the registry's order;
    - ``conversation_ids``: the conversations concerned, in the order first held;
    - ``held_channels``: the channels that had held items;
    - ``channels``: where to send it (may be empty: the member turned the catch-up off there);
    - ``key``: ``<workspace>:quiet_hours_summary:<member>:<due_at>``, to claim before sending so
      that a catch-up goes out once.
    """

    member_id: str
    due_at: dt.datetime
    counts: FrozenMap[str, int] = attrs.field(converter=_to_counts)
    conversation_ids: tuple[str, ...] = attrs.field(converter=_to_ids)
    held_channels: tuple[Channel, ...] = attrs.field(converter=_to_channels)
    channels: tuple[Channel, ...] = attrs.field(converter=_to_channels)
    key: str

    @property
    def total(self) -> int:
        """The number of held events, all kinds together."""
        return sum(self.counts.values())


def is_summarized(d: Decision) -> bool:
    """Whether quiet hours held ``d`` for its member's catch-up (``summarize`` mode)."""
    return d.outcome is Outcome.SUPPRESS and any(
        r.code is ReasonCode.QUIET_HOURS_SUMMARIZE for r in d.reasons
    )


class _Period:
    """What one member had held in one quiet period, gathered decision by decision."""

    def __init__(self) -> None:
        self.events: dict[str, set[str]] = {}  # kind -> event ids
        self.conversations: dict[str, None] = {}  # an ordered set
        self.channels: set[Channel] = set()

    def add(self, d: Decision) -> None:
        for kind in d.kinds:
            self.events.setdefault(kind, set()).add(d.event_id)
        if d.conversation_id is not None:
            self.conversations[d.conversation_id] = None
        self.channels.add(d.channel)

    def catchup(
        self,
        member_id: str,
        due_at: dt.datetime,
        order: Mapping[str, int],
        held_channels: tuple[Channel, ...],
        channels: tuple[Channel, ...],
        key: str,
    ) -> CatchUp:
        """The member's catch-up: counts in the registry's ``order`` (unknown kinds last)."""
        counts = {
            kind: len(events)
            for kind, events in sorted(
                self.events.items(), key=lambda item: order.get(item[0], len(order))
            )
        }
        return CatchUp(
            member_id,
            due_at.astimezone(UTC),
            counts,
            tuple(self.conversations),
            held_channels,
            channels,
            key,
        )


def build_catchups(
    held: Iterable[Decision],
    *,
    workspace_id: str,
    settings: WorkspaceSettings,
    roster: Roster,
    preferences: Mapping[str, MemberPreferences],
    now: dt.datetime,
    kinds: KindRegistry | None = None,
) -> tuple[CatchUp, ...]:
    """The catch-ups due by ``now`` for the decisions held in ``summarize`` mode.

    ``held`` may hold any decisions the host recorded: only member decisions held in
    ``summarize`` mode count, so passing a whole outbox is fine; the same decision passed twice
    counts once.  Quiet periods that end after ``now`` are left out (not over yet), as are
    members who are deactivated or no longer in the roster.  Ordered by ``due_at``, then roster
    order.  Bad arguments are one :class:`ValidationError` listing every problem.
    """
    r = Reader()
    checked_now = _check_arguments(r, workspace_id, settings, roster, preferences, now)
    registry = kinds if kinds is not None else KindRegistry.default()
    catchup_kind = r.checked(lambda: registry.get(CATCHUP_KIND, path="kinds"))
    periods = _periods(r, held, checked_now)
    if r.problems or checked_now is None or catchup_kind is None:  # a None came with a problem
        raise ValidationError(r.problems)
    order = {name: i for i, name in enumerate(registry.kinds)}
    position = {member.id: i for i, member in enumerate(roster)}
    out = []
    for (due_at, member_id), period in sorted(
        periods.items(), key=lambda item: (item[0][0], position.get(item[0][1], -1))
    ):
        member = roster.get(member_id)
        if member is None or not member.active:
            continue  # Deactivated members receive nothing.
        given: object = preferences.get(member_id)
        prefs = given if isinstance(given, MemberPreferences) else None
        if given is not None and prefs is None:
            r.problem(
                f"preferences[{quote(member_id)}]",
                "type",
                f"must be a MemberPreferences, got {type(given).__name__}",
            )
            continue
        held_channels = tuple(c for c in CHANNEL_ORDER if c in period.channels)
        # The product rule: on each channel that had held items and that the member has on.
        channels = tuple(
            c
            for c in held_channels
            if c in member.channels
            and c in catchup_kind.channels
            and effective_preference(catchup_kind, c, settings=settings, preferences=prefs).enabled
        )
        key = catchup_key(workspace_id, member_id, due_at)
        out.append(period.catchup(member_id, due_at, order, held_channels, channels, key))
    r.raise_if_any()
    return tuple(out)


def _check_arguments(
    r: Reader,
    workspace_id: object,
    settings: object,
    roster: object,
    preferences: object,
    now: dt.datetime,
) -> dt.datetime | None:
    """Record the problems of ``build_catchups``'s arguments; ``now`` checked, or ``None``."""
    r.checked(lambda: check_workspace_id(workspace_id))
    r.instance("settings", settings, WorkspaceSettings, "must be a WorkspaceSettings")
    r.instance("roster", roster, Roster, "must be a Roster")
    r.instance(
        "preferences", preferences, Mapping, "must be a mapping of member id to MemberPreferences"
    )
    return r.checked(lambda: require_aware(now, path="now"))


def _periods(
    r: Reader, held: Iterable[object], now: dt.datetime | None
) -> dict[tuple[dt.datetime, str], _Period]:
    """The held decisions by (end of quiet period, member), periods over by ``now`` only."""
    periods: dict[tuple[dt.datetime, str], _Period] = {}
    for i, d in enumerate(held):
        if not isinstance(d, Decision):
            r.problem(f"held[{i}]", "type", f"must be a Decision, got {type(d).__name__}")
            continue
        member_id, until = d.member_id, d.held_until
        if now is None or member_id is None or until is None or until > now:
            continue  # Slack, not held, or the period is not over
        if is_summarized(d):  # else held in another mode
            periods.setdefault((until, member_id), _Period()).add(d)
    return periods


def catchup_text(
    catchup: CatchUp, *, language: str = "en", catalog: MessageCatalog | None = None
) -> str:
    """``"While quiet hours were on: 12 new conversations, 3 mentions."``

    >>> import datetime as dt
    >>> c = CatchUp("ann", dt.datetime(2026, 3, 3, 7, tzinfo=dt.timezone.utc),
    ...             {"new_conversation": 12, "mention": 3}, ("c1",), (), (), "w1:...")
    >>> catchup_text(c)
    'While quiet hours were on: 12 new conversations, 3 mentions.'
    >>> catchup_text(c, language="nl")
    'Tijdens de stille uren: 12 nieuwe gesprekken, 3 vermeldingen.'
    """
    if not isinstance(catchup, CatchUp):
        raise ValidationError.single(
            "catchup", "type", f"must be a CatchUp, got {type(catchup).__name__}"
        )
    chosen = catalog if catalog is not None else MessageCatalog.default()
    items = chosen.text(language, "list.separator").join(
        chosen.kind_count(language, kind, count) for kind, count in catchup.counts.items()
    )
    return chosen.text(language, "catchup.text", items=items)


def catchup_key(workspace_id: str, member_id: str, due_at: dt.datetime) -> str:
    """The ledger key of one member's catch-up for the quiet period ending at ``due_at``.

    >>> import datetime as dt
    >>> catchup_key("ws", "anna", dt.datetime(2026, 3, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    'ws:quiet_hours_summary:anna:2026-03-03T08:00:00+00:00'
    """  # noqa: E501 -- a doctest line
    utc = due_at.astimezone(UTC)
    return f"{key_part(workspace_id)}:{CATCHUP_KIND}:{key_part(member_id)}:{utc.isoformat()}"
