"""The outbox's pure rules: ``outbox_items`` (an event's decisions as items) and ``retry_at``
(the backoff), without a store; and the catch-up and digest items the service makes with them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    SLACK_CHANNEL,
    Channel,
    ConversationCreated,
    Decision,
    Event,
    Member,
    MemberMentioned,
    MessageCatalog,
    OutboxItem,
    OutboxStatus,
    Outcome,
    QuietMode,
    ReasonCode,
    Role,
    Roster,
    ValidationError,
    WorkspaceSettings,
    decide,
    outbox_items,
    retry_at,
)
from notifpolicy import _outbox as outbox_module
from notifpolicy._catchup import CatchUp, catchup_text
from notifpolicy._outbox import ItemTexts, backoff, catchup_items, digest_items

from .test_decide import MORNING, NIGHT, NOON, ROSTER, Scenario, scenarios, settings

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TEMPLATE = "https://desk.example/c/{conversation_id}"


def items_for(
    event: Event, s: WorkspaceSettings, now: dt.datetime, roster: Roster = ROSTER, **kwargs: Any
) -> tuple[tuple[Decision, ...], tuple[OutboxItem, ...]]:
    decisions = decide(event, settings=s, roster=roster, preferences={}, now=now)
    return decisions, outbox_items(
        event, decisions, workspace_id="ws", settings=s, now=now, **kwargs
    )


# -- outbox_items -----------------------------------------------------------------------------


def test_deliveries_are_due_now_with_their_texts_and_slack_carries_its_payload():
    event = ConversationCreated(
        id="e1", conversation_id="c1", subject="Refund\nplease", customer="Ada <ada@example.org>"
    )
    decisions, items = items_for(event, settings(), NOON, conversation_url_template=TEMPLATE)
    assert len(items) == len(decisions)
    assert all(i.due_at == NOON and i.status is OutboxStatus.PENDING for i in items)
    email = next(i for i in items if i.recipient == "bo")
    assert email.id == "ws:e1:bo:email"
    assert (email.workspace_id, email.event_id, email.conversation_id) == ("ws", "e1", "c1")
    assert email.kinds == ("new_conversation", "unassigned_conversation")
    # One line: the customer's line break does not reach the subject.
    assert email.subject == "New conversation, unassigned conversation: Refund please"
    assert email.text == (
        "New conversation, unassigned conversation: Refund please\n"
        "Ada <ada@example.org>\nhttps://desk.example/c/c1\n"
    )
    slack = items[-1]
    assert (slack.id, slack.recipient, slack.channel) == (
        "ws:e1:slack:slack",
        "slack",
        Channel.SLACK,
    )
    payload = json.loads(slack.body or "")
    assert slack.subject == payload["text"]
    assert "blocks" in payload
    assert "hooks.slack.com" not in repr(items)  # the webhook URL is never in an item


def test_a_deferral_is_due_when_quiet_hours_end():
    event = MemberMentioned(id="e2", conversation_id="c1", author_id="ann", mentioned=["bo"])
    decisions, items = items_for(event, settings(quiet=QuietMode.DEFER), NIGHT)
    assert [d.outcome for d in decisions] == [Outcome.DEFER]
    (item,) = items
    assert item.due_at == MORNING == decisions[0].deliver_at
    assert item.status is OutboxStatus.PENDING


def test_summarized_decisions_are_held_records_and_other_suppressions_make_no_item():
    event = MemberMentioned(id="e3", conversation_id="c1", author_id="ann", mentioned=["bo"])
    decisions, items = items_for(event, settings(quiet=QuietMode.SUMMARIZE), NIGHT)
    (held,) = items
    assert held.status is OutboxStatus.HELD
    assert held.due_at == MORNING
    assert Decision.from_dict(json.loads(held.body or "")) == decisions[0]
    _, items = items_for(event, settings(quiet=QuietMode.SUPPRESS), NIGHT)
    assert items == ()


def test_ids_escape_host_ids_like_every_key():
    roster = Roster([Member("a:b", Role.AGENT)])
    event = ConversationCreated(id="e:1", conversation_id="c1")
    s = settings(webhook=False)
    decisions = decide(event, settings=s, roster=roster, preferences={}, now=NOON)
    items = outbox_items(event, decisions, workspace_id="ws:1", settings=s, now=NOON)
    assert [i.id for i in items] == [
        "ws%3A1:e%3A1:a%3Ab:in_app",
        "ws%3A1:e%3A1:a%3Ab:email",
        "ws%3A1:e%3A1:a%3Ab:push",
    ]
    assert {(i.workspace_id, i.event_id, i.recipient) for i in items} == {("ws:1", "e:1", "a:b")}


def test_texts_follow_the_language_and_catalog():
    event = ConversationCreated(id="e1", conversation_id="c1", assignee="ann")
    _, items = items_for(event, settings(webhook=False), NOON, language="nl")
    assert items[0].subject == "Nieuw gesprek"
    assert items[0].text == "Nieuw gesprek\n"
    catalog = MessageCatalog.default().with_messages(
        {"en": {"kind.new_conversation": "fresh ticket"}}
    )
    _, items = items_for(event, settings(webhook=False), NOON, catalog=catalog)
    assert items[0].subject == "Fresh ticket"
    # Another catalog with the same language is not served from the first one's titles.
    _, items = items_for(event, settings(webhook=False), NOON)
    assert items[0].subject == "New conversation"


def test_the_title_cache_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(outbox_module, "_TITLE_LIMIT", 1)
    monkeypatch.setattr(outbox_module, "_TITLES", {})
    created = ConversationCreated(id="e1", conversation_id="c1")
    mention = MemberMentioned(id="e2", conversation_id="c1", author_id="ann", mentioned=["bo"])
    _, first = items_for(created, settings(webhook=False), NOON)
    _, second = items_for(mention, settings(webhook=False), NOON)
    assert len(outbox_module._TITLES) == 1
    assert (first[0].subject, second[0].subject) == (
        "New conversation, unassigned conversation",
        "Mention",
    )


def test_bad_arguments_are_reported_together():
    event = ConversationCreated(id="e1", conversation_id="c1")
    other = decide(
        ConversationCreated(id="e9", conversation_id="c1"),
        settings=settings(),
        roster=ROSTER,
        preferences={},
        now=NOON,
    )
    with pytest.raises(ValidationError) as caught:
        outbox_items(
            "e1",  # type: ignore[arg-type]
            [other[0], "d"],  # type: ignore[list-item]
            workspace_id="",
            settings={},  # type: ignore[arg-type]
            now=dt.datetime(2026, 3, 2),
            language="xx",
            conversation_url_template=7,  # type: ignore[arg-type]
        )
    assert [p.path for p in caught.value.problems] == [
        "language",
        "workspace_id",
        "now",
        "event",
        "settings",
        "conversation_url_template",
        "decisions[1]",
    ]
    with pytest.raises(ValidationError) as caught:
        outbox_items(event, other, workspace_id="ws", settings=settings(), now=NOON)
    assert {p.path for p in caught.value.problems} == {
        f"decisions[{i}].event_id" for i in range(len(other))
    }
    assert "must be the event's id 'e1', got 'e9'" in str(caught.value)
    with pytest.raises(ValidationError, match="catalog: must be a MessageCatalog or None"):
        outbox_items(event, (), workspace_id="ws", settings=settings(), now=NOON, catalog={})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="decisions: must be an iterable, got int"):
        outbox_items(event, 3, workspace_id="ws", settings=settings(), now=NOON)  # type: ignore[arg-type]


@given(scenarios())
def test_one_item_per_decision_that_is_sent_or_summarized(scenario: Scenario):
    event, s, roster, prefs, now = scenario
    decisions = decide(event, settings=s, roster=roster, preferences=prefs, now=now)
    items = outbox_items(event, decisions, workspace_id="w:1", settings=s, now=now)
    kept = [
        d
        for d in decisions
        if d.outcome is not Outcome.SUPPRESS or ReasonCode.QUIET_HOURS_SUMMARIZE in d.codes()
    ]
    assert len(items) == len(kept)
    assert len({i.id for i in items}) == len(items)  # ids are unique per event
    for d, item in zip(kept, items, strict=True):
        assert item.id.startswith("w%3A1:")
        assert (item.recipient, item.channel, item.kinds) == (str(d.recipient), d.channel, d.kinds)
        if d.outcome is Outcome.DELIVER:
            assert (item.due_at, item.status) == (now, OutboxStatus.PENDING)
        elif d.outcome is Outcome.DEFER:
            assert (item.due_at, item.status) == (d.deliver_at, OutboxStatus.PENDING)
        else:
            assert (item.due_at, item.status) == (d.held_until, OutboxStatus.HELD)
        assert (item.body is not None) == (
            d.recipient is SLACK_CHANNEL or d.outcome is Outcome.SUPPRESS
        )
    # The same event decided again gives the same items.
    assert outbox_items(event, decisions, workspace_id="w:1", settings=s, now=now) == items


# -- catch-up and digest items ---------------------------------------------------------------


def test_catchup_items_one_per_channel_with_the_catchup_text():
    catchup = CatchUp(
        "ann", MORNING, {"mention": 2}, ("c1",), (Channel.EMAIL,), (Channel.IN_APP, Channel.EMAIL),
        "ws:quiet_hours_summary:ann:2026-03-03T07:00:00+00:00",
    )  # fmt: skip
    items = catchup_items(catchup, workspace_id="ws", now=MORNING, texts=ItemTexts(language="nl"))
    text = catchup_text(catchup, language="nl")
    assert [(i.id, i.channel) for i in items] == [
        (f"{catchup.key}:in_app", Channel.IN_APP),
        (f"{catchup.key}:email", Channel.EMAIL),
    ]
    assert all(
        (i.kinds, i.subject, i.text, i.due_at, i.event_id, i.recipient)
        == (("quiet_hours_summary",), text, text + "\n", MORNING, catchup.key, "ann")
        for i in items
    )
    with pytest.raises(ValidationError) as caught:
        catchup_items("x", workspace_id=None, now=NOON, texts=ItemTexts(language="xx"))  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["language", "workspace_id", "catchup"]


def test_digest_items_refuse_bad_arguments_together():
    with pytest.raises(ValidationError) as caught:
        digest_items(
            None,  # type: ignore[arg-type]
            (),
            [],  # type: ignore[arg-type]
            "now",  # type: ignore[arg-type]
            ItemTexts(catalog="catalog"),  # type: ignore[arg-type]
        )
    assert [p.path for p in caught.value.problems] == ["catalog", "now", "report", "roster"]


# -- retry_at ---------------------------------------------------------------------------------


def test_the_backoff_doubles_from_base_up_to_the_cap_with_equal_jitter():
    waits = [retry_at(n, now=T0, jitter=1.0) - T0 for n in range(1, 10)]
    assert (
        waits
        == [dt.timedelta(seconds=30 * 2 ** (n - 1)) for n in range(1, 8)]
        + [dt.timedelta(hours=1)] * 2
    )
    assert retry_at(1, now=T0, jitter=0.0) == T0 + dt.timedelta(seconds=15)
    assert retry_at(2, now=T0, jitter=0.5) == T0 + dt.timedelta(seconds=45)
    # Jitter outside [0, 1] is clamped to it.
    assert retry_at(1, now=T0, jitter=-3) == retry_at(1, now=T0, jitter=0.0)
    assert retry_at(1, now=T0, jitter=7.5) == retry_at(1, now=T0, jitter=1.0)
    # A thousand attempts with a long base reach the cap, not an overflow.
    day = dt.timedelta(days=1)
    assert retry_at(1000, now=T0, jitter=1.0, base=day, cap=300 * day) == T0 + 300 * day
    assert backoff(3, base=dt.timedelta(seconds=10), cap=day, jitter=1.0) == dt.timedelta(
        seconds=40
    )


def test_retry_after_is_used_exactly_within_the_cap_and_never_in_the_past():
    later = T0 + dt.timedelta(minutes=5)
    assert retry_at(1, now=T0, jitter=0.0, retry_after=later) == later
    far = T0 + dt.timedelta(days=2)
    assert retry_at(1, now=T0, jitter=0.0, retry_after=far) == T0 + dt.timedelta(hours=1)
    past = T0 - dt.timedelta(minutes=5)
    assert retry_at(1, now=T0, jitter=0.0, retry_after=past) == T0 + dt.timedelta(microseconds=1)
    # A zero base retries a microsecond later, not at the same instant.
    zero = dt.timedelta(0)
    assert retry_at(4, now=T0, jitter=1.0, base=zero) == T0 + dt.timedelta(microseconds=1)


def test_the_result_is_utc_real_time_whatever_the_zone_of_now():
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    now = T0.astimezone(amsterdam)
    result = retry_at(1, now=now, jitter=1.0)
    assert result.tzinfo is UTC
    assert result == T0 + dt.timedelta(seconds=30)
    assert retry_at(1, now=now, jitter=0.0, retry_after=now + dt.timedelta(minutes=1)).tzinfo is UTC


def test_bad_retry_arguments_are_reported_together():
    with pytest.raises(ValidationError) as caught:
        retry_at(
            0,
            now=dt.datetime(2026, 3, 2),
            jitter=float("nan"),
            base=-dt.timedelta(seconds=1),
            cap=60,  # type: ignore[arg-type]
            retry_after="soon",  # type: ignore[arg-type]
        )
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("attempts", "range"),
        ("base", "range"),
        ("cap", "range"),
        ("jitter", "type"),
        ("now", "naive_datetime"),
        ("retry_after", "type"),
    ]
    with pytest.raises(ValidationError, match="attempts: must be an integer of at least 1"):
        retry_at(True, now=T0, jitter=0.5)
    with pytest.raises(ValidationError, match="jitter: must be a number"):
        backoff(1, base=dt.timedelta(1), cap=dt.timedelta(1), jitter="0.5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cap: must leave now \\+ cap before the year 10000"):
        retry_at(1, now=T0, jitter=0.0, retry_after=T0, cap=dt.timedelta(days=3_000_000))


seconds = st.integers(min_value=0, max_value=10**7).map(lambda s: dt.timedelta(seconds=s))
micros = st.integers(min_value=0, max_value=10**6).map(lambda u: dt.timedelta(microseconds=u))
durations = st.builds(lambda a, b: a + b, seconds, micros)
jitters = st.floats(min_value=0.0, max_value=1.0)
nows = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(st.integers(1, 200), durations, durations, jitters, nows)
def test_the_backoff_law(attempts, base, cap, jitter, now):
    """``now + c/2 <= retry_at <= now + c`` with ``c = min(cap, base * 2**min(attempts-1, 30))``,
    never at ``now`` itself; more attempts never retry sooner, nor does more jitter."""
    # In whole microseconds, so that the law's own arithmetic cannot overflow; the exponent
    # stops at 30 (about a billion times the base), as the code's does.
    us = dt.timedelta(microseconds=1)
    ceiling = min(cap // us, base // us * 2 ** min(attempts - 1, 30)) * us
    at = retry_at(attempts, now=now, jitter=jitter, base=base, cap=cap)
    floor = now + dt.timedelta(microseconds=1)
    assert max(now + ceiling / 2, floor) <= at <= max(now + ceiling, floor)
    assert at <= max(now + cap, floor)
    assert at == max(now + backoff(attempts, base=base, cap=cap, jitter=jitter), floor)
    assert retry_at(attempts + 1, now=now, jitter=jitter, base=base, cap=cap) >= at
    assert retry_at(attempts, now=now, jitter=1.0, base=base, cap=cap) >= at
    assert retry_at(attempts, now=now, jitter=0.0, base=base, cap=cap) <= at


@given(st.integers(1, 50), durations, durations, jitters, nows, st.integers(-(10**7), 10**8))
def test_retry_after_is_clamped_into_the_next_microsecond_to_the_cap(
    attempts, base, cap, jitter, now, offset
):
    retry_after = now + dt.timedelta(seconds=offset)
    at = retry_at(attempts, now=now, jitter=jitter, base=base, cap=cap, retry_after=retry_after)
    assert at == max(min(retry_after, now + cap), now + dt.timedelta(microseconds=1))


def test_a_retry_after_at_the_ends_of_time_is_clamped_not_an_error():
    # A transport may parse any Retry-After: instants whose UTC form does not exist (year 1 at
    # +14:00, year 9999 at -05:00) are clamped like any other, not blamed on the cap.
    latest = dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=14)))
    assert retry_at(1, now=T0, jitter=0.5, retry_after=latest) == T0 + dt.timedelta(hours=1)
    assert retry_at(1, now=T0, jitter=0.5, retry_after=earliest) == T0 + dt.timedelta(
        microseconds=1
    )


@pytest.mark.parametrize(
    "template",
    ["https://desk.example/c/{foo}", "https://desk.example/c/{", "https://desk.example/c/{0}",
     "https://desk.example/c/{conversation_id.x}", "ftp://desk.example/{conversation_id}"],
)  # fmt: skip
def test_a_bad_link_template_is_a_validation_error_before_any_item(template):
    # One rule for the link in an email and in a Slack message (docs/concepts/slack.md); before,
    # the email text formatted it with str.format and let KeyError or IndexError escape.
    event = ConversationCreated(id="e1", conversation_id="c1")
    with pytest.raises(ValidationError) as caught:
        items_for(event, settings(), NOON, conversation_url_template=template)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("conversation_url_template", "template")
    ]


def test_the_email_link_percent_encodes_the_conversation_id_as_the_slack_link_does():
    event = ConversationCreated(id="e1", conversation_id="c 1/x")
    _, items = items_for(event, settings(), NOON, conversation_url_template=TEMPLATE)
    email = next(i for i in items if i.channel is Channel.EMAIL)
    assert email.text.endswith("\nhttps://desk.example/c/c%201%2Fx\n")


def test_a_jitter_too_large_for_a_float_is_clamped_like_any_other():
    assert retry_at(1, now=T0, jitter=10**400) == retry_at(1, now=T0, jitter=1.0)
    assert retry_at(1, now=T0, jitter=-(10**400)) == retry_at(1, now=T0, jitter=0.0)
