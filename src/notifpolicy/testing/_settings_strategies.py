"""Hypothesis strategies for settings values (re-exported by ``notifpolicy.testing.strategies``).

Each strategy shrinks toward the library's defaults: ``WorkspaceSettings()``, no overrides, the
22:00-08:00 window, so that a failing example is reported with the simplest settings that show
it.  Hypothesis shrinks a number toward 0, a boolean toward ``False`` and a choice toward its
first option; each field is therefore drawn as a *distance from its default* (a minute offset,
"switched away from the default", "events removed"), which is 0, ``False`` or empty at the
default.  ``tests/test_strategies.py`` checks that ``hypothesis.find`` with a predicate every
value meets gives the defaults.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from hypothesis import strategies as st

from notifpolicy._business_hours import BusinessHours, OpeningRange
from notifpolicy._digest_schedule import DailyDigest, Weekday, WeeklyDigest
from notifpolicy._kinds import Channel, KindRegistry, SlackEvent
from notifpolicy._preferences import ALL_CHANNELS, MemberPreferences
from notifpolicy._quiet_hours import QuietHours, QuietMode
from notifpolicy._settings import (
    DigestSettings,
    EscalationRule,
    EscalationSettings,
    SlackSettings,
    WorkspaceSettings,
)
from notifpolicy._timeutil import is_valid_zone_key

__all__ = [
    "business_hours",
    "member_preferences",
    "quiet_hours",
    "wall_times",
    "webhook_urls",
    "workspace_settings",
]

_ZONES = (
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
)


def wall_times() -> st.SearchStrategy[dt.time]:
    """Whole-minute wall-clock times; shrinks toward 00:00."""
    return st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))


def _time_at_offset(default: dt.time, offset: int) -> dt.time:
    """The whole-minute wall time ``offset`` minutes (0-1439) after ``default``, wrapping."""
    return dt.time(*divmod((default.hour * 60 + default.minute + offset) % 1440, 60))


def _minutes_at_offset(default: int, offset: int) -> int:
    """Escalation minutes (1-10080): ``offset`` (0-10079) past ``default``, wrapping."""
    return (default - 1 + offset) % 10080 + 1


def _times_near(default: dt.time) -> st.SearchStrategy[dt.time]:
    """Whole-minute wall-clock times, shrinking toward ``default``."""
    return st.integers(0, 1439).map(lambda n: _time_at_offset(default, n))


def _switched(default: bool) -> st.SearchStrategy[bool]:
    """A boolean that shrinks toward ``default``."""
    return st.booleans().map(lambda away: away != default)


def _minutes_near(default: int) -> st.SearchStrategy[int]:
    """Escalation minutes (1-10080), shrinking toward ``default``."""
    return st.integers(0, 10079).map(lambda n: _minutes_at_offset(default, n))


_DEFAULT = WorkspaceSettings()


@st.composite
def quiet_hours(draw: st.DrawFn, *, enabled: bool | None = None) -> QuietHours:
    """Valid quiet-hour windows (start != end), any mode; shrinks toward the default window
    (22:00-08:00, ``suppress``, disabled unless ``enabled`` says otherwise)."""
    default = _DEFAULT.quiet_hours
    start = draw(_times_near(default.start))
    end = draw(_times_near(default.end).filter(lambda t: t != start))
    on = draw(_switched(default.enabled)) if enabled is None else enabled
    return QuietHours(start, end, enabled=on, mode=draw(st.sampled_from(QuietMode)))


def webhook_urls() -> st.SearchStrategy[str]:
    """Valid Slack incoming-webhook URLs on the default hosts."""
    segment = st.text(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=24
    )
    return st.builds(
        lambda host, segs: f"https://{host}/services/" + "/".join(segs),
        st.sampled_from(["hooks.slack.com", "HOOKS.slack.com", "hooks.slack-gov.com"]),
        st.lists(segment, min_size=1, max_size=4),
    )


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    """Valid business hours: non-overlapping ranges (some overnight) and a few closed dates."""
    week = 7 * 1440
    cuts = sorted(draw(st.sets(st.integers(0, week - 1), min_size=2, max_size=12)))
    weekly: dict[int, list[OpeningRange]] = {}
    # Pair consecutive cut points into ranges no longer than a day: they cannot overlap.
    for begin, cut in zip(cuts[::2], cuts[1::2], strict=False):
        end = min(cut, begin + 1439)
        day, start = divmod(begin, 1440)
        stop = end - day * 1440
        weekly.setdefault(day, []).append(
            OpeningRange(start, stop if stop <= 1440 else stop - 1440)
        )
    dates: set[dt.date] = draw(
        st.sets(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), max_size=4)
    )
    return BusinessHours(weekly, frozenset(dates))


@st.composite
def workspace_settings(draw: st.DrawFn, *, kinds: KindRegistry | None = None) -> WorkspaceSettings:
    """Valid workspace settings of every shape; shrinks toward ``WorkspaceSettings()``."""
    registry = kinds or KindRegistry.default()
    defaults = {k.name: draw(_switched(True)) for k in registry.overridable()}
    daily, weekly = _DEFAULT.digests.daily, _DEFAULT.digests.weekly
    escalation = _DEFAULT.escalation
    url = draw(st.none() | webhook_urls())
    # Every event is selected by default: draw the ones taken away.
    removed = draw(st.sets(st.sampled_from(sorted(SlackEvent, key=lambda e: e.value))))
    return WorkspaceSettings(
        timezone=draw(st.sampled_from(_ZONES) | st.sampled_from(sorted(_all_zones()))),
        defaults=defaults,
        digests=DigestSettings(
            daily=DailyDigest(draw(_switched(daily.enabled)), draw(_times_near(daily.send_time))),
            weekly=WeeklyDigest(
                draw(_switched(weekly.enabled)),
                draw(st.sampled_from(Weekday)),
                draw(_times_near(weekly.send_time)),
            ),
        ),
        escalation=EscalationSettings(
            *(
                EscalationRule(
                    draw(_switched(rule.enabled)), draw(_minutes_near(rule.after_minutes))
                )
                for rule in (escalation.unassigned, escalation.first_response)
            )
        ),
        slack=SlackSettings(url, frozenset(SlackEvent) - removed),
        quiet_hours=draw(quiet_hours()),
        business_hours=draw(st.none() | business_hours()),
        version=draw(st.integers(1, 10**6)),
    )


@functools.cache
def _all_zones() -> frozenset[str]:
    # Read once: available_timezones() walks the zone data on every call.
    return frozenset(z for z in zoneinfo.available_timezones() if is_valid_zone_key(z))


@st.composite
def member_preferences(draw: st.DrawFn, *, kinds: KindRegistry | None = None) -> MemberPreferences:
    """Valid sparse overrides for overridable kinds; shrinks toward no overrides."""
    registry = kinds or KindRegistry.default()
    overrides: dict[str, dict[str, bool]] = {}
    for kind in draw(st.lists(st.sampled_from(registry.overridable()), unique=True)):
        keys = [ALL_CHANNELS, *sorted(c.value for c in kind.channels if c is not Channel.SLACK)]
        chans = draw(st.dictionaries(st.sampled_from(keys), st.booleans(), min_size=1))
        overrides[kind.name] = chans
    return MemberPreferences(overrides, draw(st.integers(1, 10**6)))
