"""Rendering a digest report as an email: a subject, plain text, and HTML.

Pure and deterministic: the same report, roster and language give the same bytes.  The report
is first laid out as a few kinds of section (label/value pairs, the leaderboard, the trends, the
chart of new conversations per day, a list of insights), every word and number already
formatted in the reader's language; the plain text and the HTML (``_digest_html.py``) are two
drawings of the same sections, so the text part says everything the HTML does.

What the reader sees, and why:

- The period is named by its local dates (``30 Mar - 5 Apr 2026``, with an en dash): from the
  date it starts on to the day before the date it ends on (a report sent on Monday at 09:00
  covers the week up to Sunday); one date for a daily summary.
- A share's change is shown in percentage points, as the difference of the two whole
  percentages shown, so the figures on the page add up; durations likewise in whole seconds.
- Each trend shows the previous value and whether the change is better or worse by the
  figure's own good direction (:attr:`~notifpolicy.TrendMetric.better_when`); a change too small
  to show is "unchanged".
"""

from __future__ import annotations

import datetime as dt

import attrs

from notifpolicy._catalog import MessageCatalog
from notifpolicy._digest_figures import PeriodFigures
from notifpolicy._digest_html import (
    Chart,
    ChartDay,
    Leaderboard,
    LeaderRow,
    Notes,
    Page,
    Pairs,
    Section,
    TrendRow,
    TrendRows,
    html,
)
from notifpolicy._digest_report import DigestReport, Trend, TrendMetric, Verdict, percent
from notifpolicy._digest_schedule import DigestPeriod
from notifpolicy._kinds import KIND_WEEKLY_REPORT
from notifpolicy._roster import Roster
from notifpolicy._timeutil import resolve_zone

__all__ = ["RenderedDigest", "render_digest"]

_MINUS = "\u2212"
_NONE = "\u2014"  # a value that cannot be computed (no first responses, say)
_BAR = 20  # the plain-text chart's widest bar, in characters


@attrs.frozen
class RenderedDigest:
    """An email, ready for the outbox."""

    subject: str
    text: str
    html: str


class _Words:
    """The catalog, one language, and the formatting of numbers, durations and dates."""

    def __init__(self, catalog: MessageCatalog, language: str) -> None:
        catalog.messages(language)  # an unknown language fails here, before any rendering
        self.catalog = catalog
        self.language = language

    def __call__(self, key: str, **fields: object) -> str:
        return self.catalog.text(self.language, key, **fields)

    def duration(self, value: dt.timedelta | None) -> str:
        return _NONE if value is None else self.seconds(round(value / dt.timedelta(seconds=1)))

    def seconds(self, seconds: int) -> str:
        if seconds < 60:
            return self("digest.duration.seconds", s=seconds)
        minutes, s = divmod(seconds, 60)
        if minutes < 60:
            return self("digest.duration.minutes", m=minutes, s=f"{s:02d}")
        hours, m = divmod(minutes, 60)
        return self("digest.duration.hours", h=hours, m=f"{m:02d}")

    def percent(self, share: float | None) -> str:
        return _NONE if share is None else self("digest.percent", value=percent(share))

    def points(self, points: int, *, sign: bool) -> str:
        """``+1 percentage point``, ``3 procentpunten``."""
        form = "one" if abs(points) == 1 else "other"
        shown = _signed(points) if sign else str(abs(points))
        return self(f"digest.points.{form}", points=shown)

    def date(self, day: dt.date, *, year: bool = True) -> str:
        month = self(f"month.{day.month}")
        if year:
            return self("date.day_month_year", day=day.day, month=month, year=day.year)
        return self("date.day_month", day=day.day, month=month)

    def dates(self, first: dt.date, last: dt.date) -> str:
        """``30 Mar - 5 Apr 2026`` (an en dash); one date when ``first == last``."""
        if first >= last:
            return self.date(first)
        if first.year != last.year:
            start = self.date(first)
        elif first.month != last.month:
            start = self.date(first, year=False)
        else:
            start = self("date.day", day=first.day)
        return self("date.range", start=start, end=self.date(last))

    def instant(self, at: dt.datetime, *, year: bool) -> str:
        return self("date.time", date=self.date(at.date(), year=year), time=f"{at:%H:%M}")

    def period_dates(self, period: DigestPeriod, zone: dt.tzinfo) -> str:
        first = period.start.astimezone(zone).date()
        last = period.end.astimezone(zone).date() - dt.timedelta(days=1)
        return self.dates(first, max(first, last))


def _signed(n: int) -> str:
    return f"+{n}" if n >= 0 else f"{_MINUS}{-n}"


def _name(agent_id: str, roster: Roster | None) -> str:
    member = roster.get(agent_id) if roster is not None else None
    return member.name if member is not None else agent_id


# -- trends ---------------------------------------------------------------------------------


def _shown(metric: TrendMetric, value: float | None, w: _Words) -> str:
    if value is None:
        return _NONE
    if metric is TrendMetric.SLA_SHARE:
        return w.percent(value)
    if metric in (TrendMetric.MEDIAN_FIRST_RESPONSE, TrendMetric.P90_FIRST_RESPONSE):
        return w.seconds(round(value))
    return str(round(value))


def _shown_change(t: Trend, w: _Words) -> tuple[str, Verdict | None]:
    """The change as the reader sees it: the difference of the two values shown."""
    if t.previous is None or t.current is None or t.verdict is None:
        return _NONE, None
    if t.metric is TrendMetric.SLA_SHARE:
        points = percent(t.current) - percent(t.previous)
        if points == 0:
            return w("digest.trend.unchanged"), Verdict.UNCHANGED
        change = w.points(points, sign=True)
    elif t.metric in (TrendMetric.MEDIAN_FIRST_RESPONSE, TrendMetric.P90_FIRST_RESPONSE):
        seconds = round(t.current) - round(t.previous)
        if seconds == 0:
            return w("digest.trend.unchanged"), Verdict.UNCHANGED
        change = ("+" if seconds > 0 else _MINUS) + w.seconds(abs(seconds))
    else:
        count = round(t.current) - round(t.previous)
        if count == 0:
            return w("digest.trend.unchanged"), Verdict.UNCHANGED
        change = _signed(count)
    # Rounding is monotone, so a change that shows keeps the sign of the exact one.
    return w(f"digest.trend.{t.verdict.value}", change=change), t.verdict


def _trend_rows(report: DigestReport, w: _Words) -> TrendRows:
    rows = []
    for t in report.trends:
        change, verdict = _shown_change(t, w)
        current, previous = _shown(t.metric, t.current, w), _shown(t.metric, t.previous, w)
        line = (
            w("digest.trend.row.partial", current=current, previous=previous)
            if verdict is None
            else w("digest.trend.row", current=current, previous=previous, change=change)
        )
        rows.append(
            TrendRow(w(f"digest.trend.{t.metric.value}"), current, previous, change, verdict, line)
        )
    return TrendRows(
        w("digest.heading.trends"),
        (
            w("digest.trend.column.current"),
            w("digest.trend.column.previous"),
            w("digest.trend.column.change"),
        ),
        tuple(rows),
    )


# -- the sections -----------------------------------------------------------------------------


def _chart(report: DigestReport, w: _Words) -> Chart:
    """New conversations per weekday, in the order the period meets them."""
    f = report.figures
    first = report.period.start.astimezone(resolve_zone(report.timezone)).weekday()
    busiest = f.busiest_weekday
    days = [(first + i) % 7 for i in range(7)]
    return Chart(
        w("digest.heading.per_day"),
        tuple(ChartDay(w(f"weekday.{d}.short"), f.new_by_weekday[d], d == busiest) for d in days),
        w("digest.chart.busiest"),
    )


def _insight_text(code: str, values: dict[str, object], roster: Roster | None, w: _Words) -> str:
    if code == "busiest_day":
        count = values.pop("count")
        assert isinstance(count, int)  # noqa: S101 -- built so by _digest_report._insights
        values["weekday"] = w(f"weekday.{values['weekday']}")
        values["conversations"] = w.catalog.kind_count(w.language, "new_conversation", count)
    if "agent_id" in values:
        values["agent"] = _name(str(values.pop("agent_id")), roster)
    if "points" in values:
        points = values["points"]
        assert isinstance(points, int)  # noqa: S101 -- built so by _digest_report._insights
        values["points"] = w.points(points, sign=False)
    return w(f"digest.insight.{code}", **values)


def _sections(report: DigestReport, roster: Roster | None, w: _Words) -> list[Section]:
    """The report's sections in display order."""
    f: PeriodFigures = report.figures
    sections: list[Section] = [
        Pairs(
            w("digest.heading.conversations"),
            (
                (w("digest.count.new"), str(f.new)),
                (w("digest.count.closed"), str(f.closed)),
                (w("digest.count.open"), str(f.open_at_end)),
                (w("digest.count.unassigned"), str(f.unassigned_at_end)),
            ),
        )
    ]
    if f.first_responses or f.sla_counted:
        target = report.first_response_target_minutes
        form = "one" if target == 1 else "other"
        sections.append(
            Pairs(
                w("digest.heading.first_response"),
                (
                    (w("digest.first_response.median"), w.duration(f.median_first_response)),
                    (w("digest.first_response.p90"), w.duration(f.p90_first_response)),
                    (w(f"digest.first_response.sla.{form}", target=target), w.percent(f.sla_share)),
                ),
            )
        )
    weekly = report.kind == KIND_WEEKLY_REPORT
    if weekly and f.new:
        sections.append(_chart(report, w))
    if f.agents:
        heading = "digest.heading.leaderboard" if weekly else "digest.heading.agents"
        sections.append(
            Leaderboard(
                w(heading),
                (w("digest.agents.agent"), w("digest.agents.handled"), w("digest.agents.median")),
                tuple(
                    LeaderRow(
                        i,
                        _name(a.agent_id, roster),
                        str(a.handled),
                        w.duration(a.median_first_response),
                        w(
                            "digest.agents.row",
                            handled=a.handled,
                            median=w.duration(a.median_first_response),
                        ),
                    )
                    for i, a in enumerate(f.agents, start=1)
                ),
            )
        )
    if report.trends:
        sections.append(_trend_rows(report, w))
    if report.insights:
        sections.append(
            Notes(
                w("digest.heading.insights"),
                tuple(_insight_text(i.code, dict(i.values), roster, w) for i in report.insights),
            )
        )
    return sections


# -- the plain text ---------------------------------------------------------------------------


def _text_rows(section: Section) -> list[str]:
    if isinstance(section, Pairs):
        return [f"  {label}: {value}" for label, value in section.rows]
    if isinstance(section, Leaderboard):
        return [f"  {r.rank}. {r.name}: {r.line}" for r in section.rows]
    if isinstance(section, TrendRows):
        return [f"  {r.label}: {r.line}" for r in section.rows]
    if isinstance(section, Chart):
        top = max(d.count for d in section.days)
        label_width = max(len(d.label) for d in section.days)
        count_width = len(str(top))
        lines = []
        for d in section.days:
            bar = "#" * round(d.count / top * _BAR) if top else ""
            mark = f"  {section.busiest}" if d.busiest else ""
            label = f"{d.label:<{label_width}}"
            lines.append(f"  {label}  {bar:<{_BAR}}  {d.count:>{count_width}}{mark}".rstrip())
        return lines
    return [f"  - {note}" for note in section.notes]


def _text(page: Page) -> str:
    lines = [page.title, page.period_line]
    if page.notes or page.empty:
        lines.append("")
    lines.extend(page.notes)
    if page.empty:
        lines.append(page.empty)
    for section in page.sections:
        lines.extend(["", section.heading, "-" * len(section.heading)])
        lines.extend(_text_rows(section))
    lines.extend(["", page.footer])
    return "\n".join(lines) + "\n"


def render_digest(
    report: DigestReport,
    *,
    roster: Roster | None = None,
    language: str = "en",
    catalog: MessageCatalog | None = None,
) -> RenderedDigest:
    """The subject, plain text and HTML of a digest email, in ``language``.

    The SLA line names the report's own target (``report.first_response_target_minutes``);
    agent ids are shown by their roster display names when a roster is given.
    """
    w = _Words(catalog or MessageCatalog.default(), language)
    zone = resolve_zone(report.timezone)
    period = report.period
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    subject = w(f"digest.{report.kind}.subject", dates=w.period_dates(period, zone))
    notes = []
    if report.skipped:
        names = w("list.separator").join(w.period_dates(p, zone) for p in report.skipped)
        notes.append(w("digest.skipped", periods=names))
    page = Page(
        language=w.language,
        title=w(f"digest.{report.kind}.title"),
        period_line=w(
            "digest.period",
            start=w.instant(start, year=start.year != end.year),
            end=w.instant(end, year=True),
            timezone=report.timezone,
        ),
        notes=tuple(notes),
        empty=w("digest.empty") if report.is_empty else None,
        sections=() if report.is_empty else tuple(_sections(report, roster, w)),
        footer=w("digest.footer"),
    )
    return RenderedDigest(subject, _text(page), html(page))
