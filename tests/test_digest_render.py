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
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Member, Role, Roster, ValidationError, WorkspaceSettings
from notifpolicy._digest import DigestReport, build_report
from notifpolicy._digest_render import render_digest
from notifpolicy._digest_report import ConversationRecord, Reply

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
        "body",
        "table",
        "tr",
        "td",
        "h1",
        "h2",
        "p",
    }
    assert "<img" not in email.html
    # The name is in the HTML only in its escaped form, and reads back as itself.
    assert html.escape(name) in email.html
    assert name in "".join(parser.text) or not name.strip()
