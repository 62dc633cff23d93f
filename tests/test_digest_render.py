"""Digest emails: golden files per format and language, escaping, empty periods.

The golden files are the samples the docs show (``docs/samples/digests``).

Regenerate the golden files after an intended change with ``NOTIFPOLICY_REGEN=1 pytest
tests/test_digest_render.py`` and read the diff before committing it.
"""

from __future__ import annotations

import datetime as dt
import html
import html.parser
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Member, Role, Roster, ValidationError, WorkspaceSettings
from notifpolicy._digest_figures import ConversationRecord, Reply
from notifpolicy._digest_render import render_digest
from notifpolicy._digest_report import DigestReport, build_report

from ._required import BROWSER, skip_unless_required

GOLDEN = Path(__file__).resolve().parent.parent / "docs" / "samples" / "digests"
SETTINGS = WorkspaceSettings.from_dict(
    {
        "timezone": "Europe/Amsterdam",
        "digests": {"daily": {"enabled": True}, "weekly": {"enabled": True}},
    }
)
ROSTER = Roster(
    [Member("anna", Role.AGENT, "Anna de Vries"), Member("bo", Role.ADMIN, "Bo <Boss> & Co")]
)


def weekly_report() -> DigestReport:
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 3, 10, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    previous = weekly.period_ending_at(period.start, zone, workspace_id="ws")
    records = []
    for i in range(12):
        created = period.start + dt.timedelta(hours=7 * i + 3)
        answered = created + dt.timedelta(minutes=4 + 3 * i)
        records.append(
            ConversationRecord(
                f"c{i}",
                created,
                first_response_at=answered,
                closed_at=created + dt.timedelta(hours=3) if i % 3 else None,
                assignee=None if i == 5 else "anna",
                replies=[Reply("anna" if i % 2 else "bo", answered)],
            )
        )
    for i in range(6):
        created = previous.start + dt.timedelta(hours=11 * i + 2)
        answered = created + dt.timedelta(minutes=20)
        records.append(
            ConversationRecord(
                f"p{i}",
                created,
                first_response_at=answered,
                closed_at=created + dt.timedelta(hours=1),
                replies=[Reply("anna", answered)],
            )
        )
    return build_report(records, period=period, settings=SETTINGS, previous_period=previous)


def daily_report(*, empty: bool = False) -> DigestReport:
    daily, zone = SETTINGS.digests.daily, SETTINGS.zone
    send = daily.previous_at_or_before(dt.datetime(2026, 3, 29, 12, tzinfo=dt.UTC), zone)  # DST day
    period = daily.period_ending_at(send, zone, workspace_id="ws")
    skipped = (daily.period_ending_at(period.start, zone, workspace_id="ws"),)
    records = (
        []
        if empty
        else [
            ConversationRecord(
                "c1",
                period.start + dt.timedelta(hours=1),
                first_response_at=period.start + dt.timedelta(hours=1, minutes=9),
                replies=[Reply("bo", period.start + dt.timedelta(hours=1, minutes=9))],
            ),
            ConversationRecord("c2", period.start + dt.timedelta(hours=2)),
        ]
    )
    return build_report(records, period=period, settings=SETTINGS, skipped=() if empty else skipped)


def empty_daily_report() -> DigestReport:
    return daily_report(empty=True)


CASES: dict[str, Callable[[], DigestReport]] = {
    "weekly": weekly_report,
    "daily": daily_report,
    "daily-empty": empty_daily_report,
}


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, language):
    email = render_digest(CASES[case](), roster=ROSTER, language=language)
    for suffix, content in (
        ("txt", f"Subject: {email.subject}\n\n{email.text}"),
        ("html", email.html),
    ):
        path = GOLDEN / f"{case}.{language}.{suffix}"
        if os.environ.get("NOTIFPOLICY_REGEN"):
            path.write_text(content, encoding="utf-8")
        assert content == path.read_text(encoding="utf-8"), (
            f"{path.name} changed; see the module docstring"
        )


def test_rendering_is_deterministic():
    a = render_digest(weekly_report(), roster=ROSTER)
    b = render_digest(weekly_report(), roster=ROSTER)
    assert a == b


def test_unknown_language():
    with pytest.raises(ValidationError, match="language"):
        render_digest(daily_report(), language="fr")


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@given(st.text(min_size=1, max_size=30))
def test_every_user_string_is_escaped_in_html(name):
    roster = Roster(
        [Member("anna", Role.AGENT, name), Member("bo", Role.ADMIN, name + "<img src=x>")]
    )
    email = render_digest(weekly_report(), roster=roster)
    parser = _Text()
    parser.feed(email.html)
    assert set(parser.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "table",
        "tr",
        "th",
        "td",
        "h1",
        "h2",
        "p",
    }
    assert "<img" not in email.html
    # The name is in the HTML only in its escaped form, and reads back as itself.
    assert html.escape(name) in email.html
    assert name in "".join(parser.text) or not name.strip()


# -- what the reader sees -----------------------------------------------------------------------


def report_with_target(minutes: int) -> DigestReport:
    settings = WorkspaceSettings.from_dict(
        {**SETTINGS.to_dict(), "escalation": {"first_response": {"after_minutes": minutes}}}
    )
    daily, zone = settings.digests.daily, settings.zone
    send = daily.previous_at_or_before(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), zone)
    period = daily.period_ending_at(send, zone, workspace_id="ws")
    created = period.start + dt.timedelta(hours=1)
    answered = created + dt.timedelta(minutes=40)
    record = ConversationRecord(
        "c1", created, first_response_at=answered, replies=[Reply("anna", answered)]
    )
    return build_report([record], period=period, settings=settings)


@pytest.mark.parametrize(
    ("minutes", "language", "line"),
    [
        (60, "en", "  Within the 60-minute target: 100 %"),
        (60, "nl", "  Binnen de norm van 60 minuten: 100%"),
        (1, "nl", "  Binnen de norm van 1 minuut: 0%"),
        (15, "en", "  Within the 15-minute target: 0 %"),
    ],
)
def test_the_sla_line_names_the_reports_own_target(minutes, language, line):
    text = render_digest(report_with_target(minutes), language=language).text
    assert line in text.splitlines()


def test_the_target_is_no_longer_a_rendering_parameter():
    with pytest.raises(TypeError):
        render_digest(daily_report(), first_response_target_minutes=60)  # type: ignore[call-arg]


def weekly_sent_on(send_utc: dt.datetime) -> DigestReport:
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(send_utc, zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    return build_report([], period=period, settings=SETTINGS)


@pytest.mark.parametrize(
    ("send", "language", "subject", "period_line"),
    [
        # The week: sent Monday 6 April 09:00, mostly ISO week 14.
        (
            dt.datetime(2026, 4, 6, 8, tzinfo=dt.UTC),
            "en",
            "Weekly report, 30 Mar \u2013 5 Apr 2026",
            "30 Mar, 09:00 to 6 Apr 2026, 09:00 (Europe/Amsterdam)",
        ),
        (
            dt.datetime(2026, 4, 6, 8, tzinfo=dt.UTC),
            "nl",
            "Wekelijks rapport, 30 mrt \u2013 5 apr 2026",
            "30 mrt 09:00 tot 6 apr 2026 09:00 (Europe/Amsterdam)",
        ),
        (
            dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC),
            "en",
            "Weekly report, 2 \u2013 8 Mar 2026",
            "2 Mar, 09:00 to 9 Mar 2026, 09:00 (Europe/Amsterdam)",
        ),
        (
            dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC),
            "nl",
            "Wekelijks rapport, 29 dec 2025 \u2013 4 jan 2026",
            "29 dec 2025 09:00 tot 5 jan 2026 09:00 (Europe/Amsterdam)",
        ),
    ],
)
def test_the_period_is_named_by_its_local_dates(send, language, subject, period_line):
    email = render_digest(weekly_sent_on(send), language=language)
    assert email.subject == subject
    assert email.text.splitlines()[1] == period_line
    assert "W1" not in email.subject


def test_a_daily_summary_is_named_by_the_day_it_covers():
    assert render_digest(daily_report()).subject == "Daily summary, 28 Mar 2026"
    assert render_digest(daily_report(), language="nl").subject == (
        "Dagelijkse samenvatting, 28 mrt 2026"
    )


def trend_line(email_text: str, label: str) -> str:
    """The row for ``label`` in the trends (the last section with such a label)."""
    lines = email_text.splitlines()
    trends = lines[
        lines.index(
            "Compared with the week before"
            if "Compared" in email_text
            else "Vergeleken met de week ervoor"
        ) :
    ]
    (line,) = [x for x in trends if x.startswith(f"  {label}: ")]
    return line.removeprefix(f"  {label}: ")


def sla_week(this_week: tuple[int, int], week_before: tuple[int, int]) -> DigestReport:
    """A weekly report whose SLA shares are ``met/counted`` for this week and the one before."""
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 4, 6, 8, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    previous = weekly.period_ending_at(period.start, zone, workspace_id="ws")
    records = []
    for tag, start, (met, counted) in (
        ("c", period.start, this_week),
        ("p", previous.start, week_before),
    ):
        for i in range(counted):
            created = start + dt.timedelta(minutes=i)
            answered = created + dt.timedelta(minutes=5 if i < met else 50)
            records.append(
                ConversationRecord(
                    f"{tag}{i}",
                    created,
                    first_response_at=answered,
                    replies=[Reply("anna", answered)],
                )
            )
    return build_report(records, period=period, settings=SETTINGS, previous_period=previous)


@pytest.mark.parametrize(
    ("this_week", "week_before", "language", "expected", "insight"),
    [
        # The case: 53 % against 51 % is 2 points (it showed "+2%" beside "1 ...").
        ((10, 19), (18, 35), "en", "53 % (was 51 %; +2 percentage points, better)",
         "2 percentage points more answered within the target"),
        ((1, 2), (51, 100), "en", "50 % (was 51 %; \u22121 percentage point, worse)",
         "1 percentage point fewer answered within the target"),
        ((1, 2), (51, 100), "nl", "50% (was 51%; \u22121 procentpunt, slechter)",
         "1 procentpunt minder binnen de norm beantwoord"),
        ((3, 4), (1, 2), "nl", "75% (was 50%; +25 procentpunten, beter)",
         "25 procentpunten meer binnen de norm beantwoord"),
        ((1, 2), (1, 2), "en", "50 % (was 50 %; unchanged)", None),
    ],
)  # fmt: skip
def test_a_shares_change_is_shown_in_percentage_points(
    this_week, week_before, language, expected, insight
):
    email = render_digest(sla_week(this_week, week_before), language=language)
    label = "Within target" if language == "en" else "Binnen de norm"
    assert trend_line(email.text, label) == expected
    if insight is not None:
        assert f"  - {insight}" in email.text.splitlines()
    # No relative change of a share anywhere: only points.
    assert "(+" not in email.text
    assert "(\u2212" not in email.text


@given(st.integers(1, 40), st.data())
def test_shown_points_are_the_difference_of_the_shown_percentages(counted, data):
    met = data.draw(st.integers(0, counted))
    counted_before = data.draw(st.integers(1, 40))
    met_before = data.draw(st.integers(0, counted_before))
    report = sla_week((met, counted), (met_before, counted_before))
    now, then = round(met / counted * 100), round(met_before / counted_before * 100)
    line = trend_line(render_digest(report).text, "Within target")
    if now == then:
        assert line == f"{now} % (was {then} %; unchanged)"
    else:
        unit = "point" if abs(now - then) == 1 else "points"
        sign = "+" if now > then else "\u2212"
        verdict = "better" if now > then else "worse"
        assert line == (
            f"{now} % (was {then} %; {sign}{abs(now - then)} percentage {unit}, {verdict})"
        )


def test_every_trend_shows_the_previous_value_and_better_or_worse():
    text = render_digest(weekly_report(), roster=ROSTER).text
    assert trend_line(text, "New conversations") == "12 (was 6; +6)"  # demand: no verdict
    assert trend_line(text, "Closed conversations") == "8 (was 6; +2, better)"
    assert trend_line(text, "Still open at the end") == "4 (was 0; +4, worse)"
    assert trend_line(text, "Unassigned at the end") == "0 (was 0; unchanged)"
    assert trend_line(text, "Median first response") == (
        "20 min 30 s (was 20 min 00 s; +30 s, worse)"
    )
    assert trend_line(text, "90th percentile first response") == (
        "34 min 00 s (was 20 min 00 s; +14 min 00 s, worse)"
    )
    nl = render_digest(weekly_report(), roster=ROSTER, language="nl").text
    assert trend_line(nl, "Gesloten gesprekken") == "8 (was 6; +2, beter)"
    assert trend_line(nl, "Nog open aan het eind") == "4 (was 0; +4, slechter)"


def test_faster_responses_are_better():
    # This week answered in 5 minutes, the week before in 50: a fall is good news.
    report = sla_week((4, 4), (0, 4))
    assert trend_line(render_digest(report).text, "Median first response") == (
        "5 min 00 s (was 50 min 00 s; \u221245 min 00 s, better)"
    )


def test_a_trend_without_data_on_one_side_shows_what_there_is():
    report = sla_week((2, 2), (0, 0))
    text = render_digest(report).text
    assert trend_line(text, "Within target") == "100 % (was \u2014)"
    assert trend_line(text, "Median first response") == "5 min 00 s (was \u2014)"


def test_leaderboard_numbers_are_labelled():
    email = render_digest(weekly_report(), roster=ROSTER)
    lines = email.text.splitlines()
    assert "  1. Bo <Boss> & Co: 6 handled \u00b7 median first response 19 min 00 s" in lines
    nl = render_digest(weekly_report(), roster=ROSTER, language="nl").text.splitlines()
    assert "  2. Anna de Vries: 6 afgehandeld \u00b7 mediaan eerste reactie 22 min 00 s" in nl
    for header in ("Agent", "Handled", "Median first response"):
        assert f">{header}</th>" in email.html


def test_agents_are_shown_by_their_roster_names_and_by_id_without_one():
    assert "Anna de Vries" in render_digest(weekly_report(), roster=ROSTER).text
    assert "  2. anna: 6 handled" in render_digest(weekly_report()).text


# -- the chart ----------------------------------------------------------------------------------


class _Cells(html.parser.HTMLParser):
    """The text a reader sees (no head, style or title), and each chart row's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.text: list[str] = []
        self.styles: list[tuple[str, str]] = []  # (tag, style) of every td and th

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "title"):
            self.hidden += 1
        if tag in ("td", "th"):
            self.styles.append((tag, dict(attrs).get("style") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.text.append(" ".join(data.split()))


def chart_lines(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 2
    return lines[start : lines.index("", start)]


def test_the_weekly_report_has_a_chart_of_new_conversations_per_day():
    email = render_digest(weekly_report(), roster=ROSTER)
    assert chart_lines(email.text, "New conversations per day") == [
        "  Mon  ##########            2",
        "  Tue  ####################  4  busiest",
        "  Wed  ###############       3",
        "  Thu  ###############       3",
        "  Fri                        0",
        "  Sat                        0",
        "  Sun                        0",
    ]
    # In the HTML: bars are table cells whose widths are shares of the busiest day.
    assert 'width="50%" style="width:50%;height:14px;' in email.html
    assert 'class="np-top" width="100%"' in email.html  # the busiest, drawn darker
    assert ">busiest</td>" in email.html
    for needle in ("<img", "<script", "url(", "src=", "<link", "@import"):
        assert needle not in email.html.lower()


def test_the_chart_starts_on_the_weekday_the_period_starts():
    settings = WorkspaceSettings.from_dict(
        {**SETTINGS.to_dict(), "digests": {"weekly": {"enabled": True, "weekday": "wednesday"}}}
    )
    weekly, zone = settings.digests.weekly, settings.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 3, 12, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    record = ConversationRecord("c1", period.start + dt.timedelta(days=2, hours=1))
    report = build_report([record], period=period, settings=settings)
    lines = chart_lines(render_digest(report, language="nl").text, "Nieuwe gesprekken per dag")
    assert [x.split()[0] for x in lines] == ["wo", "do", "vr", "za", "zo", "ma", "di"]
    assert lines[2].endswith("1  drukst")


def test_a_daily_summary_has_no_chart():
    assert "New conversations per day" not in render_digest(daily_report(), roster=ROSTER).text


# -- HTML as mail clients need it ---------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_html_for_mail_clients(case, language):
    email = render_digest(CASES[case](), roster=ROSTER, language=language)
    page = email.html
    assert '<meta name="color-scheme" content="light dark">' in page
    assert "@media (prefers-color-scheme: dark)" in page
    assert 'width="600"' in page
    assert "max-width:600px" in page
    assert f'<html lang="{language}">' in page
    cells = _Cells()
    cells.feed(page)
    # Inline styles on every cell; no layout by CSS classes alone (mail clients drop <style>).
    assert all(style for _, style in cells.styles)
    for _, style in cells.styles:
        if "font-family:" in style:
            assert "color:#" in style  # an explicit colour: never the client's default on dark


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_plain_text_says_everything_the_html_does(case, language):
    email = render_digest(CASES[case](), roster=ROSTER, language=language)
    cells = _Cells()
    cells.feed(email.html)
    assert cells.text, "the HTML shows something"
    text = " ".join(email.text.split()).lower()
    for shown in cells.text:
        # Every figure, and every longer text (a column heading may start a word in capitals).
        if any(c.isdigit() for c in shown) or len(shown) > 20:
            assert shown.lower() in text, f"{shown!r} is in the HTML but not in the plain text"


@given(st.lists(st.tuples(st.integers(0, 7 * 24 * 60), st.integers(0, 300)), max_size=30))
def test_every_figure_in_the_html_is_in_the_text(arrivals):
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 3, 10, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    previous = weekly.period_ending_at(period.start, zone, workspace_id="ws")
    records = []
    for i, (minute, wait) in enumerate(arrivals):
        created = previous.start + dt.timedelta(minutes=minute * 2)
        answered = created + dt.timedelta(minutes=wait)
        records.append(
            ConversationRecord(
                f"c{i}",
                created,
                first_response_at=answered if wait % 7 else None,
                replies=[Reply("anna" if wait % 2 else "bo", answered)] if wait % 7 else [],
                closed_at=created + dt.timedelta(hours=1) if wait % 3 == 0 else None,
            )
        )
    report = build_report(records, period=period, settings=SETTINGS, previous_period=previous)
    for language in ("en", "nl"):
        email = render_digest(report, roster=ROSTER, language=language)
        cells = _Cells()
        cells.feed(email.html)
        text = " ".join(email.text.split())
        for shown in cells.text:
            if any(c.isdigit() for c in shown):
                assert shown in text


# -- the email in a real browser engine ---------------------------------------------------------

STATIC = Path(__file__).resolve().parent.parent / "docs" / "_static"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (700, 1400)


def first_rows(png: bytes, rows: int) -> list[bytes]:
    """The first ``rows`` pixel rows of an 8-bit RGB or RGBA PNG, unfiltered (the PNG spec's
    five filters), as bytes of 3 or 4 per pixel."""
    width, _height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert depth == 8, "Chromium writes 8-bit RGB(A)"
    assert colour in (2, 6), "Chromium writes 8-bit RGB(A)"
    step = 3 if colour == 2 else 4
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            chunks.append(png[at + 8 : at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    out: list[bytes] = []
    previous = bytearray(stride)
    for y in range(rows):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out.append(bytes(line))
        previous = line
    return out


def pixels(row: bytes, step: int) -> list[tuple[int, int, int]]:
    return [(row[i], row[i + 1], row[i + 2]) for i in range(0, len(row), step)]


def screenshot(page: Path, shot: Path, profile: Path, *, dark: bool) -> bytes:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # the tests may run as root
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *(["--force-dark-mode"] if dark else []),
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    return shot.read_bytes()


@pytest.mark.parametrize(
    ("language", "dark"), [("en", False), ("nl", False), ("en", True)], ids=["en", "nl", "en-dark"]
)
def test_the_email_in_headless_chromium(language, dark, tmp_path):
    """Renders the weekly report in Chromium, checks the 600 px card and its colours on the
    pixels, and keeps the screenshot for the docs (``docs/_static/digest-<language>.png``)."""
    if CHROMIUM is None:
        reason = "chromium is not installed (Debian: apt-get install chromium): no screenshot"
        skip_unless_required(reason, BROWSER)
    page = tmp_path / f"digest-{language}.html"
    email = render_digest(weekly_report(), roster=ROSTER, language=language)
    page.write_text(email.html, encoding="utf-8")
    png = screenshot(page, tmp_path / "shot.png", tmp_path / "profile", dark=dark)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == WINDOW
    step = 3 if png[25] == 2 else 4
    # Row 12 is above the card (24 px of page padding), row 40 crosses the card below its
    # rounded corners and above its title.
    rows = first_rows(png, 41)
    page_colour = pixels(rows[12], step)[350]
    card = pixels(rows[40], step)
    card_colour = card[350]
    card_width = sum(1 for p in card if p == card_colour)
    assert card_width == 600, "the column is 600 px wide"
    if dark:
        assert max(page_colour) < 40, page_colour
        assert max(card_colour) < 60, card_colour
    else:
        assert page_colour == (0xF4, 0xF5, 0xF7)
        assert card_colour == (0xFF, 0xFF, 0xFF)
    name = f"digest-{language}{'-dark' if dark else ''}.png"
    target = STATIC / name
    if not target.exists() or target.read_bytes() != png:
        target.write_bytes(png)
