"""Digest figures (SPEC §6 content): every definition by example, and the laws as properties."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import ValidationError, WorkspaceSettings
from notifpolicy._digest_figures import (
    ConversationRecord,
    PeriodFigures,
    Reply,
    median,
    p90,
    period_figures,
    period_totals,
)

T = dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC)  # a Monday
DAY = dt.timedelta(days=1)
MIN = dt.timedelta(minutes=1)
S = WorkspaceSettings()  # first-response target 15 minutes


def rec(cid: str, created: dt.datetime, **kw: object) -> ConversationRecord:
    return ConversationRecord(cid, created, **kw)  # type: ignore[arg-type]


def figures(
    records: list[ConversationRecord],
    start: dt.datetime = T,
    end: dt.datetime = T + DAY,
    settings: WorkspaceSettings = S,
) -> PeriodFigures:
    return period_figures(records, start=start, end=end, settings=settings)


def test_counts():
    records = [
        rec("new-open", T + 60 * MIN),
        rec("new-closed", T + 60 * MIN, closed_at=T + 120 * MIN, assignee="anna"),
        rec("old-closed-today", T - DAY, closed_at=T + 10 * MIN, assignee="bob"),
        rec("old-open-unassigned", T - DAY),
        rec("closed-after-end", T + 60 * MIN, closed_at=T + 2 * DAY, assignee="anna"),
        rec("future", T + 2 * DAY),
    ]
    f = figures(records)
    assert (f.new, f.closed, f.open_at_end, f.unassigned_at_end) == (3, 2, 3, 2)


def test_first_response_times_median_p90_and_agents():
    records = []
    for i, minutes in enumerate([5, 10, 20, 40]):
        created = T + i * 60 * MIN
        answered = created + minutes * MIN
        records.append(
            rec(
                f"c{i}",
                created,
                first_response_at=answered,
                replies=[Reply("anna" if i % 2 else "bob", answered), Reply("carl", answered)],
            )
        )
    f = figures(records)
    assert f.first_responses == 4
    assert f.median_first_response == 15 * MIN  # mean of 10 and 20
    assert f.p90_first_response == 40 * MIN  # rank ceil(3.6) = 4
    # SLA: target 15 minutes: 5 and 10 in time, 20 and 40 late
    assert (f.sla_counted, f.sla_met, f.sla_share) == (4, 2, 0.5)
    rows = {a.agent_id: a for a in f.agents}
    # Credit goes to the first listed reply at the first-response instant.
    assert rows["bob"].first_responses == 2
    assert rows["bob"].median_first_response == 12 * MIN + 30 * dt.timedelta(seconds=1)
    assert rows["anna"].median_first_response == 25 * MIN
    assert rows["carl"].first_responses == 0
    assert rows["carl"].median_first_response is None
    assert rows["carl"].handled == 4
    # Leaderboard: handled desc, median asc (none last), id.
    assert [a.agent_id for a in f.agents] == ["carl", "bob", "anna"]


def test_sla_share_edges():
    at_due = rec("at-due", T, first_response_at=T + 15 * MIN)
    one_late = rec("late", T, first_response_at=T + 15 * MIN + dt.timedelta(microseconds=1))
    closed_unanswered = rec("closed", T, closed_at=T + 5 * MIN)
    not_yet_due = rec("young", T + DAY - 10 * MIN)
    due_exactly_at_end = rec("edge", T + DAY - 15 * MIN)
    f = figures([at_due, one_late, closed_unanswered, not_yet_due, due_exactly_at_end])
    # counted: at-due (answered), late (answered), closed (due before end); young and edge are not
    # due strictly before the end.
    assert (f.sla_counted, f.sla_met) == (3, 1)


def test_sla_share_follows_target_even_with_escalation_disabled():
    s = WorkspaceSettings.from_dict(
        {"escalation": {"first_response": {"enabled": False, "after_minutes": 5}}}
    )
    f = figures([rec("c", T, first_response_at=T + 6 * MIN)], settings=s)
    assert (f.sla_counted, f.sla_met) == (1, 0)


def test_sla_in_business_hours_but_medians_in_real_time():
    s = WorkspaceSettings.from_dict({"business_hours": {"weekly": {"mon": [["09:00", "17:00"]]}}})
    # Created at 08:00 (closed), answered 09:10: 70 real minutes, 10 business minutes.
    r = rec("c", T + 8 * 60 * MIN, first_response_at=T + 9 * 60 * MIN + 10 * MIN)
    f = figures([r], settings=s)
    assert f.median_first_response == 70 * MIN
    assert f.sla_met == 1


def test_facts_after_the_end_are_unseen():
    r = rec(
        "c",
        T + 10 * MIN,
        first_response_at=T + DAY + MIN,
        closed_at=T + DAY + 2 * MIN,
        replies=[Reply("anna", T + DAY + MIN)],
    )
    f = figures([r])
    assert f.first_responses == 0
    assert f.agents == ()
    assert f.open_at_end == 1
    assert f.sla_counted == 1  # due at 00:25, before the end, unanswered then


def test_reply_with_no_matching_first_response_counts_overall_only():
    r = rec("c", T, first_response_at=T + 5 * MIN, replies=[Reply("anna", T + 6 * MIN)])
    f = figures([r])
    assert f.first_responses == 1
    assert f.agents[0].first_responses == 0


def test_new_by_local_weekday():
    s = WorkspaceSettings.from_dict({"timezone": "America/New_York"})
    # Monday 02:00 UTC is Sunday evening in New York.
    f = figures([rec("c", T + 2 * 60 * MIN)], settings=s)
    assert f.new_by_weekday == (0, 0, 0, 0, 0, 0, 1)


def test_dst_week_period_in_amsterdam():
    s = WorkspaceSettings.from_dict({"timezone": "Europe/Amsterdam"})
    start = dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC)  # Sunday 00:00 CET
    end = dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC)  # Monday 00:00 CEST: a 23-hour day
    f = figures(
        [rec("a", start), rec("b", end - dt.timedelta(microseconds=1)), rec("c", end)],
        start=start,
        end=end,
        settings=s,
    )
    assert f.new == 2
    assert f.new_by_weekday[6] == 2


@pytest.mark.parametrize(
    "build",
    [
        lambda: rec("c", T, first_response_at=T - MIN),
        lambda: rec("c", T, closed_at=T - MIN),
        lambda: rec("c", T, replies=[Reply("anna", T - MIN)]),
        lambda: rec("c", T, replies=[Reply("", T)]),
        lambda: rec("", T),
        lambda: rec("c", dt.datetime(2026, 3, 9)),
        lambda: rec("c", T, replies=["anna"]),
        lambda: rec("c", T, assignee=""),
    ],
)
def test_bad_records_are_validation_errors(build):
    with pytest.raises(ValidationError):
        build()


def test_empty_or_reversed_period():
    with pytest.raises(ValidationError, match="must be after start"):
        figures([], start=T, end=T)
    with pytest.raises(ValidationError):
        figures([], start=T + DAY, end=T)
    with pytest.raises(ValidationError):
        figures([], start=dt.datetime(2026, 3, 9), end=T)


def test_empty_period_is_fine():
    f = figures([])
    assert (f.new, f.median_first_response, f.p90_first_response, f.sla_share) == (
        0,
        None,
        None,
        None,
    )


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=50))
def test_median_and_p90_match_their_definitions(values):
    values.sort()
    assert median(values) == round(statistics.median(values))
    rank = math.ceil(0.9 * len(values))
    assert p90(values) == values[rank - 1]
    assert sum(v <= p90(values) for v in values) >= 0.9 * len(values)


agents = st.sampled_from(["anna", "bob", "carl"])


@st.composite
def records(draw: st.DrawFn) -> list[ConversationRecord]:
    out = []
    for i in range(draw(st.integers(0, 25))):
        created = T + dt.timedelta(minutes=draw(st.integers(-2 * 1440, 5 * 1440)))
        replies = [
            Reply(draw(agents), created + dt.timedelta(minutes=draw(st.integers(0, 600))))
            for _ in range(draw(st.integers(0, 3)))
        ]
        first = min((r.at for r in replies), default=None)
        out.append(
            ConversationRecord(
                f"c{i}",
                created,
                first_response_at=first,
                replies=replies,
                assignee=draw(st.none() | agents),
            )
        )
    return out


@given(records())
def test_every_conversation_lands_in_exactly_one_daily_period(rs):
    days = [T + n * DAY for n in range(-3, 7)]
    total = sum(figures(rs, start=a, end=b).new for a, b in itertools.pairwise(days))
    assert total == sum(days[0] <= r.created_at < days[-1] for r in rs)


@given(records())
def test_figures_add_up_across_agents(rs):
    f = figures(rs, start=T, end=T + 3 * DAY)
    # Every first response here has a matching reply, so the credits add up exactly.
    assert sum(a.first_responses for a in f.agents) == f.first_responses
    assert f.sla_met <= f.sla_counted <= f.new
    assert f.unassigned_at_end <= f.open_at_end
    for a in f.agents:
        assert a.handled >= a.first_responses


@given(records(), st.integers(-2, 3))
def test_the_light_pass_agrees_with_the_full_one(rs, day):
    start = T + day * DAY
    full = figures(rs, start=start, end=start + 2 * DAY)
    light = period_totals(rs, start=start, end=start + 2 * DAY, settings=S)
    assert (light.new, light.closed, light.open_at_end, light.unassigned_at_end) == (
        full.new,
        full.closed,
        full.open_at_end,
        full.unassigned_at_end,
    )
    assert (light.median_first_response, light.p90_first_response) == (
        full.median_first_response,
        full.p90_first_response,
    )
    assert (light.sla_counted, light.sla_met, light.sla_share) == (
        full.sla_counted,
        full.sla_met,
        full.sla_share,
    )


def test_fold_instants_compare_as_instants():
    ams = zoneinfo.ZoneInfo("Europe/Amsterdam")
    created = dt.datetime(2026, 10, 25, 2, 50, tzinfo=ams)  # first pass, CEST
    reply = dt.datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=ams)  # second pass, CET: 20 min later
    r = rec("c", created, first_response_at=reply, replies=[Reply("anna", reply)])
    f = figures([r], start=created, end=dt.datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=ams))
    assert f.median_first_response == 20 * MIN


# -- conversation ids are unique ----------------------------------------------------------------


@pytest.mark.parametrize("compute", [period_figures, period_totals])
def test_a_conversation_given_twice_is_refused_not_counted_twice(compute):
    rs = [rec("c1", T), rec("c2", T), rec("c1", T + MIN), rec("c1", T + 2 * MIN), rec("c2", T)]
    with pytest.raises(ValidationError) as info:
        compute(iter(rs), start=T, end=T + DAY, settings=S)
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("records[2].id", "duplicate"),
        ("records[3].id", "duplicate"),
        ("records[4].id", "duplicate"),
    ]
    assert "'c1' is given twice" in info.value.problems[0].message


@given(records(), st.data())
def test_any_repeated_id_is_a_duplicate_error(rs, data):
    if not rs:
        return
    twin = data.draw(st.sampled_from(rs))
    with pytest.raises(ValidationError) as info:
        figures([*rs, twin])
    assert [(p.path, p.code) for p in info.value.problems] == [
        (f"records[{len(rs)}].id", "duplicate")
    ]


def test_busiest_weekday_is_the_earliest_on_a_tie():
    tuesday, thursday = T + DAY, T + 3 * DAY
    f = figures([rec("a", tuesday), rec("b", thursday)], start=T, end=T + 7 * DAY)
    assert f.busiest_weekday == 1
    assert figures([], start=T, end=T + 7 * DAY).busiest_weekday is None


@pytest.mark.parametrize("records", [[{"id": "c1"}], [None], "abc", 5])
def test_records_that_are_not_records_are_a_validation_error(records: object):
    with pytest.raises(ValidationError) as info:
        figures(records)  # type: ignore[arg-type]
    (problem,) = info.value.problems
    assert problem.code == "type"
    assert problem.path in {"records", "records[0]"}
