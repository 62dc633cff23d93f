"""The pytest plugin, used as a host would use it (with pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

NIGHT_TEST = """
from notifpolicy import Channel, MemberMentioned, ConversationCreated, ConversationState


def test_night_mentions_wait(notifpolicy_workspace):
    ws = notifpolicy_workspace
    ws.configure(
        {"timezone": "Europe/Amsterdam", "quiet_hours": {"enabled": True, "mode": "defer"}}
    )
    anna = ws.add_member("anna", email="anna@example.org")
    ws.at("2026-03-02T23:30:00+01:00")
    ws.handle(MemberMentioned(id="e1", conversation_id="c1", author_id="olga", mentioned=[anna.id]))
    assert ws.sent_to("anna") == []
    ws.run_until("2026-03-03T08:00:00+01:00")
    assert [d.item.kinds for d in ws.sent_to("anna", channel=Channel.EMAIL)] == [("mention",)]


def test_members_may_turn_things_off(notifpolicy_workspace):
    ws = notifpolicy_workspace
    ws.add_member("bob", overrides={"new_conversation": False})
    ws.handle(ConversationCreated(id="e1", conversation_id="c1", assignee="olga"))
    assert ws.sent_to("bob") == []
    assert ws.sent_to("olga")


def test_escalation_reaches_the_owner(
    notifpolicy_workspace, notifpolicy_clock, notifpolicy_outbox
):
    ws = notifpolicy_workspace
    now = notifpolicy_clock.now()
    c9 = ConversationState(
        id="c9", created_at=now, status="open", assignee=None, unassigned_since=now
    )
    ws.conversations.append(c9)
    ws.run_until("2026-03-02T09:30:00+00:00")
    kinds = {d.item.kinds for d in ws.sent_to("olga")}
    assert ("escalation_unassigned",) in kinds
    assert len(notifpolicy_outbox.claimed(["ws-test:first_response:c9:sla_breach"])) == 1


def test_a_failing_rule_fails(notifpolicy_workspace):
    ws = notifpolicy_workspace
    ws.handle(ConversationCreated(id="e1", conversation_id="c1"))
    assert ws.sent_to("olga") == []
"""


def test_the_plugin_is_registered_and_its_fixtures_work(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_host=NIGHT_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_a_failing_rule_fails*"])


def test_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        ["*notifpolicy_clock*", "*notifpolicy_outbox*", "*notifpolicy_workspace*"]
    )
