"""The members ``explain`` decides for: a built-in sample team, a roster file, command-line edits.

A roster file (TOML or JSON) is a table with one list, ``members``; each member is a table:

- ``id`` (required), ``role`` (``owner``, ``admin`` or ``agent``; default ``agent``),
- ``name`` (the display name; default the id), ``active`` (default true),
- ``channels`` (a list of ``in_app``, ``email``, ``push``; default all three),
- ``overrides`` (the member's preference overrides, as in a preferences document:
  ``{kind: bool | {channel or "*": bool}}``; default none).

Every problem is reported at once with its path (``members[1].role``), like the settings loader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from notifpolicy import (
    Channel,
    Member,
    MemberPreferences,
    Problem,
    Role,
    Roster,
    ValidationError,
)
from notifpolicy._errors import ProblemList, key_path, quote
from notifpolicy.cli._common import CommandError, InvalidFileError, read_data_file

__all__ = ["Team", "apply_members", "apply_overrides", "load_team", "sample_team"]

_MEMBER_KEYS = ("id", "role", "name", "active", "channels", "overrides")
# The file's keys that Member.from_dict reads, by its names for them; and back.
_LIBRARY_KEYS = {"id": "id", "role": "role", "name": "display_name", "active": "active",
                 "channels": "channels"}  # fmt: skip
_FILE_KEYS = {library: file for file, library in _LIBRARY_KEYS.items()}
_CHANNELS = ("in_app", "email", "push")


@attrs.frozen
class Team:
    """A roster and each member's overrides (the raw ``{kind: ...}`` documents, by id)."""

    roster: Roster
    overrides: Mapping[str, Mapping[str, Any]]

    def preferences(self) -> dict[str, MemberPreferences]:
        """The members' preferences; overrides were checked when the team was built."""
        return {
            member_id: MemberPreferences.from_dict({"overrides": dict(chosen)})
            for member_id, chosen in self.overrides.items()
        }


def sample_team() -> Team:
    """Anna, an agent on every channel; Bo, an admin on email only; Olga, the owner."""
    return Team(
        Roster(
            [
                Member("anna", Role.AGENT, "Anna"),
                Member("bo", Role.ADMIN, "Bo", channels=[Channel.EMAIL]),
                Member("olga", Role.OWNER, "Olga", channels=[Channel.IN_APP, Channel.EMAIL]),
            ]
        ),
        {},
    )


def _overrides_problems(path: str, overrides: object) -> list[Problem]:
    try:
        MemberPreferences.from_dict({"overrides": overrides})
    except ValidationError as exc:
        # The library's paths start at the preferences document's `overrides`: put ours first.
        return [attrs.evolve(p, path=path + p.path.removeprefix("overrides")) for p in exc.problems]
    return []


def _member(item: object, path: str, problems: ProblemList) -> tuple[Member, Any] | None:
    """One member of the file, read by :meth:`Member.from_dict`, and its overrides.

    The file's keys are the library's but for two: the display name is ``name``, and
    ``overrides`` is read as a preferences document's (``email`` and ``language`` are not
    taken).  This member's problems are added to ``problems`` in the order of
    :data:`_MEMBER_KEYS` (unknown keys first), whatever order the readers found them in.
    """
    if not isinstance(item, Mapping):
        problems.append(Problem(path, "type", "must be a table with at least an id"))
        return None
    found: list[tuple[int, Problem]] = []  # (the key's place in _MEMBER_KEYS, the problem)
    expected = f"unknown key; expected {', '.join(_MEMBER_KEYS)}"
    for key in item:
        if key not in _MEMBER_KEYS:
            found.append((-1, Problem(key_path(path, key), "unknown_key", expected)))
    fields = {_LIBRARY_KEYS[k]: v for k, v in item.items() if k in _LIBRARY_KEYS}
    member: Member | None = None
    omitted = 0
    try:
        member = Member.from_dict(fields)
    except ValidationError as exc:
        for problem in exc.problems:
            field, bracket, rest = problem.path.partition("[")
            key = _FILE_KEYS[field]
            where = key_path(path, key) + bracket + rest
            found.append((_MEMBER_KEYS.index(key), attrs.evolve(problem, path=where)))
        omitted = exc.omitted
    overrides = item.get("overrides", {})
    place = _MEMBER_KEYS.index("overrides")
    found.extend((place, p) for p in _overrides_problems(key_path(path, "overrides"), overrides))
    found.sort(key=lambda pair: pair[0])  # stable: each reader's order within a key
    problems.extend(p for _, p in found)
    problems.omitted += omitted
    if found or member is None:
        return None
    return member, overrides


def load_team(path: str) -> Team:
    """Read a roster file (see the module docstring); exit 1 with every problem if invalid."""
    data = read_data_file(path, option="--roster")
    problems = ProblemList()
    for key in data:
        if key != "members":
            problems.append(Problem(key, "unknown_key", "unknown key; expected members"))
    items = data.get("members")
    if not isinstance(items, list) or not items:
        problems.append(Problem("members", "type", "must be a non-empty list of member tables"))
        items = []
    members: list[Member] = []
    overrides: dict[str, Any] = {}
    seen: set[str] = set()
    for i, item in enumerate(items):
        # A repeated id is reported whatever else is wrong with either member.
        member_id = item.get("id") if isinstance(item, Mapping) else None
        repeated = isinstance(member_id, str) and member_id in seen
        if repeated:
            problems.append(
                Problem(f"members[{i}].id", "duplicate", f"{quote(member_id)} is listed twice")
            )
        elif isinstance(member_id, str):
            seen.add(member_id)
        found = _member(item, f"members[{i}]", problems)
        if found is None or repeated:
            continue
        member, chosen = found
        members.append(member)
        if chosen:
            overrides[member.id] = chosen
    if problems:
        raise InvalidFileError(path, problems)
    return Team(Roster(members), overrides)


def _parse_member(spec: str) -> Member:
    parts = spec.split(":")
    expected = (
        "expected ID:ROLE or ID:ROLE:CHANNELS, with ROLE one of owner, admin, agent and "
        "CHANNELS a comma-separated list of in_app, email, push"
    )
    if len(parts) not in (2, 3) or not parts[0] or parts[1] not in {r.value for r in Role}:
        raise CommandError(f"--member: {expected}; got {quote(spec)}")
    channels = parts[2].split(",") if len(parts) == 3 else list(_CHANNELS)
    if not all(c in _CHANNELS for c in channels):
        raise CommandError(f"--member: {expected}; got {quote(spec)}")
    return Member(parts[0], Role(parts[1]), channels=[Channel(c) for c in channels])


def apply_members(team: Team, specs: Sequence[str]) -> Team:
    """``--member ID:ROLE[:CHANNELS]``: replace the member with that id, or add one at the end."""
    members = list(team.roster)
    for spec in specs:
        member = _parse_member(spec)
        ids = [m.id for m in members]
        if member.id in ids:
            members[ids.index(member.id)] = member
        else:
            members.append(member)
    return attrs.evolve(team, roster=Roster(members))


_SWITCH = {"on": True, "off": False}


def apply_overrides(team: Team, specs: Sequence[str]) -> Team:
    """``--override ID:KIND[.CHANNEL]=on|off``: set one preference override for a member."""
    expected = "expected ID:KIND=on|off or ID:KIND.CHANNEL=on|off, e.g. anna:mention.email=off"
    chosen: dict[str, dict[str, Any]] = {k: dict(v) for k, v in team.overrides.items()}
    for spec in specs:
        target, _, switch = spec.partition("=")
        member_id, _, what = target.partition(":")
        kind, _, channel = what.partition(".")
        if switch not in _SWITCH or not member_id or not kind:
            raise CommandError(f"--override: {expected}; got {quote(spec)}")
        if team.roster.get(member_id) is None:
            known = ", ".join(m.id for m in team.roster)
            raise CommandError(
                f"--override: expected the id of a member ({known}); "
                f"got {quote(member_id)} in {quote(spec)}"
            )
        previous = chosen.get(member_id, {}).get(kind, {})
        channels = {"*": previous} if isinstance(previous, bool) else dict(previous)
        channels[channel or "*"] = _SWITCH[switch]
        attempt = {**chosen.get(member_id, {}), kind: channels}
        problems = _overrides_problems("overrides", attempt)
        if problems:
            raise CommandError(f"--override: {'; '.join(map(str, problems))}; got {quote(spec)}")
        chosen[member_id] = attempt
    return attrs.evolve(team, overrides=chosen)
