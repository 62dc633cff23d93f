"""The small strict time helpers."""

from __future__ import annotations

import datetime as dt
import doctest
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    EscalationRule,
    FrozenMap,
    Secret,
    ValidationError,
    WorkspaceSettings,
    _timeutil,
)
from notifpolicy._timeutil import (
    format_hhmm,
    parse_hhmm,
    require_aware,
    resolve_zone,
    weekday_of_day,
)

EPOCH_DATE = dt.date(1970, 1, 1)


@given(st.dates())
def test_weekday_of_a_day_number_is_the_dates_weekday(date):
    assert weekday_of_day((date - EPOCH_DATE).days) == date.weekday()


def test_weekday_of_day_examples():
    assert weekday_of_day(0) == 3  # 1970-01-01, a Thursday
    assert weekday_of_day(-1) == 2  # 1969-12-31, a Wednesday
    assert weekday_of_day((dt.date(2026, 3, 30) - EPOCH_DATE).days) == 0  # a Monday
    assert doctest.testmod(_timeutil).failed == 0


def test_resolve_zone():
    assert resolve_zone("Europe/Amsterdam") is zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert resolve_zone(dt.UTC) is dt.UTC
    with pytest.raises(ValidationError, match="tz: must be an IANA time zone name"):
        resolve_zone("Europe/Atlantis")
    with pytest.raises(ValidationError, match="got int"):
        resolve_zone(5)  # type: ignore[arg-type]


def test_require_aware():
    aware = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert require_aware(aware, path="at") is aware
    with pytest.raises(ValidationError, match="at: must be timezone-aware, got naive"):
        require_aware(dt.datetime(2026, 1, 1), path="at")
    with pytest.raises(ValidationError, match="got date"):
        require_aware(dt.date(2026, 1, 1), path="at")


def test_hhmm():
    assert parse_hhmm("07:05") == dt.time(7, 5)
    assert parse_hhmm("24:00") is None
    assert format_hhmm(dt.time(7, 5)) == "07:05"


def test_native_time_hint_in_business_hours():
    with pytest.raises(ValidationError, match='quoted string such as "09:00"'):
        WorkspaceSettings.from_dict({"business_hours": {"weekly": {"mon": [[dt.time(9), 5]]}}})


def test_small_values():
    assert EscalationRule(after_minutes=45).after == dt.timedelta(minutes=45)
    assert str(Secret("x")) == "<redacted>"
    m = FrozenMap({"a": 1})
    assert hash(m) == hash(m) == hash(FrozenMap([("a", 1)]))
    assert m == {"a": 1}
    assert repr(m) == "FrozenMap({'a': 1})"
    assert ("a" in m, "b" in m) == (True, False)
    assert (m.get("a"), m.get("b"), m.get("b", 2)) == (1, None, 2)
    assert (list(m.keys()), list(m.values()), list(m.items())) == (["a"], [1], [("a", 1)])
