"""The digest report (``_digest_report.py``): trends for every figure, their verdicts, the target
the report carries, and insights."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    ConversationRecord,
    DigestReport,
    Reply,
    TrendMetric,
    ValidationError,
    Verdict,
    WorkspaceSettings,
    build_report,
)
from notifpolicy._digest_report import percent, trend

SETTINGS = WorkspaceSettings.from_dict(
    {
        "timezone": "Europe/Amsterdam",
        "digests": {"weekly": {"enabled": True}},
        "escalation": {"first_response": {"after_minutes": 60}},
    }
)
MIN = dt.timedelta(minutes=1)


def weeks() -> tuple[object, object]:
    weekly, zone = SETTINGS.digests.weekly, SETTINGS.zone
    send = weekly.previous_at_or_before(dt.datetime(2026, 4, 6, 8, tzinfo=dt.UTC), zone)
    period = weekly.period_ending_at(send, zone, workspace_id="ws")
    return period, weekly.period_ending_at(period.start, zone, workspace_id="ws")


def report(records: list[ConversationRecord]) -> DigestReport:
    period, previous = weeks()
    return build_report(
        records,
        period=period,  # type: ignore[arg-type]
        settings=SETTINGS,
        previous_period=previous,  # type: ignore[arg-type]
    )


def answered(cid: str, created: dt.datetime, minutes: int, **kw: object) -> ConversationRecord:
    at = created + minutes * MIN
    return ConversationRecord(cid, created, first_response_at=at, replies=[Reply("anna", at)], **kw)  # type: ignore[arg-type]


def test_the_report_carries_the_workspaces_target():
    assert report([]).first_response_target_minutes == 60


def test_a_trend_for_every_figure_a_reader_compares():
    period, previous = weeks()
    p0, c0 = previous.start + MIN, period.start + MIN  # type: ignore[attr-defined]
    rs = [
        # The week before: 2 new, both closed, answered in 10 and 30 minutes.
        answered("p1", p0, 10, closed_at=p0 + 40 * MIN),
        answered("p2", p0, 30, closed_at=p0 + 40 * MIN),
        # This week: 3 new, 1 closed, 2 open at the end (1 of them unassigned).
        answered("c1", c0, 5, closed_at=c0 + 40 * MIN),
        answered("c2", c0, 90, assignee="anna"),
        ConversationRecord("c3", c0),
    ]
    by_metric = {t.metric: t for t in report(rs).trends}
    assert list(by_metric) == list(TrendMetric)
    seen = {m: (t.previous, t.current, t.verdict) for m, t in by_metric.items()}
    assert seen == {
        TrendMetric.NEW: (2, 3, Verdict.CHANGED),
        TrendMetric.CLOSED: (2, 1, Verdict.WORSE),
        TrendMetric.OPEN_AT_END: (0, 2, Verdict.WORSE),
        TrendMetric.UNASSIGNED_AT_END: (0, 1, Verdict.WORSE),
        TrendMetric.MEDIAN_FIRST_RESPONSE: (20 * 60, 47.5 * 60, Verdict.WORSE),
        TrendMetric.P90_FIRST_RESPONSE: (30 * 60, 90 * 60, Verdict.WORSE),
        # Against the workspace's 60 minutes: c1 in time, c2 late, c3 due and unanswered.
        TrendMetric.SLA_SHARE: (1.0, 1 / 3, Verdict.WORSE),
    }
    sla = by_metric[TrendMetric.SLA_SHARE]
    assert sla.change == 1 / 3 - 1  # the model keeps the difference of two fractions
    assert sla.relative_change == pytest.approx(-2 / 3)


@pytest.mark.parametrize(
    ("metric", "previous", "current", "verdict"),
    [
        (TrendMetric.NEW, 5, 5, Verdict.UNCHANGED),
        (TrendMetric.NEW, 5, 9, Verdict.CHANGED),
        (TrendMetric.CLOSED, 5, 9, Verdict.BETTER),
        (TrendMetric.OPEN_AT_END, 5, 9, Verdict.WORSE),
        (TrendMetric.UNASSIGNED_AT_END, 5, 2, Verdict.BETTER),
        (TrendMetric.MEDIAN_FIRST_RESPONSE, 300.0, 240.0, Verdict.BETTER),
        (TrendMetric.P90_FIRST_RESPONSE, 300.0, 301.0, Verdict.WORSE),
        (TrendMetric.SLA_SHARE, 0.5, 0.75, Verdict.BETTER),
        (TrendMetric.SLA_SHARE, 0.5, None, None),
        (TrendMetric.SLA_SHARE, None, 0.5, None),
    ],
)
def test_better_or_worse_by_the_figures_direction(metric, previous, current, verdict):
    assert trend(metric, previous, current).verdict is verdict


@given(
    st.sampled_from(list(TrendMetric)),
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
)
def test_a_verdict_follows_the_sign_of_the_change_and_the_good_direction(metric, a, b):
    t = trend(metric, a, b)
    assert t.change == b - a
    if a == b:
        assert t.verdict is Verdict.UNCHANGED
    elif metric.better_when == 0:
        assert t.verdict is Verdict.CHANGED
    else:
        better = (b - a) * metric.better_when > 0
        assert t.verdict is (Verdict.BETTER if better else Verdict.WORSE)
    assert t.relative_change == (None if a == 0 else (b - a) / a)


def test_relative_change_is_none_when_the_previous_value_is_zero():
    t = trend(TrendMetric.OPEN_AT_END, 0, 3)
    assert (t.change, t.relative_change, t.verdict) == (3, None, Verdict.WORSE)


def test_the_sla_insight_counts_the_points_a_reader_sees():
    # 52.6 % shows as 53 %, 51.4 % as 51 %: the insight says 2 points, not round(1.2) = 1.
    period, previous = weeks()
    p0, c0 = previous.start + MIN, period.start + MIN  # type: ignore[attr-defined]
    # 1000 conversations a week would be slow here; 1/19 steps are enough: 10/19 = 52.6 %.
    rs = [answered(f"c{i}", c0 + i * MIN, 5 if i < 10 else 120) for i in range(19)]
    # The week before: 18/35 = 51.4 %.
    rs += [answered(f"p{i}", p0 + i * MIN, 5 if i < 18 else 120) for i in range(35)]
    r = report(rs)
    assert (percent(r.figures.sla_share or 0), percent(r.previous.sla_share or 0)) == (53, 51)  # type: ignore[union-attr]
    (sla,) = [i for i in r.insights if i.code == "sla_up"]
    assert sla.values["points"] == 2


def test_duplicate_conversation_ids_are_refused():
    period, _ = weeks()
    c0 = period.start + MIN  # type: ignore[attr-defined]
    rs = [ConversationRecord("c1", c0), ConversationRecord("c1", c0 + MIN)]
    with pytest.raises(ValidationError) as info:
        report(rs)
    assert [(p.path, p.code) for p in info.value.problems] == [("records[1].id", "duplicate")]
