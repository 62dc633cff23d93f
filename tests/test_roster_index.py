"""The roster's index by id: ``Roster.in_order`` and ``Roster.admins``.

(Beside ``test_roster.py``: the index is what ``decide`` looks a targeted event's recipients up
in, so that a mention costs the same in any workspace.)
"""

from __future__ import annotations

import copy
import pickle

import attrs
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Member, Role, Roster
from notifpolicy.testing._decision_strategies import member_ids, rosters

ROSTER = Roster(
    [
        Member("dee", Role.AGENT),
        Member("ann", Role.OWNER),
        Member("cy", Role.ADMIN, active=False),
        Member("bo", Role.ADMIN),
    ]
)


def test_in_order_keeps_the_rosters_order_once_each_active_only():
    found = ROSTER.in_order(["bo", "zed", "cy", "dee", "bo", "ann"])
    assert [m.id for m in found] == ["dee", "ann", "bo"]
    assert ROSTER.in_order([]) == ()
    assert ROSTER.in_order(iter(["ann"])) == (ROSTER.get("ann"),)


def test_in_order_drops_what_is_not_a_member_id():
    assert ROSTER.in_order([None, 3, ["ann"], "ann"]) == (ROSTER.get("ann"),)  # type: ignore[list-item]


def test_admins_are_the_active_owners_and_admins_in_order():
    assert [m.id for m in ROSTER.admins()] == ["ann", "bo"]
    assert Roster([]).admins() == ()


def test_the_index_is_no_part_of_the_value():
    fresh = Roster(list(ROSTER))
    ROSTER.in_order(["ann"])  # builds the index on ROSTER only
    assert fresh == ROSTER
    assert hash(fresh) == hash(ROSTER)
    assert repr(fresh) == repr(ROSTER)
    assert [a.name for a in attrs.fields(Roster)] == ["members"]
    assert attrs.asdict(ROSTER, recurse=False) == {"members": ROSTER.members}
    copied = pickle.loads(pickle.dumps(ROSTER))  # noqa: S301 -- our own bytes, just written
    for other in (copied, copy.deepcopy(ROSTER)):
        assert other == ROSTER
        assert [m.id for m in other.in_order(["bo", "dee"])] == ["dee", "bo"]


def test_an_evolved_roster_has_an_index_of_its_own():
    assert [m.id for m in ROSTER.in_order(["ann", "zed"])] == ["ann"]
    grown = attrs.evolve(ROSTER, members=[*ROSTER, Member("zed", Role.ADMIN)])
    assert [m.id for m in grown.in_order(["ann", "zed"])] == ["ann", "zed"]
    assert [m.id for m in grown.admins()] == ["ann", "bo", "zed"]
    assert [m.id for m in ROSTER.admins()] == ["ann", "bo"]


@given(rosters(max_size=12), st.lists(member_ids(), max_size=12))
def test_in_order_is_the_walk_filtered(roster, ids):
    expected = tuple(m for m in roster if m.active and m.id in ids)
    assert roster.in_order(ids) == expected
    assert roster.in_order(ids) == expected  # and again, from the index
    assert roster.admins() == tuple(m for m in roster if m.active and m.role.is_admin)
