"""Digest reports: a period's figures, and for the weekly report trends and insights.

The figures are defined in ``_digest_figures.py``.  Here: which periods a report compares, the
trends (a trend's change is ``None`` when either side is ``None``; its relative change is also
``None`` when the previous value is 0), whether a change is better or worse (the figure's own
good direction, a table below), and a few rule-based insights, kept as codes with values so
that the message catalog words them in each language.  The report carries the workspace's
first-response target, so that a rendering names the target its SLA share was measured against.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from notifpolicy._digest_figures import (
    ConversationRecord,
    PeriodFigures,
    PeriodTotals,
    period_figures,
    period_totals,
)
from notifpolicy._digest_schedule import DigestPeriod
from notifpolicy._frozen import FrozenMap
from notifpolicy._settings import WorkspaceSettings

__all__ = [
    "DigestReport",
    "Insight",
    "Trend",
    "TrendMetric",
    "Verdict",
    "build_report",
    "percent",
]

_ONE_US = dt.timedelta(microseconds=1)


class TrendMetric(enum.Enum):
    """The figures a weekly report compares with the week before, in display order."""

    NEW = "new"
    CLOSED = "closed"
    OPEN_AT_END = "open_at_end"
    UNASSIGNED_AT_END = "unassigned_at_end"
    MEDIAN_FIRST_RESPONSE = "median_first_response"  # in seconds
    P90_FIRST_RESPONSE = "p90_first_response"  # in seconds
    SLA_SHARE = "sla_share"  # a fraction, 0-1

    @property
    def better_when(self) -> int:
        """``+1``: a higher value is better; ``-1``: a lower one; ``0``: neither."""
        return _BETTER_WHEN[self]


# The direction that is better belongs to the figure: more closed, fewer left open or
# unassigned, faster first responses, a higher share within the target.  More new
# conversations is demand, not performance: neither better nor worse.
_BETTER_WHEN: dict[TrendMetric, int] = {
    TrendMetric.NEW: 0,
    TrendMetric.CLOSED: +1,
    TrendMetric.OPEN_AT_END: -1,
    TrendMetric.UNASSIGNED_AT_END: -1,
    TrendMetric.MEDIAN_FIRST_RESPONSE: -1,
    TrendMetric.P90_FIRST_RESPONSE: -1,
    TrendMetric.SLA_SHARE: +1,
}


class Verdict(enum.Enum):
    """What a trend's change means for the reader."""

    BETTER = "better"
    WORSE = "worse"
    UNCHANGED = "unchanged"
    CHANGED = "changed"  # a figure with no better direction (new conversations) moved


@attrs.frozen
class Trend:
    """``current`` against ``previous``; ``change``, ``relative_change`` and ``verdict`` are
    ``None`` when either side is (``relative_change`` also when ``previous`` is 0).

    A share's ``change`` is the difference of two fractions (0.53 - 0.51 = 0.02): a renderer
    shows it in percentage points.
    """

    metric: TrendMetric
    previous: float | None
    current: float | None
    change: float | None
    relative_change: float | None
    verdict: Verdict | None = None


def _to_values(value: Mapping[str, object]) -> FrozenMap[str, object]:
    return FrozenMap(value)


@attrs.frozen
class Insight:
    """A rule-based remark, as a catalog code and the values it quotes."""

    code: str
    values: FrozenMap[str, object] = attrs.field(factory=FrozenMap, converter=_to_values)


@attrs.frozen
class DigestReport:
    """Everything a digest email shows, before rendering.

    ``skipped`` names the periods a scheduler slept through: they are not sent (no flood), and
    the report says so.
    """

    period: DigestPeriod
    timezone: str
    figures: PeriodFigures
    first_response_target_minutes: int
    """The workspace's first-response target that the SLA share was measured against."""
    previous: PeriodTotals | None = None
    trends: tuple[Trend, ...] = ()
    insights: tuple[Insight, ...] = ()
    skipped: tuple[DigestPeriod, ...] = ()

    @property
    def kind(self) -> str:
        return self.period.kind

    @property
    def is_empty(self) -> bool:
        """Nothing happened and nothing is waiting: the short, friendly report."""
        f = self.figures
        return f.new == 0 and f.closed == 0 and f.open_at_end == 0 and not f.agents


def _seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else value / dt.timedelta(seconds=1)


def percent(share: float) -> int:
    """A share as the whole percentage a reader sees (0.525 -> 52, half to even): changes
    in percentage points are differences of these, so the figures shown add up."""
    return round(share * 100)


def _metric(figures: PeriodFigures | PeriodTotals, metric: TrendMetric) -> float | None:
    if metric is TrendMetric.MEDIAN_FIRST_RESPONSE:
        return _seconds(figures.median_first_response)
    if metric is TrendMetric.P90_FIRST_RESPONSE:
        return _seconds(figures.p90_first_response)
    if metric is TrendMetric.SLA_SHARE:
        return figures.sla_share
    value: int = getattr(figures, metric.value)  # new, closed, open_at_end, unassigned_at_end
    return value


def trend(metric: TrendMetric, previous: float | None, current: float | None) -> Trend:
    """One trend; see the module docstring for when parts are ``None``.

    >>> trend(TrendMetric.OPEN_AT_END, 7, 4).verdict
    <Verdict.BETTER: 'better'>
    >>> trend(TrendMetric.NEW, 7, 4).verdict
    <Verdict.CHANGED: 'changed'>
    """
    if previous is None or current is None:
        return Trend(metric, previous, current, None, None)
    change = current - previous
    relative = None if previous == 0 else change / previous
    if change == 0:
        verdict = Verdict.UNCHANGED
    elif metric.better_when == 0:
        verdict = Verdict.CHANGED
    else:
        verdict = Verdict.BETTER if change * metric.better_when > 0 else Verdict.WORSE
    return Trend(metric, previous, current, change, relative, verdict)


def _insights(figures: PeriodFigures, previous: PeriodTotals | None) -> tuple[Insight, ...]:
    found: list[Insight] = []
    busiest = figures.busiest_weekday
    if busiest is not None:
        found.append(
            Insight("busiest_day", {"weekday": busiest, "count": figures.new_by_weekday[busiest]})
        )
    if previous is not None:
        now_s = _seconds(figures.median_first_response)
        then_s = _seconds(previous.median_first_response)
        if now_s is not None and then_s:
            relative = round(abs(now_s - then_s) / then_s * 100)
            if relative >= 1:
                code = "first_response_faster" if now_s < then_s else "first_response_slower"
                found.append(Insight(code, {"percent": relative}))
        if figures.sla_share is not None and previous.sla_share is not None:
            points = percent(figures.sla_share) - percent(previous.sla_share)
            if points:
                found.append(
                    Insight("sla_up" if points > 0 else "sla_down", {"points": abs(points)})
                )
    if figures.agents:
        top = figures.agents[0]
        found.append(Insight("top_agent", {"agent_id": top.agent_id, "handled": top.handled}))
    if figures.unassigned_at_end:
        found.append(Insight("unassigned_waiting", {"count": figures.unassigned_at_end}))
    return tuple(found)


def build_report(
    records: Iterable[ConversationRecord],
    *,
    period: DigestPeriod,
    settings: WorkspaceSettings,
    previous_period: DigestPeriod | None = None,
    skipped: Iterable[DigestPeriod] = (),
) -> DigestReport:
    """The report for ``period``; with ``previous_period`` (the weekly report's week before),
    trends against it.

    ``records`` may be any iterable; it is read once per period.  A conversation id given
    twice is a :class:`~notifpolicy.ValidationError` (code ``duplicate``).
    """
    rows = records if isinstance(records, list | tuple) else list(records)
    figures = period_figures(rows, start=period.start, end=period.end, settings=settings)
    previous = None
    trends: tuple[Trend, ...] = ()
    if previous_period is not None:
        previous = period_totals(
            rows, start=previous_period.start, end=previous_period.end, settings=settings
        )
        trends = tuple(trend(m, _metric(previous, m), _metric(figures, m)) for m in TrendMetric)
    return DigestReport(
        period=period,
        timezone=settings.timezone,
        figures=figures,
        first_response_target_minutes=settings.escalation.first_response.after_minutes,
        previous=previous,
        trends=trends,
        insights=_insights(figures, previous),
        skipped=tuple(skipped),
    )
