"""The law of the decision engine's speed-ups: ``decide`` equals a plain reference.

``decide`` resolves what does not depend on the event once per settings value and kinds
registry, and looks a targeted event's recipients up by id instead of walking the roster.  None
of that may change a decision: these properties compare it with ``_reference_decide`` (the
rules written out one by one) over generated rosters, preferences, settings, events and host
kinds, with the caches cold and warm, and across new settings versions and registries.
"""

from __future__ import annotations

import datetime as dt

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
    WorkspaceSettings,
)
from notifpolicy._decide import decide
from notifpolicy._events import (
    ConversationCreated,
    EscalationDue,
    Event,
    HostEvent,
    MemberMentioned,
    SlaBreached,
)
from notifpolicy._kinds import KIND_SWITCHES
from notifpolicy.testing._decision_strategies import (
    decision_settings,
    events,
    instants,
    member_ids,
    preferences_for,
    rosters,
)

from ._reference_decide import reference_decide

UTC = dt.UTC
NOON = dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam
NIGHT = dt.datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Amsterdam: quiet

Scenario = tuple[
    Event,
    WorkspaceSettings,
    Roster,
    dict[str, MemberPreferences],
    dt.datetime,
    KindRegistry | None,
]

# -- strategies ---------------------------------------------------------------------------------

_HOST_NAMES = ("refund_requested", "vip_waiting", "csat_low")
_MEMBER_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)

_host_kinds = st.builds(
    Kind,
    st.sampled_from(_HOST_NAMES),
    st.sampled_from(Recipients),
    overridable=st.booleans(),
    critical=st.booleans(),
    quiet_hours_exempt=st.booleans(),
    channels=st.frozensets(st.sampled_from(_MEMBER_CHANNELS), min_size=1),
    slack_event=st.none() | st.sampled_from(SlackEvent),
    switch=st.none() | st.sampled_from(sorted(KIND_SWITCHES)),
)


@st.composite
def registries(draw: st.DrawFn) -> KindRegistry:
    """The built-in kinds plus up to three host kinds with any attributes."""
    extra = draw(st.lists(_host_kinds, max_size=3, unique_by=lambda k: k.name))
    return KindRegistry.default().with_kinds(*extra)


@st.composite
def host_events(draw: st.DrawFn, registry: KindRegistry, roster: Roster) -> HostEvent:
    """Any mix of the registry's kinds, with every fact a recipient rule reads."""
    ids = [m.id for m in roster]
    who = st.sampled_from(ids) | member_ids() if ids else member_ids()
    names = [k.name for k in registry]
    return HostEvent(
        id=draw(st.sampled_from(["e1", "e2"])),
        kinds=draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)),
        conversation_id=draw(st.none() | st.just("c1")),
        assignee=draw(st.none() | who),
        mentioned=draw(st.lists(who, max_size=4)),
        author_id=draw(st.none() | who),
        held_for=draw(st.lists(who, max_size=4)),
    )


@st.composite
def builtin_scenarios(draw: st.DrawFn) -> Scenario:
    roster = draw(rosters(max_size=10))
    event = draw(events(roster))
    focus = event.kinds if draw(st.booleans()) else None
    return (
        event,
        draw(decision_settings()),
        roster,
        draw(preferences_for(roster, focus=focus)),
        draw(instants()),
        None,
    )


@st.composite
def host_scenarios(draw: st.DrawFn) -> Scenario:
    registry = draw(registries())
    roster = draw(rosters(max_size=10))
    event = draw(host_events(registry, roster))
    focus = event.kinds if draw(st.booleans()) else None
    return (
        event,
        draw(decision_settings(kinds=registry)),
        roster,
        draw(preferences_for(roster, kinds=registry, focus=focus)),
        draw(instants()),
        registry,
    )


def both(scenario: Scenario) -> tuple[tuple[object, ...], tuple[object, ...]]:
    event, s, roster, p, now, registry = scenario
    fast = decide(event, settings=s, roster=roster, preferences=p, now=now, kinds=registry)
    plain = reference_decide(event, settings=s, roster=roster, preferences=p, now=now,
                             kinds=registry)  # fmt: skip
    return fast, plain


# -- the law ------------------------------------------------------------------------------------


@given(builtin_scenarios())
def test_decide_equals_the_reference_for_the_built_in_events(scenario):
    fast, plain = both(scenario)
    assert fast == plain
    # Again, with everything the first call resolved now cached.
    assert both(scenario) == (plain, plain)


@given(host_scenarios())
def test_decide_equals_the_reference_for_any_mix_of_host_kinds(scenario):
    fast, plain = both(scenario)
    assert fast == plain
    assert both(scenario) == (plain, plain)


@given(
    rosters(max_size=6),
    st.lists(decision_settings(), min_size=2, max_size=4),
    instants(),
    st.data(),
)
def test_a_new_settings_value_is_never_answered_from_another_ones_cache(
    roster, versions, now, data
):
    """Deciding the same event under settings values in turn: each gets its own decisions."""
    event = data.draw(events(roster))
    p = data.draw(preferences_for(roster, focus=event.kinds))
    for s in versions + versions[::-1]:
        fast = decide(event, settings=s, roster=roster, preferences=p, now=now)
        assert fast == reference_decide(event, settings=s, roster=roster, preferences=p, now=now)


@given(rosters(max_size=6), st.lists(registries(), min_size=2, max_size=3), instants(), st.data())
def test_another_registry_is_never_answered_from_another_ones_cache(roster, kinds, now, data):
    event = data.draw(host_events(kinds[0], roster))
    s = data.draw(decision_settings())
    for registry in kinds + kinds[::-1]:
        if not all(name in registry for name in event.kinds):
            continue
        fast = decide(event, settings=s, roster=roster, preferences={}, now=now, kinds=registry)
        assert fast == reference_decide(
            event, settings=s, roster=roster, preferences={}, now=now, kinds=registry
        )


# -- examples: what a cache must not do ---------------------------------------------------------

ROSTER = Roster(
    [
        Member("ann", Role.AGENT),
        Member("bo", Role.ADMIN),
        Member("cy", Role.OWNER, active=False),
        Member("dee", Role.AGENT, channels=[Channel.EMAIL]),
    ]
)
URL = "https://hooks.slack.com/services/T0/B0/secret"


def test_an_evolved_settings_value_changes_the_decisions_at_once():
    event = MemberMentioned(id="e", conversation_id="c", author_id="ann", mentioned=["bo", "dee"])
    v1 = WorkspaceSettings(timezone="Europe/Amsterdam")
    first = decide(event, settings=v1, roster=ROSTER, preferences={}, now=NIGHT)
    assert {d.outcome.value for d in first} == {"deliver"}
    # The next version turns mentions off by default and quiet hours on.
    v2 = attrs.evolve(
        v1,
        version=2,
        defaults={**v1.defaults, "mention": False},
        quiet_hours=QuietHours(dt.time(22), dt.time(8), mode=QuietMode.DEFER),
    )
    second = decide(event, settings=v2, roster=ROSTER, preferences={}, now=NIGHT)
    assert {(d.outcome.value, d.codes()[0].value) for d in second} == {
        ("suppress", "disabled_by_workspace")
    }
    on_again = MemberPreferences({"mention": {"*": True}})
    third = decide(event, settings=v2, roster=ROSTER, preferences={"bo": on_again}, now=NIGHT)
    assert [(d.recipient, d.outcome.value) for d in third] == [
        ("bo", "defer"),
        ("bo", "defer"),
        ("bo", "defer"),
        ("dee", "suppress"),
    ]
    # And back: the first value's decisions are what they were.
    assert decide(event, settings=v1, roster=ROSTER, preferences={}, now=NIGHT) == first


def test_settings_equal_in_value_decide_alike_and_unequal_ones_do_not():
    event = ConversationCreated(id="e", conversation_id="c")
    with_slack = WorkspaceSettings(slack=SlackSettings(URL))
    # Read back from a store: a new object, equal in value.
    again = WorkspaceSettings.from_dict(with_slack.to_dict())
    assert again == with_slack
    assert again is not with_slack
    one = decide(event, settings=with_slack, roster=ROSTER, preferences={}, now=NOON)
    assert decide(event, settings=again, roster=ROSTER, preferences={}, now=NOON) == one
    without = attrs.evolve(with_slack, slack=SlackSettings(None), version=2)
    slack = decide(event, settings=without, roster=ROSTER, preferences={}, now=NOON)[-1]
    assert slack.codes()[0].value == "slack_not_configured"
    assert one[-1].outcome.value == "deliver"


def test_a_kind_of_the_same_name_in_another_registry_is_resolved_afresh():
    calm = KindRegistry.default().with_kinds(Kind("refund_requested", Recipients.ADMINS, True))
    loud = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, True, critical=True)
    )
    s = WorkspaceSettings(
        timezone="Europe/Amsterdam", quiet_hours=QuietHours(dt.time(22), dt.time(8))
    )
    event = HostEvent(id="e", kinds=("refund_requested",), conversation_id="c")
    for _ in range(2):
        held = decide(event, settings=s, roster=ROSTER, preferences={}, now=NIGHT, kinds=calm)
        sent = decide(event, settings=s, roster=ROSTER, preferences={}, now=NIGHT, kinds=loud)
        assert {d.outcome.value for d in held} == {"suppress"}
        assert {d.codes()[0].value for d in sent} == {"critical_bypasses_quiet_hours"}


def test_many_settings_values_in_turn_all_decide_right():
    """More settings values than the cache holds: evicted ones are resolved again."""
    event = SlaBreached(id="e", conversation_id="c", assignee="dee")
    values = [
        WorkspaceSettings(version=v, defaults={"sla_breach": v % 2 == 0}) for v in range(1, 300)
    ]
    for s in values + values[:10]:
        fast = decide(event, settings=s, roster=ROSTER, preferences={}, now=NOON)
        assert fast == reference_decide(event, settings=s, roster=ROSTER, preferences={}, now=NOON)
        assert fast[0].outcome.value == ("deliver" if s.version % 2 == 0 else "suppress")


@pytest.mark.parametrize(
    "event",
    [
        MemberMentioned(
            id="e", conversation_id="c", author_id="ann", mentioned=["dee", "bo", "dee"]
        ),
        MemberMentioned(
            id="e", conversation_id="c", author_id="ann", mentioned=["cy", "zed", "ann"]
        ),
        SlaBreached(id="e", conversation_id="c", assignee="cy"),
        SlaBreached(id="e", conversation_id="c", assignee="zed"),
        EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned"),
        HostEvent(
            id="e",
            kinds=("mention", "escalation_first_response", "quiet_hours_summary"),
            mentioned=("dee",),
            held_for=("ann", "dee"),
        ),
    ],
    ids=[
        "dup-mention",
        "inactive-unknown-author",
        "inactive-assignee",
        "unknown-assignee",
        "admins",
        "mixed-targets",
    ],
)
def test_targeted_events_in_roster_order(event):
    for now in (NOON, NIGHT):
        s = WorkspaceSettings(
            slack=SlackSettings(URL), quiet_hours=QuietHours(dt.time(22), dt.time(8))
        )
        fast = decide(event, settings=s, roster=ROSTER, preferences={}, now=now)
        assert fast == reference_decide(event, settings=s, roster=ROSTER, preferences={}, now=now)
