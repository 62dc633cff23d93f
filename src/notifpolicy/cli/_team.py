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
from notifpolicy._errors import ProblemList, quote
from notifpolicy.cli._common import CommandError, InvalidFileError, read_data_file

__all__ = ["Team", "apply_members", "apply_overrides", "load_team", "sample_team"]

_MEMBER_KEYS = ("id", "role", "name", "active", "channels", "overrides")
_ROLES = ", ".join(r.value for r in Role)
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


def _member(item: object, path: str, problems: list[Problem]) -> tuple[Member, Any] | None:
    if not isinstance(item, Mapping):
        problems.append(Problem(path, "type", "must be a table with at least an id"))
        return None
    before = len(problems)
    for key in item:
        if key not in _MEMBER_KEYS:
            problems.append(
                Problem(
                    f"{path}.{key}",
                    "unknown_key",
                    f"unknown key; expected {', '.join(_MEMBER_KEYS)}",
                )
            )
    member_id = item.get("id")
    if not isinstance(member_id, str) or not member_id:
        problems.append(
            Problem(f"{path}.id", "type", f"must be a non-empty string, got {quote(member_id)}")
        )
    role = item.get("role", "agent")
    if not isinstance(role, str) or role not in {r.value for r in Role}:
        problems.append(
            Problem(
                f"{path}.role",
                "choice" if isinstance(role, str) else "type",
                f"must be one of {_ROLES}, got {quote(role)}",
            )
        )
    name = item.get("name", "")
    if not isinstance(name, str):
        problems.append(Problem(f"{path}.name", "type", f"must be a string, got {quote(name)}"))
    active = item.get("active", True)
    if not isinstance(active, bool):
        problems.append(
            Problem(f"{path}.active", "type", f"must be true or false, got {quote(active)}")
        )
    channels = item.get("channels", list(_CHANNELS))
    expected = f"must be a list without duplicates of {', '.join(_CHANNELS)}"
    if not isinstance(channels, list):
        problems.append(Problem(f"{path}.channels", "type", f"{expected}, got {quote(channels)}"))
    else:
        for j, channel in enumerate(channels):
            where = f"{path}.channels[{j}]"
            if channel not in _CHANNELS:
                problems.append(
                    Problem(
                        where,
                        "choice" if isinstance(channel, str) else "type",
                        f"{expected}, got {quote(channel)}",
                    )
                )
            elif channels.index(channel) != j:
                problems.append(Problem(where, "duplicate", f"{quote(channel)} is listed twice"))
    overrides = item.get("overrides", {})
    problems.extend(_overrides_problems(f"{path}.overrides", overrides))
    if len(problems) > before:
        return None
    member = Member(
        member_id,  # type: ignore[arg-type]  # checked above
        Role(role),
        name,
        active=active,
        channels=[Channel(c) for c in channels],
    )
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
