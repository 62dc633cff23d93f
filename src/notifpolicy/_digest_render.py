"""Rendering a digest report as an email: a subject, plain text, and HTML.

Pure and deterministic: the same report, roster and language give the same bytes.  The HTML is
a single-column table layout with inline styles (what mail clients render), readable without
images, and every string that came from outside the library (agent names, ids, the zone) is
escaped.  All words come from the message catalog.
"""

from __future__ import annotations

import datetime as dt
import html

import attrs

from notifpolicy._catalog import MessageCatalog
from notifpolicy._digest import DigestReport, Trend, TrendMetric
from notifpolicy._digest_report import PeriodFigures
from notifpolicy._roster import Roster
from notifpolicy._timeutil import resolve_zone

__all__ = ["RenderedDigest", "render_digest"]


@attrs.frozen
class RenderedDigest:
    """An email, ready for the outbox."""

    subject: str
    text: str
    html: str


class _Words:
    """The catalog, one language, and the formatting of numbers, durations and instants."""

    def __init__(self, catalog: MessageCatalog, language: str) -> None:
        catalog.messages(language)  # an unknown language fails here, before any rendering
        self.catalog = catalog
        self.language = language

    def __call__(self, key: str, **fields: object) -> str:
        return self.catalog.text(self.language, key, **fields)

    def duration(self, value: dt.timedelta | None) -> str:
        if value is None:
            return "\u2014"
        seconds = round(value / dt.timedelta(seconds=1))
        if seconds < 60:
            return self("digest.duration.seconds", s=seconds)
        minutes, s = divmod(seconds, 60)
        if minutes < 60:
            return self("digest.duration.minutes", m=minutes, s=f"{s:02d}")
        hours, m = divmod(minutes, 60)
        return self("digest.duration.hours", h=hours, m=f"{m:02d}")

    def percent(self, share: float | None) -> str:
        return "\u2014" if share is None else self("digest.percent", value=round(share * 100))


def _local(at: dt.datetime, report: DigestReport) -> str:
    return at.astimezone(resolve_zone(report.timezone)).strftime("%Y-%m-%d %H:%M")


def _name(agent_id: str, roster: Roster | None) -> str:
    member = roster.get(agent_id) if roster is not None else None
    return member.name if member is not None else agent_id


def _trend_value(t: Trend, w: _Words) -> str:
    if t.current is None:
        return w("digest.trend.unknown")
    if t.metric is TrendMetric.MEDIAN_FIRST_RESPONSE:
        shown = w.duration(dt.timedelta(seconds=t.current))
    elif t.metric is TrendMetric.SLA_SHARE:
        shown = w.percent(t.current)
    else:
        shown = str(round(t.current))
    if t.relative_change is None:
        return shown
    sign = "+" if t.relative_change >= 0 else "\u2212"
    return f"{shown} ({sign}{w.percent(abs(t.relative_change))})"


def _sections(
    report: DigestReport, roster: Roster | None, w: _Words, target: int
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The report as (heading, rows of (label, value)) in display order."""
    f: PeriodFigures = report.figures
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            w("digest.heading.conversations"),
            [
                (w("digest.count.new"), str(f.new)),
                (w("digest.count.closed"), str(f.closed)),
                (w("digest.count.open"), str(f.open_at_end)),
                (w("digest.count.unassigned"), str(f.unassigned_at_end)),
            ],
        )
    ]
    if f.first_responses or f.sla_counted:
        sections.append(
            (
                w("digest.heading.first_response"),
                [
                    (w("digest.first_response.median"), w.duration(f.median_first_response)),
                    (w("digest.first_response.p90"), w.duration(f.p90_first_response)),
                    (w("digest.first_response.sla", target=target), w.percent(f.sla_share)),
                ],
            )
        )
    if f.agents:
        heading = (
            "digest.heading.leaderboard"
            if report.kind == "weekly_report"
            else "digest.heading.agents"
        )
        sections.append(
            (
                w(heading),
                [
                    (
                        f"{i}. {_name(a.agent_id, roster)}",
                        f"{a.handled} \u00b7 {w.duration(a.median_first_response)}",
                    )
                    for i, a in enumerate(f.agents, start=1)
                ],
            )
        )
    if report.trends:
        sections.append(
            (
                w("digest.heading.trends"),
                [(w(f"digest.trend.{t.metric.value}"), _trend_value(t, w)) for t in report.trends],
            )
        )
    if report.insights:
        rows = []
        for insight in report.insights:
            values = dict(insight.values)
            if "weekday" in values:
                values["weekday"] = w(f"weekday.{values['weekday']}")
            if "agent_id" in values:
                values["agent"] = _name(str(values.pop("agent_id")), roster)
            rows.append((w(f"digest.insight.{insight.code}", **values), ""))
        sections.append((w("digest.heading.insights"), rows))
    return sections


def render_digest(
    report: DigestReport,
    *,
    roster: Roster | None = None,
    language: str = "en",
    catalog: MessageCatalog | None = None,
    first_response_target_minutes: int = 15,
) -> RenderedDigest:
    """The subject, plain text and HTML of a digest email.

    Agent ids are shown by their roster display names when a roster is given.
    """
    w = _Words(catalog or MessageCatalog.default(), language)
    period = report.period
    start, end = _local(period.start, report), _local(period.end, report)
    iso = period.local_date.isocalendar()
    subject = w(
        f"digest.{report.kind}.subject",
        date=period.local_date.isoformat(),
        week=f"{iso.year}-W{iso.week:02d}",
        start=start,
        end=end,
    )
    title = w(f"digest.{report.kind}.title")
    period_line = w("digest.period", start=start, end=end, timezone=report.timezone)
    notes = []
    if report.skipped:
        names = ", ".join(p.local_date.isoformat() for p in report.skipped)
        notes.append(w("digest.skipped", periods=names))
    sections = (
        [] if report.is_empty else _sections(report, roster, w, first_response_target_minutes)
    )
    footer = w("digest.footer")

    text_lines = [title, period_line]
    if notes or report.is_empty:
        text_lines.append("")
    text_lines.extend(notes)
    if report.is_empty:
        text_lines.append(w("digest.empty"))
    for heading, rows in sections:
        text_lines.extend(["", heading, "-" * len(heading)])
        for label, value in rows:
            text_lines.append(f"  {label}: {value}" if value else f"  - {label}")
    text_lines.extend(["", footer])
    text = "\n".join(text_lines) + "\n"
    return RenderedDigest(
        subject, text, _html(title, period_line, notes, report, sections, footer, w)
    )


_FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2933;"
_LAYOUT = 'role="presentation" width="100%" cellpadding="0" cellspacing="0"'


def _html(
    title: str,
    period_line: str,
    notes: list[str],
    report: DigestReport,
    sections: list[tuple[str, list[tuple[str, str]]]],
    footer: str,
    w: _Words,
) -> str:
    e = html.escape

    def cell(style: str, content: str, extra: str = "") -> str:
        return f'<td{extra} style="{style}{_FONT}">{content}</td>'

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(w.language)}"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title></head>",
        f'<body style="margin:0;padding:24px;background:#f4f5f7;{_FONT}">',
        f"<table {_LAYOUT} "
        'style="max-width:600px;margin:0 auto;background:#ffffff;border-radius:8px;">',
        "<tr>"
        + cell(
            "padding:24px 24px 8px;",
            f'<h1 style="margin:0;font-size:22px;">{e(title)}</h1>'
            f'<p style="margin:4px 0 0;font-size:13px;color:#52606d;">{e(period_line)}</p>',
        )
        + "</tr>",
    ]
    parts.extend(
        f"<tr>{cell('padding:8px 24px;font-size:13px;color:#8d2b0b;', e(n))}</tr>" for n in notes
    )
    if report.is_empty:
        parts.append(f"<tr>{cell('padding:16px 24px;font-size:15px;', e(w('digest.empty')))}</tr>")
    for heading, rows in sections:
        parts.append(
            f'<tr><td style="padding:16px 24px 4px;{_FONT}">'
            f'<h2 style="margin:0;font-size:16px;border-bottom:1px solid #e4e7eb;'
            f'padding-bottom:4px;">{e(heading)}</h2>'
            f'<table {_LAYOUT} style="font-size:14px;">'
        )
        for label, value in rows:
            if value:
                parts.append(
                    f"<tr>{cell('padding:4px 0;', e(label))}"
                    f"{cell('padding:4px 0;text-align:right;font-weight:bold;', e(value))}</tr>"
                )
            else:
                parts.append("<tr>" + cell("padding:4px 0;", e(label), ' colspan="2"') + "</tr>")
        parts.append("</table></td></tr>")
    parts.append(
        f"<tr>{cell('padding:16px 24px 24px;font-size:12px;color:#7b8794;', e(footer))}</tr>"
    )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
