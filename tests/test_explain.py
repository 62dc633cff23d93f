"""explain(): decisions told to a person, in their language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    Channel,
    Kind,
    KindRegistry,
    Member,
    MemberPreferences,
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
from notifpolicy._catalog import MessageCatalog
from notifpolicy._decide import decide
from notifpolicy._decision import SLACK_CHANNEL, Decision, Outcome
from notifpolicy._events import (
    ConversationCreated,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    Event,
    HostEvent,
    MemberMentioned,
)
from notifpolicy._explain import explain, explain_decision
from notifpolicy._reasons import Reason, ReasonCode
from notifpolicy.testing._decision_strategies import (
    decision_settings,
    events,
    instants,
    preferences_for,
    rosters,
)

UTC = dt.UTC
URL = "https://hooks.slack.com/services/T0/B0/do-not-print-me"
NOON = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
NIGHT = dt.datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
ROSTER = Roster([Member("ann", Role.AGENT, "Anna"), Member("bo", Role.ADMIN, "Bo")])


def settings(mode: QuietMode | None = None, *, webhook: str | None = URL) -> WorkspaceSettings:
    qh = QuietHours(
        dt.time(22), dt.time(8), enabled=mode is not None, mode=mode or QuietMode.SUPPRESS
    )
    return WorkspaceSettings(
        timezone="Europe/Amsterdam", quiet_hours=qh, slack=SlackSettings(webhook)
    )


def lines(
    event: Event,
    *,
    s: WorkspaceSettings | None = None,
    prefs: dict[str, MemberPreferences] | None = None,
    now: dt.datetime = NOON,
    language: str = "en",
    only: tuple[str, str] | None = None,
) -> list[str]:
    s = s or settings()
    decisions = decide(event, settings=s, roster=ROSTER, preferences=prefs or {}, now=now)
    if only is not None:
        decisions = tuple(d for d in decisions if (d.member_id, d.channel.value) == only)
    return explain(decisions, roster=ROSTER, settings=s, language=language).splitlines()


MENTION = MemberMentioned(id="e1", conversation_id="c1", author_id="bo", mentioned=["ann"])
NEW = ConversationCreated(id="e2", conversation_id="c2")


def test_a_delivery():
    assert lines(MENTION, only=("ann", "email")) == ["Anna gets an email (mention)."]


def test_turned_off_by_the_member():
    prefs = {"ann": MemberPreferences.from_dict({"overrides": {"mention": {"email": False}}})}
    assert lines(MENTION, prefs=prefs, only=("ann", "email")) == [
        "Anna does not get an email (mention): they turned off mention notifications by email "
        "in their personal settings."
    ]
    assert lines(MENTION, prefs=prefs, only=("ann", "email"), language="nl") == [
        "Anna krijgt geen e-mail (vermelding): meldingen voor ‘vermelding’ staan per e-mail uit "
        "in de persoonlijke instellingen."
    ]


def test_turned_off_by_the_workspace_default():
    s = attrs.evolve(settings(), defaults={"mention": False})
    assert lines(MENTION, s=s, only=("ann", "push")) == [
        "Anna does not get a push notification (mention): the workspace default for mention "
        "notifications is off."
    ]


def test_escalation_rule_disabled():
    s = settings(webhook=None)
    s = attrs.evolve(s, escalation=attrs.evolve(s.escalation, unassigned=attrs.evolve(
        s.escalation.unassigned, enabled=False)))  # fmt: skip
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    assert lines(event, s=s) == [
        "Bo does not get an in-app notification (escalation: unassigned too long): the workspace "
        "has turned off the escalation rule for unassigned conversations.",
        "Bo does not get an email (escalation: unassigned too long): the workspace has turned "
        "off the escalation rule for unassigned conversations.",
        "Bo does not get a push notification (escalation: unassigned too long): the workspace "
        "has turned off the escalation rule for unassigned conversations.",
        "Slack: not sent (escalation: unassigned too long): the workspace has turned off the "
        "escalation rule for unassigned conversations.",
    ]


def test_a_digest_the_workspace_does_not_send():
    [line, *_] = lines(DigestReady(id="e", kind="daily_summary"), language="nl")
    assert line == (
        "Anna krijgt geen e-mail (dagelijkse samenvatting): de werkruimte heeft de dagelijkse "
        "samenvatting uitgeschakeld."
    )


def test_slack_not_configured_and_not_selected():
    assert lines(NEW, s=settings(webhook=None))[-1] == (
        "Slack: not sent (new conversation, unassigned conversation): no Slack webhook URL is set."
    )
    s = attrs.evolve(settings(), slack=SlackSettings(URL, frozenset({SlackEvent.ESCALATION})))
    assert lines(NEW, s=s)[-1] == (
        "Slack: not sent (new conversation, unassigned conversation): new conversations are not "
        "among the events sent to Slack; unassigned alerts are not among the events sent to Slack."
    )
    assert lines(NEW, s=s, language="nl")[-1] == (
        "Slack: niet verstuurd (nieuw gesprek, niet-toegewezen gesprek): nieuwe gesprekken "
        "worden niet naar Slack gestuurd; niet-toegewezen meldingen worden niet naar Slack "
        "gestuurd."
    )


def test_held_by_quiet_hours_in_each_mode():
    event = ConversationUnassigned(id="e", conversation_id="c")
    assert lines(event, s=settings(QuietMode.SUPPRESS), now=NIGHT)[-1] == (
        "Slack: not sent (unassigned conversation): held by quiet hours 22:00–08:00 "
        "Europe/Amsterdam, mode suppress."
    )
    assert lines(event, s=settings(QuietMode.DEFER), now=NIGHT)[0] == (
        "Anna gets an in-app notification later (unassigned conversation): held by quiet hours "
        "22:00–08:00 Europe/Amsterdam, mode defer: sent at 2026-03-03 08:00."
    )
    summarized = lines(event, s=settings(QuietMode.SUMMARIZE), now=NIGHT)
    assert summarized[0] == (
        "Anna does not get an in-app notification (unassigned conversation): held by quiet "
        "hours 22:00–08:00 Europe/Amsterdam, mode summarize: counted in the catch-up summary."
    )
    assert summarized[-1].endswith(
        "mode summarize: dropped (the catch-up summary goes to members, not to Slack)."
    )
    assert lines(event, s=settings(QuietMode.DEFER), now=NIGHT, language="nl")[0] == (
        "Anna krijgt later een melding in de app (niet-toegewezen gesprek): uitgesteld door de "
        "stille uren 22:00–08:00 Europe/Amsterdam, modus uitstellen: verstuurd om "
        "2026-03-03 08:00."
    )


def test_critical_bypass_and_exempt_digests():
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_first_response")
    assert lines(event, s=settings(QuietMode.SUPPRESS), now=NIGHT)[0] == (
        "Bo gets an in-app notification (escalation: first response late): critical: bypasses "
        "quiet hours 22:00–08:00 Europe/Amsterdam."
    )
    s = settings(QuietMode.SUPPRESS)
    s = attrs.evolve(s, digests=attrs.evolve(s.digests, daily=attrs.evolve(
        s.digests.daily, enabled=True)))  # fmt: skip
    assert lines(DigestReady(id="e", kind="daily_summary"), s=s, now=NIGHT)[0] == (
        "Anna gets an email (daily summary): not held by quiet hours 22:00–08:00 "
        "Europe/Amsterdam: exempt."
    )


def test_nobody_and_former_members():
    assert explain((), roster=ROSTER, settings=settings()) == "Nobody is notified."
    assert explain([], roster=ROSTER, settings=settings(), language="nl") == (
        "Niemand krijgt een melding."
    )
    d = Decision.of("gone", Channel.PUSH, ("mention",), event_id="e", conversation_id="c",
                    outcome=Outcome.DELIVER)  # fmt: skip
    assert explain_decision(d, roster=ROSTER, settings=settings()) == (
        "gone gets a push notification (mention)."
    )


def test_host_kinds_and_host_languages():
    registry = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True,
             slack_event=SlackEvent.ESCALATION),
    )  # fmt: skip
    s = attrs.evolve(settings(), slack=SlackSettings(URL, frozenset()))
    event = HostEvent(id="e", kinds=("refund_requested",), conversation_id="c")
    decisions = decide(event, settings=s, roster=ROSTER, preferences={}, now=NOON, kinds=registry)
    text = explain(decisions, roster=ROSTER, settings=s, kinds=registry)
    assert text.splitlines()[-1] == (
        "Slack: not sent (refund_requested): escalation alerts are not among the events sent to "
        "Slack."
    )
    catalog = MessageCatalog.default()
    catalog = catalog.with_messages(
        {
            "en": {"kind.refund_requested": "refund request"},
            "nl": {"kind.refund_requested": "terugbetalingsverzoek"},
        }
    )
    catalog = catalog.with_language(
        "de", {**catalog.messages("en"), "explain.deliver": "{name} bekommt {channel} ({kinds})."}
    )
    assert explain(decisions[:1], roster=ROSTER, settings=s, catalog=catalog, language="de") == (
        "Bo bekommt an in-app notification (refund request)."
    )


def test_bad_input_is_a_validation_error():
    with pytest.raises(ValidationError) as info:
        explain([], roster=ROSTER, settings=settings(), language="fr")
    assert info.value.problems[0].path == "language"
    with pytest.raises(ValidationError) as info:
        explain(["not a decision"], roster=ROSTER, settings=settings())  # type: ignore[list-item]
    assert info.value.problems[0].path == "decisions[0]"
    with pytest.raises(ValidationError):
        explain(3, roster=ROSTER, settings=settings())  # type: ignore[arg-type]
    bad: list[dict[str, Any]] = [{"roster": []}, {"settings": {}}, {"catalog": {}}, {"kinds": []}]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            explain([], **{"roster": ROSTER, "settings": settings(), **kwargs})


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        explain(
            ["not a decision", 3],  # type: ignore[list-item]
            roster=[],  # type: ignore[arg-type]
            settings=settings(),
            language="fr",
        )
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("roster", "type"),
        ("language", "unknown_language"),
        ("decisions[0]", "type"),
        ("decisions[1]", "type"),
    ]
    assert str(info.value).startswith("4 problems:")


def test_a_bad_catalog_and_a_bad_registry_are_reported_together():
    with pytest.raises(ValidationError) as info:
        explain([], roster=ROSTER, settings=settings(), catalog={}, kinds=[])  # type: ignore[arg-type]
    # In the order the checks ran before they were collected: the catalog, then the registry.
    assert [p.path for p in info.value.problems] == ["catalog", "kinds"]


def test_every_reason_code_has_a_sentence_in_every_shipped_language():
    s = settings(QuietMode.DEFER)
    at = dt.datetime(2026, 3, 3, 7, tzinfo=UTC)
    for language in ("en", "nl"):
        for code in ReasonCode:
            for channel in (Channel.EMAIL, Channel.SLACK):
                outcome = (
                    Outcome.DEFER if code is ReasonCode.QUIET_HOURS_DEFER else Outcome.SUPPRESS
                )
                d = Decision.of(
                    "ann" if channel is Channel.EMAIL else SLACK_CHANNEL,
                    channel,
                    ("mention",),
                    event_id="e",
                    conversation_id="c",
                    outcome=outcome,
                    reasons=(Reason(code, "mention"),),
                    deliver_at=at if outcome is Outcome.DEFER else None,
                )
                line = explain([d], roster=ROSTER, settings=s, language=language)
                assert line.endswith(".")
                assert "{" not in line


@given(
    rosters().flatmap(
        lambda r: st.tuples(st.just(r), events(r), decision_settings(), preferences_for(r))
    ),
    instants(),
    st.sampled_from(["en", "nl"]),
)
def test_one_line_per_decision_and_never_the_webhook_url(case, now, language):
    roster, event, s, prefs = case
    decisions = decide(event, settings=s, roster=roster, preferences=prefs, now=now)
    text = explain(decisions, roster=roster, settings=s, language=language)
    assert len(text.splitlines()) == max(1, len(decisions))
    if s.slack.webhook_url is not None:
        assert s.slack.webhook_url.reveal() not in text
    assert "hooks.slack" not in text


def test_a_kind_that_did_not_count_is_explained():
    """Created unassigned, with new_conversation off: the decision is about the other kind, and
    the sentence says why the first did not count (it used to say nothing)."""
    roster = Roster([Member("ann", Role.AGENT, "Anna", channels=[Channel.IN_APP])])
    prefs = {"ann": MemberPreferences.from_dict({"overrides": {"new_conversation": False}})}
    event = ConversationCreated(id="e1", conversation_id="c1")
    settings = WorkspaceSettings()
    decisions = decide(event, settings=settings, roster=roster, preferences=prefs, now=NOON)
    member = decisions[0]
    assert member.kinds == ("unassigned_conversation",)
    assert member.outcome is Outcome.DELIVER
    assert member.reasons == (Reason(ReasonCode.DISABLED_BY_MEMBER, "new_conversation"),)
    assert explain([member], roster=roster, settings=settings) == (
        "Anna gets an in-app notification (unassigned conversation). Not for new conversation: "
        "they turned off new conversation notifications in the app in their personal settings."
    )
    assert explain([member], roster=roster, settings=settings, language="nl").startswith(
        "Anna krijgt een melding in de app (niet-toegewezen gesprek). Niet voor nieuw gesprek: "
    )


def test_a_slack_event_that_is_not_selected_is_explained_beside_one_that_is():
    settings = WorkspaceSettings.from_dict(
        {
            "slack": {
                "webhook_url": "https://hooks.slack.com/services/T0/B0/x",
                "events": ["unassigned"],
            }
        }
    )
    event = ConversationCreated(id="e1", conversation_id="c1")
    (slack,) = decide(event, settings=settings, roster=Roster([]), preferences={}, now=NOON)
    assert slack.kinds == ("unassigned_conversation",)
    assert explain([slack], roster=Roster([]), settings=settings) == (
        "Slack: sent (unassigned conversation). Not for new conversation: "
        "new conversations are not among the events sent to Slack."
    )
