"""diff, permissions, validation, versions and the audit entry (SPEC §2, §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from notifpolicy import (
    AuditEntry,
    ConflictError,
    FieldChange,
    Member,
    MemberPreferences,
    PermissionDenied,
    Role,
    ValidationError,
    WorkspaceSettings,
    diff,
    merge_patch,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy.testing.strategies import member_preferences, workspace_settings

NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
OWNER = Member("olga", Role.OWNER)
ADMIN = Member("adam", Role.ADMIN)
AGENT = Member("anna", Role.AGENT)
URL = "https://hooks.slack.com/services/T1/B1/SECRETTOKEN"


def test_diff_lists_field_level_changes():
    saved = WorkspaceSettings()
    draft = WorkspaceSettings.from_dict(
        {"quiet_hours": {"enabled": True, "start": "21:00"}, "slack": {"events": ["escalation"]}}
    )
    assert diff(saved, draft) == (
        FieldChange(
            "slack.events", ["new_conversation", "unassigned", "escalation"], ["escalation"]
        ),
        FieldChange("quiet_hours.enabled", False, True),
        FieldChange("quiet_hours.start", "22:00", "21:00"),
    )
    assert diff(saved, saved) == ()
    assert diff(saved, attrs.evolve(saved, version=7)) == ()


def test_diff_redacts_the_webhook_and_shows_business_hours_whole():
    saved = WorkspaceSettings.from_dict({"slack": {"webhook_url": URL}})
    draft = WorkspaceSettings.from_dict(
        {
            "slack": {"webhook_url": URL.replace("SECRET", "OTHER")},
            "business_hours": {"weekly": {"mon": [["09:00", "17:00"]]}},
        }
    )
    changes = diff(saved, draft)
    # Changed, and still not shown.
    assert changes[0] == FieldChange("slack.webhook_url", "<redacted>", "<redacted, changed>")
    assert changes[1].path == "business_hours"
    assert changes[1].old is None
    assert "SECRET" not in repr(changes)
    removed = diff(saved, WorkspaceSettings())
    assert removed == (FieldChange("slack.webhook_url", "<redacted>", None),)
    assert diff(saved, {"slack": {"webhook_url": None}}) == removed
    added = diff(WorkspaceSettings(), saved)
    assert added == (FieldChange("slack.webhook_url", None, "<redacted>"),)


@pytest.mark.parametrize("actor", [OWNER, ADMIN])
def test_admins_save_version_goes_up_and_audit_is_written(actor):
    current = WorkspaceSettings.from_dict({"version": 3})
    draft = {
        "version": 3,
        "escalation": {"unassigned": {"after_minutes": 10}},
        "slack": {"webhook_url": URL},
    }
    result = save_workspace_settings(current, draft, actor=actor, workspace_id="ws-1", now=NOW)
    assert result.changed
    assert result.value.version == 4
    assert result.value.escalation.unassigned.after_minutes == 10
    audit = result.audit
    assert audit is not None
    assert (audit.workspace_id, audit.actor_id, audit.at) == ("ws-1", actor.id, NOW)
    assert (audit.version_before, audit.version_after) == (3, 4)
    assert audit.target == "workspace_settings"
    assert audit.key == "ws-1:audit:workspace_settings:v4"
    assert audit.changes == (
        FieldChange("escalation.unassigned.after_minutes", 30, 10),
        FieldChange("slack.webhook_url", None, "<redacted>"),
    )
    assert "SECRETTOKEN" not in repr(audit)


def test_audit_keys_escape_host_ids_like_every_other_key():
    result = save_workspace_settings(
        WorkspaceSettings(),
        {"version": 1, "timezone": "Asia/Tokyo"},
        actor=OWNER,
        workspace_id="ws:1",
        now=NOW,
    )
    assert result.audit is not None
    assert result.audit.workspace_id == "ws:1"
    assert result.audit.key == "ws%3A1:audit:workspace_settings:v2"
    prefs = save_member_preferences(
        MemberPreferences(), {"version": 1, "overrides": {"mention": False}},
        actor=Member("a:b%", Role.AGENT), member_id="a:b%", workspace_id="ws:1", now=NOW,
    )  # fmt: skip
    assert prefs.audit is not None
    assert prefs.audit.target == "member_preferences:a:b%"
    assert prefs.audit.key == "ws%3A1:audit:member_preferences:a%3Ab%25:v2"


# Ids made of the key's own words and separators: a key that did not escape them would let
# ("a:audit:member_preferences:b", settings) and ("a", preferences of "b:audit:workspace_settings")
# share a key.
_IDS = st.lists(
    st.sampled_from(["a", "b", ":", "%", "%3A", "audit", "v1", "workspace_settings",
                     "member_preferences"]),
    min_size=1,
    max_size=6,
).map("".join)  # fmt: skip
_TARGETS = st.one_of(
    st.just("workspace_settings"), _IDS.map(lambda member: f"member_preferences:{member}")
)


@given(st.tuples(_IDS, _TARGETS, st.integers(1, 3)), st.tuples(_IDS, _TARGETS, st.integers(1, 3)))
@example(
    ("a:audit:member_preferences:b", "workspace_settings", 2),
    ("a", "member_preferences:b:audit:workspace_settings", 2),
)
def test_two_audit_entries_share_a_key_only_when_they_are_the_same_change(one, two):
    def key(workspace_id: str, target: str, version: int) -> str:
        return AuditEntry(workspace_id, "olga", NOW, target, version - 1, version, ()).key

    assert (key(*one) == key(*two)) == (one == two)


def test_agent_gets_permission_denied_even_for_an_invalid_draft():
    with pytest.raises(PermissionDenied) as info:
        save_workspace_settings(
            WorkspaceSettings(),
            {"timezone": "nowhere", "version": "x"},
            actor=AGENT,
            workspace_id="w",
            now=NOW,
        )
    assert not isinstance(info.value, PermissionError)
    assert not isinstance(info.value, OSError)


def test_deactivated_admin_is_denied():
    with pytest.raises(PermissionDenied):
        save_workspace_settings(
            WorkspaceSettings(),
            {"version": 1},
            actor=attrs.evolve(ADMIN, active=False),
            workspace_id="w",
            now=NOW,
        )


def test_invalid_draft_is_a_validation_error_and_nothing_changes():
    current = WorkspaceSettings()
    with pytest.raises(ValidationError):
        save_workspace_settings(
            current,
            {"quiet_hours": {"start": "25:00"}, "version": 1},
            actor=ADMIN,
            workspace_id="w",
            now=NOW,
        )
    assert current == WorkspaceSettings()


def test_hand_built_draft_is_revalidated():
    bad = attrs.evolve(
        WorkspaceSettings(),
        slack=attrs.evolve(WorkspaceSettings().slack, webhook_url="http://evil.example/x"),
    )
    with pytest.raises(ValidationError) as info:
        save_workspace_settings(WorkspaceSettings(), bad, actor=ADMIN, workspace_id="w", now=NOW)
    assert "evil" not in str(info.value)


def test_conflict_when_someone_saved_in_between():
    v1 = WorkspaceSettings()
    first = save_workspace_settings(
        v1, {"version": 1, "quiet_hours": {"enabled": True}}, actor=ADMIN, workspace_id="w", now=NOW
    )
    # A second admin's draft was also based on version 1.
    with pytest.raises(ConflictError) as info:
        save_workspace_settings(
            first.value,
            {"version": 1, "timezone": "Europe/Amsterdam"},
            actor=OWNER,
            workspace_id="w",
            now=NOW,
        )
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert first.value.timezone == "UTC"


def test_no_change_no_version_no_audit():
    current = WorkspaceSettings.from_dict({"version": 5})
    result = save_workspace_settings(current, current, actor=ADMIN, workspace_id="w", now=NOW)
    assert not result.changed
    assert result.value is current


def test_now_must_be_aware_and_actor_a_member():
    with pytest.raises(ValidationError, match="now"):
        save_workspace_settings(
            WorkspaceSettings(),
            {"version": 1},
            actor=ADMIN,
            workspace_id="w",
            now=dt.datetime(2026, 1, 1),
        )
    with pytest.raises(ValidationError, match="actor"):
        save_workspace_settings(
            WorkspaceSettings(),
            {"version": 1},
            actor="adam",  # type: ignore[arg-type]
            workspace_id="w",
            now=NOW,
        )


def test_no_member_is_permission_denied():
    # None is what Roster.get gives for an id it does not know.
    with pytest.raises(PermissionDenied, match="not a member"):
        save_workspace_settings(
            WorkspaceSettings(),
            {"version": 1},
            actor=None,  # type: ignore[arg-type]
            workspace_id="w",
            now=NOW,
        )


def test_member_saves_own_preferences():
    current = MemberPreferences()
    result = save_member_preferences(
        current,
        {"version": 1, "overrides": {"mention": False}},
        actor=AGENT,
        member_id="anna",
        workspace_id="w",
        now=NOW,
    )
    assert result.value == MemberPreferences({"mention": {"*": False}}, 2)
    assert result.audit is not None
    assert result.audit.target == "member_preferences:anna"
    assert result.audit.changes == (FieldChange("overrides.mention.*", None, False),)
    reset = save_member_preferences(
        result.value,
        result.value.reset("mention"),
        actor=AGENT,
        member_id="anna",
        workspace_id="w",
        now=NOW,
    )
    assert reset.value == MemberPreferences(version=3)
    assert reset.audit is not None
    assert reset.audit.changes == (FieldChange("overrides.mention.*", False, None),)


def test_nobody_changes_someone_elses_preferences():
    with pytest.raises(PermissionDenied):
        save_member_preferences(
            MemberPreferences(),
            {"overrides": {}, "version": 1},
            actor=OWNER,
            member_id="anna",
            workspace_id="w",
            now=NOW,
        )


def test_override_of_locked_kind_is_rejected_on_save_naming_the_kind():
    with pytest.raises(ValidationError, match="escalation_first_response"):
        save_member_preferences(
            MemberPreferences(),
            {"overrides": {"escalation_first_response": False}, "version": 1},
            actor=AGENT,
            member_id="anna",
            workspace_id="w",
            now=NOW,
        )


def test_preferences_conflict():
    current = MemberPreferences(version=2)
    with pytest.raises(ConflictError):
        save_member_preferences(
            current,
            MemberPreferences({"mention": {"*": False}}, 1),
            actor=AGENT,
            member_id="anna",
            workspace_id="w",
            now=NOW,
        )


@given(workspace_settings(), workspace_settings())
def test_save_applies_exactly_the_diff(current, other):
    draft = attrs.evolve(other, version=current.version)
    result = save_workspace_settings(current, draft, actor=OWNER, workspace_id="w", now=NOW)
    changes = diff(current, draft)
    if changes:
        assert result.value == attrs.evolve(draft, version=current.version + 1)
        assert result.audit is not None
        assert result.audit.changes == changes
    else:
        assert result.value == current


# -- saves are merge patches (SPEC §10) ------------------------------------------------------------

CONFIGURED = {
    "timezone": "Europe/Amsterdam",
    "slack": {"webhook_url": URL},
    "quiet_hours": {"enabled": True, "mode": "defer"},
    "business_hours": {"weekly": {"mon": [["09:00", "17:00"]]}},
}


def _save(current: Any, changes: Any, actor: Member = ADMIN, **kw: Any) -> Any:
    return save_workspace_settings(current, changes, actor=actor, workspace_id="w", now=NOW, **kw)


def _save_prefs(current: Any, changes: Any, actor: Member = AGENT) -> Any:
    return save_member_preferences(
        current, changes, actor=actor, member_id=actor.id, workspace_id="w", now=NOW
    )


def test_a_form_that_posts_one_section_keeps_the_rest():
    # The reproduction: a configured Amsterdam workspace, webhook, quiet hours on.
    current = WorkspaceSettings.from_dict(CONFIGURED)
    result = _save(current, {"escalation": {"unassigned": {"after_minutes": 20}}, "version": 1})
    saved = result.value
    assert saved.timezone == "Europe/Amsterdam"
    assert saved.slack.webhook_url is not None
    assert saved.slack.webhook_url.reveal() == URL
    assert saved.quiet_hours.enabled
    assert saved.business_hours == current.business_hours
    assert saved.escalation.unassigned.after_minutes == 20
    assert saved.escalation.unassigned.enabled  # the key the patch left out in that section too
    assert saved == attrs.evolve(
        current,
        escalation=attrs.evolve(
            current.escalation,
            unassigned=attrs.evolve(current.escalation.unassigned, after_minutes=20),
        ),
        version=2,
    )
    assert result.audit is not None
    assert result.audit.changes == (FieldChange("escalation.unassigned.after_minutes", 30, 20),)


def test_a_form_that_posts_every_field_works_too():
    current = WorkspaceSettings.from_dict(CONFIGURED)
    doc = current.to_dict()
    doc["quiet_hours"]["start"] = "21:30"
    result = _save(current, doc)
    assert result.value == attrs.evolve(
        current, quiet_hours=attrs.evolve(current.quiet_hours, start=dt.time(21, 30)), version=2
    )


def test_the_version_is_required():
    current = WorkspaceSettings.from_dict(CONFIGURED)
    with pytest.raises(ValidationError) as info:
        _save(current, {"quiet_hours": {"enabled": False}})
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("version", "missing")
    assert "the version the changes were based on" in problem.message
    # Every problem at once: the missing version beside the others.
    with pytest.raises(ValidationError) as info:
        _save(current, {"quiet_hours": {"start": "25:00"}, "timezone": "Mars/Base"})
    assert [p.path for p in info.value.problems] == ["version", "timezone", "quiet_hours.start"]
    with pytest.raises(ValidationError) as info:
        _save_prefs(MemberPreferences(), {"overrides": {"mention": False}})
    assert [(p.path, p.code) for p in info.value.problems] == [("version", "missing")]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (None, "version: must not be null"),
        ("1", "version: must be an integer from 1 to 9223372036854775807, got '1'"),
        (True, "version: must be an integer from 1 to 9223372036854775807, got True"),
        (0, "version: must be an integer from 1 to 9223372036854775807, got 0"),
    ],
)
def test_a_bad_version_is_a_validation_error_not_a_reset(version, message):
    with pytest.raises(ValidationError) as info:
        _save(WorkspaceSettings(), {"timezone": "Asia/Tokyo", "version": version})
    assert str(info.value).startswith(message)


def test_a_patch_based_on_an_older_version_is_a_conflict():
    current = WorkspaceSettings.from_dict({**CONFIGURED, "version": 3})
    with pytest.raises(ConflictError) as info:
        _save(current, {"timezone": "Asia/Tokyo", "version": 2})
    assert (info.value.expected, info.value.actual) == (2, 3)
    with pytest.raises(ConflictError):
        _save_prefs(MemberPreferences(version=4), {"overrides": {"mention": False}, "version": 3})


def test_validation_comes_before_the_version_check():
    current = WorkspaceSettings(version=3)
    with pytest.raises(ValidationError):
        _save(current, {"timezone": "Mars/Base", "version": 2})


@pytest.mark.parametrize(
    ("patch", "check"),
    [
        ({"slack": {"webhook_url": None}}, lambda s: s.slack.webhook_url is None),
        ({"business_hours": None}, lambda s: s.business_hours is None),
        # Forbidden as null in a stored document, fine in a patch: reset to the default.
        ({"timezone": None}, lambda s: s.timezone == "UTC"),
        ({"quiet_hours": {"mode": None}}, lambda s: s.quiet_hours.mode.value == "suppress"),
        ({"quiet_hours": None}, lambda s: not s.quiet_hours.enabled),
        ({"slack": {"events": None}}, lambda s: len(s.slack.events) == 3),
    ],
)
def test_null_resets_a_key_to_its_default(patch, check):
    current = WorkspaceSettings.from_dict(
        {**CONFIGURED, "slack": {"webhook_url": URL, "events": ["escalation"]}}
    )
    result = _save(current, {**patch, "version": 1})
    assert check(result.value)
    assert not check(current)
    # Nothing else changed.
    assert len(diff(current, result.value)) >= 1
    for change in diff(current, result.value):
        assert change.path.split(".")[0] in patch


def test_null_is_still_an_error_in_a_stored_document():
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict({"timezone": None, "quiet_hours": {"mode": None}})
    assert [p.code for p in info.value.problems] == ["null", "null"]
    with pytest.raises(ValidationError, match="must not be null"):
        MemberPreferences.from_dict({"overrides": {"mention": None}})
    with pytest.raises(ValidationError, match="must not be null"):
        MemberPreferences.from_dict({"overrides": {"mention": {"push": None}}})


def test_a_whole_value_is_an_explicit_replacement():
    current = WorkspaceSettings.from_dict(CONFIGURED)
    replacement = WorkspaceSettings(version=1)
    result = _save(current, replacement)
    assert result.value == attrs.evolve(replacement, version=2)
    assert result.value.slack.webhook_url is None


def test_a_patch_that_is_not_a_mapping_is_a_validation_error():
    bad: object
    for bad in (None, [], "timezone=UTC", 3, MemberPreferences()):
        with pytest.raises(ValidationError) as info:
            _save(WorkspaceSettings(), bad)
        assert info.value.problems[0].path == "changes"
    for bad in (None, [], WorkspaceSettings()):
        with pytest.raises(ValidationError) as info:
            _save_prefs(MemberPreferences(), bad)
        assert info.value.problems[0].path == "changes"
    with pytest.raises(ValidationError, match="current: must be the saved WorkspaceSettings"):
        _save({"version": 1}, {"version": 1})


def test_an_unknown_key_in_a_patch_is_reported_with_its_path():
    with pytest.raises(ValidationError) as info:
        _save(WorkspaceSettings(), {"quiet_hours": {"strat": "21:00"}, "version": 1})
    assert [(p.path, p.code) for p in info.value.problems] == [("quiet_hours.strat", "unknown_key")]


def test_the_patch_is_not_changed():
    patch = {"quiet_hours": {"enabled": True}, "slack": {"webhook_url": None}, "version": 1}
    before = repr(patch)
    _save(WorkspaceSettings.from_dict(CONFIGURED), patch)
    assert repr(patch) == before


# -- preferences patches ----------------------------------------------------------------------


def test_preferences_null_removes_an_override():
    current = MemberPreferences(
        {"mention": {"*": False, "push": True}, "new_conversation": {"email": False}}, 2
    )
    result = _save_prefs(current, {"overrides": {"mention": {"push": None}}, "version": 2})
    assert result.value == MemberPreferences(
        {"mention": {"*": False}, "new_conversation": {"email": False}}, 3
    )
    assert result.audit is not None
    assert result.audit.changes == (FieldChange("overrides.mention.push", True, None),)
    kind_gone = _save_prefs(result.value, {"overrides": {"mention": None}, "version": 3})
    assert kind_gone.value == MemberPreferences({"new_conversation": {"email": False}}, 4)
    all_gone = _save_prefs(kind_gone.value, {"overrides": None, "version": 4})
    assert all_gone.value == MemberPreferences(version=5)


def test_preferences_patch_merges_channels_and_a_bool_replaces_the_kind():
    current = MemberPreferences({"mention": {"*": False}}, 1)
    merged = _save_prefs(current, {"overrides": {"mention": {"push": True}}, "version": 1})
    assert merged.value.overrides["mention"] == {"*": False, "push": True}
    replaced = _save_prefs(merged.value, {"overrides": {"mention": True}, "version": 2})
    assert replaced.value.overrides["mention"] == {"*": True}
    # Removing an override that is not there, or {kind: {}}, is no change at all.
    same = _save_prefs(
        replaced.value,
        {
            "overrides": {"new_conversation": None, "sla_breach": {}, "mention": {"email": None}},
            "version": 3,
        },
    )
    assert not same.changed


def test_preferences_patch_is_validated_as_a_whole():
    with pytest.raises(ValidationError) as info:
        _save_prefs(
            MemberPreferences(),
            {
                "overrides": {"mention": {"slack": True}, "escalation_unassigned": False},
                "version": 1,
            },
        )
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("overrides.mention.slack", "channel_not_applicable"),
        ("overrides.escalation_unassigned", "not_overridable"),
    ]


# -- diff takes a value or a patch ------------------------------------------------------------


def test_diff_takes_a_patch_without_a_version():
    current = WorkspaceSettings.from_dict(CONFIGURED)
    assert diff(current, {"quiet_hours": {"start": "21:00"}}) == (
        FieldChange("quiet_hours.start", "22:00", "21:00"),
    )
    # A version given is ignored: it is not a field.
    assert diff(current, {"version": 99}) == ()
    assert diff(current, current.to_dict()) == ()
    prefs = MemberPreferences({"mention": {"*": False}}, 3)
    assert diff(prefs, {"overrides": {"mention": None}}) == (
        FieldChange("overrides.mention.*", False, None),
    )


def test_diff_refuses_anything_else_with_a_validation_error():
    settings, prefs = WorkspaceSettings(), MemberPreferences()
    cases: list[tuple[Any, Any, str]] = [
        (settings, None, "changes"),
        (settings, prefs, "changes"),
        (prefs, settings, "changes"),
        (settings, ["timezone"], "changes"),
        ({"version": 1}, settings, "saved"),
        (None, None, "saved"),
        (settings, {"timezone": "Mars/Base"}, "timezone"),
        (settings, {"slack": {"webhook_url": "http://evil.example/x"}}, "slack.webhook_url"),
        (prefs, {"overrides": []}, "overrides"),
    ]
    for saved, draft, path in cases:
        with pytest.raises(ValidationError) as info:
            diff(saved, draft)
        assert info.value.problems[0].path == path
        assert "evil" not in str(info.value)


def test_diff_and_save_take_the_host_kinds_and_webhook_hosts():
    hosts = ["hooks.example.org"]
    url = "https://hooks.example.org/services/T/B"
    patch = {"slack": {"webhook_url": url}}
    assert diff(WorkspaceSettings(), patch, extra_webhook_hosts=hosts)[0].new == "<redacted>"
    saved = _save(WorkspaceSettings(), {**patch, "version": 1}, extra_webhook_hosts=hosts)
    assert saved.value.slack.webhook_url is not None
    with pytest.raises(ValidationError):
        _save(WorkspaceSettings(), {**patch, "version": 1})


# -- the laws ---------------------------------------------------------------------------------


@st.composite
def patch_from(draw: st.DrawFn, source: dict[str, Any]) -> dict[str, Any]:
    """A merge patch that names some of ``source``'s keys: with its value, part of it, or null."""
    out: dict[str, Any] = {}
    for key, value in source.items():
        choices = ["skip", "take", "null"]
        if isinstance(value, dict) and value:
            choices.append("part")
        choice = draw(st.sampled_from(choices))
        if choice == "take":
            out[key] = value
        elif choice == "null":
            out[key] = None
        elif choice == "part":
            out[key] = draw(patch_from(value))
    return out


def named_paths(patch: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The paths a patch names: every leaf it sets or removes."""
    found = set()
    for key, value in patch.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            found |= named_paths(value, path)
        elif not isinstance(value, dict):
            found.add(path)
    return found


def within(path: str, named: set[tuple[str, ...]]) -> bool:
    parts = tuple(path.split("."))
    return any(parts[: len(p)] == p or p[: len(parts)] == parts for p in named)


@st.composite
def settings_and_patch(draw: st.DrawFn) -> tuple[WorkspaceSettings, dict[str, Any]]:
    current = draw(workspace_settings())
    other = draw(workspace_settings())
    patch = draw(patch_from(other.to_dict()))
    patch.pop("version", None)
    return current, {**patch, "version": current.version}


@st.composite
def preferences_and_patch(draw: st.DrawFn) -> tuple[MemberPreferences, dict[str, Any]]:
    current = draw(member_preferences())
    other = draw(member_preferences())
    # The other's overrides, plus nulls for the current ones: removals as well as changes.
    nulls = {kind: dict.fromkeys(chans) for kind, chans in current.overrides.items()}
    overrides = draw(patch_from(merge_patch(nulls, other.to_dict()["overrides"])))
    return current, {"overrides": overrides, "version": current.version}


def _outcome(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except ValidationError as invalid:
        return invalid


@given(settings_and_patch())
def test_law_a_save_is_the_loaded_merge_with_the_next_version(case):
    current, patch = case
    expected = _outcome(WorkspaceSettings.from_dict, merge_patch(current.to_dict(), patch))
    if isinstance(expected, ValidationError):
        saved = _outcome(_save, current, patch)
        assert isinstance(saved, ValidationError)
        assert saved.problems == expected.problems
        return
    result = _save(current, patch)
    if result.changed:
        assert result.value == attrs.evolve(expected, version=current.version + 1)
        assert result.audit is not None
        assert result.audit.changes == diff(current, expected)
    else:
        assert expected == current
        assert result.value is current


@given(settings_and_patch())
def test_law_a_patch_changes_nothing_outside_the_paths_it_names(case):
    current, patch = case
    named = named_paths({k: v for k, v in patch.items() if k != "version"})
    try:
        result = _save(current, patch)
    except ValidationError:
        return  # the law above: the same problems as loading the merge
    for change in diff(current, result.value):
        assert within(change.path, named), (change, named)


@given(workspace_settings())
def test_law_posting_the_whole_current_document_changes_nothing(current):
    assert diff(current, current.to_dict()) == ()
    result = _save(current, current.to_dict())
    assert not result.changed
    assert result.value is current


@given(preferences_and_patch())
def test_law_preferences_save_is_the_loaded_merge_and_stays_inside_the_patch(case):
    current, patch = case
    expected = MemberPreferences.from_dict(merge_patch(current.to_dict(), patch))
    result = _save_prefs(current, patch)
    if result.changed:
        assert result.value == attrs.evolve(expected, version=current.version + 1)
    else:
        assert expected == current
    named = named_paths(patch)
    for change in diff(current, result.value):
        assert within(change.path, named), (change, named)
        if change.new is None:
            # Removed: the patch said null there (for the channel or the whole kind), or gave
            # the kind a bare bool, which replaces its channels with "*".
            kind, channel = change.path.split(".")[1:]
            said = patch["overrides"]
            assert (
                said is None
                or said.get(kind) is None
                or isinstance(said[kind], bool)
                or said[kind].get(channel, 0) is None
            )


@given(member_preferences())
def test_law_posting_the_whole_preferences_document_changes_nothing(current):
    assert diff(current, current.to_dict()) == ()
    assert not _save_prefs(current, current.to_dict()).changed


@pytest.mark.parametrize("workspace_id", ["", 5, None])
def test_a_save_needs_a_workspace_id_for_its_audit_key(workspace_id):
    with pytest.raises(ValidationError) as info:
        save_workspace_settings(
            WorkspaceSettings(),
            {"version": 1, "timezone": "Europe/Amsterdam"},
            actor=Member("olga", Role.OWNER),
            workspace_id=workspace_id,
            now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )
    assert [p.path for p in info.value.problems] == ["workspace_id"]
    with pytest.raises(ValidationError):
        save_member_preferences(
            MemberPreferences(),
            {"version": 1, "overrides": {"mention": False}},
            actor=Member("anna", Role.AGENT),
            member_id="anna",
            workspace_id=workspace_id,
            now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )
