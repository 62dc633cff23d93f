"""Events: the kinds each carries, the facts recipients need, and strict construction."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given

from notifpolicy import KindRegistry, ValidationError
from notifpolicy._events import (
    ConversationCreated,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    Event,
    HostEvent,
    MemberMentioned,
    SlaBreached,
)
from notifpolicy.testing._decision_strategies import events, rosters


def test_created_without_assignee_is_also_unassigned():
    e = ConversationCreated(id="e1", conversation_id="c1")
    assert e.kinds == ("new_conversation", "unassigned_conversation")
    assert e.assignee is None
    assert e.conversation_id == "c1"


def test_created_with_assignee_is_only_new():
    e = ConversationCreated(id="e1", conversation_id="c1", assignee="u1")
    assert e.kinds == ("new_conversation",)
    assert e.assignee == "u1"


def test_each_event_carries_its_kinds_and_facts():
    assert ConversationUnassigned(id="e", conversation_id="c").kinds == ("unassigned_conversation",)
    m = MemberMentioned(id="e", conversation_id="c", author_id="a", mentioned=["b", "c"])
    assert m.kinds == ("mention",)
    assert m.mentioned == ("b", "c")
    assert m.author_id == "a"
    assert m.assignee is None
    assert m.held_for == ()
    esc = EscalationDue(id="e", conversation_id="c", kind="escalation_first_response")
    assert esc.kinds == ("escalation_first_response",)
    sla = SlaBreached(id="e", conversation_id="c", assignee="u")
    assert (sla.kinds, sla.assignee) == (("sla_breach",), "u")
    digest = DigestReady(id="e", kind="weekly_report")
    assert (digest.kinds, digest.conversation_id) == (("weekly_report",), None)
    host = HostEvent(id="e", kinds=["refund_requested"], held_for=["u1"], mentioned=("u2",))
    assert host.kinds == ("refund_requested",)
    assert host.held_for == ("u1",)
    assert host.mentioned == ("u2",)


def test_every_builtin_event_kind_is_registered():
    registry = KindRegistry.default()
    samples = [
        ConversationCreated(id="e", conversation_id="c"),
        ConversationUnassigned(id="e", conversation_id="c"),
        MemberMentioned(id="e", conversation_id="c", author_id="a", mentioned=()),
        EscalationDue(id="e", conversation_id="c", kind="escalation_unassigned"),
        SlaBreached(id="e", conversation_id="c"),
        DigestReady(id="e", kind="daily_summary"),
    ]
    for event in samples:
        for name in event.kinds:
            assert name in registry


def test_subject_and_customer_are_optional_text():
    e = ConversationCreated(id="e", conversation_id="c", subject="Refund", customer="Bo")
    assert (e.subject, e.customer) == ("Refund", "Bo")
    with pytest.raises(ValidationError) as info:
        ConversationCreated(id="e", conversation_id="c", subject=3)  # type: ignore[arg-type]
    assert info.value.problems[0].path == "event.subject"


def test_events_are_frozen_and_compare_by_value():
    e = ConversationCreated(id="e1", conversation_id="c1")
    assert e == ConversationCreated(id="e1", conversation_id="c1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.id = "x"  # type: ignore[misc]


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        MemberMentioned(
            id="",
            conversation_id=3,  # type: ignore[arg-type]
            author_id=None,  # type: ignore[arg-type]
            mentioned="bo",  # a string is not a list of ids
        )
    assert [p.path for p in info.value.problems] == [
        "event.id",
        "event.conversation_id",
        "event.author_id",
        "event.mentioned",
    ]
    assert isinstance(info.value, ValueError)


def test_mentioned_ids_must_be_strings():
    with pytest.raises(ValidationError) as info:
        MemberMentioned(id="e", conversation_id="c", author_id="a", mentioned=["b", 3])  # type: ignore[list-item]
    assert info.value.problems[0].path == "event.mentioned[1]"


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: EscalationDue(id="e", conversation_id="c", kind="mention"), "event.kind"),
        (lambda: DigestReady(id="e", kind="escalation_unassigned"), "event.kind"),
        (lambda: SlaBreached(id="e", conversation_id="c", assignee=""), "event.assignee"),
        (lambda: ConversationCreated(id="e", conversation_id=""), "event.conversation_id"),
        (lambda: HostEvent(id="e", kinds=()), "event.kinds"),
        (lambda: HostEvent(id="e", kinds="refund"), "event.kinds"),
        (lambda: HostEvent(id="e", kinds=("a", "a")), "event.kinds[1]"),
        (lambda: HostEvent(id="e", kinds=("a", "")), "event.kinds[1]"),
        (lambda: HostEvent(id="e", kinds=("a",), held_for=(1,)), "event.held_for[0]"),  # type: ignore[arg-type]
        (lambda: HostEvent(id="e", kinds=("a",), conversation_id=""), "event.conversation_id"),
    ],
)
def test_bad_events_are_validation_errors(build, path):
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.problems[0].path == path


def test_base_event_has_no_kinds():
    with pytest.raises(NotImplementedError):
        _ = Event(id="e").kinds


@given(rosters().flatmap(events))
def test_generated_events_are_valid_and_carry_registered_kinds(event):
    assert event.kinds
    assert len(set(event.kinds)) == len(event.kinds)
    assert all(name in KindRegistry.default() for name in event.kinds)
    assert attrs.evolve(event) == event


def test_text_with_a_lone_surrogate_is_refused():
    with pytest.raises(ValidationError, match="lone surrogates"):
        ConversationCreated(id="e1", conversation_id="c1", subject="broken \ud800 text")
