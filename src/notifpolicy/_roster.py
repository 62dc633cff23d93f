"""Members and the workspace roster, as the host reports them."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

import attrs

from notifpolicy._catalog import LANGUAGE_CODE
from notifpolicy._errors import Problem, ProblemList, ValidationError, key_path, quote
from notifpolicy._frozen import FrozenMap
from notifpolicy._keys import id_problem
from notifpolicy._kinds import MEMBER_CHANNELS, Channel, Role
from notifpolicy._values import is_encodable

__all__ = ["Member", "Roster"]


def _to_channels(value: Iterable[Channel]) -> frozenset[Channel]:
    # A channel the host lists twice for a member counts once.  Anything but Channel values is
    # kept as it is (a list is not hashable), for the check in Member to report.
    given: object = value
    if isinstance(given, str) or not isinstance(given, Iterable):
        return given  # type: ignore[return-value]
    items = tuple(given)
    if not all(isinstance(c, Channel) for c in items):
        return items  # type: ignore[return-value]
    return frozenset(items)


@attrs.frozen
class Member:
    """A workspace member: id, role, display name, active flag and the channels offered.

    ``email`` is where the email transport sends (the core never needs it).  ``language`` is
    the language the member reads their emails in: ``en``, ``nl`` or a language the host added
    to its message catalog; ``None`` means the service's language.
    """

    id: str
    role: Role
    display_name: str = ""
    active: bool = True
    channels: frozenset[Channel] = attrs.field(default=MEMBER_CHANNELS, converter=_to_channels)
    email: str | None = None
    language: str | None = None

    def __attrs_post_init__(self) -> None:
        # The fields are typed, but hosts build members from their own data: check anyway.
        role: object = self.role
        active: object = self.active
        problems = []
        if (problem := id_problem("member.id", self.id)) is not None:
            problems.append(problem)
        elif not self.id.isascii() and not is_encodable(self.id):
            # Ids are keys in every store: a lone surrogate cannot be written as UTF-8.
            problems.append(
                Problem(
                    "member.id",
                    "encoding",
                    f"must be valid Unicode text (no lone surrogates), got {quote(self.id)}",
                )
            )
        if not isinstance(role, Role):
            problems.append(
                Problem(
                    "member.role",
                    "type",
                    f"must be a Role (owner, admin, agent), got {quote(self.role)}",
                )
            )
        if not isinstance(active, bool):
            problems.append(
                Problem("member.active", "type", f"must be true or false, got {quote(self.active)}")
            )
        channels: object = self.channels
        if not isinstance(channels, frozenset) or Channel.SLACK in channels:
            problems.append(
                Problem("member.channels", "type", "must be member channels (in_app, email, push)")
            )
        email: object = self.email
        if email is not None and not (isinstance(email, str) and _looks_like_address(email)):
            problems.append(
                Problem(
                    "member.email",
                    "type",
                    "must be an email address (local@domain, no spaces, commas or angle "
                    f"brackets, at most 254 characters) or None, got {quote(email)}",
                )
            )
        language: object = self.language
        if language is not None and not (
            isinstance(language, str) and LANGUAGE_CODE.fullmatch(language)
        ):
            problems.append(
                Problem(
                    "member.language",
                    "type",
                    "must be a language code such as 'en', 'nl' or 'pt-BR' (one the message "
                    f"catalog has), or None for the service's language, got {language!r}",
                )
            )
        if problems:
            raise ValidationError(problems)

    @property
    def name(self) -> str:
        """The display name, or the id when there is none."""
        return self.display_name or self.id

    @classmethod
    def from_dict(cls, data: object) -> Member:
        """A member from a host's plain data, strictly: every problem at once, with its path.

        Keys: ``id`` (required), ``role`` (``owner``, ``admin`` or ``agent``; default
        ``agent``), ``display_name``, ``active`` (default true), ``channels`` (a list of
        ``in_app``, ``email``, ``push``; default all three), ``email``, ``language``.  No
        coercion, unknown keys refused, as the settings loader does.

        >>> Member.from_dict({"id": "ann", "role": "admin", "channels": ["email"]})
        Member(id='ann', role=<Role.ADMIN: 'admin'>, display_name='', active=True, \
channels=frozenset({<Channel.EMAIL: 'email'>}), email=None, language=None)
        """
        problems = ProblemList()
        member = _read_member(data, "", problems)
        if member is None:
            raise ValidationError(problems)
        return member


# Anything that could end a header or start a second address is refused: the address goes
# into an email's To header, and "a@x.org\r\nBcc: b@y.org" or "a@x.org, b@y.org" would send
# a notification to someone who is not the member.
_NOT_IN_ADDRESS = frozenset(' \t\r\n,;<>()[]\\"')


def _looks_like_address(text: str) -> bool:
    """``local@domain``: the shape the email transport can put in a To header, and no more.

    Full RFC 5322 validation is the host's business (it owns the sign-up form); this catches
    the mistakes that would misdirect mail: a missing part, whitespace or a list of addresses.
    """
    local, at, domain = text.rpartition("@")
    return (
        bool(at and local and domain)
        and "@" not in local
        and len(text) <= 254
        and "." in domain.strip(".")
        and text.isprintable()
        and not _NOT_IN_ADDRESS.intersection(text)
    )


def _to_members(value: Iterable[Member] | Mapping[str, Member]) -> FrozenMap[str, Member]:
    if isinstance(value, Mapping):  # attrs.evolve passes the converted map back in
        value = value.values()
    elif isinstance(value, str) or not isinstance(value, Iterable):  # type: ignore[unreachable]
        raise ValidationError.single(
            "roster", "type", f"must be a sequence of Member values, got {quote(value)}"
        )
    members: dict[str, Member] = {}
    for i, member in enumerate(value):
        if not isinstance(member, Member):
            raise ValidationError.single(
                f"roster[{i}]", "type", f"must be a Member, got {quote(member)}"
            )
        if member.id in members:
            raise ValidationError.single(
                f"roster[{i}].id", "duplicate", f"{quote(member.id)} is listed twice"
            )
        members[member.id] = member
    return FrozenMap(members)


_MEMBER_KEYS = ("id", "role", "display_name", "active", "channels", "email", "language")
_ROLE_NAMES = tuple(r.value for r in Role)
_CHANNEL_NAMES = tuple(c.value for c in Channel if c is not Channel.SLACK)


def _read_member(item: object, path: str, problems: ProblemList) -> Member | None:
    """``item`` as a Member, or ``None`` with its problems added (paths under ``path``)."""
    if not isinstance(item, Mapping):
        problems.append(Problem(path, "type", f"must be a table with an id, got {quote(item)}"))
        return None
    before = problems.total
    for key in item:
        if key not in _MEMBER_KEYS:
            problems.append(
                Problem(
                    key_path(path, key), "unknown_key", f"expected one of {', '.join(_MEMBER_KEYS)}"
                )
            )
    role = item.get("role", Role.AGENT.value)
    if not isinstance(role, str) or role not in _ROLE_NAMES:
        problems.append(
            Problem(
                key_path(path, "role"),
                "choice" if isinstance(role, str) else "type",
                f"must be one of {', '.join(_ROLE_NAMES)}, got {quote(role)}",
            )
        )
    channels = item.get("channels", list(_CHANNEL_NAMES))
    if not isinstance(channels, list | tuple):
        problems.append(
            Problem(
                key_path(path, "channels"),
                "type",
                f"must be a list of {', '.join(_CHANNEL_NAMES)}, got {quote(channels)}",
            )
        )
        channels = []
    for j, channel in enumerate(channels):
        where = f"{key_path(path, 'channels')}[{j}]"
        if not isinstance(channel, str) or channel not in _CHANNEL_NAMES:
            problems.append(
                Problem(
                    where,
                    "choice" if isinstance(channel, str) else "type",
                    f"must be one of {', '.join(_CHANNEL_NAMES)}, got {quote(channel)}",
                )
            )
        elif list(channels).index(channel) != j:
            problems.append(Problem(where, "duplicate", f"{quote(channel)} is listed twice"))
    name = item.get("display_name", "")
    if not isinstance(name, str):
        problems.append(
            Problem(key_path(path, "display_name"), "type", f"must be a string, got {quote(name)}")
        )
        name = ""
    malformed = problems.total > before
    try:
        # Built even when the role or a channel was wrong (with a stand-in, already reported),
        # so that the other fields' problems are reported too: every problem at once.
        member = Member(
            item.get("id"),  # type: ignore[arg-type]  # Member checks it
            Role(role) if role in _ROLE_NAMES else Role.AGENT,
            name,
            active=item.get("active", True),
            channels=[Channel(c) for c in channels if isinstance(c, str) and c in _CHANNEL_NAMES],
            email=item.get("email"),
            language=item.get("language"),
        )
    except ValidationError as exc:
        # Member names its fields `member.<field>`: here they are keys of `item`.
        for problem in exc.problems:
            field = problem.path.removeprefix("member.")
            problems.append(attrs.evolve(problem, path=key_path(path, field)))
        return None
    return None if malformed else member


@attrs.frozen
class Roster:
    """The workspace's members, by id, in the order the host gave them."""

    members: FrozenMap[str, Member] = attrs.field(converter=_to_members)

    @classmethod
    def from_dict(cls, data: object) -> Roster:
        """A roster from a host's plain data, ``{"members": [{...}, ...]}`` (each member as
        :meth:`Member.from_dict` reads it): every problem at once, a repeated id included.

        >>> roster = Roster.from_dict({"members": [{"id": "ann"}, {"id": "bo", "role": "owner"}]})
        >>> [(m.id, m.role.value) for m in roster]
        [('ann', 'agent'), ('bo', 'owner')]
        """
        problems = ProblemList()
        if not isinstance(data, Mapping):
            raise ValidationError.single(
                "", "type", f"must be a table with a list of members, got {quote(data)}"
            )
        for key in data:
            if key != "members":
                problems.append(Problem(key_path("", key), "unknown_key", "expected members"))
        items = data.get("members", [])
        if not isinstance(items, list | tuple):
            problems.append(
                Problem("members", "type", f"must be a list of tables, got {quote(items)}")
            )
            items = []
        members: list[Member] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            member = _read_member(item, f"members[{i}]", problems)
            if member is None:
                continue
            if member.id in seen:
                problems.append(
                    Problem(f"members[{i}].id", "duplicate", f"{quote(member.id)} is listed twice")
                )
            seen.add(member.id)
            members.append(member)
        if problems:
            raise ValidationError(problems)
        return cls(members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members.values())

    def __len__(self) -> int:
        return len(self.members)

    def get(self, member_id: str) -> Member | None:
        return self.members.get(member_id)

    def active(self) -> tuple[Member, ...]:
        """Deactivated members receive nothing."""
        return tuple(m for m in self.members.values() if m.active)

    def admins(self) -> tuple[Member, ...]:
        """The active owners and admins, in roster order (the audience of escalations)."""
        return self._admins

    def in_order(self, ids: Iterable[str]) -> tuple[Member, ...]:
        """The active members among ``ids``, each once, in roster order.

        Ids the roster does not know are dropped.  Costs the number of ids, not the size of
        the roster: a targeted event (a mention, an assignee) is looked up, not walked to.

        >>> roster = Roster([Member("ann", Role.AGENT), Member("bo", Role.ADMIN),
        ...                  Member("cy", Role.AGENT, active=False)])
        >>> [m.id for m in roster.in_order(["bo", "zed", "cy", "ann", "bo"])]
        ['ann', 'bo']
        """
        position, ordered = self._index
        found = sorted({position[i] for i in ids if isinstance(i, str) and i in position})
        return tuple(member for p in found if (member := ordered[p]).active)

    # The indexes are built on first use, once per roster value: a Roster is immutable, so
    # they never go stale, and `attrs.evolve` makes a new value with indexes of its own.  They
    # are not fields: equality, hashing, repr and pickling see only `members`.
    @functools.cached_property
    def _index(self) -> tuple[dict[str, int], tuple[Member, ...]]:
        """Each member's position in roster order, and the members by position."""
        ordered = tuple(self.members.values())
        return {m.id: i for i, m in enumerate(ordered)}, ordered

    @functools.cached_property
    def _admins(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members.values() if m.active and m.role.is_admin)
