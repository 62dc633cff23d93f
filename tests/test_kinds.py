"""Notification kinds as data (SPEC §4)."""

from __future__ import annotations

import pytest

from notifpolicy import (
    BUILTIN_KINDS,
    Channel,
    Kind,
    KindRegistry,
    Recipients,
    Role,
    SlackEvent,
    ValidationError,
)


def test_builtin_table():
    table = {k.name: k for k in BUILTIN_KINDS}
    rows = {
        name: (k.recipients, k.overridable, k.critical, k.quiet_hours_exempt, k.slack_event)
        for name, k in table.items()
    }
    assert rows == {
        "new_conversation": (
            Recipients.ALL_MEMBERS,
            True,
            False,
            False,
            SlackEvent.NEW_CONVERSATION,
        ),
        "unassigned_conversation": (
            Recipients.ALL_MEMBERS,
            True,
            False,
            False,
            SlackEvent.UNASSIGNED,
        ),
        "sla_breach": (Recipients.ASSIGNEE_OR_ALL, True, False, False, None),
        "mention": (Recipients.MENTIONED, True, False, False, None),
        "escalation_unassigned": (Recipients.ADMINS, False, True, False, SlackEvent.ESCALATION),
        "escalation_first_response": (Recipients.ADMINS, False, True, False, SlackEvent.ESCALATION),
        "daily_summary": (Recipients.ALL_MEMBERS, True, False, True, None),
        "weekly_report": (Recipients.ALL_MEMBERS, True, False, True, None),
        "quiet_hours_summary": (Recipients.MEMBERS_WITH_HELD_ITEMS, True, False, True, None),
    }
    assert table["daily_summary"].channels == {Channel.EMAIL}
    assert table["mention"].channels == {Channel.IN_APP, Channel.EMAIL, Channel.PUSH}


def test_registry_adds_host_kinds_without_global_state():
    base = KindRegistry.default()
    extended = base.with_kinds(Kind("refund_requested", Recipients.ADMINS, overridable=True))
    assert "refund_requested" in extended
    assert "refund_requested" not in base
    assert "refund_requested" not in KindRegistry.default()
    with pytest.raises(ValidationError, match="already registered"):
        extended.with_kinds(Kind("mention", Recipients.MENTIONED, overridable=True))
    with pytest.raises(ValidationError, match="registered kind"):
        base.get("nope")
    assert [k.name for k in base][:2] == ["new_conversation", "unassigned_conversation"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "Bad Name"},
        {"name": ""},
        {"channels": [Channel.SLACK]},
        {"channels": []},
        {"switch": "quiet_hours.enabled"},
    ],
)
def test_invalid_kinds(kwargs):
    args = {"name": "custom", "recipients": Recipients.ADMINS, "overridable": True, **kwargs}
    with pytest.raises(ValidationError):
        Kind(**args)


def test_roles():
    assert Role.OWNER.is_admin
    assert Role.ADMIN.is_admin
    assert not Role.AGENT.is_admin
