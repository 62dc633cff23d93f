"""Keys built from host ids: ids containing ``:`` or ``%`` never make one key for two things."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Channel, MemberMentioned
from notifpolicy._keys import key_part
from notifpolicy.testing.workspace import Workspace

ids = st.text(alphabet=st.sampled_from("ab:%3A"), max_size=6)


def _unescape(part: str) -> str:
    return part.replace("%3A", ":").replace("%25", "%")


@given(st.lists(ids, min_size=1, max_size=4))
def test_joined_parts_split_back_into_the_same_parts(parts):
    key = ":".join(key_part(p) for p in parts)
    assert [_unescape(p) for p in key.split(":")] == parts


@given(st.lists(ids, min_size=1, max_size=4), st.lists(ids, min_size=1, max_size=4))
def test_different_parts_make_different_keys(first, second):
    same_key = ":".join(map(key_part, first)) == ":".join(map(key_part, second))
    assert same_key == (first == second)


def test_plain_ids_are_used_as_they_are():
    assert key_part("c42") == "c42"
    assert key_part("zendesk:42") == "zendesk%3A42"
    assert key_part("50%") == "50%25"


def test_two_mentions_whose_ids_would_join_alike_are_both_delivered(notifpolicy_workspace):
    # Unescaped, both outbox ids were "ws-test:e1:anna:bo:in_app": the second mention was
    # taken for the first and never delivered.
    ws: Workspace = notifpolicy_workspace
    ws.add_member("bo", channels=[Channel.IN_APP])
    ws.add_member("anna:bo", channels=[Channel.IN_APP])
    ws.handle(
        MemberMentioned(id="e1:anna", conversation_id="c1", author_id="olga", mentioned=["bo"])
    )
    ws.handle(
        MemberMentioned(id="e1", conversation_id="c2", author_id="olga", mentioned=["anna:bo"])
    )
    assert [d.item.conversation_id for d in ws.sent_to("bo")] == ["c1"]
    assert [d.item.conversation_id for d in ws.sent_to("anna:bo")] == ["c2"]
    assert {d.item.id for d in ws.sent} == {
        "ws-test:e1%3Aanna:bo:in_app",
        "ws-test:e1:anna%3Abo:in_app",
    }
