"""The adversarial suite, part 2: the functions that decide, given odd instants and odd facts.

``decide``, ``due``, ``next_check_at``, the digest schedules and quiet hours, with naive
datetimes, ``datetime.min`` / ``max`` in zones at both extremes, far-future instants, tzinfo
classes that answer ``None`` or a sub-minute offset, and wrong types everywhere.  Law: a valid
result or a well-formed NotifPolicyError (tests/_adversarial.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    Channel,
    ConversationCreated,
    ConversationState,
    DailyDigest,
    HostEvent,
    Member,
    MemberMentioned,
    MemberPreferences,
    QuietHours,
    QuietMode,
    Role,
    Roster,
    WeeklyDigest,
    WorkspaceSettings,
    business_due_at,
    business_time_between,
    decide,
    due,
    next_check_at,
)

from ._adversarial import adversarial, datetimes, obeys_law, texts, values

UTC = dt.UTC
AMSTERDAM = WorkspaceSettings.from_dict(
    {
        "timezone": "Europe/Amsterdam",
        "quiet_hours": {"enabled": True, "mode": "defer"},
        "business_hours": {"weekly": {"mon": [["09:00", "17:00"]], "sun": [["22:00", "02:00"]]}},
    }
)
SETTINGS = st.one_of(
    st.sampled_from(
        [
            WorkspaceSettings(),
            AMSTERDAM,
            WorkspaceSettings.from_dict(
                {"timezone": "Pacific/Kiritimati", "quiet_hours": {"enabled": True}}
            ),
        ]
    ),
    values,
)
ROSTER = Roster(
    [
        Member("olga", Role.OWNER, email="olga@example.org"),
        Member("anna", Role.AGENT, channels=[Channel.EMAIL]),
        Member("bo", Role.ADMIN, active=False),
    ]
)
EVENTS = st.sampled_from(
    [
        ConversationCreated(id="e1", conversation_id="c1"),
        MemberMentioned(id="e2", conversation_id="c1", author_id="anna", mentioned=["olga"]),
        HostEvent(id="e3", kinds=("refund",)),
    ]
)
ZONES = st.one_of(
    st.sampled_from(["UTC", "Europe/Amsterdam", "Asia/Kolkata", "utc", "Mars/Olympus"]),
    st.just(dt.timezone(dt.timedelta(hours=14))),
    values,
)
INSTANTS = datetimes | values
WALL = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))


@adversarial(ci_examples=5_000)
@given(
    event=EVENTS | values,
    settings=SETTINGS,
    roster=st.just(ROSTER) | values,
    preferences=st.just({}) | st.dictionaries(texts, st.just(MemberPreferences()) | values),
    now=INSTANTS,
)
def test_decide(event, settings, roster, preferences, now):
    obeys_law(
        lambda: decide(event, settings=settings, roster=roster, preferences=preferences, now=now)
    )


def _conversation(created: dt.datetime, since: Any, first: Any) -> object:
    return obeys_law(
        lambda: ConversationState(
            id="c1", created_at=created, unassigned_since=since, first_response_at=first
        )
    )


CONVERSATIONS = st.one_of(
    st.lists(
        st.builds(_conversation, datetimes, st.none() | datetimes, st.none() | datetimes),
        max_size=3,
    ),
    values,
)


@adversarial(ci_examples=4_000)
@given(
    conversations=CONVERSATIONS,
    settings=SETTINGS,
    now=INSTANTS,
    fired=st.just(set()) | st.lists(texts | values, max_size=2) | values,
    workspace_id=st.just("w") | texts | values,
)
def test_due_and_next_check_at(conversations, settings, now, fired, workspace_id):
    # A conversation that could not be built is a None in the list: a wrong type for `due`.
    obeys_law(
        lambda: due(
            conversations,
            settings=settings,
            now=now,
            already_fired=fired,
            workspace_id=workspace_id,
        )
    )
    obeys_law(lambda: next_check_at(conversations, settings=settings, now=now))


SCHEDULES = st.one_of(
    st.builds(
        DailyDigest,
        enabled=st.just(True),
        send_time=WALL,
    ),
    st.builds(
        WeeklyDigest,
        enabled=st.just(True),
        weekday=st.integers(0, 6),
        send_time=WALL,
    ),
)


@adversarial(ci_examples=13_500)
@given(
    schedule=SCHEDULES,
    at=INSTANTS,
    tz=ZONES,
    workspace_id=st.just("w") | texts | values,
)
def test_digest_schedules(schedule, at, tz, workspace_id):
    obeys_law(lambda: schedule.next_after(at, tz))
    obeys_law(lambda: schedule.previous_at_or_before(at, tz))
    obeys_law(lambda: schedule.period_containing(at, tz, workspace_id=workspace_id))
    obeys_law(lambda: schedule.period_ending_at(at, tz, workspace_id=workspace_id))


@adversarial(ci_examples=3_000)
@given(send_time=values | st.times(), weekday=values, enabled=values)
def test_digest_schedule_constructors(send_time, weekday, enabled):
    obeys_law(lambda: DailyDigest(enabled=enabled, send_time=send_time))
    obeys_law(lambda: WeeklyDigest(enabled=enabled, weekday=weekday, send_time=send_time))


@adversarial(ci_examples=5_000)
@given(
    start=WALL | values,
    end=WALL | values,
    mode=st.sampled_from(list(QuietMode)) | values,
    at=INSTANTS,
    tz=ZONES,
)
def test_quiet_hours(start, end, mode, at, tz):
    quiet = obeys_law(lambda: QuietHours(start, end, enabled=True, mode=mode))
    if quiet is not None:
        obeys_law(lambda: quiet.is_quiet(at, tz))
        obeys_law(lambda: quiet.quiet_until(at, tz))


# Spans and budgets of up to a few years: the clock walks the weeks between its two instants, so
# a span of 8,000 years takes seconds (not a crash; see the report of issue 12).
SPANS = st.timedeltas(min_value=dt.timedelta(days=-800), max_value=dt.timedelta(days=800))


NOT_INSTANTS = values.filter(lambda v: not isinstance(v, dt.datetime))


def _plus(a: Any, span: dt.timedelta) -> Any:
    try:
        return a + span
    except (TypeError, OverflowError):
        return a


@adversarial(ci_examples=2_500)
@given(a=INSTANTS, span=SPANS, b=NOT_INSTANTS, budget=SPANS | values, tz=ZONES)
def test_business_clock(a, span, b, budget, tz):
    hours = AMSTERDAM.business_hours
    assert hours is not None
    obeys_law(lambda: business_time_between(a, _plus(a, span), hours=hours, tz=tz))
    obeys_law(lambda: business_time_between(a, b, hours=hours, tz=tz))
    obeys_law(lambda: business_due_at(a, budget, hours=hours, tz=tz))
