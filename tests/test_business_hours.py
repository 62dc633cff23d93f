"""Business hours as a setting: shape and validation (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given

from notifpolicy import BusinessHours, OpeningRange, ValidationError, WorkspaceSettings
from notifpolicy.testing.strategies import business_hours


def load(bh: Any) -> BusinessHours | None:
    return WorkspaceSettings.from_dict({"business_hours": bh}).business_hours


def codes(bh: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        load(bh)
    return {p.path: p.code for p in info.value.problems}


def test_a_week_with_overnight_ranges_and_holidays():
    bh = load(
        {
            "weekly": {
                "mon": [["09:00", "17:00"]],
                "fri": [["22:00", "02:00"], ["09:00", "12:00"]],
                "sun": [["20:00", "24:00"]],
            },
            "closed_dates": ["2026-12-25", "2026-12-24"],
        }
    )
    assert bh is not None
    assert bh.weekly[0] == (OpeningRange(540, 1020),)
    assert bh.weekly[4] == (OpeningRange(540, 720), OpeningRange(1320, 120))
    assert bh.weekly[4][1].crosses_midnight
    assert bh.weekly[6][0].end == 1440
    assert bh.closed_dates == {dt.date(2026, 12, 24), dt.date(2026, 12, 25)}
    assert bh.to_dict() == {
        "weekly": {
            "mon": [["09:00", "17:00"]],
            "fri": [["09:00", "12:00"], ["22:00", "02:00"]],
            "sun": [["20:00", "24:00"]],
        },
        "closed_dates": ["2026-12-24", "2026-12-25"],
    }


def test_full_day_and_null():
    bh = load({"weekly": {"sat": [["00:00", "24:00"]]}})
    assert bh is not None
    assert bh.weekly[5][0].minutes == 1440
    assert load(None) is None


@pytest.mark.parametrize(
    ("bh", "expected"),
    [
        ({"weekly": {}}, {"business_hours.weekly": "never_open"}),
        ({}, {"business_hours.weekly": "never_open"}),
        ({"weekly": {"mon": []}}, {"business_hours.weekly": "never_open"}),
        (
            {"weekly": {"mon": [["09:00", "09:00"]]}},
            {"business_hours.weekly.mon[0]": "empty_range"},
        ),
        ({"weekly": {"mon": [["24:00", "10:00"]]}}, {"business_hours.weekly.mon[0][0]": "format"}),
        ({"weekly": {"mon": [["09:00", "24:01"]]}}, {"business_hours.weekly.mon[0][1]": "format"}),
        ({"weekly": {"mon": [["9:00", "17:00"]]}}, {"business_hours.weekly.mon[0][0]": "format"}),
        ({"weekly": {"mon": [["09:00"]]}}, {"business_hours.weekly.mon[0]": "type"}),
        ({"weekly": {"mon": "09:00-17:00"}}, {"business_hours.weekly.mon": "type"}),
        (
            {"weekly": {"monday": [["09:00", "17:00"]]}},
            {"business_hours.weekly.monday": "unknown_key"},
        ),
        ({"weekly": {"Mon": [["09:00", "17:00"]]}}, {"business_hours.weekly.Mon": "unknown_key"}),
        ({"weekly": []}, {"business_hours.weekly": "type"}),
        (
            {"weekly": {"mon": [["09:00", "17:00"], ["16:59", "18:00"]]}},
            {"business_hours.weekly.mon": "overlap"},
        ),
        # Sunday night into Monday morning overlaps Monday's opening.
        (
            {"weekly": {"sun": [["22:00", "10:00"]], "mon": [["09:00", "17:00"]]}},
            {"business_hours.weekly.mon": "overlap"},
        ),
        (
            {"weekly": {"mon": [["22:00", "02:00"]], "tue": [["01:00", "05:00"]]}},
            {"business_hours.weekly.tue": "overlap"},
        ),
        (
            {"weekly": {"mon": [["09:00", "17:00"]]}, "closed_dates": ["2026-12-25", "2026-12-25"]},
            {"business_hours.closed_dates[1]": "duplicate"},
        ),
        (
            {"weekly": {"mon": [["09:00", "17:00"]]}, "closed_dates": ["20261225"]},
            {"business_hours.closed_dates[0]": "format"},
        ),
        (
            {"weekly": {"mon": [["09:00", "17:00"]]}, "closed_dates": ["2026-02-30"]},
            {"business_hours.closed_dates[0]": "format"},
        ),
        (
            {"weekly": {"mon": [["09:00", "17:00"]]}, "closed_dates": "2026-12-25"},
            {"business_hours.closed_dates": "type"},
        ),
        (
            {"weekly": {"mon": [["09:00", "17:00"]]}, "holidays": []},
            {"business_hours.holidays": "unknown_key"},
        ),
        ("always", {"business_hours": "type"}),
    ],
)
def test_invalid(bh, expected):
    assert codes(bh) == expected


def test_adjacent_ranges_do_not_overlap():
    bh = load(
        {"weekly": {"mon": [["09:00", "12:00"], ["12:00", "17:00"]], "sun": [["20:00", "00:00"]]}}
    )
    assert bh is not None
    assert len(bh.weekly[0]) == 2


def test_constructor_checks_too():
    with pytest.raises(ValidationError):
        BusinessHours({})
    with pytest.raises(ValidationError):
        OpeningRange(600, 600)
    with pytest.raises(ValidationError):
        OpeningRange(1440, 100)
    with pytest.raises(ValidationError):
        BusinessHours({7: [OpeningRange(0, 60)]})


@given(business_hours())
def test_round_trip(bh):
    assert load(bh.to_dict()) == bh
