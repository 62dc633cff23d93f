"""diff, permissions, validation, versions and the audit entry (SPEC §2, §10)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given

from notifpolicy import (
    ConflictError,
    FieldChange,
    Member,
    MemberPreferences,
    PermissionDenied,
    Role,
    ValidationError,
    WorkspaceSettings,
    diff,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy.testing.strategies import workspace_settings

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
    assert changes[0] == FieldChange("slack.webhook_url", "<redacted>", "<redacted>")
    assert changes[1].path == "business_hours"
    assert changes[1].old is None
    assert "SECRET" not in repr(changes)
    removed = diff(saved, WorkspaceSettings())
    assert removed == (FieldChange("slack.webhook_url", "<redacted>", None),)


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
            {},
            actor=attrs.evolve(ADMIN, active=False),
            workspace_id="w",
            now=NOW,
        )


def test_invalid_draft_is_a_validation_error_and_nothing_changes():
    current = WorkspaceSettings()
    with pytest.raises(ValidationError):
        save_workspace_settings(
            current, {"quiet_hours": {"start": "25:00"}}, actor=ADMIN, workspace_id="w", now=NOW
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
            WorkspaceSettings(), {}, actor=ADMIN, workspace_id="w", now=dt.datetime(2026, 1, 1)
        )
    with pytest.raises(ValidationError, match="actor"):
        save_workspace_settings(WorkspaceSettings(), {}, actor="adam", workspace_id="w", now=NOW)  # type: ignore[arg-type]


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
            {"overrides": {}},
            actor=OWNER,
            member_id="anna",
            workspace_id="w",
            now=NOW,
        )


def test_override_of_locked_kind_is_rejected_on_save_naming_the_kind():
    with pytest.raises(ValidationError, match="escalation_first_response"):
        save_member_preferences(
            MemberPreferences(),
            {"overrides": {"escalation_first_response": False}},
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
