"""Members and the roster."""

from __future__ import annotations

import attrs
import pytest

from notifpolicy import Channel, Member, Role, Roster, ValidationError


def test_roster_keeps_order_and_dedupes_channels():
    roster = Roster(
        [
            Member("b", Role.AGENT, "Bo", channels=[Channel.EMAIL, Channel.EMAIL]),
            Member("a", Role.OWNER),
        ]
    )
    assert [m.id for m in roster] == ["b", "a"]
    assert len(roster) == 2
    member = roster.get("b")
    assert member is not None
    assert member.channels == {Channel.EMAIL}
    assert member.name == "Bo"
    a = roster.get("a")
    assert a is not None
    assert a.name == "a"
    assert roster.get("zz") is None
    assert attrs.evolve(roster) == roster


def test_active_members():
    roster = Roster([Member("a", Role.AGENT, active=False), Member("b", Role.AGENT)])
    assert [m.id for m in roster.active()] == ["b"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Member("", Role.AGENT),
        lambda: Member("x", "agent"),  # type: ignore[arg-type]
        lambda: Member("x", Role.AGENT, active=1),  # type: ignore[arg-type]
        lambda: Member("x", Role.AGENT, channels=[Channel.SLACK]),
        lambda: Roster([Member("x", Role.AGENT), Member("x", Role.ADMIN)]),
        lambda: Roster(["x"]),  # type: ignore[list-item]
    ],
)
def test_invalid(build):
    with pytest.raises(ValidationError):
        build()
