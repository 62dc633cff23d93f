"""decide(): who is notified, on which channel, now, later or never, and why."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    SLACK_RECIPIENT,
    Channel,
    FrozenMap,
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
    effective_preference,
)
from notifpolicy._decide import decide
from notifpolicy._decision import (
    CHANNEL_ORDER,
    SLACK_CHANNEL,
    Decision,
    Outcome,
    Ruling,
    trusted_decisions,
    trusted_ruling,
)
from notifpolicy._events import (
    ConversationCreated,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    Event,
    HostEvent,
    MemberMentioned,
    SlaBreached,
)
from notifpolicy._reasons import QUIET_HOURS_CODES, Reason, ReasonCode
from notifpolicy.testing._decision_strategies import (
    decision_settings,
    events,
    instants,
    preferences_for,
    rosters,
)
from notifpolicy.testing.strategies import workspace_settings

UTC = dt.UTC
URL = "https://hooks.slack.com/services/T0/B0/secret"
AMS = "Europe/Amsterdam"
NOON = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam: not quiet
NIGHT = dt.datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Amsterdam: quiet
MORNING = dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam: quiet hours end
HELD = {
    ReasonCode.QUIET_HOURS_SUPPRESS,
    ReasonCode.QUIET_HOURS_DEFER,
    ReasonCode.QUIET_HOURS_SUMMARIZE,
}
PREFERENCE_CODES = {
    ReasonCode.DISABLED_BY_MEMBER,
    ReasonCode.DISABLED_BY_WORKSPACE,
    ReasonCode.RULE_DISABLED,
}

ROSTER = Roster(
    [
        Member("ann", Role.AGENT, "Anna"),
        Member("bo", Role.ADMIN, "Bo", channels=[Channel.EMAIL]),
        Member("cy", Role.OWNER, "Cy", channels=[Channel.PUSH, Channel.IN_APP]),
        Member("dee", Role.AGENT, "Dee", active=False),
    ]
)


def settings(
    *, quiet: QuietMode | None = None, webhook: bool = True, **changes: Any
) -> WorkspaceSettings:
    qh = (
        QuietHours(dt.time(22), dt.time(8), enabled=quiet is not None, mode=quiet)
        if quiet is not None
        else QuietHours(dt.time(22), dt.time(8), enabled=False)
    )
    base = WorkspaceSettings(
        timezone=AMS, quiet_hours=qh, slack=SlackSettings(URL if webhook else None)
    )
    return attrs.evolve(base, **changes)


def run(
    event: Event,
    *,
    s: WorkspaceSettings | None = None,
    roster: Roster = ROSTER,
    prefs: Mapping[str, MemberPreferences] | None = None,
    now: dt.datetime = NOON,
    kinds: KindRegistry | None = None,
) -> tuple[Decision, ...]:
    return decide(
        event,
        settings=s or settings(),
        roster=roster,
        preferences=prefs or {},
        now=now,
        kinds=kinds,
    )


def table(decisions: Iterable[Decision]) -> list[tuple[str, str, str, list[str]]]:
    """(recipient, channel, outcome, codes) per decision, Slack as "slack"."""
    return [
        (
            d.member_id or "slack",
            d.channel.value,
            d.outcome.value,
            [r.code.value for r in d.reasons],
        )
        for d in decisions
    ]


def prefs(**overrides: object) -> dict[str, MemberPreferences]:
    return {
        member: MemberPreferences.from_dict({"overrides": value})
        for member, value in overrides.items()
    }


# -- recipients ------------------------------------------------------------------------------


def test_new_unassigned_conversation_goes_to_every_active_member_and_slack():
    event = ConversationCreated(id="e1", conversation_id="c1")
    decisions = run(event)
    assert table(decisions) == [
        ("ann", "in_app", "deliver", []),
        ("ann", "email", "deliver", []),
        ("ann", "push", "deliver", []),
        ("bo", "email", "deliver", []),
        ("cy", "in_app", "deliver", []),
        ("cy", "push", "deliver", []),
        ("slack", "slack", "deliver", []),
    ]
    for d in decisions:
        assert d.kinds == ("new_conversation", "unassigned_conversation")
        assert (d.event_id, d.conversation_id) == ("e1", "c1")
        assert d.deliver_at is None
        assert d.held_until is None
    assert decisions[-1].recipient is SLACK_CHANNEL
    assert decisions[-1].member_id is None


def test_deactivated_members_get_no_decision():
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"))
    assert "dee" not in {d.recipient for d in decisions}


def test_a_mention_goes_to_the_mentioned_never_the_author_and_not_to_slack():
    event = MemberMentioned(
        id="e", conversation_id="c", author_id="ann", mentioned=["ann", "bo", "ghost", "dee"]
    )
    assert table(run(event)) == [("bo", "email", "deliver", [])]


def test_an_author_mentioning_only_themself_notifies_nobody():
    event = MemberMentioned(id="e", conversation_id="c", author_id="ann", mentioned=["ann"])
    assert run(event) == ()


@pytest.mark.parametrize(
    ("assignee", "expected"),
    [
        ("cy", {"cy"}),
        (None, {"ann", "bo", "cy"}),
        ("dee", {"ann", "bo", "cy"}),  # deactivated: as if unassigned
        ("ghost", {"ann", "bo", "cy"}),  # not in the roster: as if unassigned
    ],
)
def test_sla_breach_goes_to_the_assignee_or_everyone(assignee, expected):
    decisions = run(SlaBreached(id="e", conversation_id="c", assignee=assignee))
    assert {d.recipient for d in decisions} == expected
    assert not any(d.is_slack for d in decisions)  # sla_breach has no Slack event


def test_escalations_go_to_admins_and_owners():
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    assert table(run(event)) == [
        ("bo", "email", "deliver", []),
        ("cy", "in_app", "deliver", []),
        ("cy", "push", "deliver", []),
        ("slack", "slack", "deliver", []),
    ]


def test_channels_are_the_members_offered_ones_that_the_kind_can_use():
    # Digests are email only: Cy (push and in-app) gets no decision at all.
    s = settings(
        digests=attrs.evolve(
            settings().digests, daily=attrs.evolve(settings().digests.daily, enabled=True)
        )
    )
    assert table(run(DigestReady(id="e", kind="daily_summary"), s=s)) == [
        ("ann", "email", "deliver", []),
        ("bo", "email", "deliver", []),
    ]


def test_a_member_offered_no_channel_gets_no_decision():
    roster = Roster([Member("ann", Role.AGENT, channels=[]), Member("bo", Role.AGENT)])
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"), roster=roster)
    assert {d.recipient for d in decisions if not d.is_slack} == {"bo"}


def test_overrides_for_ids_not_in_the_roster_are_ignored():
    event = ConversationUnassigned(id="e", conversation_id="c")
    assert run(event, prefs=prefs(ghost={"unassigned_conversation": False})) == run(event)


# -- preferences -----------------------------------------------------------------------------


def test_a_channel_the_member_turned_off_is_suppressed_with_the_reason():
    event = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    decisions = run(event, prefs=prefs(ann={"mention": {"email": False}}))
    assert table(decisions) == [
        ("ann", "in_app", "deliver", []),
        ("ann", "email", "suppress", ["disabled_by_member"]),
        ("ann", "push", "deliver", []),
    ]
    assert decisions[1].reasons == (Reason(ReasonCode.DISABLED_BY_MEMBER, "mention"),)


def test_every_channel_off_except_one():
    event = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    decisions = run(event, prefs=prefs(ann={"mention": {"*": False, "push": True}}))
    assert [d.outcome for d in decisions] == [Outcome.SUPPRESS, Outcome.SUPPRESS, Outcome.DELIVER]


def test_a_workspace_default_that_is_off_suppresses_unless_the_member_turned_it_on():
    s = settings(defaults={"mention": False})
    event = MemberMentioned(id="e", conversation_id="c", author_id="ann", mentioned=["bo", "cy"])
    decisions = run(event, s=s, prefs=prefs(cy={"mention": {"push": True}}))
    assert table(decisions) == [
        ("bo", "email", "suppress", ["disabled_by_workspace"]),
        ("cy", "in_app", "suppress", ["disabled_by_workspace"]),
        ("cy", "push", "deliver", []),
    ]


def test_delivered_if_any_kind_is_on_listing_the_kinds_that_are():
    event = ConversationCreated(id="e", conversation_id="c")
    decisions = run(
        event,
        s=settings(defaults={"unassigned_conversation": False}),
        prefs=prefs(bo={"new_conversation": {"email": False}}),
    )
    ann = [d for d in decisions if d.recipient == "ann"]
    assert {d.kinds for d in ann} == {("new_conversation",)}
    assert all(d.outcome is Outcome.DELIVER for d in ann)
    [bo] = [d for d in decisions if d.recipient == "bo"]
    # Both kinds are off, each for its own reason.
    assert bo.outcome is Outcome.SUPPRESS
    assert bo.kinds == ("new_conversation", "unassigned_conversation")
    assert bo.reasons == (
        Reason(ReasonCode.DISABLED_BY_MEMBER, "new_conversation"),
        Reason(ReasonCode.DISABLED_BY_WORKSPACE, "unassigned_conversation"),
    )


def test_a_kind_that_is_not_overridable_ignores_stored_member_overrides():
    # Stored data may hold an override for a kind that is not overridable: it is ignored.
    stored = {"bo": MemberPreferences({"escalation_unassigned": {"*": False}})}
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    assert run(event, prefs=stored) == run(event)


def test_slack_ignores_the_members_defaults():
    s = settings(defaults={"new_conversation": False, "unassigned_conversation": False})
    decisions = run(ConversationCreated(id="e", conversation_id="c"), s=s)
    assert table(decisions)[-1] == ("slack", "slack", "deliver", [])
    assert all(d.outcome is Outcome.SUPPRESS for d in decisions[:-1])


# -- escalation rules and Slack ------------------------------------------------------------------


def test_an_escalation_whose_rule_is_disabled_is_suppressed_everywhere():
    s = settings(escalation=attrs.evolve(
        settings().escalation, first_response=attrs.evolve(
            settings().escalation.first_response, enabled=False)))  # fmt: skip
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_first_response")
    decisions = run(event, s=s, now=NIGHT)
    assert table(decisions) == [
        ("bo", "email", "suppress", ["rule_disabled"]),
        ("cy", "in_app", "suppress", ["rule_disabled"]),
        ("cy", "push", "suppress", ["rule_disabled"]),
        ("slack", "slack", "suppress", ["rule_disabled"]),
    ]
    assert decisions[0].reasons[0].kind == "escalation_first_response"


def test_slack_checks_the_rule_before_the_webhook():
    s = settings(webhook=False)
    s = attrs.evolve(
        s, escalation=attrs.evolve(s.escalation, unassigned=attrs.evolve(
            s.escalation.unassigned, enabled=False)))  # fmt: skip
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    assert table(run(event, s=s))[-1] == ("slack", "slack", "suppress", ["rule_disabled"])


def test_slack_not_configured_is_one_suppressed_decision():
    decisions = run(ConversationCreated(id="e", conversation_id="c"), s=settings(webhook=False))
    slack = [d for d in decisions if d.is_slack]
    assert table(slack) == [("slack", "slack", "suppress", ["slack_not_configured"])]
    assert decisions[-1] is slack[0]


def test_slack_event_not_selected_comes_after_the_webhook_check():
    s = settings(slack=SlackSettings(URL, frozenset({SlackEvent.ESCALATION})))
    decisions = run(ConversationCreated(id="e", conversation_id="c"), s=s)
    assert table(decisions)[-1] == (
        "slack",
        "slack",
        "suppress",
        ["slack_event_not_selected", "slack_event_not_selected"],
    )
    assert [r.kind for r in decisions[-1].reasons] == [
        "new_conversation",
        "unassigned_conversation",
    ]


def test_slack_gets_one_message_listing_the_selected_kinds():
    s = settings(slack=SlackSettings(URL, frozenset({SlackEvent.UNASSIGNED})))
    [slack] = [d for d in run(ConversationCreated(id="e", conversation_id="c"), s=s) if d.is_slack]
    assert slack.outcome is Outcome.DELIVER
    assert slack.kinds == ("unassigned_conversation",)


def test_no_slack_decision_for_kinds_without_a_slack_event():
    event = SlaBreached(id="e", conversation_id="c")
    assert not any(d.is_slack for d in run(event, s=settings(webhook=False)))


# -- quiet hours -------------------------------------------------------------------------------


def test_quiet_hours_suppress_mode_drops_with_the_reason():
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"),
                    s=settings(quiet=QuietMode.SUPPRESS), now=NIGHT)  # fmt: skip
    assert {(d.outcome, d.codes()) for d in decisions} == {
        (Outcome.SUPPRESS, (ReasonCode.QUIET_HOURS_SUPPRESS,))
    }
    assert {d.held_until for d in decisions} == {MORNING}
    assert all(d.deliver_at is None for d in decisions)


def test_quiet_hours_defer_mode_delivers_when_they_end():
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"),
                    s=settings(quiet=QuietMode.DEFER), now=NIGHT)  # fmt: skip
    assert {(d.outcome, d.codes(), d.deliver_at) for d in decisions} == {
        (Outcome.DEFER, (ReasonCode.QUIET_HOURS_DEFER,), MORNING)
    }


def test_quiet_hours_summarize_mode_suppresses_into_the_catch_up_and_drops_slack():
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"),
                    s=settings(quiet=QuietMode.SUMMARIZE), now=NIGHT)  # fmt: skip
    assert {(d.outcome, d.codes()) for d in decisions} == {
        (Outcome.SUPPRESS, (ReasonCode.QUIET_HOURS_SUMMARIZE,))
    }
    assert decisions[-1].is_slack


def test_a_channel_switched_off_is_suppressed_not_deferred():
    event = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    decisions = run(event, s=settings(quiet=QuietMode.DEFER), now=NIGHT,
                    prefs=prefs(ann={"mention": {"push": False}}))  # fmt: skip
    assert table(decisions) == [
        ("ann", "in_app", "defer", ["quiet_hours_defer"]),
        ("ann", "email", "defer", ["quiet_hours_defer"]),
        ("ann", "push", "suppress", ["disabled_by_member"]),
    ]
    assert decisions[2].deliver_at is None
    assert decisions[2].held_until is None


def test_critical_kinds_bypass_quiet_hours_with_the_reason():
    event = EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned")
    for mode in QuietMode:
        decisions = run(event, s=settings(quiet=mode), now=NIGHT)
        assert {(d.outcome, d.codes()) for d in decisions} == {
            (Outcome.DELIVER, (ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS,))
        }


def test_digests_are_exempt_from_quiet_hours():
    s = settings(quiet=QuietMode.SUPPRESS)
    s = attrs.evolve(s, digests=attrs.evolve(s.digests, weekly=attrs.evolve(
        s.digests.weekly, enabled=True)))  # fmt: skip
    decisions = run(DigestReady(id="e", kind="weekly_report"), s=s, now=NIGHT)
    assert {(d.outcome, d.codes()) for d in decisions} == {
        (Outcome.DELIVER, (ReasonCode.QUIET_HOURS_EXEMPT,))
    }


def test_a_digest_the_workspace_does_not_send_is_rule_disabled():
    decisions = run(DigestReady(id="e", kind="daily_summary"))  # daily is off by default
    assert {d.codes() for d in decisions} == {(ReasonCode.RULE_DISABLED,)}


def test_outside_quiet_hours_a_delivery_needs_no_reason():
    decisions = run(ConversationCreated(id="e", conversation_id="c"),
                    s=settings(quiet=QuietMode.DEFER), now=MORNING)  # fmt: skip
    assert {(d.outcome, d.reasons) for d in decisions} == {(Outcome.DELIVER, ())}


def test_defer_on_a_dst_night_delivers_at_exactly_quiet_until():
    # 22:00-02:30 on the night Amsterdam jumps 02:00 -> 03:00: quiet ends at 03:00 CEST.
    qh = QuietHours(dt.time(22), dt.time(2, 30), mode=QuietMode.DEFER)
    s = settings(quiet_hours=qh)
    now = dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"), s=s, now=now)
    expected = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert {d.deliver_at for d in decisions} == {expected}
    assert qh.quiet_until(now, AMS) == expected


# -- host kinds ------------------------------------------------------------------------------


def test_host_kinds_follow_their_attributes():
    registry = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True, critical=True,
             channels=[Channel.EMAIL], slack_event=SlackEvent.ESCALATION),
        Kind("held_digest", Recipients.MEMBERS_WITH_HELD_ITEMS, overridable=False),
    )  # fmt: skip
    event = HostEvent(id="e", kinds=("refund_requested",), conversation_id="c")
    decisions = run(event, kinds=registry, s=settings(quiet=QuietMode.SUPPRESS), now=NIGHT)
    assert table(decisions) == [
        ("bo", "email", "deliver", ["critical_bypasses_quiet_hours"]),
        ("slack", "slack", "deliver", ["critical_bypasses_quiet_hours"]),
    ]
    held = HostEvent(id="e2", kinds=("held_digest",), held_for=("ann", "dee", "ghost"))
    assert {d.recipient for d in run(held, kinds=registry)} == {"ann"}


def test_an_unknown_kind_is_a_validation_error():
    with pytest.raises(ValidationError) as info:
        run(HostEvent(id="e", kinds=("mention", "refund_requested")))
    assert info.value.problems[0].path == "event.kinds[1]"


# -- inputs -------------------------------------------------------------------------------------


def test_now_must_be_aware():
    with pytest.raises(ValidationError) as info:
        run(ConversationUnassigned(id="e", conversation_id="c"), now=dt.datetime(2026, 3, 2, 9))
    assert info.value.problems[0].path == "now"


def test_bad_arguments_are_validation_errors_naming_each():
    with pytest.raises(ValidationError) as info:
        decide(
            "event",  # type: ignore[arg-type]
            settings={},  # type: ignore[arg-type]
            roster=[],  # type: ignore[arg-type]
            preferences={"ann": {"mention": False}},  # type: ignore[dict-item]
            now=NOON,
            kinds=[],  # type: ignore[arg-type]
        )
    assert [p.path for p in info.value.problems] == [
        "event",
        "settings",
        "roster",
        "kinds",
        "preferences['ann']",
    ]
    with pytest.raises(ValidationError) as info:
        run(ConversationUnassigned(id="e", conversation_id="c"), prefs=["ann"])  # type: ignore[arg-type]
    assert info.value.problems[0].path == "preferences"


def test_only_the_recipients_preferences_are_read():
    """A targeted event costs its audience: other members' preferences are not even checked."""
    mention = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    bad: dict[str, Any] = {"cy": "not preferences", "zed": None}
    assert run(mention, prefs=bad) == run(mention)
    # Read for a recipient, a bad value is an error that names every bad value.
    values: list[Any] = ["not preferences", None, {"mention": False}]
    for value in values:
        with pytest.raises(ValidationError) as info:
            run(mention, prefs={**bad, "ann": value})
        assert sorted(p.path for p in info.value.problems) == [
            "preferences['ann']",
            "preferences['cy']",
            "preferences['zed']",
        ]
        assert "must be a MemberPreferences" in str(info.value)
    # A broadcast reads every member's.
    with pytest.raises(ValidationError):
        run(ConversationUnassigned(id="e", conversation_id="c"), prefs=FrozenMap(bad))


def test_bad_preferences_come_before_a_bad_instant_or_kind():
    bad: dict[str, Any] = {"zed": "not preferences"}
    mention = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    with pytest.raises(ValidationError) as info:
        run(mention, prefs=bad, now=dt.datetime(2026, 3, 2, 9))
    assert [p.path for p in info.value.problems] == ["preferences['zed']"]
    with pytest.raises(ValidationError) as info:
        run(HostEvent(id="e", kinds=("refund_requested",)), prefs=bad)
    assert [p.path for p in info.value.problems] == ["preferences['zed']"]


def test_preferences_may_be_any_mapping():
    event = MemberMentioned(id="e", conversation_id="c", author_id="bo", mentioned=["ann"])
    plain = prefs(ann={"mention": False})
    assert run(event, prefs=FrozenMap(plain)) == run(event, prefs=plain)


# -- the Decision value -------------------------------------------------------------------------


def test_decisions_that_came_out_the_same_share_one_ruling():
    roster = Roster([Member(f"m{i}", Role.AGENT) for i in range(5)])
    decisions = run(ConversationUnassigned(id="e", conversation_id="c"), roster=roster)
    email = [d for d in decisions if d.channel is Channel.EMAIL]
    assert len({id(d.ruling) for d in email}) == 1


def test_the_engine_builds_decisions_equal_to_the_checked_constructor():
    for d in run(ConversationCreated(id="e1", conversation_id="c1"), s=settings(webhook=False)):
        rebuilt = Decision(d.recipient, d.ruling)
        assert rebuilt == d
        assert hash(rebuilt) == hash(d)
        assert repr(rebuilt) == repr(d)
    ruling = Ruling(Channel.EMAIL, "e", "c", ("mention",), Outcome.DELIVER)
    slack = Ruling(Channel.SLACK, "e", "c", ("new_conversation",), Outcome.DELIVER)
    out = trusted_decisions([("ann", (ruling, ruling)), ("bo", ()), (SLACK_CHANNEL, [slack])])
    assert out == (Decision("ann", ruling), Decision("ann", ruling), Decision("slack", slack))
    assert out[2].recipient is SLACK_CHANNEL
    assert trusted_decisions([]) == ()


def test_decision_round_trips_through_its_storage_form():
    decisions = run(ConversationCreated(id="e1", conversation_id="c1"),
                    s=settings(quiet=QuietMode.DEFER, webhook=False), now=NIGHT)  # fmt: skip
    for d in decisions:
        data = json.loads(json.dumps(d.to_dict()))
        assert Decision.from_dict(data) == d
    assert decisions[-1].to_dict()["recipient"] is None
    assert decisions[0].to_dict()["deliver_at"] == "2026-03-03T07:00:00+00:00"


def test_decision_storage_form_is_read_strictly():
    good = run(ConversationUnassigned(id="e", conversation_id="c"))[0].to_dict()
    with pytest.raises(ValidationError) as info:
        Decision.from_dict({**good, "extra": 1, "channel": "fax"})
    assert {p.path for p in info.value.problems} == {"extra"}
    with pytest.raises(ValidationError) as info:
        Decision.from_dict(
            {
                **good,
                "channel": "fax",
                "outcome": "maybe",
                "kinds": "mention",
                "reasons": [{"code": "nope", "kind": None}, {"code": "rule_disabled", "kind": 3}],
                "deliver_at": "2026-03-03T07:00:00",
            }
        )
    assert {p.path for p in info.value.problems} == {
        "channel",
        "outcome",
        "kinds",
        "reasons[0].code",
        "reasons[1].kind",
        "deliver_at",
    }
    with pytest.raises(ValidationError):
        Decision.from_dict({**good, "channel": "slack"})  # Slack's recipient is null
    with pytest.raises(ValidationError):
        Decision.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as info:
        Decision.from_dict({k: v for k, v in good.items() if k != "kinds"})
    assert info.value.problems[0].code == "missing"


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"outcome": Outcome.SUPPRESS}, "reasons"),
        ({"outcome": Outcome.DEFER, "reasons": (Reason(ReasonCode.QUIET_HOURS_DEFER),)},
         "deliver_at"),
        ({"deliver_at": NOON}, "deliver_at"),
        ({"deliver_at": dt.datetime(2026, 1, 1), "outcome": Outcome.DEFER,
          "reasons": (Reason(ReasonCode.QUIET_HOURS_DEFER),)}, "deliver_at"),
        ({"kinds": ()}, "kinds"),
        ({"event_id": ""}, "event_id"),
        ({"conversation_id": ""}, "conversation_id"),
        ({"outcome": "deliver"}, "outcome"),
        ({"reasons": ("why",)}, "reasons"),
    ],
)  # fmt: skip
def test_a_ruling_keeps_its_rules(fields, path):
    base = {
        "event_id": "e",
        "conversation_id": "c",
        "kinds": ("mention",),
        "outcome": Outcome.DELIVER,
    }
    with pytest.raises(ValidationError) as info:
        Decision.of("ann", Channel.EMAIL, **{**base, **fields})
    assert path in {p.path for p in info.value.problems}


def test_a_decision_checks_its_recipient_against_the_channel():
    slack = Ruling(Channel.SLACK, "e", "c", ("new_conversation",), Outcome.DELIVER)
    email = attrs.evolve(slack, channel=Channel.EMAIL)
    assert Decision(SLACK_CHANNEL, slack).is_slack
    for recipient, ruling in (("ann", slack), (SLACK_CHANNEL, email), ("", email)):
        with pytest.raises(ValidationError):
            Decision(recipient, ruling)
    with pytest.raises(ValidationError):
        Decision("ann", "ruling")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Ruling("email", "e", "c", ("mention",), Outcome.DELIVER)  # type: ignore[arg-type]


def test_slack_has_one_name_everywhere():
    """A decision's Slack recipient, the outbox's and the testing kit's are all ``"slack"``."""
    slack = Ruling(Channel.SLACK, "e", "c", ("new_conversation",), Outcome.DELIVER)
    assert str(SLACK_CHANNEL) == SLACK_RECIPIENT == "slack"
    assert f"{SLACK_CHANNEL}" == "slack"
    by_name = Decision("slack", slack)  # the plain name is the same recipient
    assert by_name.recipient is SLACK_CHANNEL
    assert by_name == Decision(SLACK_CHANNEL, slack)
    assert by_name.is_slack
    # A member may still be called "slack": on a member channel it is a member id.
    member = Decision("slack", attrs.evolve(slack, channel=Channel.EMAIL))
    assert not member.is_slack
    assert member.member_id == "slack"


# -- laws -------------------------------------------------------------------------------------


@st.composite
def scenarios(
    draw: st.DrawFn, settings_strategy: st.SearchStrategy[WorkspaceSettings] | None = None
) -> Scenario:
    roster = draw(rosters())
    event = draw(events(roster))
    # Overrides for the event's own kinds matter to the decision; others must not.
    focus = event.kinds if draw(st.booleans()) else None
    return (
        event,
        draw(decision_settings() if settings_strategy is None else settings_strategy),
        roster,
        draw(preferences_for(roster, focus=focus)),
        draw(instants()),
    )


Scenario = tuple[Event, WorkspaceSettings, Roster, dict[str, MemberPreferences], dt.datetime]


def decide_all(scenario: Scenario) -> tuple[Decision, ...]:
    event, s, roster, p, now = scenario
    return decide(event, settings=s, roster=roster, preferences=p, now=now)


@given(scenarios())
def test_trusted_construction_equals_the_checked_constructors(scenario):
    """`decide` builds without attrs' checks: what it builds passes them and is equal."""
    for d in decide_all(scenario):
        r = d.ruling
        fields = (r.channel, r.event_id, r.conversation_id, r.kinds, r.outcome, r.reasons,
                  r.deliver_at, r.held_until)  # fmt: skip
        checked = Decision(d.recipient, Ruling(*fields))
        assert checked == d
        assert hash(checked) == hash(d)
        assert repr(checked) == repr(d)
        assert trusted_ruling(*fields) == checked.ruling
        assert type(d.recipient) is type(checked.recipient)


@given(scenarios())
def test_every_decision_that_does_not_deliver_says_why(scenario):
    for d in decide_all(scenario):
        if d.outcome is not Outcome.DELIVER:
            assert d.reasons


@given(scenarios())
def test_a_critical_or_exempt_kind_is_never_held_by_quiet_hours(scenario):
    registry = KindRegistry.default()
    for d in decide_all(scenario):
        if any(registry.get(k).critical or registry.get(k).quiet_hours_exempt for k in d.kinds):
            assert not HELD & set(d.codes())
            if d.outcome is not Outcome.DELIVER:
                assert set(d.codes()) <= PREFERENCE_CODES | {
                    ReasonCode.SLACK_NOT_CONFIGURED,
                    ReasonCode.SLACK_EVENT_NOT_SELECTED,
                }


@given(scenarios(workspace_settings()))
def test_defer_delivers_exactly_when_quiet_hours_end(scenario):
    # Every settings shape and every zone zoneinfo knows, not only the decision zones.
    _, s, _, _, now = scenario
    qh = s.quiet_hours
    for d in decide_all(scenario):
        if d.outcome is Outcome.DEFER:
            assert d.deliver_at is not None
            assert d.deliver_at > now
            assert not qh.is_quiet(d.deliver_at, s.timezone)
            assert d.deliver_at == qh.quiet_until(now, s.timezone)
        if set(d.codes()) & HELD:
            assert qh.is_quiet(now, s.timezone)
            assert d.held_until == qh.quiet_until(now, s.timezone)


@given(scenarios())
def test_at_most_one_decision_per_recipient_and_channel_in_order(scenario):
    event, _, roster, _, _ = scenario
    decisions = decide_all(scenario)
    keys = [(d.recipient, d.channel) for d in decisions]
    assert len(keys) == len(set(keys))
    position = {m.id: i for i, m in enumerate(roster)}
    members = [d for d in decisions if not d.is_slack]
    assert [(position[d.recipient], CHANNEL_ORDER.index(d.channel)) for d in members] == sorted(
        (position[d.recipient], CHANNEL_ORDER.index(d.channel)) for d in members
    )
    slack = [d for d in decisions if d.is_slack]
    registry = KindRegistry.default()
    routed = any(registry.get(k).slack_event is not None for k in event.kinds)
    assert len(slack) == (1 if routed else 0)
    if slack:
        assert decisions[-1] is slack[0]


@given(scenarios())
def test_only_active_recipients_get_decisions_on_channels_they_are_offered(scenario):
    event, _, roster, _, _ = scenario
    for d in decide_all(scenario):
        if d.is_slack:
            continue
        member = roster.get(d.member_id or "")
        assert member is not None
        assert member.active
        assert d.channel in member.channels
        if event.author_id is not None:
            assert d.recipient != event.author_id
        assert d.event_id == event.id
        assert d.conversation_id == event.conversation_id


@given(scenarios())
def test_member_decisions_follow_effective_preferences(scenario):
    """The engine's preference resolution agrees with `effective_preference`."""
    event, s, _, p, now = scenario
    registry = KindRegistry.default()
    quiet = s.quiet_hours.is_quiet(now, s.timezone)
    for d in decide_all(scenario):
        if d.is_slack:
            continue
        applicable = [registry.get(k) for k in event.kinds if d.channel in registry.get(k).channels]
        own = p.get(d.member_id or "")
        on = [
            k.name
            for k in applicable
            if (k.switch is None or s.switch(k.switch))
            and effective_preference(k, d.channel, settings=s, preferences=own).enabled
        ]
        # Every kind that is off says why, whether or not the decision is about others.
        off = [k.name for k in applicable if k.name not in on]
        preference_reasons = [r for r in d.reasons if r.code in PREFERENCE_CODES]
        assert [r.kind for r in preference_reasons] == off
        if on:
            assert d.kinds == tuple(on)
        else:
            assert d.outcome is Outcome.SUPPRESS
            assert set(d.codes()) <= PREFERENCE_CODES
            assert len(d.reasons) == len(d.kinds)
        if not quiet and d.outcome is Outcome.DELIVER:
            assert d.reasons == tuple(preference_reasons)
        assert not set(d.codes()) & QUIET_HOURS_CODES or quiet


@given(
    rosters(),
    st.sampled_from(["escalation_unassigned", "escalation_first_response"]),
    decision_settings(),
    instants(),
    st.data(),
)
def test_a_non_overridable_kind_ignores_member_overrides(roster, kind, s, now, data):
    overrides = data.draw(
        st.dictionaries(
            st.sampled_from([m.id for m in roster]),
            st.builds(
                lambda on, chan: MemberPreferences({kind: {chan: on}}),
                st.booleans(),
                st.sampled_from(["*", "in_app", "email", "push"]),
            ),
        )
    )
    event = EscalationDue(id="e", conversation_id="c", kind=kind)
    with_overrides = decide(event, settings=s, roster=roster, preferences=overrides, now=now)
    without = decide(event, settings=s, roster=roster, preferences={}, now=now)
    assert with_overrides == without


@given(scenarios(), st.data())
def test_slack_ignores_the_workspace_defaults(scenario, data):
    event, s, roster, p, now = scenario
    flipped = attrs.evolve(s, defaults={k: not v for k, v in s.defaults.items()})
    before = [d for d in decide_all(scenario) if d.is_slack]
    after = [
        d
        for d in decide(event, settings=flipped, roster=roster, preferences=p, now=now)
        if d.is_slack
    ]
    assert before == after


@given(scenarios())
def test_deciding_is_deterministic(scenario):
    assert decide_all(scenario) == decide_all(scenario)


def test_counts_of_a_large_roster_are_linear():
    roster = Roster([Member(f"m{i}", Role.AGENT) for i in range(300)])
    decisions = run(ConversationCreated(id="e", conversation_id="c"), roster=roster)
    assert Counter(d.channel for d in decisions) == {
        Channel.IN_APP: 300,
        Channel.EMAIL: 300,
        Channel.PUSH: 300,
        Channel.SLACK: 1,
    }


@pytest.mark.parametrize(
    "module",
    [
        "notifpolicy._events",
        "notifpolicy._reasons",
        "notifpolicy._decide",
        "notifpolicy._catalog",
        "notifpolicy._explain",
        "notifpolicy._catchup",
        "notifpolicy._slack_payload",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_an_instant_out_of_range_is_reported_under_now():
    """decide's argument is ``now``: its problems say so, not the time primitives' ``at``."""
    settings = WorkspaceSettings.from_dict({"quiet_hours": {"enabled": True}})
    roster = Roster([Member("ann", Role.AGENT)])
    event = ConversationCreated(id="e1", conversation_id="c1")
    for now in (
        dt.datetime.max.replace(tzinfo=dt.UTC),
        dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=5))),
    ):
        with pytest.raises(ValidationError) as info:
            decide(event, settings=settings, roster=roster, preferences={}, now=now)
        assert [(p.path, p.code) for p in info.value.problems] == [("now", "range")]


def test_not_an_event_says_what_an_event_is():
    with pytest.raises(ValidationError) as info:
        decide("e1", settings=WorkspaceSettings(), roster=Roster([]), preferences={}, now=NOON)  # type: ignore[arg-type]
    (problem,) = info.value.problems
    assert problem.path == "event"
    assert problem.message.startswith("must be an event (ConversationCreated, MemberMentioned")
    assert "a Event" not in str(info.value)
