"""The Slack payload: valid Block Kit, escaped user text, no secret."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from notifpolicy import (
    Channel,
    EscalationRule,
    EscalationSettings,
    Kind,
    KindRegistry,
    Member,
    QuietHours,
    QuietMode,
    Recipients,
    Role,
    Roster,
    SlackEvent,
    SlackSettings,
    ValidationError,
    WorkspaceSettings,
)
from notifpolicy._decide import decide
from notifpolicy._decision import SLACK_CHANNEL, Decision, Outcome
from notifpolicy._events import (
    ConversationCreated,
    DigestReady,
    EscalationDue,
    Event,
    HostEvent,
)
from notifpolicy._reasons import Reason, ReasonCode
from notifpolicy._slack_payload import escape_slack, slack_payload
from notifpolicy.testing._decision_strategies import user_texts

UTC = dt.UTC
URL = "https://hooks.slack.com/services/T0/B0/very-secret-token"
TEMPLATE = "https://desk.example/c/{conversation_id}"
NOON = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
SETTINGS = WorkspaceSettings(timezone="Europe/Amsterdam", slack=SlackSettings(URL))
ROSTER = Roster([Member("ann", Role.ADMIN, "Anna")])
TITLE = "New conversation · Unassigned conversation"


def slack_decision(event: Event, s: WorkspaceSettings = SETTINGS, **kw: Any) -> Decision:
    [d] = [d for d in decide(event, settings=s, roster=ROSTER, preferences={}, now=NOON, **kw)
           if d.is_slack]  # fmt: skip
    return d


def check_block_kit(payload: dict[str, Any]) -> None:
    """Every block parses as the official SDK's model, validates, and loses nothing."""
    assert isinstance(payload["text"], str)
    assert payload["text"]
    for block in payload["blocks"]:
        model = Block.parse(block)
        assert model is not None, block
        model.validate_json()
        assert model.to_dict() == block
    json.dumps(payload)  # JSON-ready


def texts(payload: dict[str, Any]) -> list[str]:
    """Every text a person sees: the fallback and each text object."""
    found = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            found.append(element["text"])
    return found


def test_a_new_conversation_with_subject_customer_and_link():
    event = ConversationCreated(
        id="e1", conversation_id="c42", subject="Refund please", customer="Ada Lovelace"
    )
    payload = slack_payload(
        slack_decision(event), event, settings=SETTINGS, conversation_url_template=TEMPLATE
    )
    check_block_kit(payload)
    assert payload == {
        "text": f"{TITLE}: Refund please",
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": "New conversation · Unassigned conversation",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Subject:* Refund please\n*Customer:* Ada Lovelace",
                    "verbatim": True,
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Conversation c42 · <https://desk.example/c/c42|Open conversation>",
                        "verbatim": True,
                    }
                ],
            },
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def test_user_text_cannot_ping_the_channel_or_smuggle_a_link():
    event = ConversationCreated(
        id="e1",
        conversation_id="c<1>",
        subject="<!channel> urgent & <https://evil.example|your bank>",
        customer="Mallory <@U0123>",
    )
    payload = slack_payload(
        slack_decision(event), event, settings=SETTINGS, conversation_url_template=TEMPLATE
    )
    check_block_kit(payload)
    rendered = "\n".join(texts(payload))
    assert "<!channel>" not in rendered
    assert "<@U0123>" not in rendered
    assert "<https://evil" not in rendered
    assert "&lt;!channel&gt; urgent &amp; &lt;https://evil.example|your bank&gt;" in rendered
    assert "Mallory &lt;@U0123&gt;" in rendered
    # The one link is ours, with the id percent-encoded.
    assert re.findall(r"<[^>]*>", rendered) == [
        "<https://desk.example/c/c%3C1%3E|Open conversation>"
    ]
    assert "Conversation c&lt;1&gt;" in rendered


def test_escape_slack_is_the_three_entities():
    assert escape_slack("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape_slack("&amp;") == "&amp;amp;"  # escaped again: the text is shown as typed


def test_escalation_titles_say_the_workspace_threshold():
    s = WorkspaceSettings(
        slack=SlackSettings(URL),
        escalation=EscalationSettings(EscalationRule(True, 45), EscalationRule(True, 20)),
    )
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    payload = slack_payload(slack_decision(event, s), event, settings=s)
    check_block_kit(payload)
    assert payload["text"] == "Escalation: unassigned for 45 minutes"
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_first_response")
    payload = slack_payload(slack_decision(event, s), event, settings=s, language="nl")
    assert payload["text"] == "Escalatie: geen eerste reactie binnen 20 minuten"
    # Without subject or customer there is no section, and without a template no link.
    assert [b["type"] for b in payload["blocks"]] == ["header", "context"]


def test_a_deferred_message_has_the_same_payload():
    s = WorkspaceSettings(
        timezone="Europe/Amsterdam",
        slack=SlackSettings(URL),
        quiet_hours=QuietHours(dt.time(11), dt.time(13), mode=QuietMode.DEFER),
    )
    event = ConversationCreated(id="e", conversation_id="c", subject="Hi")
    deferred = slack_decision(event, s)
    assert deferred.outcome is Outcome.DEFER
    now = slack_decision(event)
    assert slack_payload(deferred, event, settings=s) == slack_payload(now, event, settings=s)


def test_the_webhook_url_is_never_in_the_payload():
    event = ConversationCreated(id="e", conversation_id="c", subject=URL, customer="x")
    payload = slack_payload(slack_decision(event), event, settings=SETTINGS)
    check_block_kit(payload)
    # The subject happens to be the URL text: it is shown as typed, but no field of the
    # settings is copied into the payload.
    event = ConversationCreated(id="e", conversation_id="c")
    assert "very-secret-token" not in json.dumps(
        slack_payload(slack_decision(event), event, settings=SETTINGS)
    )


def test_long_texts_are_clipped_to_block_kit_limits():
    event = ConversationCreated(
        id="e", conversation_id="c" * 300, subject="<&>" * 2000, customer="&" * 500
    )
    payload = slack_payload(
        slack_decision(event), event, settings=SETTINGS, conversation_url_template=TEMPLATE
    )
    check_block_kit(payload)
    section = payload["blocks"][1]["text"]["text"]
    assert "…" in section
    assert not re.search(r"&(?!amp;|lt;|gt;)", section)  # no entity cut in half


def test_host_kinds_use_their_title_or_their_label():
    registry = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True,
             slack_event=SlackEvent.ESCALATION),
    )  # fmt: skip
    event = HostEvent(id="e", kinds=("refund_requested",), conversation_id="c")
    d = slack_decision(event, kinds=registry)
    payload = slack_payload(d, event, settings=SETTINGS)
    check_block_kit(payload)
    assert payload["text"] == "refund_requested"


def test_only_a_slack_decision_that_delivers_has_a_payload():
    event = ConversationCreated(id="e", conversation_id="c")
    member = decide(event, settings=SETTINGS, roster=ROSTER, preferences={}, now=NOON)[0]
    with pytest.raises(ValidationError) as info:
        slack_payload(member, event, settings=SETTINGS)
    assert info.value.problems[0].path == "decision"
    suppressed = Decision.of(
        SLACK_CHANNEL,
        Channel.SLACK,
        event.kinds,
        event_id="e",
        conversation_id="c",
        outcome=Outcome.SUPPRESS,
        reasons=(Reason(ReasonCode.SLACK_NOT_CONFIGURED),),
    )
    with pytest.raises(ValidationError) as info:
        slack_payload(suppressed, event, settings=SETTINGS)
    assert info.value.problems[0].code == "not_delivered"
    other = ConversationCreated(id="e9", conversation_id="c")
    with pytest.raises(ValidationError) as info:
        slack_payload(slack_decision(event), other, settings=SETTINGS)
    assert info.value.problems[0].path == "event.id"
    with pytest.raises(ValidationError):
        slack_payload(slack_decision(event), "event", settings=SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        slack_payload(slack_decision(event), event, settings={})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        slack_payload(slack_decision(event), event, settings=SETTINGS, language="fr")


@pytest.mark.parametrize(
    "template",
    [
        "ftp://desk.example/{conversation_id}",
        "https://desk.example/c/",  # no placeholder
        "https://desk.example/{conversation_id}/{conversation_id}",
        "https://desk.example/{id}/{conversation_id}",
        "https://desk.example/c/{conversation_id}|<!channel>",
        "https://desk.example/c/ {conversation_id}",
        "javascript:alert(1)//{conversation_id}",
        3,
    ],
)
def test_bad_url_templates_are_validation_errors(template):
    event = ConversationCreated(id="e", conversation_id="c")
    with pytest.raises(ValidationError) as info:
        slack_payload(slack_decision(event), event, settings=SETTINGS,
                      conversation_url_template=template)  # fmt: skip
    assert info.value.problems[0].path == "conversation_url_template"


def test_a_digest_has_no_conversation_context():
    registry = KindRegistry.default().with_kinds(
        Kind("report_ready", Recipients.ALL_MEMBERS, overridable=True,
             slack_event=SlackEvent.NEW_CONVERSATION),
    )  # fmt: skip
    event = HostEvent(id="e", kinds=("report_ready",), subject="Weekly")
    payload = slack_payload(
        slack_decision(event, kinds=registry), event, settings=SETTINGS,
        conversation_url_template=TEMPLATE,
    )  # fmt: skip
    check_block_kit(payload)
    assert [b["type"] for b in payload["blocks"]] == ["header", "section"]
    assert DigestReady(id="d", kind="daily_summary").conversation_id is None


@given(
    st.none() | user_texts(),
    st.none() | user_texts(),
    user_texts(),
    st.sampled_from(["en", "nl"]),
    st.booleans(),
)
def test_any_user_text_gives_valid_block_kit_with_only_our_link(
    subject, customer, conversation_id, language, link
):
    event = ConversationCreated(
        id="e", conversation_id=conversation_id, subject=subject, customer=customer
    )
    payload = slack_payload(
        slack_decision(event),
        event,
        settings=SETTINGS,
        conversation_url_template=TEMPLATE if link else None,
        language=language,
    )
    check_block_kit(payload)
    rendered = "\n".join(texts(payload))
    # Every `<` in the output opens our own link: user text never brings one.
    assert rendered.count("<") == (1 if link else 0)
    assert rendered.count(">") == (1 if link else 0)
    assert (
        slack_payload(
            slack_decision(event),
            event,
            settings=SETTINGS,
            conversation_url_template=TEMPLATE if link else None,
            language=language,
        )
        == payload
    )
