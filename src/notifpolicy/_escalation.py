"""Escalations: which are due now, and when to look again.

Two clocks per open conversation (``docs/concepts/escalations.md`` has the rules and a timeline):

* *unassigned*: due at ``unassigned_since + escalation.unassigned.after_minutes`` in real time,
  once per unassigned spell (the spell's start is in the key);
* *first response*: due once ``escalation.first_response.after_minutes`` have elapsed since
  ``created_at`` on the SLA clock (real time, or business time when business hours are set).  It
  yields ``escalation_first_response`` for admins while that rule is enabled, and ``sla_breach``
  for the members always: the member alert follows the SLA target, not the admin switch.

Both functions are pure: everything is computed from the settings and ``now`` given, so a lowered
threshold makes already-late conversations due at the next evaluation.

Speed: both are one pass with no allocation for conversations that are not due.  Each clock is
reduced to a *cut*, the latest start that is due by ``now`` (``now - after`` in real time; the same
question answered on the business calendar otherwise), so the per-conversation test is one
comparison of UTC datetimes.  That works because the due instant never decreases as the start
moves later; for the same reason ``next_check_at`` needs the deadline of only the earliest pending
start.  With business hours, a first cheap pass finds the oldest conversation still waiting for a
first response, so that the walk back through the calendar stops there (a sparse schedule can
need years of calendar for a week's budget).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import cast

import attrs

from notifpolicy._business_clock import (
    MAX_INSTANT_US,
    BusinessCalendar,
    calendar_for,
    check_supported,
    from_us,
    to_us,
)
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._escalation_key import (
    ESCALATION_KINDS,
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
    RULE_FIRST_RESPONSE,
    RULE_UNASSIGNED,
)
from notifpolicy._keys import check_id, check_workspace_id, key_part
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = [
    "Escalation",
    "due",
    "next_check_at",
]

UTC = dt.UTC
_ONE_US = dt.timedelta(microseconds=1)

_ADMIN_SUFFIX = ":" + KIND_FIRST_RESPONSE
_MEMBER_SUFFIX = ":" + KIND_SLA_BREACH


@attrs.frozen
class Escalation:
    """One escalation that is due: claim ``key`` in the store, then deliver ``kind``.

    ``due_at`` is the instant it became due under the settings it was computed with (UTC).  The
    key starts with the workspace id and is the same in every evaluation, so claiming it in the
    store is what makes delivery exactly-once across workers.
    """

    kind: str
    conversation_id: str
    due_at: dt.datetime
    key: str

    def __attrs_post_init__(self) -> None:
        if not (isinstance(self.kind, str) and self.kind in ESCALATION_KINDS):
            raise ValidationError.single(
                "kind",
                "unknown_kind",
                f"must be one of {', '.join(sorted(ESCALATION_KINDS))}, got {quote(self.kind)}",
            )
        check_id("conversation_id", self.conversation_id)
        check_id("key", self.key)
        # The engine always passes UTC datetimes: one identity test; anything else is checked.
        if getattr(self.due_at, "tzinfo", None) is not UTC:
            due_at = require_aware(self.due_at, path="due_at")
            object.__setattr__(self, "due_at", due_at.astimezone(UTC))


def _instant_text(value: dt.datetime) -> str:
    """A UTC datetime as an ISO 8601 instant: ``2026-03-02T09:00:00+00:00``.

    Exactly ``value.astimezone(timezone.utc).isoformat()``, so a host can rebuild a key with the
    standard library alone.
    """
    return value.isoformat()


def _minus(value: dt.datetime, delta: dt.timedelta) -> dt.datetime | None:
    try:
        return value - delta
    except OverflowError:  # before year 1: no start is that early
        return None


def _plus(value: dt.datetime, delta: dt.timedelta) -> dt.datetime | None:
    try:
        return value + delta
    except OverflowError:  # after year 9999: never due in a representable instant
        return None


@attrs.frozen
class _FirstResponseClock:
    """The SLA clock of one workspace: real time, or business time when business hours are set."""

    budget: dt.timedelta
    calendar: BusinessCalendar | None

    def cut(self, now: dt.datetime, conversations: Sequence[object]) -> dt.datetime | None:
        """The latest ``created_at`` whose first-response deadline is at or before ``now``.

        ``None``: no conversation of ``conversations`` is due, or can be.
        """
        if self.calendar is None:
            return _minus(now, self.budget)
        oldest = _oldest_waiting(conversations)
        if oldest is None:
            return None
        latest = self.calendar.latest_start_us(
            check_supported(now, path="now"), self.budget_us, floor=to_us(oldest)
        )
        return None if latest is None else from_us(latest)

    def deadline(self, created: dt.datetime, *, path: str) -> dt.datetime | None:
        """When the first response is due; ``None`` when that is beyond what can be represented."""
        if self.calendar is None:
            return _plus(created, self.budget)
        if to_us(created) > MAX_INSTANT_US:
            return None
        at = self.calendar.due_at_us(check_supported(created, path=path), self.budget_us)
        return None if at is None else from_us(at)

    @property
    def budget_us(self) -> int:
        return self.budget // _ONE_US


def _oldest_waiting(conversations: Sequence[object]) -> dt.datetime | None:
    """The earliest ``created_at`` of an open conversation still waiting for a first response."""
    open_ = ConversationStatus.OPEN
    return min(
        (
            c.created_at
            for c in conversations
            if isinstance(c, ConversationState)
            and c.status is open_
            and c.first_response_at is None
        ),
        default=None,
    )


def _as_sequence(conversations: Iterable[object]) -> Sequence[object]:
    # The business-hours clock reads the conversations twice; a generator is read once, here.
    if isinstance(conversations, list | tuple):
        return conversations
    if isinstance(conversations, str | bytes | Mapping) or not isinstance(conversations, Iterable):
        raise ValidationError.single(
            "conversations",
            "type",
            f"must be a sequence of ConversationState values, got {quote(conversations)}",
        )
    return tuple(conversations)


def _first_response_clock(settings: WorkspaceSettings) -> _FirstResponseClock:
    hours = settings.business_hours
    calendar = None if hours is None else calendar_for(hours, settings.zone)
    return _FirstResponseClock(settings.escalation.first_response.after, calendar)


def _check_call(settings: object, now: object) -> dt.datetime:
    if not isinstance(settings, WorkspaceSettings):
        raise ValidationError.single(
            "settings", "type", f"must be a WorkspaceSettings value, got {type(settings).__name__}"
        )
    now = require_aware(now, path="now")
    try:
        return now.astimezone(UTC)
    except OverflowError:  # datetime.max at a negative offset is after year 9999 in UTC
        raise ValidationError.single(
            "now", "range", f"must be representable in UTC, got {now.isoformat()}"
        ) from None


def _fired_keys(already_fired: object) -> Container[str]:
    if isinstance(already_fired, str | bytes) or not isinstance(already_fired, Container):
        raise ValidationError.single(
            "already_fired",
            "type",
            f"must be a set (or any container) of escalation keys, got "
            f"{type(already_fired).__name__}",
        )
    if isinstance(already_fired, list | tuple):
        # `in` on a list is a scan; one set now keeps a large `due` call linear.  Keys are
        # strings: anything else is left out (it matches no key), a list included (unhashable).
        return frozenset(key for key in already_fired if isinstance(key, str))
    return already_fired


class _Ids:
    """Collects the problems of the conversations argument: wrong types and repeated ids."""

    __slots__ = ("problems", "seen")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.problems: list[Problem] = []

    def not_a_state(self, i: int, value: object) -> None:
        self.problems.append(
            Problem(
                f"conversations[{i}]",
                "type",
                f"must be a ConversationState, got {type(value).__name__}",
            )
        )

    def repeated(self, i: int, cid: str) -> None:
        self.problems.append(
            Problem(
                f"conversations[{i}].id",
                "duplicate",
                f"{quote(cid)} is given twice in one call; "
                "each conversation's state must appear once",
            )
        )

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)


# `due` writes the text of an EscalationKey itself, without the value objects: its loop runs over
# every open conversation of the workspace.  Host ids are escaped (see _keys), so ids containing
# ":" cannot make one key for two; tests/test_escalation_key.py holds the two spellings together.
def due(
    conversations: Iterable[ConversationState],
    *,
    settings: WorkspaceSettings,
    now: dt.datetime,
    already_fired: Container[str],
    workspace_id: str,
) -> tuple[Escalation, ...]:
    """Every escalation due at ``now`` that has not fired yet, sorted by ``(due_at, key)``.

    An escalation is returned when its due instant is at or before ``now``, its condition still
    holds now (open; still unassigned in the same spell; still no first response) and its key is
    not in ``already_fired``.  Keys:

    - ``{workspace_id}:unassigned:{conversation_id}:{unassigned_since as UTC instant}``
    - ``{workspace_id}:first_response:{conversation_id}:escalation_first_response``
    - ``{workspace_id}:first_response:{conversation_id}:sla_breach``

    >>> import datetime as dt
    >>> from notifpolicy import WorkspaceSettings
    >>> t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    >>> c = ConversationState(id="c1", created_at=t0, unassigned_since=t0)
    >>> [e.key for e in due([c], settings=WorkspaceSettings(), workspace_id="w1",
    ...                     now=t0 + dt.timedelta(minutes=30), already_fired=set())]
    ['w1:first_response:c1:escalation_first_response', 'w1:first_response:c1:sla_breach', \
'w1:unassigned:c1:2026-03-02T09:00:00+00:00']
    """
    now = _check_call(settings, now)
    fired = _fired_keys(already_fired)
    check_workspace_id(workspace_id)
    rules = settings.escalation
    unassigned_after = rules.unassigned.after
    # None: nothing of this kind can be due at `now`.
    unassigned_cut = _minus(now, unassigned_after) if rules.unassigned.enabled else None
    clock = _first_response_clock(settings)
    # Seen as objects: a caller can pass anything, and each item is checked.
    items = _as_sequence(cast("Iterable[object]", conversations))
    first_cut = clock.cut(now, items)
    admin_first_response = rules.first_response.enabled

    # The text of EscalationKey without the value objects (see the note above).
    unassigned_prefix = f"{key_part(workspace_id)}:{RULE_UNASSIGNED}:"
    first_response_prefix = f"{key_part(workspace_id)}:{RULE_FIRST_RESPONSE}:"
    open_ = ConversationStatus.OPEN
    ids = _Ids()
    seen, remember = ids.seen, ids.seen.add
    found: list[Escalation] = []
    for i, c in enumerate(items):
        if not isinstance(c, ConversationState):
            ids.not_a_state(i, c)
            continue
        cid = c.id
        if cid in seen:
            ids.repeated(i, cid)
            continue
        remember(cid)
        if c.status is not open_:
            continue  # only open conversations escalate
        since = c.unassigned_since
        if since is not None and unassigned_cut is not None and since <= unassigned_cut:
            key = unassigned_prefix + key_part(cid) + ":" + _instant_text(since)
            if key not in fired:
                found.append(Escalation(KIND_UNASSIGNED, cid, since + unassigned_after, key))
        if c.first_response_at is None and first_cut is not None and c.created_at <= first_cut:
            prefix = first_response_prefix + key_part(cid)
            admin_key, member_key = prefix + _ADMIN_SUFFIX, prefix + _MEMBER_SUFFIX
            want_admin = admin_first_response and admin_key not in fired
            # The member alert follows the SLA target even while the admin rule is disabled.
            want_member = member_key not in fired
            if want_admin or want_member:
                at = clock.deadline(c.created_at, path=f"conversations[{i}].created_at")
                if at is None:  # pragma: no cover - created_at <= cut keeps it representable
                    continue
                if want_admin:
                    found.append(Escalation(KIND_FIRST_RESPONSE, cid, at, admin_key))
                if want_member:
                    found.append(Escalation(KIND_SLA_BREACH, cid, at, member_key))
    ids.raise_if_any()
    found.sort(key=_order)
    return tuple(found)


def _order(e: Escalation) -> tuple[dt.datetime, str]:
    return e.due_at, e.key


def next_check_at(
    conversations: Iterable[ConversationState],
    *,
    settings: WorkspaceSettings,
    now: dt.datetime,
    workspace_id: str | None = None,
) -> dt.datetime | None:
    """The earliest instant after ``now`` at which an escalation of an open conversation falls due.

    ``None`` when nothing is pending.  A host calls :func:`due`, claims the keys, then sleeps
    until this instant (or until the next change to a conversation or to the settings, after
    which it asks again).  Escalations already due at ``now`` are :func:`due`'s business and do
    not count, fired or not.  ``workspace_id`` is optional here (no key is made), and checked
    like :func:`due`'s when given, so a host can pass both calls the same arguments.
    """
    if workspace_id is not None:
        check_workspace_id(workspace_id)
    now = _check_call(settings, now)
    rules = settings.escalation
    unassigned_enabled = rules.unassigned.enabled
    unassigned_after = rules.unassigned.after
    unassigned_cut = _minus(now, unassigned_after)
    clock = _first_response_clock(settings)
    # Seen as objects: a caller can pass anything, and each item is checked.
    items = _as_sequence(cast("Iterable[object]", conversations))
    first_cut = clock.cut(now, items)

    open_ = ConversationStatus.OPEN
    ids = _Ids()
    seen = ids.seen
    remember = seen.add
    earliest_since: dt.datetime | None = None
    earliest_created: dt.datetime | None = None
    earliest_index = -1
    for i, c in enumerate(items):
        if not isinstance(c, ConversationState):
            ids.not_a_state(i, c)
            continue
        if c.id in seen:
            ids.repeated(i, c.id)
            continue
        remember(c.id)
        if c.status is not open_:
            continue
        since = c.unassigned_since
        if (
            unassigned_enabled
            and since is not None
            and (unassigned_cut is None or since > unassigned_cut)
            and (earliest_since is None or since < earliest_since)
        ):
            earliest_since = since
        if c.first_response_at is None:
            created = c.created_at
            if (first_cut is None or created > first_cut) and (
                earliest_created is None or created < earliest_created
            ):
                earliest_created, earliest_index = created, i
    ids.raise_if_any()
    candidates = []
    if earliest_since is not None:
        candidates.append(_plus(earliest_since, unassigned_after))
    if earliest_created is not None:
        # The deadline never decreases as created_at moves later: the earliest start is enough.
        candidates.append(
            clock.deadline(earliest_created, path=f"conversations[{earliest_index}].created_at")
        )
    return min((c for c in candidates if c is not None), default=None)
