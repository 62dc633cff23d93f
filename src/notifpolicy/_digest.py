"""Digest reports: a period's figures, and for the weekly report trends and insights.

The figures are defined in ``_digest_report.py``.  Here: which periods a report compares, the
trends (a trend is ``None`` when either side is ``None``; its relative change is also ``None``
when the previous value is 0), and a few rule-based insights, kept as codes with values so that
the message catalog words them in each language.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from notifpolicy._digest_report import (
    ConversationRecord,
    PeriodFigures,
    PeriodTotals,
    period_figures,
    period_totals,
)
from notifpolicy._digest_schedule import DigestPeriod
from notifpolicy._frozen import FrozenMap
from notifpolicy._settings import WorkspaceSettings

__all__ = ["DigestReport", "Insight", "Trend", "TrendMetric", "build_report"]

_ONE_US = dt.timedelta(microseconds=1)


class TrendMetric(enum.Enum):
    """The figures a weekly report compares with the week before."""

    NEW = "new"
    CLOSED = "closed"
    MEDIAN_FIRST_RESPONSE = "median_first_response"  # in seconds
    SLA_SHARE = "sla_share"  # a fraction, 0-1


@attrs.frozen
class Trend:
    """``current`` against ``previous``; ``change`` and ``relative_change`` may be ``None``."""

    metric: TrendMetric
    previous: float | None
    current: float | None
    change: float | None
    relative_change: float | None


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


def _metric(figures: PeriodFigures | PeriodTotals, metric: TrendMetric) -> float | None:
    if metric is TrendMetric.NEW:
        return figures.new
    if metric is TrendMetric.CLOSED:
        return figures.closed
    if metric is TrendMetric.MEDIAN_FIRST_RESPONSE:
        return _seconds(figures.median_first_response)
    return figures.sla_share


def trend(metric: TrendMetric, previous: float | None, current: float | None) -> Trend:
    """One trend; see the module docstring for when parts are ``None``."""
    if previous is None or current is None:
        return Trend(metric, previous, current, None, None)
    change = current - previous
    relative = None if previous == 0 else change / previous
    return Trend(metric, previous, current, change, relative)


def _insights(figures: PeriodFigures, previous: PeriodTotals | None) -> tuple[Insight, ...]:
    found: list[Insight] = []
    if figures.new:
        busiest = max(range(7), key=lambda d: (figures.new_by_weekday[d], -d))
        found.append(
            Insight("busiest_day", {"weekday": busiest, "count": figures.new_by_weekday[busiest]})
        )
    if previous is not None:
        now_s = _seconds(figures.median_first_response)
        then_s = _seconds(previous.median_first_response)
        if now_s is not None and then_s:
            percent = round(abs(now_s - then_s) / then_s * 100)
            if percent >= 1:
                code = "first_response_faster" if now_s < then_s else "first_response_slower"
                found.append(Insight(code, {"percent": percent}))
        if figures.sla_share is not None and previous.sla_share is not None:
            points = round((figures.sla_share - previous.sla_share) * 100)
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

    ``records`` may be any iterable; it is read once per period.
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
        previous=previous,
        trends=trends,
        insights=_insights(figures, previous),
        skipped=tuple(skipped),
    )
