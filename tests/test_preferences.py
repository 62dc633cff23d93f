"""Member overrides and effective preferences (SPEC §5)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    Channel,
    EffectivePreference,
    Kind,
    KindRegistry,
    MemberPreferences,
    PreferenceSource,
    Recipients,
    ValidationError,
    WorkspaceSettings,
    effective_preference,
    preference_matrix,
)
from notifpolicy.testing.strategies import member_preferences, workspace_settings

S = WorkspaceSettings()


def eff(
    kind: str,
    channel: Channel,
    prefs: MemberPreferences | None = None,
    settings: WorkspaceSettings = S,
) -> EffectivePreference:
    return effective_preference(kind, channel, settings=settings, preferences=prefs)


def test_the_four_rules_in_order():
    settings = WorkspaceSettings.from_dict({"defaults": {"new_conversation": False}})
    prefs = MemberPreferences.from_dict(
        {"overrides": {"new_conversation": {"*": True, "push": False}}}
    )
    # 2: (kind, channel) beats 3: (kind, *)
    assert eff("new_conversation", Channel.PUSH, prefs, settings) == EffectivePreference(
        "new_conversation", Channel.PUSH, False, PreferenceSource.MEMBER_CHANNEL, False
    )
    # 3: (kind, *) beats 4: the workspace default
    assert eff("new_conversation", Channel.EMAIL, prefs, settings) == EffectivePreference(
        "new_conversation", Channel.EMAIL, True, PreferenceSource.MEMBER_ALL_CHANNELS, False
    )
    # 4: the workspace default
    assert (
        eff("new_conversation", Channel.EMAIL, None, settings).source
        is PreferenceSource.WORKSPACE_DEFAULT
    )
    assert eff("new_conversation", Channel.EMAIL, None, settings).enabled is False
    # 1: not overridable: the workspace decides, locked
    locked = eff("escalation_unassigned", Channel.EMAIL, prefs, settings)
    assert locked.locked
    assert locked.enabled
    assert locked.source is PreferenceSource.WORKSPACE_RULE


def test_escalations_follow_their_rule_and_ignore_stored_overrides():
    off = WorkspaceSettings.from_dict({"escalation": {"first_response": {"enabled": False}}})
    stored = MemberPreferences(
        {"escalation_first_response": {"*": True}}
    )  # as if found in old data
    result = eff("escalation_first_response", Channel.PUSH, stored, off)
    assert result.enabled is False
    assert result.locked
    assert eff("escalation_unassigned", Channel.PUSH, stored, off).enabled is True


def test_bare_bool_means_every_channel():
    a = MemberPreferences.from_dict({"overrides": {"mention": False}})
    b = MemberPreferences.from_dict({"overrides": {"mention": {"*": False}}})
    assert a == b
    assert all(
        not eff("mention", c, a).enabled for c in (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)
    )


def test_empty_kind_override_is_a_no_op():
    assert MemberPreferences.from_dict({"overrides": {"mention": {}}}) == MemberPreferences()


def test_strict_load_problems():
    with pytest.raises(ValidationError) as info:
        MemberPreferences.from_dict(
            {
                "overrides": {
                    "escalation_unassigned": False,
                    "daily_summary": {"push": True},
                    "mention": None,
                    "sla_breach": {"email": None, "slack": True, "in_app": 1},
                    "unknown_kind": True,
                    "new_conversation": "off",
                },
                "version": 0,
                "mention": False,
            }
        )
    assert {p.path: p.code for p in info.value.problems} == {
        "mention": "unknown_key",
        "version": "range",
        "overrides.escalation_unassigned": "not_overridable",
        "overrides.daily_summary.push": "channel_not_applicable",
        "overrides.mention": "null",
        "overrides.sla_breach.email": "null",
        "overrides.sla_breach.slack": "channel_not_applicable",
        "overrides.sla_breach.in_app": "type",
        "overrides.unknown_kind": "unknown_kind",
        "overrides.new_conversation": "type",
    }
    assert "escalation_unassigned" in str(info.value)


def test_stored_overrides_for_locked_or_unknown_kinds_are_dropped_with_a_warning():
    prefs, warnings = MemberPreferences.from_stored(
        {
            "overrides": {"escalation_unassigned": False, "retired_kind": True, "mention": False},
            "version": 4,
        }
    )
    assert prefs == MemberPreferences({"mention": {"*": False}}, 4)
    assert [w.path for w in warnings] == [
        "overrides.escalation_unassigned",
        "overrides.retired_kind",
    ]
    with pytest.raises(ValidationError):
        MemberPreferences.from_stored({"overrides": {"mention": {"slack": True}}})


def test_not_a_mapping():
    with pytest.raises(ValidationError):
        MemberPreferences.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        MemberPreferences.from_dict({"overrides": []})
    with pytest.raises(ValidationError):
        MemberPreferences({"mention": 3})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        MemberPreferences([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        MemberPreferences(version=0)


def test_with_override_and_reset():
    p = (
        MemberPreferences()
        .with_override("mention", Channel.PUSH, False)
        .with_override("mention", "*", True)
    )
    assert p.to_dict()["overrides"] == {"mention": {"push": False, "*": True}}
    assert p.reset("mention", Channel.PUSH).to_dict()["overrides"] == {"mention": {"*": True}}
    assert p.reset("mention") == MemberPreferences()
    assert p.reset("mention", "*").reset("mention", "push") == MemberPreferences()
    assert (
        eff("mention", Channel.PUSH, p.reset("mention")).source
        is PreferenceSource.WORKSPACE_DEFAULT
    )


def test_channel_must_apply():
    with pytest.raises(ValidationError, match="push does not apply to daily_summary"):
        eff("daily_summary", Channel.PUSH)
    with pytest.raises(ValidationError, match="slack does not apply"):
        eff("mention", Channel.SLACK)
    with pytest.raises(ValidationError, match="registered kind"):
        eff("no_such_kind", Channel.EMAIL)


def test_matrix_marks_locked_rows_and_respects_channels():
    rows = preference_matrix(None, settings=S, channels=[Channel.EMAIL, Channel.PUSH])
    assert {r.channel for r in rows} == {Channel.EMAIL, Channel.PUSH}
    assert [r.kind for r in rows if r.channel is Channel.EMAIL][:2] == [
        "new_conversation",
        "unassigned_conversation",
    ]
    assert {r.kind for r in rows if r.locked} == {
        "escalation_unassigned",
        "escalation_first_response",
    }
    assert ("daily_summary", Channel.PUSH) not in {(r.kind, r.channel) for r in rows}
    assert len(preference_matrix(None, settings=S)) == 7 * 3 + 2


def test_host_kinds_resolve_like_builtins():
    kinds = KindRegistry.default().with_kinds(
        Kind("refund_requested", Recipients.ADMINS, overridable=True, channels=[Channel.EMAIL]),
        Kind("fraud_alert", Recipients.ADMINS, overridable=False, critical=True),
    )
    settings = WorkspaceSettings.from_dict({"defaults": {"refund_requested": False}}, kinds=kinds)
    prefs = MemberPreferences.from_dict({"overrides": {"refund_requested": True}}, kinds=kinds)
    r = effective_preference(
        "refund_requested", Channel.EMAIL, settings=settings, preferences=prefs, kinds=kinds
    )
    assert r.enabled
    assert r.source is PreferenceSource.MEMBER_ALL_CHANNELS
    fraud = effective_preference("fraud_alert", Channel.PUSH, settings=settings, kinds=kinds)
    assert fraud.locked
    assert fraud.enabled
    with pytest.raises(ValidationError):
        MemberPreferences.from_dict({"overrides": {"fraud_alert": False}}, kinds=kinds)


@given(member_preferences())
def test_load_of_dump_is_identity(prefs):
    assert MemberPreferences.from_dict(prefs.to_dict()) == prefs


@given(workspace_settings(), member_preferences(), st.data())
def test_changing_a_workspace_default_never_changes_an_explicit_override(settings, prefs, data):
    kinds = KindRegistry.default()
    kind = data.draw(st.sampled_from(kinds.overridable()))
    channel = data.draw(st.sampled_from(sorted(kind.channels, key=lambda c: c.value)))
    before = effective_preference(kind, channel, settings=settings, preferences=prefs)
    flipped = attrs.evolve(
        settings, defaults={**settings.defaults, kind.name: not settings.default_for(kind.name)}
    )
    after = effective_preference(kind, channel, settings=flipped, preferences=prefs)
    if before.source is PreferenceSource.WORKSPACE_DEFAULT:
        assert after.enabled is not before.enabled
    else:
        assert after == before
    # and the stored overrides are untouched: there is nothing to rewrite
    assert MemberPreferences.from_dict(prefs.to_dict()) == prefs


@given(workspace_settings(), member_preferences())
def test_non_overridable_kinds_ignore_overrides(settings, prefs):
    forced = attrs.evolve(
        prefs, overrides={**prefs.overrides, "escalation_unassigned": {"*": False}}
    )
    for channel in (Channel.IN_APP, Channel.EMAIL, Channel.PUSH):
        r = effective_preference(
            "escalation_unassigned", channel, settings=settings, preferences=forced
        )
        assert r.enabled is settings.escalation.unassigned.enabled
        assert r.locked


@pytest.mark.parametrize(
    ("overrides", "path", "code"),
    [
        ({"mention": {"slack": True}}, "overrides.mention.slack", "choice"),
        ({"mention": {"fax": False}}, "overrides.mention.fax", "choice"),
        ({"mention": {"email": 1}}, "overrides.mention.email", "type"),
        ({"mention": "off"}, "overrides.mention", "type"),
        ({"mention": {1: True}}, "overrides.mention.1", "type"),
    ],
)
def test_the_plain_constructor_checks_the_shape(overrides, path, code):
    """Hand-built values are checked too: a bool per member channel or "*", nothing else (kind
    names are checked against a registry where one is given: from_dict, from_stored, saves)."""
    with pytest.raises(ValidationError) as info:
        MemberPreferences(overrides)
    assert [(p.path, p.code) for p in info.value.problems] == [(path, code)]
