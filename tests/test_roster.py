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


@pytest.mark.parametrize(
    "address", ["anna@example.org", "a.b+help@mail.example.co.uk", "ä@example.org"]
)
def test_plain_addresses_are_accepted(address):
    assert Member("a", Role.AGENT, email=address).email == address


@pytest.mark.parametrize(
    "address",
    [
        "anna",
        "@example.org",
        "anna@",
        "anna@localhost",  # no dot in the domain: a typo far more often than an intranet host
        "anna@example.",
        "a@b@example.org",
        "anna @example.org",
        "anna@example.org\r\nBcc: eve@example.org",  # a second header
        "anna@example.org, eve@example.org",  # a second address
        "Anna <anna@example.org>",
        "a" * 250 + "@x.org",
        "",
    ],
)
def test_addresses_that_would_misdirect_mail_are_refused(address):
    with pytest.raises(ValidationError) as info:
        Member("a", Role.AGENT, email=address)
    (problem,) = info.value.problems
    assert problem.path == "member.email"
    # Quoted short: a long address is shortened (a message quotes at most about 100 chars).
    assert repr(address[:100]) in problem.message
    assert "local@domain" in problem.message


@pytest.mark.parametrize("language", [None, "en", "nl", "de", "pt-BR", "zh-Hant-TW"])
def test_a_member_may_name_the_language_they_read(language):
    assert Member("a", Role.AGENT, language=language).language == language


@pytest.mark.parametrize("language", ["", "EN", "english", "nl_NL", "n", "nl-", " nl", 7, b"nl"])
def test_a_language_that_is_not_a_code_is_refused(language):
    with pytest.raises(ValidationError) as info:
        Member("a", Role.AGENT, language=language)
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("member.language", "type")
    assert problem.message.startswith("must be a language code such as 'en', 'nl' or 'pt-BR'")
    assert problem.message.endswith(f"got {language!r}")


def test_every_problem_of_a_member_at_once():
    with pytest.raises(ValidationError) as info:
        Member("", Role.AGENT, email="not an address", language="Dutch")
    assert [p.path for p in info.value.problems] == ["member.id", "member.email", "member.language"]


def test_a_member_from_plain_data():
    member = Member.from_dict(
        {
            "id": "ann",
            "role": "admin",
            "display_name": "Ann",
            "active": False,
            "channels": ["email", "push"],
            "email": "ann@example.org",
            "language": "nl",
        }
    )
    assert member == Member(
        "ann",
        Role.ADMIN,
        "Ann",
        active=False,
        channels=[Channel.EMAIL, Channel.PUSH],
        email="ann@example.org",
        language="nl",
    )
    assert Member.from_dict({"id": "bo"}) == Member("bo", Role.AGENT)


def test_member_from_dict_reports_every_problem_with_its_path():
    with pytest.raises(ValidationError) as info:
        Member.from_dict(
            {
                "id": "",
                "role": "boss",
                "channels": ["sms", "email", "email"],
                "active": "yes",
                "email": "not an address",
                "nickname": "x",
            }
        )
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("nickname", "unknown_key"),
        ("role", "choice"),
        ("channels[0]", "choice"),
        ("channels[2]", "duplicate"),
        ("id", "type"),
        ("active", "type"),
        ("email", "type"),
    ]


def test_a_roster_from_plain_data_with_a_repeated_id():
    roster = Roster.from_dict({"members": [{"id": "ann"}, {"id": "bo", "role": "owner"}]})
    assert [m.id for m in roster] == ["ann", "bo"]
    with pytest.raises(ValidationError) as info:
        Roster.from_dict({"members": [{"id": "a"}, {"id": "a"}, {"id": "b", "role": 1}], "x": 2})
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("x", "unknown_key"),
        ("members[1].id", "duplicate"),
        ("members[2].role", "type"),
    ]
    bad: object
    for bad in (None, [], {"members": "x"}):
        with pytest.raises(ValidationError):
            Roster.from_dict(bad)
