"""Escalations: examples for every edge of the rules, and a property against a plain reference."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy._business_clock import business_due_at
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._errors import ValidationError
from notifpolicy._escalation import Escalation, due, next_check_at
from notifpolicy._settings import WorkspaceSettings

UTC = dt.UTC
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
US = dt.timedelta(microseconds=1)
MIN = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
WS = "ws1"
NOTHING: frozenset[str] = frozenset()

DEFAULT = WorkspaceSettings()  # unassigned after 30 minutes, first response after 15, both on


def settings_with(
    *,
    unassigned: tuple[bool, int] = (True, 30),
    first_response: tuple[bool, int] = (True, 15),
    business_hours: dict[str, object] | None = None,
    timezone: str = "UTC",
) -> WorkspaceSettings:
    return WorkspaceSettings.from_dict(
        {
            "timezone": timezone,
            "escalation": {
                "unassigned": {"enabled": unassigned[0], "after_minutes": unassigned[1]},
                "first_response": {
                    "enabled": first_response[0],
                    "after_minutes": first_response[1],
                },
            },
            "business_hours": business_hours,
        }
    )


def new(cid: str = "c1", at: dt.datetime = T0, assignee: str | None = None) -> ConversationState:
    """A conversation as created: unassigned since creation unless created with an assignee."""
    return ConversationState(
        id=cid, created_at=at, assignee=assignee, unassigned_since=None if assignee else at
    )


def assign(c: ConversationState, agent: str = "agent-1") -> ConversationState:
    return attrs.evolve(c, assignee=agent, unassigned_since=None)


def unassign(c: ConversationState, at: dt.datetime) -> ConversationState:
    return attrs.evolve(c, assignee=None, unassigned_since=at)


def reply(c: ConversationState, at: dt.datetime) -> ConversationState:
    return attrs.evolve(c, first_response_at=at)


def close(c: ConversationState) -> ConversationState:
    return attrs.evolve(c, status=ConversationStatus.CLOSED)


def reopen(c: ConversationState) -> ConversationState:
    return attrs.evolve(c, status=ConversationStatus.OPEN)


def run(states, now, settings=DEFAULT, fired=NOTHING) -> list[tuple[str, str, dt.datetime]]:
    return [
        (e.kind, e.key, e.due_at)
        for e in due(states, settings=settings, now=now, already_fired=fired, workspace_id=WS)
    ]


def keys(states, now, settings=DEFAULT, fired=NOTHING) -> set[str]:
    return {key for _, key, _ in run(states, now, settings, fired)}


UNASSIGNED_KEY = "ws1:unassigned:c1:2026-03-02T09:00:00+00:00"
ADMIN_KEY = "ws1:first_response:c1:escalation_first_response"
MEMBER_KEY = "ws1:first_response:c1:sla_breach"


# -- the two clocks ---------------------------------------------------------------------------


def test_nothing_is_due_before_the_first_threshold():
    c = new()
    assert run([c], T0 + 15 * MIN - US) == []
    assert next_check_at([c], settings=DEFAULT, now=T0 + 15 * MIN - US) == T0 + 15 * MIN


def test_due_exactly_at_the_threshold():
    c = new()
    assert run([c], T0 + 15 * MIN) == [
        ("escalation_first_response", ADMIN_KEY, T0 + 15 * MIN),
        ("sla_breach", MEMBER_KEY, T0 + 15 * MIN),
    ]
    assert next_check_at([c], settings=DEFAULT, now=T0 + 15 * MIN) == T0 + 30 * MIN
    assert run([reply(c, T0 + MIN)], T0 + 30 * MIN - US) == []
    assert run([reply(c, T0 + MIN)], T0 + 30 * MIN) == [
        ("escalation_unassigned", UNASSIGNED_KEY, T0 + 30 * MIN)
    ]


def test_assigned_one_microsecond_before_the_threshold_never_escalates():
    c = reply(assign(new()), T0 + MIN)  # assigned at 09:29:59.999999 (any time before 09:30)
    assert run([c], T0 + 30 * MIN) == []
    assert run([c], T0 + dt.timedelta(days=30)) == []
    assert next_check_at([c], settings=DEFAULT, now=T0 + 30 * MIN - US) is None


def test_unassigned_again_is_a_new_spell_with_a_new_key():
    c = reply(new(), T0 + MIN)
    fired = keys([c], T0 + 30 * MIN)
    assert fired == {UNASSIGNED_KEY}
    c = assign(c)
    assert run([c], T0 + 40 * MIN, fired=fired) == []
    c = unassign(c, T0 + 45 * MIN)
    assert run([c], T0 + 75 * MIN - US, fired=fired) == []
    assert next_check_at([c], settings=DEFAULT, now=T0 + 45 * MIN) == T0 + 75 * MIN
    assert run([c], T0 + 75 * MIN, fired=fired) == [
        ("escalation_unassigned", "ws1:unassigned:c1:2026-03-02T09:45:00+00:00", T0 + 75 * MIN)
    ]


def test_same_spell_fires_once():
    c = reply(new(), T0 + MIN)
    fired = keys([c], T0 + 30 * MIN)
    assert run([c], T0 + 31 * MIN, fired=fired) == []
    assert run([c], T0 + dt.timedelta(days=2), fired=fired) == []


def test_reply_after_the_deadline():
    c = new()
    # Evaluated before the reply arrived: due, once.
    fired = keys([c], T0 + 20 * MIN)
    assert fired == {ADMIN_KEY, MEMBER_KEY}
    assert keys([c], T0 + 21 * MIN, fired=fired) == set()
    # The reply comes at 09:25, after the 09:15 deadline: nothing more, ever.
    answered = reply(assign(c), T0 + 25 * MIN)
    assert run([answered], T0 + 26 * MIN) == []
    assert next_check_at([answered], settings=DEFAULT, now=T0 + 26 * MIN) is None


def test_reply_after_the_deadline_but_before_any_evaluation_fires_nothing():
    answered = reply(assign(new()), T0 + 25 * MIN)
    assert run([answered], T0 + 26 * MIN) == []


def test_a_recorded_first_response_stops_the_clock_whatever_its_timestamp():
    future_reply = reply(assign(new()), T0 + dt.timedelta(hours=5))  # a worker's clock ahead
    assert run([future_reply], T0 + dt.timedelta(hours=1)) == []
    assert next_check_at([future_reply], settings=DEFAULT, now=T0) is None


def test_future_timestamps_are_simply_not_due_yet():
    c = new(at=T0 + 10 * MIN)  # created "after now" by another worker's clock
    assert run([c], T0) == []
    assert next_check_at([c], settings=DEFAULT, now=T0) == T0 + 25 * MIN


def test_closed_conversations_do_not_escalate_and_closing_does_not_pause_the_clock():
    c = close(new())
    assert run([c], T0 + dt.timedelta(hours=2)) == []
    assert next_check_at([c], settings=DEFAULT, now=T0) is None
    # Reopened at 11:00 without a first response: due at once, at its original deadline.
    reopened = reopen(c)
    assert run([reopened], T0 + dt.timedelta(hours=2)) == [
        ("escalation_first_response", ADMIN_KEY, T0 + 15 * MIN),
        ("sla_breach", MEMBER_KEY, T0 + 15 * MIN),
        ("escalation_unassigned", UNASSIGNED_KEY, T0 + 30 * MIN),
    ]


def test_closed_then_reopened_after_firing_does_not_fire_again():
    c = new()
    fired = keys([c], T0 + 40 * MIN)
    assert len(fired) == 3
    reopened = reopen(close(c))
    assert run([reopened], T0 + dt.timedelta(hours=3), fired=fired) == []


def test_admin_rule_disabled_but_sla_breach_still_due():
    settings = settings_with(first_response=(False, 15))
    c = new()
    assert run([c], T0 + 15 * MIN, settings) == [("sla_breach", MEMBER_KEY, T0 + 15 * MIN)]
    assert next_check_at([c], settings=settings, now=T0) == T0 + 15 * MIN


def test_unassigned_rule_disabled():
    settings = settings_with(unassigned=(False, 30))
    c = reply(new(), T0 + MIN)
    assert run([c], T0 + dt.timedelta(days=1), settings) == []
    assert next_check_at([c], settings=settings, now=T0) is None


def test_a_lowered_threshold_makes_late_conversations_due_at_the_next_evaluation():
    c = reply(new(), T0 + MIN)
    now = T0 + 20 * MIN
    assert run([c], now) == []
    lowered = settings_with(unassigned=(True, 10))
    assert run([c], now, lowered) == [("escalation_unassigned", UNASSIGNED_KEY, T0 + 10 * MIN)]
    # Raised again after it fired: the key is spent; the next check is the new due instant.
    raised = settings_with(unassigned=(True, 60))
    assert run([c], now, raised, fired=frozenset({UNASSIGNED_KEY})) == []
    assert next_check_at([c], settings=raised, now=now) == T0 + 60 * MIN


def test_thresholds_are_real_time_for_unassigned_and_business_time_for_first_response():
    settings = settings_with(
        timezone="Europe/Amsterdam",
        business_hours={
            "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "closed_dates": ["2026-04-06"],  # Easter Monday
        },
    )
    friday = dt.datetime(2026, 4, 3, 16, 50, tzinfo=AMS)  # 14:50 UTC
    c = new(at=friday)
    # Unassigned: real time, Friday 17:20 local.
    assert next_check_at([c], settings=settings, now=friday) == friday + 30 * MIN
    fired = keys([c], friday + 30 * MIN, settings)
    assert fired == {f"ws1:unassigned:c1:{friday.astimezone(UTC).isoformat()}"}
    # First response: 10 minutes on Friday, then closed over the weekend and the holiday;
    # the last 5 minutes run on Tuesday from 09:00.
    deadline = dt.datetime(2026, 4, 7, 9, 5, tzinfo=AMS)
    assert next_check_at([c], settings=settings, now=friday + 30 * MIN) == deadline
    assert run([c], deadline - US, settings, fired) == []
    assert run([c], deadline, settings, fired) == [
        ("escalation_first_response", ADMIN_KEY, deadline),
        ("sla_breach", MEMBER_KEY, deadline),
    ]


def test_created_while_closed_is_due_after_opening():
    settings = settings_with(
        timezone="Europe/Amsterdam",
        business_hours={"weekly": {"mon": [["09:00", "17:00"]]}},
    )
    sunday = dt.datetime(2026, 3, 8, 12, tzinfo=AMS)
    c = reply(new(at=sunday), sunday)  # answered at once: only the unassigned clock runs
    assert next_check_at([c], settings=settings, now=sunday) == sunday + 30 * MIN
    waiting = new("c2", at=sunday, assignee="a")
    due_at = dt.datetime(2026, 3, 9, 9, 15, tzinfo=AMS)
    assert next_check_at([waiting], settings=settings, now=sunday) == due_at
    assert run([waiting], due_at - US, settings) == []
    assert {k for k, _, _ in run([waiting], due_at, settings)} == {
        "escalation_first_response",
        "sla_breach",
    }


def test_spring_forward_deadline():
    # Opening at 02:30 on 2026-03-29 (Amsterdam) opens at 03:00 CEST = 01:00 UTC.
    settings = settings_with(
        timezone="Europe/Amsterdam", business_hours={"weekly": {"sun": [["02:30", "05:00"]]}}
    )
    c = new(at=dt.datetime(2026, 3, 28, 20, tzinfo=UTC), assignee="a")
    assert next_check_at([c], settings=settings, now=c.created_at) == dt.datetime(
        2026, 3, 29, 1, 15, tzinfo=UTC
    )


def test_several_conversations_sorted_by_due_at_then_key():
    states = [
        reply(new("b", T0 - 50 * MIN), T0 - 49 * MIN),
        new("a", T0 - 20 * MIN, assignee="x"),
        reply(new("c", T0 - 50 * MIN), T0 - 49 * MIN),
        close(new("d", T0 - 60 * MIN)),
    ]
    assert [(k, key) for k, key, _ in run(states, T0)] == [
        ("escalation_unassigned", "ws1:unassigned:b:2026-03-02T08:10:00+00:00"),
        ("escalation_unassigned", "ws1:unassigned:c:2026-03-02T08:10:00+00:00"),
        ("escalation_first_response", "ws1:first_response:a:escalation_first_response"),
        ("sla_breach", "ws1:first_response:a:sla_breach"),
    ]
    assert run(states, T0) == run(list(reversed(states)), T0)


def test_keys_start_with_the_workspace_and_use_the_utc_instant():
    local = T0.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    c = reply(new(at=local), local)
    (e,) = due([c], settings=DEFAULT, now=T0 + MIN * 30, already_fired=set(), workspace_id="w-9")
    assert e == Escalation(
        "escalation_unassigned", "c1", T0 + 30 * MIN, UNASSIGNED_KEY.replace("ws1", "w-9")
    )
    assert e.due_at.tzinfo is UTC


def test_now_in_any_zone_is_the_same_instant():
    c = new()
    now = (T0 + 15 * MIN).astimezone(AMS)
    assert run([c], now) == run([c], T0 + 15 * MIN)
    assert next_check_at([c], settings=DEFAULT, now=now) == T0 + 30 * MIN


class _Claimed:
    """A host's container: only `in` is needed (a store lookup, say)."""

    def __init__(self, claimed: set[str]) -> None:
        self.claimed = claimed
        self.asked: list[str] = []

    def __contains__(self, key: object) -> bool:
        assert isinstance(key, str)
        self.asked.append(key)
        return key in self.claimed


def test_already_fired_may_be_any_container():
    c = new()
    now = T0 + 30 * MIN
    claimed = _Claimed({ADMIN_KEY})
    assert keys([c], now, fired=claimed) == {MEMBER_KEY, UNASSIGNED_KEY}
    assert set(claimed.asked) == {ADMIN_KEY, MEMBER_KEY, UNASSIGNED_KEY}
    assert keys([c], now, fired=[ADMIN_KEY, MEMBER_KEY]) == {UNASSIGNED_KEY}
    assert keys([c], now, fired={ADMIN_KEY: 1}) == {MEMBER_KEY, UNASSIGNED_KEY}


def test_generators_are_accepted():
    states = (new(f"c{i}") for i in range(3))
    assert (
        len(due(states, settings=DEFAULT, now=T0 + 15 * MIN, already_fired=set(), workspace_id=WS))
        == 6
    )


def test_nothing_pending():
    assert next_check_at([], settings=DEFAULT, now=T0) is None
    assert due([], settings=DEFAULT, now=T0, already_fired=set(), workspace_id=WS) == ()


def test_next_check_is_strictly_after_now():
    c = new()
    at_deadline = T0 + 15 * MIN
    assert next_check_at([c], settings=DEFAULT, now=at_deadline - US) == at_deadline
    assert next_check_at([c], settings=DEFAULT, now=at_deadline) == T0 + 30 * MIN
    assert next_check_at([c], settings=DEFAULT, now=T0 + 30 * MIN) is None


def test_a_deadline_past_year_9999_is_never_due():
    settings = settings_with(
        timezone="Europe/Amsterdam", business_hours={"weekly": {"mon": [["09:00", "17:00"]]}}
    )
    far = new(at=dt.datetime(9999, 12, 30, tzinfo=UTC), assignee="a")
    assert next_check_at([far], settings=settings, now=T0) is None
    assert run([far], T0, settings) == []


def test_extreme_instants_do_not_overflow():
    early = dt.datetime(1, 1, 1, 0, 10, tzinfo=UTC)
    c = new(at=early)
    assert run([c], early) == []
    assert next_check_at([c], settings=DEFAULT, now=early) == early + 15 * MIN
    late = dt.datetime.max.replace(tzinfo=UTC) - 20 * MIN
    c = new(at=late)
    assert next_check_at([c], settings=DEFAULT, now=late) == late + 15 * MIN  # 30 overflows


# -- bad input ----------------------------------------------------------------------------------


def _error(**overrides: object) -> list[tuple[str, str]]:
    call: dict[str, object] = {
        "settings": DEFAULT,
        "now": T0,
        "already_fired": set(),
        "workspace_id": WS,
    }
    call.update(overrides)
    conversations = call.pop("conversations", [new()])
    with pytest.raises(ValidationError) as info:
        due(conversations, **call)  # type: ignore[arg-type]
    return [(p.path, p.code) for p in info.value.problems]


def test_two_states_with_one_id_is_a_validation_error():
    states = [new("c1"), new("c2"), close(new("c1"))]
    assert _error(conversations=states) == [("conversations[2].id", "duplicate")]
    with pytest.raises(ValidationError, match=r"conversations\[2\]\.id: 'c1' is given twice"):
        next_check_at(states, settings=DEFAULT, now=T0)


def test_not_a_state_is_a_validation_error():
    assert _error(conversations=[new(), {"id": "c2"}, "c3"]) == [
        ("conversations[1]", "type"),
        ("conversations[2]", "type"),
    ]
    with pytest.raises(ValidationError, match="must be a ConversationState, got dict"):
        next_check_at([{"id": "c2"}], settings=DEFAULT, now=T0)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"now": dt.datetime(2026, 3, 2, 9)}, [("now", "naive_datetime")]),
        ({"now": "2026-03-02T09:00Z"}, [("now", "type")]),
        (
            {"now": dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))},
            [("now", "range")],
        ),
        ({"settings": {"timezone": "UTC"}}, [("settings", "type")]),
        ({"already_fired": "ws1:unassigned:c1"}, [("already_fired", "type")]),
        ({"already_fired": 7}, [("already_fired", "type")]),
        ({"workspace_id": ""}, [("workspace_id", "type")]),
        ({"workspace_id": None}, [("workspace_id", "type")]),
    ],
)
def test_bad_arguments(overrides, expected):
    assert _error(**overrides) == expected


def test_next_check_bad_arguments():
    with pytest.raises(ValidationError, match="now: must be timezone-aware"):
        next_check_at([], settings=DEFAULT, now=dt.datetime(2026, 3, 2))
    with pytest.raises(ValidationError, match="settings: must be a WorkspaceSettings"):
        next_check_at([], settings=None, now=T0)  # type: ignore[arg-type]


def test_escalation_value_checks():
    e = Escalation("sla_breach", "c1", T0.astimezone(AMS), "k")
    assert e.due_at.tzinfo is UTC
    assert e.due_at == T0
    with pytest.raises(ValidationError, match="kind: must be one of"):
        Escalation("mention", "c1", T0, "k")
    with pytest.raises(ValidationError, match="kind: must be one of"):
        Escalation(["sla_breach"], "c1", T0, "k")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="conversation_id: must be a non-empty string"):
        Escalation("sla_breach", "", T0, "k")
    with pytest.raises(ValidationError, match="key: must be a non-empty string, got None"):
        Escalation("sla_breach", "c1", T0, None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="due_at: must be timezone-aware"):
        Escalation("sla_breach", "c1", dt.datetime(2026, 3, 2), "k")


# -- the property: `due` and `next_check_at` against a plain reference ---------------------

SCHEDULES: list[dict[str, object] | None] = [
    None,
    {
        "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "closed_dates": ["2026-10-26"],
    },
    {
        "weekly": {
            "sat": [["22:00", "02:30"]],
            "sun": [["02:30", "03:15"], ["12:00", "12:20"]],
            "mon": [["00:00", "00:05"]],
        },
        "closed_dates": ["2026-03-30"],
    },
]
# Saturday evenings before the two DST changes of 2026 in Amsterdam.
BASES = [dt.datetime(2026, 3, 28, 18, tzinfo=UTC), dt.datetime(2026, 10, 24, 18, tzinfo=UTC)]


def reference(states, settings: WorkspaceSettings) -> Iterator[tuple[str, dt.datetime]]:
    """(key, due instant) for every escalation of every open conversation, read off the rules."""
    rules = settings.escalation
    for c in states:
        if c.status is not ConversationStatus.OPEN:
            continue
        if rules.unassigned.enabled and c.assignee is None:
            since = c.unassigned_since.astimezone(UTC)
            yield f"{WS}:unassigned:{c.id}:{since.isoformat()}", since + rules.unassigned.after
        if c.first_response_at is None:
            if settings.business_hours is None:
                at = c.created_at + rules.first_response.after
            else:
                at = business_due_at(
                    c.created_at,
                    rules.first_response.after,
                    hours=settings.business_hours,
                    tz=settings.timezone,
                )
            if rules.first_response.enabled:
                yield f"{WS}:first_response:{c.id}:escalation_first_response", at
            yield f"{WS}:first_response:{c.id}:sla_breach", at


@st.composite
def worlds(draw: st.DrawFn):
    base = draw(st.sampled_from(BASES))
    offsets = st.integers(0, 36 * 60 * 60 * 10**6).map(lambda us: us * US)
    whole = st.integers(0, 36 * 60).map(lambda m: m * MIN)
    when = st.one_of(offsets, whole).map(lambda d: base + d)
    states = []
    for i in range(draw(st.integers(0, 6))):
        created = draw(when)
        assignee = draw(st.sampled_from([None, "a"]))
        since = None
        if assignee is None:
            since = created + draw(st.one_of(st.just(dt.timedelta(0)), offsets))
        first = draw(st.one_of(st.none(), st.just(created), offsets.map(created.__add__)))
        states.append(
            ConversationState(
                id=f"c{i}",
                created_at=created,
                status=draw(st.sampled_from(["open", "open", "closed"])),
                assignee=assignee,
                unassigned_since=since,
                first_response_at=first,
            )
        )
    settings = settings_with(
        unassigned=(draw(st.booleans()), draw(st.integers(1, 240))),
        first_response=(draw(st.booleans()), draw(st.integers(1, 240))),
        business_hours=draw(st.sampled_from(SCHEDULES)),
        timezone="Europe/Amsterdam",
    )
    return states, settings, when


@given(worlds(), st.data())
def test_due_and_next_check_match_the_reference(world, data):
    states, settings, when = world
    expected_all = dict(reference(states, settings))
    # `now`: anywhere, or exactly at some escalation's due instant, or one microsecond either side.
    instants = sorted(set(expected_all.values()))
    if instants and data.draw(st.booleans()):
        now = data.draw(st.sampled_from(instants)) + data.draw(st.sampled_from([-1, 0, 1])) * US
    else:
        now = data.draw(when)
    fired = frozenset(data.draw(st.sets(st.sampled_from(sorted(expected_all) or ["none"]))))
    expected = {key: at for key, at in expected_all.items() if at <= now and key not in fired}
    got = due(states, settings=settings, now=now, already_fired=fired, workspace_id=WS)
    assert {e.key: e.due_at for e in got} == expected
    assert list(got) == sorted(got, key=lambda e: (e.due_at, e.key))
    pending = [at for at in expected_all.values() if at > now]
    assert next_check_at(states, settings=settings, now=now) == min(pending, default=None)
