"""Digests through the service: each member's language, roster names, the workspace's target,
and the one-click unsubscribe URL, down to the headers a real SMTP server receives."""

from __future__ import annotations

import datetime as dt
import email
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from notifpolicy import (
    Channel,
    Member,
    MessageCatalog,
    RenderedDigest,
    Role,
    ValidationError,
    render_digest,
)
from notifpolicy import _outbox as outbox_module
from notifpolicy._digest_figures import ConversationRecord, Reply
from notifpolicy._events import MemberMentioned
from notifpolicy.adapters.smtp import SmtpTransport
from notifpolicy.testing.fakes import InMemoryStore

from ._servers import smtp_server
from .test_service import OWNER, World, make_world, store  # noqa: F401 -- store: a fixture

MONDAY_NINE = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)  # 09:00 CEST: the weekly report
WEEKLY = {
    "digests": {"weekly": {"enabled": True, "weekday": "monday", "send_time": "09:00"}},
    "escalation": {"first_response": {"after_minutes": 60}},
}
DE = {
    **MessageCatalog.default().messages("en"),
    "digest.weekly_report.subject": "Wochenbericht, {dates}",
}


def team(*members: Member) -> list[Member]:
    return [OWNER, *members]


def records() -> list[ConversationRecord]:
    created = MONDAY_NINE - dt.timedelta(days=2)
    answered = created + dt.timedelta(minutes=30)
    return [
        ConversationRecord(
            "c1", created, first_response_at=answered, replies=[Reply("anna", answered)]
        )
    ]


def weekly_world(store_, members: list[Member], **kw: object) -> World:
    w = make_world(store_, WEEKLY, **kw)
    w.host.members = members
    w.host.records = records()
    return w


def mails(w: World) -> dict[str, tuple[str, str, str | None]]:
    return {
        d.item.recipient: (d.item.subject, d.item.text, d.item.unsubscribe_url)
        for d in w.transports[Channel.EMAIL].sent
    }


def test_each_member_reads_the_digest_in_their_language(store, monkeypatch):  # noqa: F811
    members = team(
        Member("anna", Role.AGENT, "Anna", email="anna@example.org", language="nl"),
        Member("bert", Role.AGENT, "Bert", email="bert@example.org", language="de"),
        Member("noor", Role.AGENT, "Noor", email="noor@example.org", language="nl"),
    )
    catalog = MessageCatalog.default().with_language("de", DE)
    w = weekly_world(store, members, catalog=catalog)
    rendered: list[str] = []

    def counting(*args: Any, **kwargs: Any) -> RenderedDigest:
        rendered.append(str(kwargs["language"]))
        return render_digest(*args, **kwargs)

    # The real renderer, counted: one rendering per language, not per member.  The service
    # makes digest items with `notifpolicy._outbox.digest_items`, which renders.
    monkeypatch.setattr(outbox_module, "render_digest", counting)
    report = w.service.tick(now=MONDAY_NINE)
    assert [p.kind for p in report.digests] == ["weekly_report"]
    assert report.errors == ()
    sent = mails(w)
    assert sent["olga"][0] == "Weekly report, 23 \u2013 29 Mar 2026"  # the service's language
    assert sent["anna"][0] == "Wekelijks rapport, 23 \u2013 29 mrt 2026"
    assert sent["noor"][0] == sent["anna"][0]
    assert sent["bert"][0] == "Wochenbericht, 23 \u2013 29 Mar 2026"
    # One rendering per language, not per member.
    assert sorted(rendered) == ["de", "en", "nl"]


def test_the_service_renders_with_roster_names_and_the_workspaces_target(store):  # noqa: F811
    members = team(Member("anna", Role.AGENT, "Anna de Vries", email="anna@example.org"))
    w = weekly_world(store, members)
    w.service.tick(now=MONDAY_NINE)
    text = mails(w)["anna"][1]
    assert "  1. Anna de Vries: 1 handled \u00b7 median first response 30 min 00 s" in text
    assert "  Within the 60-minute target: 100 %" in text
    assert "23 Mar, 09:00 to 30 Mar 2026, 09:00 (Europe/Amsterdam)" in text


def test_a_language_the_catalog_lacks_is_reported_and_the_service_language_used(store):  # noqa: F811
    members = team(Member("anna", Role.AGENT, "Anna", email="anna@example.org", language="fr"))
    w = weekly_world(store, members, language="nl")
    report = w.service.tick(now=MONDAY_NINE)
    assert mails(w)["anna"][0].startswith("Wekelijks rapport, ")
    (error,) = report.errors
    assert isinstance(error, ValidationError)
    (problem,) = error.problems
    assert (problem.path, problem.code) == ("roster.anna.language", "unknown_language")
    assert problem.message == "must be one of en, nl, got 'fr'; sent in 'nl'"
    # Claimed once: the next tick reports nothing again.
    assert w.service.tick(now=MONDAY_NINE + dt.timedelta(minutes=1)).errors == ()


def test_digest_emails_carry_the_unsubscribe_url_of_their_member_and_kind(store):  # noqa: F811
    members = team(Member("a b/c", Role.AGENT, "Anna", email="anna@example.org"))
    template = "https://desk.example/digests/off?member={member_id}&digest={kind}"
    w = weekly_world(store, members, digest_unsubscribe_url_template=template)
    w.service.tick(now=MONDAY_NINE)
    sent = mails(w)
    assert sent["a b/c"][2] == (
        "https://desk.example/digests/off?member=a%20b%2Fc&digest=weekly_report"
    )
    assert sent["olga"][2] == "https://desk.example/digests/off?member=olga&digest=weekly_report"


def test_without_a_template_there_is_no_unsubscribe_url(store):  # noqa: F811
    w = weekly_world(store, team())
    w.service.tick(now=MONDAY_NINE)
    assert mails(w)["olga"][2] is None


def test_one_click_unsubscribe_arrives_at_a_real_smtp_server():
    template = "https://desk.example/off/{kind}/{member_id}"
    with smtp_server(tls=False) as (sink, port, _):
        w = weekly_world(
            InMemoryStore(),
            team(Member("anna", Role.AGENT, "Anna", email="anna@example.org", language="nl")),
            digest_unsubscribe_url_template=template,
        )
        w.service._transports[Channel.EMAIL] = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        report = w.service.tick(now=MONDAY_NINE)
    assert sorted(report.sent) == [
        "ws:weekly_report:2026-W14:anna",
        "ws:weekly_report:2026-W14:olga",
    ]
    received: dict[str, EmailMessage] = {}
    for _, rcpts, raw in sink.messages:
        msg = email.message_from_bytes(raw, policy=default)
        assert isinstance(msg, EmailMessage)
        received[rcpts[0]] = msg
    anna = received["anna@example.org"]
    assert anna["List-Unsubscribe"] == "<https://desk.example/off/weekly_report/anna>"
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert anna["Subject"] == "Wekelijks rapport, 23 \u2013 29 mrt 2026"
    assert received["olga@example.org"]["List-Unsubscribe"] == (
        "<https://desk.example/off/weekly_report/olga>"
    )


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("http://desk.example/off/{member_id}", "must be an https:// URL (RFC 8058)"),
        ("https://desk.example/off", "must use {member_id}"),
        ("https://desk.example/off/{member}", "got {member}"),
        ("https://desk.example/off/{member_id}/{0}", "got {0}, {member_id}"),
        ("https://desk.example/off/{member_id!r}", "may not format or convert"),
        ("https://desk.example/off/{member_id", "is not a valid template"),
        ("https://desk.example/off/{member_id}\r\nBcc: x@y.org", "control characters"),
        ("https://desk.example/off/<{member_id}>", "angle brackets"),
        (42, "must be a string, got int"),
    ],
)
def test_an_unusable_unsubscribe_template_is_refused_when_the_service_is_built(template, needle):
    with pytest.raises(ValidationError) as info:
        make_world(InMemoryStore(), digest_unsubscribe_url_template=template)
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("digest_unsubscribe_url_template", "template")
    assert needle in problem.message


def test_records_that_are_not_records_are_reported_and_the_rest_of_the_tick_goes_on(store):  # noqa: F811
    """A digest source handing over dicts is the host's bug: the digest phase reports it, and
    the outbox is still sent (it used to crash the whole tick with an AttributeError)."""
    members = team(Member("anna", Role.AGENT, "Anna", email="anna@example.org"))
    w = weekly_world(store, members)
    w.host.records = [{"id": "c1"}]  # type: ignore[list-item]
    w.service.handle(
        MemberMentioned(id="e9", conversation_id="c9", author_id="olga", mentioned=["anna"]),
        now=MONDAY_NINE - dt.timedelta(hours=2),
        send=False,
    )
    report = w.service.tick(now=MONDAY_NINE)
    (error,) = report.errors
    assert isinstance(error, ValidationError)
    assert [(p.path, p.code) for p in error.problems] == [("records[0]", "type")]
    assert report.digests == ()
    assert report.sent  # the mention went out all the same
