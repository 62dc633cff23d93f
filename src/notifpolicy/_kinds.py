"""Notification kinds as data: one table of attributes, the built-ins merely pre-registered.

The rules that carry the product ("escalations cannot be overridden", "digests are exempt from
quiet hours", "a mention never goes to its author") live in this table, not in ``if`` chains:
the preference resolver and the decision engine read the attributes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping

import attrs

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._frozen import FrozenMap

__all__ = [
    "ADMIN_ESCALATION_KINDS",
    "BUILTIN_KINDS",
    "DIGEST_KINDS",
    "ESCALATION_KINDS",
    "KIND_DAILY_SUMMARY",
    "KIND_FIRST_RESPONSE",
    "KIND_SLA_BREACH",
    "KIND_UNASSIGNED",
    "KIND_WEEKLY_REPORT",
    "MEMBER_CHANNELS",
    "Channel",
    "Kind",
    "KindRegistry",
    "Recipients",
    "Role",
    "SlackEvent",
]


class Channel(enum.Enum):
    """Where a notification goes. ``SLACK`` is the workspace channel; the rest are members'."""

    IN_APP = "in_app"
    EMAIL = "email"
    PUSH = "push"
    SLACK = "slack"


MEMBER_CHANNELS: frozenset[Channel] = frozenset({Channel.IN_APP, Channel.EMAIL, Channel.PUSH})


class Role(enum.Enum):
    """A member's role; "admins" in the product's rules means owners and admins."""

    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"

    @property
    def is_admin(self) -> bool:
        """Owners and admins may change workspace settings and read the audit log."""
        return self is not Role.AGENT


class Recipients(enum.Enum):
    """Who receives a kind (the decision engine resolves these against the roster)."""

    ALL_MEMBERS = "all_members"
    ADMINS = "admins"
    ASSIGNEE_OR_ALL = "assignee_or_all"
    MENTIONED = "mentioned"
    MEMBERS_WITH_HELD_ITEMS = "members_with_held_items"


class SlackEvent(enum.Enum):
    """The events an admin can route to Slack (``slack.events``)."""

    NEW_CONVERSATION = "new_conversation"
    UNASSIGNED = "unassigned"
    ESCALATION = "escalation"


# The built-in kinds the library itself raises events for, and their groups: each name is
# spelled here once, and the table of built-ins below, the events, the escalation keys and the
# service use these.
KIND_UNASSIGNED = "escalation_unassigned"
KIND_FIRST_RESPONSE = "escalation_first_response"
KIND_SLA_BREACH = "sla_breach"
KIND_DAILY_SUMMARY = "daily_summary"
KIND_WEEKLY_REPORT = "weekly_report"
KIND_CATCHUP = "quiet_hours_summary"

ADMIN_ESCALATION_KINDS = (KIND_UNASSIGNED, KIND_FIRST_RESPONSE)
"""The kinds of an ``EscalationDue`` event: the admins' two alerts, in this order."""
ESCALATION_KINDS = frozenset({*ADMIN_ESCALATION_KINDS, KIND_SLA_BREACH})
"""The kinds an escalation can deliver: the two admin alerts and the members' SLA breach."""
DIGEST_KINDS = (KIND_DAILY_SUMMARY, KIND_WEEKLY_REPORT)
"""The kinds of a ``DigestReady`` event: the daily summary and the weekly report."""

# Workspace switches a kind may hang on (see `Kind.switch`): dotted paths of boolean settings.
KIND_SWITCHES = frozenset(
    {
        "escalation.unassigned.enabled",
        "escalation.first_response.enabled",
        "digests.daily.enabled",
        "digests.weekly.enabled",
    }
)

_KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)


def _to_channels(value: Iterable[Channel]) -> frozenset[Channel]:
    return frozenset(value)


@attrs.frozen
class Kind:
    """One notification kind and the attributes that decide how it is treated.

    - ``overridable``: members may override the workspace default (``defaults.<name>``);
      when False the workspace decides and member overrides are rejected on save.
    - ``critical``: goes through quiet hours ("critical: bypasses quiet hours").
    - ``quiet_hours_exempt``: not subject to quiet hours at all (digests, the catch-up itself).
    - ``channels``: the member channels the kind can use (digests: email only).
    - ``slack_event``: the ``slack.events`` entry that routes it to Slack, if any.
    - ``switch``: a workspace boolean (dotted settings path) that turns the kind on and off,
      such as ``escalation.unassigned.enabled``.
    """

    name: str
    recipients: Recipients
    overridable: bool
    critical: bool = False
    quiet_hours_exempt: bool = False
    channels: frozenset[Channel] = attrs.field(default=MEMBER_CHANNELS, converter=_to_channels)
    slack_event: SlackEvent | None = None
    switch: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not _KIND_NAME.fullmatch(self.name):
            problems.append(
                (
                    "name",
                    f"must be a lowercase identifier such as 'refund_requested', "
                    f"got {quote(self.name)}",
                )
            )
        if not self.channels or not self.channels <= MEMBER_CHANNELS:
            problems.append(
                (
                    "channels",
                    "must be a non-empty subset of in_app, email, push "
                    "(Slack is routed by slack_event)",
                )
            )
        if self.switch is not None and self.switch not in KIND_SWITCHES:
            problems.append(
                ("switch", f"must be one of {sorted(KIND_SWITCHES)}, got {quote(self.switch)}")
            )
        if problems:
            raise ValidationError(Problem(f"kind.{p}", "invalid_kind", m) for p, m in problems)


def _builtin_kinds() -> tuple[Kind, ...]:
    email_only = frozenset({Channel.EMAIL})
    return (
        Kind("new_conversation", Recipients.ALL_MEMBERS, overridable=True,
             slack_event=SlackEvent.NEW_CONVERSATION),
        Kind("unassigned_conversation", Recipients.ALL_MEMBERS, overridable=True,
             slack_event=SlackEvent.UNASSIGNED),
        Kind(KIND_SLA_BREACH, Recipients.ASSIGNEE_OR_ALL, overridable=True),
        Kind("mention", Recipients.MENTIONED, overridable=True),
        # Escalation rules are workspace-wide: members cannot override them.
        Kind(KIND_UNASSIGNED, Recipients.ADMINS, overridable=False, critical=True,
             slack_event=SlackEvent.ESCALATION, switch="escalation.unassigned.enabled"),
        Kind(KIND_FIRST_RESPONSE, Recipients.ADMINS, overridable=False, critical=True,
             slack_event=SlackEvent.ESCALATION, switch="escalation.first_response.enabled"),
        # Digests were scheduled explicitly by an admin: quiet hours do not hold them.
        Kind(KIND_DAILY_SUMMARY, Recipients.ALL_MEMBERS, overridable=True, quiet_hours_exempt=True,
             channels=email_only, switch="digests.daily.enabled"),
        Kind(KIND_WEEKLY_REPORT, Recipients.ALL_MEMBERS, overridable=True, quiet_hours_exempt=True,
             channels=email_only, switch="digests.weekly.enabled"),
        # The catch-up is sent as quiet hours end, so it is never held by them.
        Kind(KIND_CATCHUP, Recipients.MEMBERS_WITH_HELD_ITEMS, overridable=True,
             quiet_hours_exempt=True),
    )  # fmt: skip


BUILTIN_KINDS: tuple[Kind, ...] = _builtin_kinds()


def _to_kind_map(value: Mapping[str, Kind]) -> FrozenMap[str, Kind]:
    return FrozenMap(value)


@attrs.frozen
class KindRegistry:
    """The kinds a host knows: the built-ins plus its own, passed wherever kinds matter.

    There is no global registry: build one and pass it to the loader and the decision engine.

    >>> kinds = KindRegistry.default().with_kinds(
    ...     Kind("refund_requested", Recipients.ADMINS, overridable=True))
    >>> kinds.get("refund_requested").overridable
    True
    """

    kinds: FrozenMap[str, Kind] = attrs.field(converter=_to_kind_map)

    @classmethod
    def default(cls) -> KindRegistry:
        """The built-in kinds of the product."""
        return _DEFAULT

    def with_kinds(self, *kinds: Kind) -> KindRegistry:
        """A registry with ``kinds`` added; a name that is already registered is an error."""
        merged = dict(self.kinds)
        for kind in kinds:
            if kind.name in merged:
                raise ValidationError.single(
                    "kind.name", "duplicate", f"{quote(kind.name)} is already registered"
                )
            merged[kind.name] = kind
        return KindRegistry(merged)

    def get(self, name: str, *, path: str = "kind") -> Kind:
        """The kind called ``name``; an unknown name is a :class:`ValidationError`."""
        kind = self.kinds.get(name) if isinstance(name, str) else None
        if kind is None:
            raise ValidationError.single(
                path,
                "unknown_kind",
                f"must be a registered kind ({', '.join(self.kinds)}), got {quote(name)}",
            )
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def __iter__(self) -> Iterator[Kind]:
        return iter(self.kinds.values())

    def overridable(self) -> tuple[Kind, ...]:
        """The kinds members may override, in registration order."""
        return tuple(k for k in self.kinds.values() if k.overridable)


_DEFAULT = KindRegistry({k.name: k for k in BUILTIN_KINDS})
