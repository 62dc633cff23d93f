"""``EscalationKey``: the ledger keys ``due`` makes, built, parsed and read as values."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    ESCALATION_KINDS,
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
    ConversationState,
    EscalationKey,
    ValidationError,
    WorkspaceSettings,
    due,
    next_check_at,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# Host ids with the characters keys escape, and others.
host_ids = st.text(alphabet=st.sampled_from("ab:%3A-_/é"), min_size=1, max_size=8)


@given(
    workspace=host_ids,
    conversation=host_ids,
    unassigned=st.booleans(),
    created_minutes_ago=st.integers(15, 60 * 24 * 30),
)
def test_every_key_due_makes_parses_back_to_its_escalation(
    workspace, conversation, unassigned, created_minutes_ago
):
    created = T0 - dt.timedelta(minutes=created_minutes_ago, microseconds=7)
    state = ConversationState(
        id=conversation,
        created_at=created,
        assignee=None if unassigned else "agent",
        unassigned_since=created if unassigned else None,
    )
    found = due(
        [state], settings=WorkspaceSettings(), now=T0, already_fired=(), workspace_id=workspace
    )
    assert found  # the first-response rule is due at 15 minutes, whatever the assignment
    for escalation in found:
        key = EscalationKey.parse(escalation.key)
        assert str(key) == escalation.key
        assert (key.workspace_id, key.conversation_id, key.kind) == (
            workspace,
            conversation,
            escalation.kind,
        )
        if key.kind == KIND_UNASSIGNED:
            assert key.unassigned_since == created
            assert key.rule == "unassigned"
        else:
            assert key.unassigned_since is None
            assert key.rule == "first_response"
    assert {e.kind for e in found} <= ESCALATION_KINDS


def test_a_key_is_built_from_its_parts():
    since = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    key = EscalationKey("zendesk:1", KIND_UNASSIGNED, "50%", since)
    assert str(key) == "zendesk%3A1:unassigned:50%25:2026-03-02T09:00:00+00:00"
    assert key.unassigned_since == T0
    assert str(EscalationKey("w", KIND_FIRST_RESPONSE, "c")) == "w:first_response:c:" + (
        KIND_FIRST_RESPONSE
    )
    assert str(EscalationKey("w", KIND_SLA_BREACH, "c")) == "w:first_response:c:sla_breach"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "w:unassigned:c",
        "w:unassigned:c:yesterday",
        "w:unassigned:c:2026-03-02T10:00:00+01:00",  # not the UTC form due() writes
        "w:unassigned:c:2026-03-02T09:00:00",  # naive
        "w:first_response:c:mention",
        "w:first_response::sla_breach",
        "w:audit:c:sla_breach",
        "x" * 10_000,
    ],
)
def test_what_is_not_an_escalation_key_is_a_validation_error(text):
    with pytest.raises(ValidationError) as info:
        EscalationKey.parse(text)
    assert [(p.path, p.code) for p in info.value.problems] == [("key", "format")]
    assert len(str(info.value)) < 400


def test_parse_takes_only_strings():
    with pytest.raises(ValidationError, match="key: must be an escalation key string, got int"):
        EscalationKey.parse(42)


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("", KIND_SLA_BREACH, "c"), "workspace_id"),
        (("w", KIND_SLA_BREACH, ""), "conversation_id"),
        (("w", "mention", "c"), "kind"),
        (("w", KIND_UNASSIGNED, "c"), "unassigned_since"),
        (("w", KIND_UNASSIGNED, "c", dt.datetime(2026, 3, 2)), "unassigned_since"),
        (("w", KIND_SLA_BREACH, "c", T0), "unassigned_since"),
    ],
)
def test_a_key_checks_its_parts(args, path):
    with pytest.raises(ValidationError) as info:
        EscalationKey(*args)
    assert [p.path for p in info.value.problems] == [path]


def test_next_check_at_takes_the_workspace_id_due_takes():
    state = ConversationState(id="c", created_at=T0, unassigned_since=T0)
    settings = WorkspaceSettings()
    assert next_check_at([state], settings=settings, now=T0, workspace_id="ws-1") == (
        next_check_at([state], settings=settings, now=T0)
    )
    with pytest.raises(ValidationError, match="workspace_id"):
        next_check_at([state], settings=settings, now=T0, workspace_id="")
