"""The quiet-hours catch-up: one summary per member per quiet period."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    Channel,
    Member,
    MemberPreferences,
    QuietHours,
    QuietMode,
    Role,
    Roster,
    SlackSettings,
    ValidationError,
    WorkspaceSettings,
)
from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CatchUp, build_catchups, catchup_text
from notifpolicy._decide import decide
from notifpolicy._decision import Decision, Outcome
from notifpolicy._events import ConversationCreated, Event, MemberMentioned
from notifpolicy._reasons import ReasonCode
from notifpolicy.testing._decision_strategies import events, preferences_for, rosters

UTC = dt.UTC
AMS = "Europe/Amsterdam"
URL = "https://hooks.slack.com/services/T0/B0/x"
MORNING = dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 Amsterdam: quiet hours end
ROSTER = Roster(
    [
        Member("ann", Role.AGENT, "Anna"),
        Member("bo", Role.ADMIN, "Bo", channels=[Channel.EMAIL, Channel.PUSH]),
        Member("cy", Role.AGENT, "Cy"),
    ]
)


def settings(mode: QuietMode = QuietMode.SUMMARIZE) -> WorkspaceSettings:
    return WorkspaceSettings(
        timezone=AMS,
        quiet_hours=QuietHours(dt.time(22), dt.time(8), mode=mode),
        slack=SlackSettings(URL),
    )


def night(hour: int, minute: int = 0) -> dt.datetime:
    """An instant of the night of 2 to 3 March 2026, given in Amsterdam wall-clock hours (CET)."""
    day = 2 if hour >= 12 else 3
    return dt.datetime(2026, 3, day, hour - 1 if hour >= 1 else 23, minute, tzinfo=UTC)


def held_during_the_night(
    s: WorkspaceSettings, prefs: dict[str, MemberPreferences] | None = None
) -> list[Decision]:
    happened: list[tuple[Event, dt.datetime]] = [
        (ConversationCreated(id="e1", conversation_id="c1"), night(22, 30)),
        (ConversationCreated(id="e2", conversation_id="c2", assignee="cy"), night(23)),
        (ConversationCreated(id="e3", conversation_id="c3"), night(2)),
        (MemberMentioned(id="e4", conversation_id="c1", author_id="cy", mentioned=["ann"]),
         night(3)),
        (MemberMentioned(id="e5", conversation_id="c3", author_id="cy", mentioned=["ann", "bo"]),
         night(4)),
    ]  # fmt: skip
    out: list[Decision] = []
    for event, at in happened:
        out.extend(decide(event, settings=s, roster=ROSTER, preferences=prefs or {}, now=at))
    return out


def test_one_catch_up_per_member_counting_events_not_channels():
    held = held_during_the_night(settings())
    catchups = build_catchups(
        held, workspace_id="w1", settings=settings(), roster=ROSTER, preferences={}, now=MORNING
    )
    assert [c.member_id for c in catchups] == ["ann", "bo", "cy"]
    ann, bo, cy = catchups
    assert dict(ann.counts) == {
        "new_conversation": 3,
        "unassigned_conversation": 2,
        "mention": 2,
    }
    assert ann.conversation_ids == ("c1", "c2", "c3")
    assert ann.held_channels == (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)
    assert ann.channels == ann.held_channels
    assert ann.due_at == MORNING
    assert ann.key == "w1:quiet_hours_summary:ann:2026-03-03T07:00:00+00:00"
    assert ann.total == 7
    assert dict(bo.counts) == {"new_conversation": 3, "unassigned_conversation": 2, "mention": 1}
    assert bo.held_channels == (Channel.EMAIL, Channel.PUSH)
    assert dict(cy.counts) == {"new_conversation": 3, "unassigned_conversation": 2}
    assert catchup_text(ann) == (
        "While quiet hours were on: 3 new conversations, 2 unassigned conversations, 2 mentions."
    )
    assert catchup_text(bo, language="nl") == (
        "Tijdens de stille uren: 3 nieuwe gesprekken, 2 niet-toegewezen gesprekken, 1 vermelding."
    )


def test_delivered_only_on_held_channels_the_member_has_on_for_the_catch_up():
    prefs = {
        "ann": MemberPreferences.from_dict(
            {"overrides": {"quiet_hours_summary": {"*": False, "email": True}}}
        ),
        "cy": MemberPreferences.from_dict({"overrides": {"quiet_hours_summary": False}}),
    }
    held = held_during_the_night(settings())
    ann, bo, cy = build_catchups(
        held, workspace_id="w1", settings=settings(), roster=ROSTER, preferences=prefs, now=MORNING
    )
    assert ann.channels == (Channel.EMAIL,)
    assert bo.channels == (Channel.EMAIL, Channel.PUSH)
    assert cy.channels == ()  # turned off: the host sends nothing
    assert cy.held_channels == (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)


def test_a_member_who_turned_a_channel_off_has_nothing_held_there():
    prefs = {"ann": MemberPreferences.from_dict({"overrides": {"mention": {"push": False}}})}
    s = settings()
    held = [
        d for d in held_during_the_night(s, prefs) if d.member_id == "ann" and "mention" in d.kinds
    ]
    [ann] = build_catchups(
        held, workspace_id="w", settings=s, roster=ROSTER, preferences=prefs, now=MORNING
    )
    assert ann.held_channels == (Channel.IN_APP, Channel.EMAIL)


def test_only_decisions_held_in_summarize_mode_count():
    for mode in (QuietMode.SUPPRESS, QuietMode.DEFER):
        held = held_during_the_night(settings(mode))
        assert build_catchups(
            held, workspace_id="w", settings=settings(), roster=ROSTER, preferences={},
            now=MORNING,
        ) == ()  # fmt: skip
    daytime = decide(
        ConversationCreated(id="e", conversation_id="c"),
        settings=settings(),
        roster=ROSTER,
        preferences={},
        now=MORNING,
    )
    assert build_catchups(
        daytime, workspace_id="w", settings=settings(), roster=ROSTER, preferences={},
        now=MORNING,
    ) == ()  # fmt: skip


def test_slack_is_not_summarized_and_duplicates_count_once():
    held = held_during_the_night(settings())
    assert any(d.is_slack and ReasonCode.QUIET_HOURS_SUMMARIZE in d.codes() for d in held)
    once = build_catchups(
        held, workspace_id="w", settings=settings(), roster=ROSTER, preferences={}, now=MORNING
    )
    twice = build_catchups(
        held + held, workspace_id="w", settings=settings(), roster=ROSTER, preferences={},
        now=MORNING,
    )  # fmt: skip
    assert once == twice


def test_a_period_that_is_not_over_yet_is_left_out():
    held = held_during_the_night(settings())
    assert build_catchups(
        held, workspace_id="w", settings=settings(), roster=ROSTER, preferences={},
        now=MORNING - dt.timedelta(microseconds=1),
    ) == ()  # fmt: skip


def test_deactivated_or_removed_members_get_no_catch_up():
    held = held_during_the_night(settings())
    roster = Roster([Member("ann", Role.AGENT, active=False), Member("cy", Role.AGENT)])
    catchups = build_catchups(
        held, workspace_id="w", settings=settings(), roster=roster, preferences={}, now=MORNING
    )
    assert [c.member_id for c in catchups] == ["cy"]


def test_a_dst_night_that_splits_quiet_hours_gives_two_catch_ups():
    # 02:30-06:00, on the night Amsterdam falls back 03:00 CEST -> 02:00 CET: quiet from 02:30
    # CEST, not quiet from 02:00 CET (the clock left the window), quiet again from 02:30 CET.
    s = WorkspaceSettings(
        timezone=AMS, quiet_hours=QuietHours(dt.time(2, 30), dt.time(6), mode=QuietMode.SUMMARIZE)
    )
    first = dt.datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45 CEST
    second = dt.datetime(2026, 10, 25, 1, 45, tzinfo=UTC)  # 02:45 CET
    held = [
        *decide(ConversationCreated(id="e1", conversation_id="c1"), settings=s, roster=ROSTER,
                preferences={}, now=first),
        *decide(ConversationCreated(id="e2", conversation_id="c2"), settings=s, roster=ROSTER,
                preferences={}, now=second),
    ]  # fmt: skip
    later = dt.datetime(2026, 10, 25, 12, tzinfo=UTC)
    catchups = build_catchups(
        held, workspace_id="w", settings=s, roster=ROSTER, preferences={}, now=later
    )
    ann = [c for c in catchups if c.member_id == "ann"]
    assert [c.due_at for c in ann] == [
        dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 02:00 CET
        dt.datetime(2026, 10, 25, 5, 0, tzinfo=UTC),  # 06:00 CET
    ]
    assert [c.conversation_ids for c in ann] == [("c1",), ("c2",)]
    assert [c.member_id for c in catchups] == ["ann", "bo", "cy", "ann", "bo", "cy"]


def test_bad_input_is_a_validation_error():
    good = {
        "workspace_id": "w",
        "settings": settings(),
        "roster": ROSTER,
        "preferences": {},
        "now": MORNING,
    }
    for change, path in (
        ({"workspace_id": ""}, "workspace_id"),
        ({"settings": {}}, "settings"),
        ({"roster": []}, "roster"),
        ({"preferences": []}, "preferences"),
        ({"now": dt.datetime(2026, 3, 3, 8)}, "now"),
    ):
        with pytest.raises(ValidationError) as info:
            build_catchups([], **{**good, **change})  # type: ignore[arg-type]
        assert info.value.problems[0].path == path
    with pytest.raises(ValidationError) as info:
        build_catchups(["held"], **good)  # type: ignore[arg-type, list-item]
    assert info.value.problems[0].path == "held[0]"
    held = held_during_the_night(settings())
    with pytest.raises(ValidationError) as info:
        build_catchups(held, **{**good, "preferences": {"ann": {"mention": False}}})  # type: ignore[arg-type]
    assert info.value.problems[0].path == "preferences['ann']"
    with pytest.raises(ValidationError):
        catchup_text("catch-up")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        catchup_text(build_catchups(held, **good)[0], language="fr")  # type: ignore[arg-type]


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        build_catchups(
            ["held", 3],  # type: ignore[list-item]
            workspace_id="",
            settings={},  # type: ignore[arg-type]
            roster=ROSTER,
            preferences={},
            now=dt.datetime(2026, 3, 3, 8),
        )
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("workspace_id", "type"),
        ("settings", "type"),
        ("now", "naive_datetime"),
        ("held[0]", "type"),
        ("held[1]", "type"),
    ]
    assert str(info.value).startswith("5 problems:")


def test_every_bad_preferences_value_of_a_due_member_is_reported_at_once():
    held = held_during_the_night(settings())
    with pytest.raises(ValidationError) as info:
        build_catchups(
            held,
            workspace_id="w1",
            settings=settings(),
            roster=ROSTER,
            preferences={"ann": {"mention": False}, "cy": "off"},  # type: ignore[dict-item]
            now=MORNING,
        )
    paths = {p.path for p in info.value.problems}
    assert paths == {"preferences['ann']", "preferences['cy']"}


def test_host_kinds_and_languages_in_the_text():
    c = CatchUp("ann", MORNING, {"refund_requested": 2, "mention": 1}, ("c1",), (), (), "k")
    assert catchup_text(c) == "While quiet hours were on: refund_requested: 2, 1 mention."
    catalog = MessageCatalog.default().with_messages(
        {
            "en": {"count.refund_requested.other": "{count} refund requests"},
            "nl": {"count.refund_requested.other": "{count} terugbetalingsverzoeken"},
        }
    )
    assert catchup_text(c, language="nl", catalog=catalog) == (
        "Tijdens de stille uren: 2 terugbetalingsverzoeken, 1 vermelding."
    )


@given(
    rosters().flatmap(lambda r: st.tuples(st.just(r), preferences_for(r))),
    st.lists(st.integers(0, 9 * 60), min_size=1, max_size=6),
    st.data(),
)
def test_catch_ups_summarize_exactly_what_was_held(case, minutes, data):
    roster, prefs = case
    s = settings()
    held: list[Decision] = []
    for i, offset in enumerate(minutes):
        event = data.draw(events(roster))
        event = type(event)(**{**_fields(event), "id": f"e{i}"})
        at = dt.datetime(2026, 3, 2, 21, 0, tzinfo=UTC) + dt.timedelta(minutes=offset)
        held.extend(decide(event, settings=s, roster=roster, preferences=prefs, now=at))
    catchups = build_catchups(
        held, workspace_id="w", settings=s, roster=roster, preferences=prefs, now=MORNING
    )
    summarized = [
        d
        for d in held
        if not d.is_slack
        and d.outcome is Outcome.SUPPRESS
        and ReasonCode.QUIET_HOURS_SUMMARIZE in d.codes()
    ]
    assert {c.member_id for c in catchups} == {
        d.member_id for d in summarized if (m := roster.get(d.member_id or "")) and m.active
    }
    for c in catchups:
        mine = [d for d in summarized if d.member_id == c.member_id]
        assert c.total == sum(len({d.event_id for d in mine if k in d.kinds}) for k in c.counts)
        assert set(c.held_channels) == {d.channel for d in mine}
        assert set(c.channels) <= set(c.held_channels)
        assert c.due_at == MORNING


def _fields(event: Event) -> dict[str, object]:
    return attrs.asdict(event, recurse=False)
