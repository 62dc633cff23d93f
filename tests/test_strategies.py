"""The public Hypothesis strategies shrink toward the library's defaults.

A failing property is reported with its simplest example; for settings that must be the
defaults, so the difference that matters stands out.  ``hypothesis.find`` with a predicate that
every value meets returns the fully shrunk value.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import find

from notifpolicy import MemberPreferences, QuietHours, SlackEvent, WorkspaceSettings
from notifpolicy.testing import _settings_strategies as nps_settings
from notifpolicy.testing import strategies as nps


def anything(_: object) -> bool:
    return True


def test_workspace_settings_shrink_to_the_defaults():
    assert find(nps.workspace_settings(), anything) == WorkspaceSettings()


def test_quiet_hours_shrink_to_the_default_window():
    assert find(nps.quiet_hours(), anything) == WorkspaceSettings().quiet_hours
    shrunk = find(nps.quiet_hours(enabled=True), anything)
    assert shrunk == QuietHours(dt.time(22), dt.time(8), enabled=True)


def test_member_preferences_shrink_to_no_overrides():
    assert find(nps.member_preferences(), anything) == MemberPreferences()


def test_a_failure_shrinks_to_the_one_field_that_shows_it():
    """Only the field the predicate is about leaves its default."""
    shrunk = find(
        nps.workspace_settings(),
        lambda s: SlackEvent.ESCALATION not in s.slack.events,
    )
    default = WorkspaceSettings()
    assert shrunk.slack.events == default.slack.events - {SlackEvent.ESCALATION}
    assert shrunk.to_dict() | {"slack": default.to_dict()["slack"]} == default.to_dict()


def test_escalation_minutes_shrink_toward_the_default_not_toward_one():
    shrunk = find(nps.workspace_settings(), lambda s: s.escalation.unassigned.after_minutes > 30)
    assert shrunk.escalation.unassigned.after_minutes == 31


def test_drawing_relative_to_the_default_loses_no_value():
    """The offsets map onto the whole valid range: every minute count and every wall time."""
    minutes = [nps_settings._minutes_at_offset(30, n) for n in range(10080)]
    assert minutes[0] == 30
    assert sorted(minutes) == list(range(1, 10081))
    times = [nps_settings._time_at_offset(dt.time(22), n) for n in range(1440)]
    assert times[0] == dt.time(22)
    assert len(set(times)) == 1440
