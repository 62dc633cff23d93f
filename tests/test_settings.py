"""The settings model and its strict loader (SPEC §3)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    DailyDigest,
    EscalationRule,
    Kind,
    KindRegistry,
    NotifPolicyError,
    Problem,
    QuietHours,
    QuietMode,
    Recipients,
    Role,
    SlackEvent,
    ValidationError,
    Weekday,
    WorkspaceSettings,
)
from notifpolicy.testing.strategies import workspace_settings

URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


def problems(data: Any, **kw: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict(data, **kw)
    return {p.path: p.code for p in info.value.problems}


def test_defaults_match_the_table():
    s = WorkspaceSettings.from_dict({})
    assert s == WorkspaceSettings()
    assert s.timezone == "UTC"
    assert all(s.defaults.values())
    assert set(s.defaults) == {
        "new_conversation",
        "unassigned_conversation",
        "sla_breach",
        "mention",
        "daily_summary",
        "weekly_report",
        "quiet_hours_summary",
    }
    assert s.digests.daily == DailyDigest(enabled=False, send_time=dt.time(9, 0))
    assert s.digests.weekly.weekday is Weekday.MONDAY
    assert not s.digests.weekly.enabled
    assert s.escalation.unassigned == EscalationRule(enabled=True, after_minutes=30)
    assert s.escalation.first_response == EscalationRule(enabled=True, after_minutes=15)
    assert s.slack.webhook_url is None
    assert s.slack.events == frozenset(SlackEvent)
    assert s.quiet_hours == QuietHours(dt.time(22), dt.time(8), enabled=False)
    assert s.quiet_hours.mode is QuietMode.SUPPRESS
    assert s.business_hours is None
    assert s.version == 1


def test_missing_keys_take_defaults_at_every_depth():
    s = WorkspaceSettings.from_dict(
        {"escalation": {"unassigned": {"after_minutes": 45}}, "quiet_hours": {"enabled": True}}
    )
    assert s.escalation.unassigned == EscalationRule(True, 45)
    assert s.escalation.first_response == EscalationRule(True, 15)
    assert s.quiet_hours.enabled
    assert s.quiet_hours.start == dt.time(22)


def test_every_problem_is_reported_at_once_with_paths():
    found = problems(
        {
            "timezone": "utc",
            "defaults": {"mention": 1, "escalation_unassigned": True, "nope": True},
            "digests": {"daily": {"send_time": "9:00"}, "weekly": {"weekday": "mon"}},
            "escalation": {
                "unassigned": {"after_minutes": 30.0},
                "first_response": {"enabled": "true"},
            },
            "slack": {"events": ["unassigned", "unassigned"]},
            "quiet_hours": {"mode": "silent"},
            "version": 0,
            "colour": "blue",
        }
    )
    assert found == {
        "timezone": "timezone",
        "defaults.mention": "type",
        "defaults.escalation_unassigned": "not_overridable",
        "defaults.nope": "unknown_key",
        "digests.daily.send_time": "format",
        "digests.weekly.weekday": "choice",
        "escalation.unassigned.after_minutes": "type",
        "escalation.first_response.enabled": "type",
        "slack.events[1]": "duplicate",
        "quiet_hours.mode": "choice",
        "version": "range",
        "colour": "unknown_key",
    }


def test_message_names_path_expectation_and_value():
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict({"escalation": {"unassigned": {"after_minutes": -5}}})
    assert str(info.value) == (
        "escalation.unassigned.after_minutes: must be an integer from 1 to 10080, got -5"
    )
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, NotifPolicyError)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (1, True),
        (10080, True),
        (0, False),
        (10081, False),
        (True, False),
        (30.0, False),
        ("30", False),
        (None, False),
    ],
)
def test_after_minutes_bounds_and_no_coercion(value, ok):
    data = {"escalation": {"first_response": {"after_minutes": value}}}
    if ok:
        assert WorkspaceSettings.from_dict(data).escalation.first_response.after_minutes == value
    else:
        # One code per kind of problem: an integer out of range is not a wrong type.
        code = {None: "null", 0: "range", 10081: "range"}.get(value, "type")
        assert problems(data) == {"escalation.first_response.after_minutes": code}


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("00:00", True),
        ("23:59", True),
        ("09:00", True),
        ("24:00", False),
        ("9:00", False),
        ("09:0", False),
        ("09:00:00", False),
        (" 09:00", False),
        ("09:00\n", False),
        ("09.00", False),
        ("12:60", False),
        ("٠٩:٠٠", False),  # Arabic-Indic digits
        ("０９:００", False),  # fullwidth digits
    ],
)
def test_hhmm_is_exact(text, ok):
    data = {"digests": {"daily": {"send_time": text}}}
    if ok:
        assert WorkspaceSettings.from_dict(data).digests.daily.send_time.strftime("%H:%M") == text
    else:
        assert problems(data) == {"digests.daily.send_time": "format"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, Weekday.MONDAY),
        (6, Weekday.SUNDAY),
        ("monday", Weekday.MONDAY),
        ("SUNDAY", Weekday.SUNDAY),
        ("Wednesday", Weekday.WEDNESDAY),
    ],
)
def test_weekday_accepts_names_in_any_ascii_case_and_ints(value, expected):
    s = WorkspaceSettings.from_dict({"digests": {"weekly": {"weekday": value}}})
    assert s.digests.weekly.weekday is expected


@pytest.mark.parametrize("value", [7, -1, True, "mon", "Mon", "lundi", "", 1.0, "MONDAY\u0130"])
def test_weekday_rejects(value):
    code = "range" if type(value) is int else "choice" if isinstance(value, str) else "type"
    assert problems({"digests": {"weekly": {"weekday": value}}}) == {"digests.weekly.weekday": code}


def test_short_weekday_gets_a_hint():
    with pytest.raises(ValidationError, match="write the full name 'monday'"):
        WorkspaceSettings.from_dict({"digests": {"weekly": {"weekday": "mon"}}})


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "US/Eastern", "America/Sao_Paulo"])
def test_timezone_accepts_iana_keys(zone):
    assert WorkspaceSettings.from_dict({"timezone": zone}).timezone == zone


@pytest.mark.parametrize(
    "zone",
    [
        "utc",
        "localtime",
        "Factory",
        "right/UTC",
        "posix/Europe/Amsterdam",
        "europe/amsterdam",
        "Mars/Olympus",
        "",
        1,
    ],
)
def test_timezone_rejects(zone):
    code = "timezone" if isinstance(zone, str) else "type"
    assert problems({"timezone": zone}) == {"timezone": code}


def test_explicit_null_is_an_error_except_where_it_means_none():
    assert problems({"timezone": None}) == {"timezone": "null"}
    assert problems({"quiet_hours": {"start": None}}) == {"quiet_hours.start": "null"}
    s = WorkspaceSettings.from_dict({"slack": {"webhook_url": None}, "business_hours": None})
    assert s.slack.webhook_url is None
    assert s.business_hours is None


def test_empty_webhook_string_is_an_error():
    assert problems({"slack": {"webhook_url": ""}}) == {"slack.webhook_url": "webhook_url"}


def test_quiet_hours_start_equal_end_is_invalid_even_when_disabled():
    assert problems({"quiet_hours": {"start": "08:00"}}) == {"quiet_hours.end": "empty_window"}
    assert problems({"quiet_hours": {"enabled": False, "start": "10:00", "end": "10:00"}}) == {
        "quiet_hours.end": "empty_window"
    }
    with pytest.raises(ValidationError):
        QuietHours(dt.time(8), dt.time(8))


def test_lists_reject_duplicates_but_allow_empty():
    assert WorkspaceSettings.from_dict({"slack": {"events": []}}).slack.events == frozenset()
    assert problems({"slack": {"events": ["escalation", "escalation"]}}) == {
        "slack.events[1]": "duplicate"
    }


def test_errors_never_echo_anything_under_slack():
    secret = "https://hooks.slack.com@evil.example/services/SECRETPART"
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict(
            {"slack": {"webhook_url": secret, "events": ["SECRETEVENT"], "SECRETKEY": 1}}
        )
    text = str(info.value) + repr(info.value.problems)
    assert "SECRET" not in text.replace("SECRETKEY", "")
    assert "evil" not in text


def test_webhook_url_is_kept_secret_in_repr_and_redacted_view():
    s = WorkspaceSettings.from_dict({"slack": {"webhook_url": URL}})
    assert URL not in repr(s)
    assert URL not in str(s)
    assert URL not in json.dumps(s.redacted())
    assert s.redacted()["slack"]["webhook_url"] == "<redacted>"
    assert s.to_dict()["slack"]["webhook_url"] == URL
    assert s.view_for(Role.AGENT) == s.redacted()
    assert s.view_for(Role.ADMIN) == s.to_dict()
    assert s.slack.webhook_url is not None
    assert s.slack.webhook_url.reveal() == URL


def test_extra_webhook_hosts_come_from_the_caller():
    url = "https://hooks.example.org/services/T/B/x"
    assert problems({"slack": {"webhook_url": url}}) == {"slack.webhook_url": "webhook_url"}
    s = WorkspaceSettings.from_dict(
        {"slack": {"webhook_url": url}}, extra_webhook_hosts=["hooks.example.org"]
    )
    assert s.slack.configured


def test_host_kinds_get_defaults_and_are_checked():
    kinds = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True),
        Kind("fraud_alert", Recipients.ADMINS, overridable=False, critical=True),
    )
    s = WorkspaceSettings.from_dict({"defaults": {"refund_requested": False}}, kinds=kinds)
    assert s.defaults["refund_requested"] is False
    assert problems({"defaults": {"refund_requested": False}}) == {
        "defaults.refund_requested": "unknown_key"
    }
    assert problems({"defaults": {"fraud_alert": True}}, kinds=kinds) == {
        "defaults.fraud_alert": "not_overridable"
    }


def test_not_a_mapping():
    assert problems([1, 2]) == {"": "type"}
    assert problems({"digests": "daily"}) == {"digests": "type"}
    assert problems({"defaults": []}) == {"defaults": "type"}
    assert problems({"slack": {"events": "escalation"}}) == {"slack.events": "type"}
    assert problems({"slack": {"webhook_url": 5}}) == {"slack.webhook_url": "type"}


# -- JSON and TOML ------------------------------------------------------------------------------


def test_json_duplicate_keys_are_errors_with_paths():
    text = '{"quiet_hours": {"enabled": true, "enabled": false}, "version": 1, "version": 2}'
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_json(text)
    assert {p.path: p.code for p in info.value.problems} == {
        "quiet_hours.enabled": "duplicate_key",
        "version": "duplicate_key",
    }


def test_json_round_trip_and_malformed_json():
    s = WorkspaceSettings.from_json(
        '{"timezone": "Europe/Amsterdam", "slack": {"events": ["escalation"]}}'
    )
    assert s.slack.events == {SlackEvent.ESCALATION}
    assert WorkspaceSettings.from_json(json.dumps(s.to_dict())) == s
    with pytest.raises(ValidationError, match="not valid JSON"):
        WorkspaceSettings.from_json("{")
    with pytest.raises(ValidationError, match="not valid JSON"):
        WorkspaceSettings.from_json(b"\xff\xfe{")


def test_json_duplicates_inside_lists_of_tables_are_found():
    text = '{"business_hours": {"weekly": {"mon": [["09:00", "17:00"]], "mon": []}}}'
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_json(text)
    assert [p.path for p in info.value.problems] == ["business_hours.weekly.mon"]


TOML = """
timezone = "Europe/Amsterdam"

[digests.daily]
enabled = true
send_time = "09:00"

[quiet_hours]
enabled = true
start = "22:00"
end = "08:00"
mode = "defer"
"""


def test_toml_loads():
    s = WorkspaceSettings.from_toml(TOML)
    assert s.quiet_hours.mode is QuietMode.DEFER
    assert s.digests.daily.enabled


def test_toml_native_times_and_dates_are_rejected_with_a_hint():
    text = 'timezone = "UTC"\n[digests.daily]\nsend_time = 09:00:00\n'
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_toml(text)
    (problem,) = info.value.problems
    assert problem.path == "digests.daily.send_time"
    assert problem.code == "time"
    assert 'quoted string such as "09:00"' in problem.message
    text = (
        '[business_hours]\nweekly = { mon = [["09:00", "17:00"]] }\nclosed_dates = [2026-12-25]\n'
    )
    with pytest.raises(ValidationError, match='quoted string "2026-12-25"') as info:
        WorkspaceSettings.from_toml(text)
    assert info.value.problems[0].path == "business_hours.closed_dates[0]"


def test_malformed_toml():
    with pytest.raises(ValidationError, match="not valid TOML"):
        WorkspaceSettings.from_toml("timezone = ")
    with pytest.raises(ValidationError):
        WorkspaceSettings.from_toml(b"x = 1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("load", "text", "message"),
    [
        (WorkspaceSettings.from_json, '{"version": ' + "9" * 5000 + "}", "not valid JSON"),
        (WorkspaceSettings.from_json, "[" * 100_000, "nested too deeply"),
        (WorkspaceSettings.from_json, '{"a":' * 3000 + "1" + "}" * 3000, "nested too deeply"),
        (WorkspaceSettings.from_toml, "version = " + "9" * 5000, "not valid TOML"),
        (WorkspaceSettings.from_toml, "x = " + "[" * 5000, "nested too deeply"),
    ],
    ids=["json-huge-int", "json-deep-list", "json-deep-object", "toml-huge-int", "toml-deep"],
)
def test_hostile_text_is_a_validation_error_not_a_crash(load, text, message):
    # Python refuses integers over 4,300 digits and runs out of stack on deep nesting; a
    # settings file from a form or an upload must still fail as invalid input.
    with pytest.raises(ValidationError, match=message) as info:
        load(text)
    (problem,) = info.value.problems
    assert problem.path == ""


# -- warnings -----------------------------------------------------------------------------------


def test_digest_inside_quiet_hours_warns_start_inside_end_outside():
    def warns(send_time: str) -> bool:
        s = WorkspaceSettings.from_dict(
            {
                "quiet_hours": {"enabled": True},
                "digests": {"daily": {"enabled": True, "send_time": send_time}},
            }
        )
        return bool(s.warnings())

    assert warns("22:00")
    assert warns("07:59")
    assert not warns("08:00")
    assert not warns("21:59")


def test_no_warning_unless_both_enabled():
    base = {"digests": {"weekly": {"enabled": True, "send_time": "23:00"}}}
    assert WorkspaceSettings.from_dict(base).warnings() == ()
    s = WorkspaceSettings.from_dict({**base, "quiet_hours": {"enabled": True}})
    (w,) = s.warnings()
    assert w.path == "digests.weekly.send_time"
    assert "23:00" in str(w)
    off = WorkspaceSettings.from_dict(
        {
            "quiet_hours": {"enabled": True},
            "digests": {"weekly": {"enabled": False, "send_time": "23:00"}},
        }
    )
    assert off.warnings() == ()


# -- constructors -------------------------------------------------------------------------------


def test_an_escalation_rule_names_its_own_fields_and_the_loader_names_the_rule():
    with pytest.raises(ValidationError) as info:
        EscalationRule(after_minutes=0)
    assert [(p.path, p.code) for p in info.value.problems] == [("after_minutes", "range")]
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict({"escalation": {"unassigned": {"after_minutes": 0}}})
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("escalation.unassigned.after_minutes", "range")
    ]


def test_constructors_guard_their_invariants():
    with pytest.raises(ValidationError):
        EscalationRule(after_minutes=0)
    with pytest.raises(ValidationError):
        EscalationRule(enabled=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        WorkspaceSettings(timezone="Nowhere/Land")
    with pytest.raises(ValidationError):
        WorkspaceSettings(version=0)
    with pytest.raises(ValidationError):
        QuietHours(dt.time(22, 0, 30), dt.time(8))
    with pytest.raises(ValidationError):
        DailyDigest(send_time="09:00")  # type: ignore[arg-type]
    s = attrs.evolve(WorkspaceSettings(), timezone="Asia/Tokyo")
    assert s.zone.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=9)


def test_settings_are_frozen_and_hashable():
    s = WorkspaceSettings()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        s.timezone = "UTC"  # type: ignore[misc]
    assert hash(s) == hash(WorkspaceSettings.from_dict({}))


# -- laws ---------------------------------------------------------------------------------------


@given(workspace_settings())
def test_load_of_dump_is_identity(settings):
    assert WorkspaceSettings.from_dict(settings.to_dict()) == settings
    assert WorkspaceSettings.from_json(json.dumps(settings.to_dict())) == settings


@given(workspace_settings())
def test_redacted_view_never_contains_the_url(settings):
    view = json.dumps(settings.redacted())
    if settings.slack.webhook_url is not None:
        assert settings.slack.webhook_url.reveal() not in view
        assert settings.slack.webhook_url.reveal() not in repr(settings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
settings_keys = st.sampled_from(
    [
        "timezone",
        "defaults",
        "digests",
        "escalation",
        "slack",
        "quiet_hours",
        "business_hours",
        "version",
    ]
)
shaped = st.dictionaries(settings_keys, json_values, max_size=8)


@given(json_values | shaped)
def test_arbitrary_json_gives_settings_or_validation_error_only(data):
    problems: tuple[Problem, ...] = ()
    try:
        WorkspaceSettings.from_dict(data)
    except ValidationError as exc:
        problems = exc.problems
        assert problems, "a ValidationError always carries its problems"
    assert all(p.code and p.message for p in problems)


@given(
    workspace_settings(),
    st.sampled_from(["digests", "escalation", "quiet_hours", "business_hours", "slack"]),
    json_values,
)
def test_one_bad_section_is_reported_or_accepted_never_crashes(settings, key, junk):
    data = settings.to_dict()
    data[key] = junk
    with contextlib.suppress(ValidationError):
        WorkspaceSettings.from_dict(data)
