"""``explain --roster``: the roster file is read member by member with ``Member.from_dict``.

The file's format is the CLI's (``name`` for the display name, ``overrides`` beside each member,
a non-empty list); every field the library knows is checked by the library's own reader, so a
member the file accepts is the member ``Member.from_dict`` builds, and a member it refuses is
refused with the library's problems, at the file's paths.  ``test_cli.py`` has the examples of
whole files, good and bad.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Member, ValidationError
from notifpolicy.cli import main
from notifpolicy.cli._common import EXIT_INVALID, InvalidFileError
from notifpolicy.cli._team import load_team

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "workspace.toml")

# Values of each key, good ones and bad ones (wrong type, unknown choice, empty, duplicates).
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.sampled_from(["ann", "bo", "", 3, None, "a\ud800b"]),
    "role": st.sampled_from(["owner", "admin", "agent", "boss", 1, ["agent"]]),
    "name": st.sampled_from(["Ann", "", 1, None]),
    "active": st.sampled_from([True, False, "yes", 0]),
    "channels": st.lists(
        st.sampled_from(["in_app", "email", "push", "slack", "sms", 3]), max_size=4
    )
    | st.sampled_from(["email", None]),
}
_FILE_TO_LIBRARY = {"name": "display_name"}


@st.composite
def _members(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True))
    return {key: draw(_VALUES[key]) for key in keys}


def _from_file(member: dict[str, Any]) -> Member | list[str]:
    """The member as ``explain --roster`` reads it from a JSON file, or its problems' paths."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "team.json"
        path.write_text(json.dumps({"members": [member]}), encoding="utf-8")
        try:
            return next(iter(load_team(str(path)).roster))
        except InvalidFileError as exc:
            return sorted(p.path.removeprefix("members[0].") for p in exc.problems)


def _from_library(member: dict[str, Any]) -> Member | list[str]:
    data = {_FILE_TO_LIBRARY.get(k, k): v for k, v in member.items()}
    try:
        return Member.from_dict(data)
    except ValidationError as exc:
        back = {v: k for k, v in _FILE_TO_LIBRARY.items()}
        return sorted(back.get(p.path, p.path) for p in exc.problems)


@given(_members())
def test_a_roster_file_member_is_what_member_from_dict_reads(member):
    assert _from_file(member) == _from_library(member)


def test_a_member_id_the_stores_cannot_write_is_a_problem_not_a_crash(capsys, tmp_path):
    roster = tmp_path / "team.json"
    roster.write_text('{"members": [{"id": "a\\ud800b"}]}', encoding="utf-8")
    argv = ["explain", EXAMPLE, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code = main([*argv, "--roster", str(roster), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_INVALID
    assert [(p["path"], p["code"]) for p in doc["problems"]] == [("members[0].id", "encoding")]


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        # The library's problems, in the file's key order whatever order they were found in.
        (
            {"channels": "email", "active": 1, "role": "x", "id": "", "zz": 1},
            ["zz", "id", "role", "active", "channels"],
        ),
        ({"id": "a", "name": 2, "overrides": {"mention": 1}}, ["name", "overrides.mention"]),
        # Keys the library reads but the file does not take.
        ({"id": "a", "email": "a@example.org", "display_name": "A"}, ["email", "display_name"]),
    ],
)
def test_problems_come_in_the_order_of_the_file_keys(tmp_path, member, expected):
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"members": [member]}), encoding="utf-8")
    with pytest.raises(InvalidFileError) as info:
        load_team(str(path))
    assert [p.path.removeprefix("members[0].") for p in info.value.problems] == expected
