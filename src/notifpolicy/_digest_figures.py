"""Digest content: the figures of a period, computed from the conversation records the host passes.

Definitions (the product's, made precise):

- A period ``[start, end)`` sees only facts before ``end``.  The conversations *of* the period are
  those created in it.
- Counts: ``new`` (created in the period), ``closed`` (closed in it), ``open_at_end`` (created
  before ``end`` and not closed before it), ``unassigned_at_end`` (open at the end with no current
  assignee: records carry no assignment history).
- First-response times are real elapsed seconds (even with business hours) of the conversations
  of the period answered before ``end``: the median (the mean of the two middle values for an even
  count) and the 90th percentile by nearest rank.
- The SLA share counts the conversations of the period answered before ``end`` or whose due
  instant is strictly before it; a reply at or before the due instant is in time; closed without
  a reply counts as missed once due.  The due instant is ``created_at`` plus the first-response
  target, counted in business hours when they are set (the escalation's clock).  It is computed
  even when the admin escalation is disabled.
- Per agent: ``handled`` = conversations the agent replied to in the period; a first response is
  credited to the first listed reply at exactly ``first_response_at`` (none matching: it counts
  overall but for no agent).  Only agents who replied in the period get a row.  Leaderboard
  order: handled descending, then median first response ascending (none last), then agent id.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

import attrs

from notifpolicy._business_clock import BusinessCalendar, calendar_for, to_us
from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._keys import id_problem
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import EPOCH_WEEKDAY, require_aware
from notifpolicy._zonecache import zone_table

__all__ = [
    "AgentFigures",
    "ConversationRecord",
    "PeriodFigures",
    "PeriodTotals",
    "Reply",
    "distinct",
    "period_figures",
    "period_totals",
]


@attrs.frozen
class Reply:
    """An agent's reply in a conversation, at an instant."""

    agent_id: str
    at: dt.datetime


def _to_replies(value: Iterable[Reply]) -> tuple[Reply, ...]:
    return tuple(value)


@attrs.frozen
class ConversationRecord:
    """What a digest needs to know about one conversation, as the host reports it now."""

    id: str
    created_at: dt.datetime
    closed_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    assignee: str | None = None
    replies: tuple[Reply, ...] = attrs.field(default=(), converter=_to_replies)
    # The instants as integer microseconds, computed once when the record is checked: a report
    # over 100,000 records then compares integers only.
    _us: tuple[int, int | None, int | None, tuple[tuple[str, int], ...]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        problems = _record_problems(self)
        if problems:
            raise ValidationError(problems)
        as_us = (
            to_us(self.created_at),
            None if self.closed_at is None else to_us(self.closed_at),
            None if self.first_response_at is None else to_us(self.first_response_at),
            tuple((x.agent_id, to_us(x.at)) for x in self.replies),
        )
        object.__setattr__(self, "_us", as_us)


def _record_problems(r: ConversationRecord) -> list[Problem]:
    problems: list[Problem] = []
    where = f"conversation {quote(r.id)}"
    if (problem := id_problem("id", r.id)) is not None:
        problems.append(problem)

    def aware(value: object, name: str) -> dt.datetime | None:
        try:
            return require_aware(value, path=name)
        except ValidationError as exc:
            problems.extend(attrs.evolve(p, message=f"{where}: {p.message}") for p in exc.problems)
            return None

    # Instants are compared as integers: two datetimes sharing a ZoneInfo compare by wall
    # clock, which is wrong in a DST fold.
    created = aware(r.created_at, "created_at")
    for name in ("closed_at", "first_response_at"):
        value = getattr(r, name)
        if value is None:
            continue
        at = aware(value, name)
        if created is not None and at is not None and to_us(at) < to_us(created):
            problems.append(
                Problem(
                    name,
                    "before_creation",
                    f"{where}: {at.isoformat()} is before its creation {created.isoformat()}",
                )
            )
    if r.assignee is not None and (not isinstance(r.assignee, str) or not r.assignee):
        problems.append(Problem("assignee", "type", f"{where}: must be a non-empty string or None"))
    items: tuple[object, ...] = r.replies  # hosts build these from their own data: check
    for i, reply in enumerate(items):
        path = f"replies[{i}]"
        if not isinstance(reply, Reply):
            problems.append(Problem(path, "type", f"{where}: must be a Reply, got {quote(reply)}"))
            continue
        if not isinstance(reply.agent_id, str) or not reply.agent_id:
            problems.append(
                Problem(
                    f"{path}.agent_id",
                    "type",
                    f"{where}: must be a non-empty agent id, got {quote(reply.agent_id)}",
                )
            )
        at = aware(reply.at, f"{path}.at")
        if created is not None and at is not None and to_us(at) < to_us(created):
            problems.append(
                Problem(
                    f"{path}.at",
                    "before_creation",
                    f"{where}: a reply at {at.isoformat()} is before its creation",
                )
            )
    return problems


@attrs.frozen
class AgentFigures:
    """One agent's row: conversations handled and their first responses in the period."""

    agent_id: str
    handled: int
    first_responses: int
    median_first_response: dt.timedelta | None


@attrs.frozen
class PeriodFigures:
    """Every figure of one period (see the module docstring for the definitions)."""

    start: dt.datetime
    end: dt.datetime
    new: int
    closed: int
    open_at_end: int
    unassigned_at_end: int
    first_responses: int
    median_first_response: dt.timedelta | None
    p90_first_response: dt.timedelta | None
    sla_counted: int
    sla_met: int
    agents: tuple[AgentFigures, ...]
    new_by_weekday: tuple[int, ...]
    """New conversations per local weekday of creation, Monday first."""

    @property
    def busiest_weekday(self) -> int | None:
        """The weekday (0 = Monday) with the most new conversations, the earlier in the week
        on a tie; ``None`` when nothing was new."""
        if not self.new:
            return None
        return max(range(7), key=lambda d: (self.new_by_weekday[d], -d))

    @property
    def sla_share(self) -> float | None:
        """The share answered within the target, or ``None`` when nothing counted."""
        return None if self.sla_counted == 0 else self.sla_met / self.sla_counted


@attrs.frozen
class PeriodTotals:
    """The figures a weekly report compares with the week before (the same definitions as
    :class:`PeriodFigures`), computed by a lighter pass."""

    start: dt.datetime
    end: dt.datetime
    new: int
    closed: int
    open_at_end: int
    unassigned_at_end: int
    median_first_response: dt.timedelta | None
    p90_first_response: dt.timedelta | None
    sla_counted: int
    sla_met: int

    @property
    def sla_share(self) -> float | None:
        """The share answered within the target, or ``None`` when nothing counted."""
        return None if self.sla_counted == 0 else self.sla_met / self.sla_counted


def median(values: Sequence[int]) -> int | None:
    """The usual median of sorted integers: the mean of the two middle values for an even count
    (rounded half to even, like ``timedelta`` division)."""
    n = len(values)
    if n == 0:
        return None
    mid = n // 2
    if n % 2:
        return values[mid]
    return round((values[mid - 1] + values[mid]) / 2)


def p90(values: Sequence[int]) -> int | None:
    """The 90th percentile of sorted integers by nearest rank: the value at rank ceil(0.9 n)."""
    if not values:
        return None
    return values[math.ceil(0.9 * len(values)) - 1]


def _us(value: int | None) -> dt.timedelta | None:
    return None if value is None else dt.timedelta(microseconds=value)


def check_period(start: object, end: object) -> tuple[dt.datetime, dt.datetime]:
    """A period must be aware and non-empty: ``start < end``."""
    s = require_aware(start, path="start")
    e = require_aware(end, path="end")
    # On instants: two datetimes sharing a ZoneInfo compare by wall clock, wrong in a fold.
    if not to_us(s) < to_us(e):
        raise ValidationError.single(
            "end", "empty_period", f"must be after start ({s.isoformat()}), got {e.isoformat()}"
        )
    return s, e


def distinct(records: Iterable[ConversationRecord]) -> Sequence[ConversationRecord]:
    """``records`` as a sequence, each conversation once: a conversation id given twice would
    be counted twice, so it is a :class:`ValidationError` (code ``duplicate``, as in the
    escalation check), every repeat listed."""
    given: object = records  # callers may pass anything: checked, not trusted
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise ValidationError.single(
            "records",
            "type",
            f"must be an iterable of ConversationRecord, got {type(given).__name__}",
        )
    rows = records if isinstance(records, list | tuple) else list(records)
    wrong = [
        Problem(f"records[{i}]", "type", f"must be a ConversationRecord, got {type(r).__name__}")
        for i, r in enumerate(rows)
        if not isinstance(r, ConversationRecord)
    ]
    if wrong:
        # A host's digest source handing over dicts must not crash the tick (SPEC: the tick's
        # other phases go on): its own error, every bad item named.
        raise ValidationError(wrong)
    if len({r.id for r in rows}) == len(rows):
        return rows
    seen: set[str] = set()
    problems = []
    for i, r in enumerate(rows):
        if r.id in seen:
            problems.append(
                Problem(
                    f"records[{i}].id",
                    "duplicate",
                    f"{r.id!r} is given twice; each conversation's record must appear once",
                )
            )
        seen.add(r.id)
    raise ValidationError(problems)


def period_figures(
    records: Iterable[ConversationRecord],
    *,
    start: dt.datetime,
    end: dt.datetime,
    settings: WorkspaceSettings,
) -> PeriodFigures:
    """The figures of ``[start, end)``.

    >>> import datetime as dt
    >>> t = dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC)
    >>> r = ConversationRecord("c1", t, first_response_at=t + dt.timedelta(minutes=5),
    ...                        replies=[Reply("anna", t + dt.timedelta(minutes=5))])
    >>> f = period_figures([r], start=t, end=t + dt.timedelta(days=1),
    ...                    settings=WorkspaceSettings())
    >>> f.new, f.median_first_response, f.sla_share, f.agents[0].agent_id
    (1, datetime.timedelta(seconds=300), 1.0, 'anna')
    """
    window = _Window.of(records, start, end, settings)
    tally = _tally(window, detailed=True)
    return PeriodFigures(
        **attrs.asdict(tally.totals(window), recurse=False),
        first_responses=len(tally.frts),
        agents=_leaderboard(tally.handled, tally.agent_frts),
        new_by_weekday=tuple(tally.by_weekday),
    )


def period_totals(
    records: Iterable[ConversationRecord],
    *,
    start: dt.datetime,
    end: dt.datetime,
    settings: WorkspaceSettings,
) -> PeriodTotals:
    """The figures a trend compares (counts, median and p90 first response, SLA share) of
    ``[start, end)``: the weekly report's week before.

    Same definitions as :func:`period_figures` (a property test holds them equal), without the
    per-agent and weekday work.
    """
    window = _Window.of(records, start, end, settings)
    return _tally(window, detailed=False).totals(window)


@attrs.frozen
class _Window:
    """A checked period and what counting in it needs, as integer microseconds."""

    start: dt.datetime
    end: dt.datetime
    records: Sequence[ConversationRecord]
    s_us: int
    e_us: int
    target_us: int  # the first-response target
    calendar: BusinessCalendar | None  # None: the target counts in real time
    settings: WorkspaceSettings

    @classmethod
    def of(
        cls,
        records: Iterable[ConversationRecord],
        start: dt.datetime,
        end: dt.datetime,
        settings: WorkspaceSettings,
    ) -> _Window:
        start, end = check_period(start, end)
        hours = settings.business_hours
        return cls(
            start,
            end,
            distinct(records),
            to_us(start),
            to_us(end),
            settings.escalation.first_response.after_minutes * 60_000_000,
            None if hours is None else calendar_for(hours, settings.zone),
            settings,
        )


@attrs.define
class _Tally:
    """What one pass over the records counts; the per-agent and weekday parts stay empty in a
    pass that does not want them."""

    new: int
    closed: int
    open_at_end: int
    unassigned: int
    sla_counted: int
    sla_met: int
    frts: list[int]  # first-response times of the period's conversations, sorted
    handled: dict[str, int]  # conversations each agent replied to in the period
    agent_frts: dict[str, list[int]]  # first-response times credited to each agent
    by_weekday: list[int]  # new conversations per local weekday, Monday first

    def totals(self, window: _Window) -> PeriodTotals:
        return PeriodTotals(
            start=window.start,
            end=window.end,
            new=self.new,
            closed=self.closed,
            open_at_end=self.open_at_end,
            unassigned_at_end=self.unassigned,
            median_first_response=_us(median(self.frts)),
            p90_first_response=_us(p90(self.frts)),
            sla_counted=self.sla_counted,
            sla_met=self.sla_met,
        )


def _tally(window: _Window, *, detailed: bool) -> _Tally:
    """One pass over the records, integers only: this loop is the whole cost of a report over
    100,000 records, so it is written once, with locals, and ``detailed`` (the per-agent and
    weekday figures) tested where it applies rather than in a function called per record."""
    s_us, e_us, target_us, calendar = window.s_us, window.e_us, window.target_us, window.calendar
    starts, offsets = _segments(window.settings, s_us, e_us) if detailed else ([], [0])
    single_offset = offsets[0] if len(offsets) == 1 else None
    new = closed = open_at_end = unassigned = sla_counted = sla_met = 0
    frts: list[int] = []
    agent_frts: defaultdict[str, list[int]] = defaultdict(list)
    handled: dict[str, int] = {}
    by_weekday = [0] * 7
    for r in window.records:
        created, closed_at, answered, replies = r._us  # our own cache, see ConversationRecord
        if created >= e_us:
            continue  # a period sees only facts before its end
        if closed_at is None or closed_at >= e_us:
            open_at_end += 1
            if r.assignee is None:
                unassigned += 1
        elif closed_at >= s_us:
            closed += 1
        if detailed and replies:
            if len(replies) == 1:
                agent, at = replies[0]
                if s_us <= at < e_us:
                    handled[agent] = handled.get(agent, 0) + 1
            else:
                for agent in {agent for agent, at in replies if s_us <= at < e_us}:
                    handled[agent] = handled.get(agent, 0) + 1
        if created < s_us:
            continue
        # A conversation of the period.
        new += 1
        if detailed:
            second = created // 1_000_000
            if single_offset is None:
                offset = offsets[bisect.bisect_right(starts, second) - 1]
            else:
                offset = single_offset
            # weekday_of_day, inline: this runs once per record.
            by_weekday[((second + offset) // 86_400 + EPOCH_WEEKDAY) % 7] += 1
        due = created + target_us if calendar is None else calendar.due_at_us(created, target_us)
        if answered is not None and answered < e_us:
            frt = answered - created
            frts.append(frt)
            if detailed:
                for agent, at in replies:
                    if at == answered:
                        agent_frts[agent].append(frt)
                        break
            sla_counted += 1
            if due is None or answered <= due:
                sla_met += 1
        elif due is not None and due < e_us:
            sla_counted += 1  # due and unanswered (closed or not): missed
    frts.sort()
    return _Tally(
        new,
        closed,
        open_at_end,
        unassigned,
        sla_counted,
        sla_met,
        frts,
        handled,
        agent_frts,
        by_weekday,
    )


def _leaderboard(
    handled: dict[str, int], agent_frts: dict[str, list[int]]
) -> tuple[AgentFigures, ...]:
    """A row for each agent who replied in the period, in leaderboard order."""
    agents = []
    for agent_id, count in handled.items():
        mine = sorted(agent_frts.get(agent_id, ()))
        agents.append(AgentFigures(agent_id, count, len(mine), _us(median(mine))))
    agents.sort(key=_leaderboard_order)
    return tuple(agents)


def _segments(settings: WorkspaceSettings, s_us: int, e_us: int) -> tuple[list[int], list[int]]:
    """The zone's offsets over the period: segment start seconds and their offsets."""
    table = zone_table(settings.zone)
    second, last = s_us // 1_000_000, e_us // 1_000_000
    starts: list[int] = []
    offsets: list[int] = []
    while True:
        offset, first, end = table.segment(second)
        starts.append(min(first, second))
        offsets.append(offset)
        if end > last:
            return starts, offsets
        second = end


def _leaderboard_order(a: AgentFigures) -> tuple[int, int, int, str]:
    no_median = a.median_first_response is None
    frt = (
        0
        if a.median_first_response is None
        else a.median_first_response // dt.timedelta(microseconds=1)
    )
    return (-a.handled, no_median, frt, a.agent_id)
