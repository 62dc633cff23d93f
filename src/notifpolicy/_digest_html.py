"""The digest email's sections, and their HTML as mail clients need it.

Mail clients are not browsers: many drop ``<style>`` blocks, ignore CSS layout and block
images.  So the layout is nested tables, every style is inline, the content is one column of
600 px that shrinks on a phone, and the chart of new conversations per day is drawn with table
cells (no image, no script).  Dark mode: the ``color-scheme`` meta tags say the email supports
both schemes; clients that honour ``prefers-color-scheme`` get the dark palette from the one
``<style>`` block (classes beside the inline styles, ``!important`` to win over them); clients
that invert colours themselves get mid-tone accents that read on either background.  Colour is
never the only cue: a trend says "better" or "worse" in words, the busiest day says so too.

Every string is escaped here, the catalog's included (a host's catalog is outside data).
"""

from __future__ import annotations

import html as _html

import attrs

from notifpolicy._digest_report import Verdict

__all__ = [
    "Chart",
    "ChartDay",
    "LeaderRow",
    "Leaderboard",
    "Notes",
    "Page",
    "Pairs",
    "Section",
    "TrendRow",
    "TrendRows",
    "html",
]


@attrs.frozen
class Pairs:
    """Labelled values: the counts, the first-response figures."""

    heading: str
    rows: tuple[tuple[str, str], ...]


@attrs.frozen
class LeaderRow:
    rank: int
    name: str
    handled: str
    median: str
    line: str  # the whole row in words, for the plain text


@attrs.frozen
class Leaderboard:
    heading: str
    columns: tuple[str, str, str]  # agent, handled, median first response
    rows: tuple[LeaderRow, ...]


@attrs.frozen
class TrendRow:
    label: str
    current: str
    previous: str
    change: str
    verdict: Verdict | None
    line: str  # the whole row in words, for the plain text


@attrs.frozen
class TrendRows:
    heading: str
    columns: tuple[str, str, str]  # this week, the week before, change
    rows: tuple[TrendRow, ...]


@attrs.frozen
class ChartDay:
    label: str
    count: int
    busiest: bool


@attrs.frozen
class Chart:
    """New conversations per day, the busiest marked."""

    heading: str
    days: tuple[ChartDay, ...]
    busiest: str  # the word that marks the busiest day


@attrs.frozen
class Notes:
    heading: str
    notes: tuple[str, ...]


Section = Pairs | Leaderboard | TrendRows | Chart | Notes


@attrs.frozen
class Page:
    """The whole email, every word in the reader's language: the plain text and the HTML are
    two drawings of one page."""

    language: str
    title: str
    period_line: str
    notes: tuple[str, ...]  # above the sections: the periods a scheduler slept through
    empty: str | None  # the short report's one line, when nothing happened
    sections: tuple[Section, ...]
    footer: str


# -- the palette: light inline, dark from the <style> block -----------------------------------

_PAGE, _CARD, _INK, _MUTED, _RULE = "#f4f5f7", "#ffffff", "#1f2933", "#52606d", "#dde1e6"
_BAR, _TOP_BAR, _BETTER, _WORSE, _NOTE = "#5b8def", "#2f6fde", "#1a7f37", "#b42318", "#9a3412"
_FONT = "font-family:Arial,Helvetica,sans-serif;"
_DARK = """\
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .np-page { background-color: #0f1216 !important; }
  .np-card { background-color: #1b2027 !important; }
  .np-ink { color: #e8eaed !important; }
  .np-muted { color: #aab2bd !important; }
  .np-rule { border-color: #3a424d !important; }
  .np-bar { background-color: #7aa7f7 !important; }
  .np-top { background-color: #a5c4fb !important; }
  .np-better { color: #5ad98b !important; }
  .np-worse { color: #ff8f86 !important; }
  .np-note { color: #fdba74 !important; }
}"""
_TABLE = 'cellpadding="0" cellspacing="0" border="0"'
_VERDICT_STYLE: dict[Verdict | None, tuple[str, str]] = {
    Verdict.BETTER: ("np-better", _BETTER),
    Verdict.WORSE: ("np-worse", _WORSE),
}


def _e(text: str) -> str:
    return _html.escape(text, quote=True)


def _td(content: str, style: str = "", *, cls: str = "np-ink", color: str = _INK) -> str:
    return f'<td class="{cls}" style="{_FONT}color:{color};{style}">{content}</td>'


def _th(content: str, style: str = "") -> str:
    return (
        f'<th scope="col" class="np-muted np-rule" style="{_FONT}color:{_MUTED};font-size:12px;'
        f"font-weight:normal;text-align:left;padding:4px 8px 4px 0;border-bottom:1px solid {_RULE};"
        f'{style}">{content}</th>'
    )


def _pairs(section: Pairs) -> list[str]:
    return [
        "<tr>"
        + _td(_e(label), "padding:4px 0;")
        + _td(_e(value), "padding:4px 0;text-align:right;font-weight:bold;")
        + "</tr>"
        for label, value in section.rows
    ]


def _leaderboard(section: Leaderboard) -> list[str]:
    agent, handled, median = (_e(c) for c in section.columns)
    rows = [
        "<tr>"
        + _th("#", "width:24px;")
        + _th(agent)
        + _th(handled, "text-align:right;")
        + _th(median, "text-align:right;padding-right:0;")
        + "</tr>"
    ]
    rows.extend(
        "<tr>"
        + _td(f"{r.rank}.", "padding:4px 8px 4px 0;", cls="np-muted", color=_MUTED)
        + _td(_e(r.name), "padding:4px 8px 4px 0;")
        + _td(_e(r.handled), "padding:4px 8px 4px 0;text-align:right;font-weight:bold;")
        + _td(_e(r.median), "padding:4px 0;text-align:right;")
        + "</tr>"
        for r in section.rows
    )
    return rows


def _trends(section: TrendRows) -> list[str]:
    current, previous, change = (_e(c) for c in section.columns)
    rows = [
        "<tr>"
        + _th("")
        + _th(current, "text-align:right;")
        + _th(previous, "text-align:right;")
        + _th(change, "text-align:right;padding-right:0;")
        + "</tr>"
    ]
    for r in section.rows:
        cls, color = _VERDICT_STYLE.get(r.verdict, ("np-muted", _MUTED))
        rows.append(
            "<tr>"
            + _td(_e(r.label), "padding:4px 8px 4px 0;")
            + _td(_e(r.current), "padding:4px 8px 4px 0;text-align:right;font-weight:bold;")
            + _td(
                _e(r.previous),
                "padding:4px 8px 4px 0;text-align:right;",
                cls="np-muted",
                color=_MUTED,
            )
            + _td(_e(r.change), "padding:4px 0;text-align:right;", cls=cls, color=color)
            + "</tr>"
        )
    return rows


def _chart(section: Chart) -> list[str]:
    top = max(d.count for d in section.days)
    rows = []
    for d in section.days:
        width = round(d.count / top * 100) if top else 0
        cls, color = ("np-top", _TOP_BAR) if d.busiest else ("np-bar", _BAR)
        bar = (
            f'<td class="{cls}" width="{width}%" style="width:{width}%;height:14px;'
            f'background-color:{color};font-size:0;line-height:0;">&nbsp;</td>'
            if width
            else ""
        )
        rest = (
            f'<td width="{100 - width}%" style="width:{100 - width}%;font-size:0;'
            'line-height:0;">&nbsp;</td>'
            if width < 100
            else ""
        )
        weight = "bold" if d.busiest else "normal"
        mark = _e(section.busiest) if d.busiest else ""
        rows.append(
            "<tr>"
            + _td(_e(d.label), f"padding:3px 8px 3px 0;width:40px;font-weight:{weight};")
            + f'<td style="padding:3px 0;"><table role="presentation" width="100%" {_TABLE}>'
            f"<tr>{bar}{rest}</tr></table></td>"
            + _td(
                str(d.count),
                f"padding:3px 0 3px 8px;width:32px;text-align:right;font-weight:{weight};",
            )
            + _td(
                mark,
                "padding:3px 0 3px 8px;width:64px;font-size:12px;",
                cls="np-muted",
                color=_MUTED,
            )
            + "</tr>"
        )
    return rows


def _notes(section: Notes) -> list[str]:
    return [
        "<tr>"
        + _td(
            "&bull;", "padding:4px 0;width:14px;vertical-align:top;", cls="np-muted", color=_MUTED
        )
        + _td(_e(note), "padding:4px 0;")
        + "</tr>"
        for note in section.notes
    ]


def _section_rows(section: Section) -> list[str]:
    if isinstance(section, Pairs):
        return _pairs(section)
    if isinstance(section, Leaderboard):
        return _leaderboard(section)
    if isinstance(section, TrendRows):
        return _trends(section)
    if isinstance(section, Chart):
        return _chart(section)
    return _notes(section)


def html(page: Page) -> str:
    """The whole email document."""
    card = [
        "<tr>"
        + _td(
            f'<h1 class="np-ink" style="margin:0;font-size:22px;color:{_INK};">'
            f"{_e(page.title)}</h1>"
            f'<p class="np-muted" style="margin:4px 0 0;font-size:13px;color:{_MUTED};">'
            f"{_e(page.period_line)}</p>",
            "padding:24px 24px 8px;",
        )
        + "</tr>"
    ]
    card.extend(
        "<tr>"
        + _td(_e(n), "padding:8px 24px;font-size:13px;", cls="np-note", color=_NOTE)
        + "</tr>"
        for n in page.notes
    )
    if page.empty:
        card.append("<tr>" + _td(_e(page.empty), "padding:16px 24px;font-size:15px;") + "</tr>")
    for section in page.sections:
        card.append(
            '<tr><td style="padding:16px 24px 4px;">'
            f'<h2 class="np-ink np-rule" style="{_FONT}margin:0 0 4px;font-size:16px;color:{_INK};'
            f'border-bottom:1px solid {_RULE};padding-bottom:4px;">{_e(section.heading)}</h2>'
            f'<table width="100%" {_TABLE} style="font-size:14px;">'
        )
        card.extend(_section_rows(section))
        card.append("</table></td></tr>")
    card.append(
        "<tr>"
        + _td(
            _e(page.footer), "padding:16px 24px 24px;font-size:12px;", cls="np-muted", color=_MUTED
        )
        + "</tr>"
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(page.language)}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="supported-color-schemes" content="light dark">',
        f"<title>{_e(page.title)}</title>",
        f"<style>\n{_DARK}\n</style></head>",
        f'<body class="np-page" style="margin:0;padding:0;background-color:{_PAGE};">',
        f'<table role="presentation" class="np-page" width="100%" {_TABLE} '
        f'style="background-color:{_PAGE};"><tr><td align="center" style="padding:24px 8px;">',
        f'<table role="presentation" class="np-card" width="600" {_TABLE} '
        f'style="width:100%;max-width:600px;background-color:{_CARD};border-radius:8px;">',
        *card,
        "</table>",
        "</td></tr></table>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
