"""ConversationState: the host's snapshot, checked for consistency and stored in UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._errors import ValidationError

UTC = dt.UTC
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = dt.timedelta(minutes=1)
# The last datetime there is, five hours behind UTC: after year 9999 in UTC.
LAST_IN_NEW_YORK = dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def unassigned(**changes: Any) -> ConversationState:
    base = ConversationState(id="c1", created_at=T0, unassigned_since=T0)
    return attrs.evolve(base, **changes)


def problems_of(**fields: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        ConversationState(**fields)  # type: ignore[arg-type]
    return [(p.path, p.code) for p in info.value.problems]


def test_defaults_and_status_strings():
    c = unassigned()
    assert c.status is ConversationStatus.OPEN
    assert c.is_open
    assert c.assignee is None
    assert c.first_response_at is None
    closed = unassigned(status="closed")
    assert closed.status is ConversationStatus.CLOSED
    assert not closed.is_open
    assert unassigned(status=ConversationStatus.CLOSED) == closed


def test_assigned_state():
    c = ConversationState(id="c1", created_at=T0, assignee="agent-7", first_response_at=T0 + MIN)
    assert c.unassigned_since is None
    assert c.first_response_at == T0 + MIN


def test_datetimes_are_stored_in_utc_and_compare_as_instants():
    local = T0.astimezone(AMS)
    c = ConversationState(id="c1", created_at=local, unassigned_since=local)
    assert c.created_at.tzinfo is UTC
    assert c.unassigned_since is not None
    assert c.unassigned_since.tzinfo is UTC
    assert c == unassigned()
    assert hash(c) == hash(unassigned())


def test_evolve_checks_again():
    c = unassigned()
    with pytest.raises(ValidationError):
        attrs.evolve(c, assignee="agent-7")  # still has unassigned_since
    assigned = attrs.evolve(c, assignee="agent-7", unassigned_since=None)
    assert assigned.assignee == "agent-7"


def test_frozen():
    c = unassigned()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        c.assignee = "x"  # type: ignore[misc]


def test_timestamps_after_now_are_not_errors():
    # There is no "now" here at all: workers' clocks differ, and a future instant is allowed.
    later = T0 + dt.timedelta(days=3)
    c = unassigned(first_response_at=later, unassigned_since=later)
    assert c.first_response_at == later


def test_first_response_at_creation_is_fine():
    assert unassigned(first_response_at=T0).first_response_at == T0


def test_one_microsecond_before_creation_is_too_early():
    us = dt.timedelta(microseconds=1)
    assert problems_of(id="c1", created_at=T0, unassigned_since=T0 - us) == [
        ("unassigned_since", "before_creation")
    ]
    assert problems_of(id="c1", created_at=T0, assignee="a", first_response_at=T0 - us) == [
        ("first_response_at", "before_creation")
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"id": "c1", "created_at": dt.datetime(2026, 3, 2, 9), "unassigned_since": T0},
            [("created_at", "naive_datetime")],
        ),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": dt.datetime(2026, 3, 2, 9)},
            [("unassigned_since", "naive_datetime")],
        ),
        (
            {
                "id": "c1",
                "created_at": T0,
                "unassigned_since": T0,
                "first_response_at": dt.datetime(2026, 3, 2, 10),
            },
            [("first_response_at", "naive_datetime")],
        ),
        (
            {"id": "c1", "created_at": "2026-03-02T09:00Z", "unassigned_since": T0},
            [("created_at", "type")],
        ),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": T0, "first_response_at": T0 - MIN},
            [("first_response_at", "before_creation")],
        ),
        (
            {"id": "c1", "created_at": T0, "assignee": "a", "unassigned_since": T0},
            [("unassigned_since", "inconsistent")],
        ),
        ({"id": "c1", "created_at": T0}, [("unassigned_since", "inconsistent")]),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": T0 - MIN},
            [("unassigned_since", "before_creation")],
        ),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": T0, "status": "pending"},
            [("status", "unknown_status")],
        ),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": T0, "status": "OPEN"},
            [("status", "unknown_status")],
        ),
        (
            {"id": "c1", "created_at": T0, "unassigned_since": T0, "status": 1},
            [("status", "unknown_status")],
        ),
        ({"id": "", "created_at": T0, "unassigned_since": T0}, [("id", "type")]),
        ({"id": 7, "created_at": T0, "unassigned_since": T0}, [("id", "type")]),
        ({"id": "c1", "created_at": T0, "assignee": ""}, [("assignee", "type")]),
        ({"id": "c1", "created_at": T0, "assignee": 7}, [("assignee", "type")]),
        (
            {"id": "c1", "created_at": T0, "assignee": "a", "unassigned_since": "yesterday"},
            [("unassigned_since", "type"), ("unassigned_since", "inconsistent")],
        ),
        (
            {"id": "c1", "created_at": T0, "assignee": "a", "first_response_at": LAST_IN_NEW_YORK},
            [("first_response_at", "range")],
        ),
    ],
)
def test_inconsistent_state_is_a_validation_error(fields, expected):
    assert problems_of(**fields) == expected


def test_every_problem_is_reported_at_once():
    found = problems_of(
        id="",
        created_at=T0,
        status="archived",
        unassigned_since=T0 - MIN,
        first_response_at=T0 - MIN,
    )
    assert found == [
        ("id", "type"),
        ("status", "unknown_status"),
        ("unassigned_since", "before_creation"),
        ("first_response_at", "before_creation"),
    ]


def test_messages_name_the_conversation_the_value_and_the_expectation():
    with pytest.raises(ValidationError) as info:
        ConversationState(id="c9", created_at=T0, unassigned_since=T0, status="pending")
    assert str(info.value) == "status: conversation 'c9': must be 'open' or 'closed', got 'pending'"
    with pytest.raises(ValidationError) as info:
        ConversationState(id="c9", created_at=T0, unassigned_since=T0 - MIN)
    message = str(info.value)
    assert message.startswith("unassigned_since: conversation 'c9': ")
    assert "2026-03-02T09:00:00+00:00" in message
    assert "2026-03-02T08:59:00+00:00" in message
    with pytest.raises(
        ValidationError, match=r"^created_at: conversation 'c9': must be timezone-aware, got naive"
    ):
        ConversationState(id="c9", created_at=dt.datetime(2026, 3, 2), unassigned_since=T0)


def test_validation_error_is_a_value_error():
    with pytest.raises(
        ValueError, match=r"^unassigned_since: conversation 'c1': must say since when"
    ):
        ConversationState(id="c1", created_at=T0)


def test_order_is_judged_on_instants_not_on_the_wall_clock_in_a_fold():
    # Europe/Amsterdam 2026-10-25: 02:45 (first pass, 00:45 UTC) comes before 02:30 (second
    # pass, 01:30 UTC).  Same tzinfo, so Python would compare the wall clocks: must not.
    first_pass = dt.datetime(2026, 10, 25, 2, 45, tzinfo=AMS, fold=0)
    second_pass = dt.datetime(2026, 10, 25, 2, 30, tzinfo=AMS, fold=1)
    ok = ConversationState(id="c1", created_at=first_pass, unassigned_since=second_pass)
    assert ok.unassigned_since is not None
    assert ok.unassigned_since - ok.created_at == dt.timedelta(minutes=45)
    assert problems_of(id="c1", created_at=second_pass, unassigned_since=first_pass) == [
        ("unassigned_since", "before_creation")
    ]


@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2040, 1, 1),
        timezones=st.sampled_from([UTC, AMS, zoneinfo.ZoneInfo("America/New_York")]),
    ),
    st.integers(0, 10**12),
)
def test_any_aware_input_is_stored_as_the_same_instant_in_utc(created, gap_us):
    gap = dt.timedelta(microseconds=gap_us)
    # Later by `gap` of real time, expressed in the same zone (folds included).
    since = (created.astimezone(UTC) + gap).astimezone(created.tzinfo)
    c = ConversationState(id="c", created_at=created, unassigned_since=since)
    assert c.created_at.tzinfo is UTC
    assert c.created_at.timestamp() == created.timestamp()
    assert c.unassigned_since is not None
    assert c.unassigned_since - c.created_at == gap
