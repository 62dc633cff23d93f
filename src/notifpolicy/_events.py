"""The facts a host reports, as frozen events: what happened, to which conversation.

Each event names the notification kinds it carries (:attr:`Event.kinds`); the decision engine
reads who receives each kind from the kind's ``recipients`` attribute and resolves it with the
facts the event supplies (:attr:`Event.assignee`, :attr:`Event.mentioned`, :attr:`Event.author_id`,
:attr:`Event.held_for`).  No event decides anything by itself.

``subject`` (for example the customer's message subject) and ``customer`` (a name) are optional
text the host supplies for people and for Slack.  They are user-supplied: Slack payloads escape
them, and nothing here interprets them.

>>> ConversationCreated(id="e1", conversation_id="c1").kinds
('new_conversation', 'unassigned_conversation')
>>> ConversationCreated(id="e2", conversation_id="c1", assignee="u7").kinds
('new_conversation',)
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._kinds import ADMIN_ESCALATION_KINDS, DIGEST_KINDS, KIND_SLA_BREACH
from notifpolicy._values import is_encodable

__all__ = [
    "ConversationCreated",
    "ConversationUnassigned",
    "DigestReady",
    "EscalationDue",
    "Event",
    "HostEvent",
    "MemberMentioned",
    "SlaBreached",
]


def _to_ids(value: Iterable[str]) -> tuple[str, ...]:
    # A string is iterable too: keep it whole so that the check below can name it.
    if isinstance(value, str) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]
    return tuple(value)


def _check_id(problems: list[Problem], path: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        expected = "a non-empty string or None" if optional else "a non-empty string"
        problems.append(Problem(path, "type", f"must be {expected}, got {quote(value)}"))
    elif not is_encodable(value):
        # One rule for every store: an id that cannot be written as UTF-8 (a lone surrogate,
        # which json.loads lets through) is refused here, when the event is built.
        problems.append(
            Problem(
                path,
                "encoding",
                f"must be valid Unicode text (no lone surrogates), got {quote(value)}",
            )
        )


def _check_ids(problems: list[Problem], path: str, value: object) -> None:
    if not isinstance(value, tuple):
        problems.append(
            Problem(path, "type", f"must be a sequence of member ids, got {quote(value)}")
        )
        return
    for i, item in enumerate(value):
        _check_id(problems, f"{path}[{i}]", item, optional=False)


def _check_kind(problems: list[Problem], kind: object, allowed: tuple[str, ...]) -> None:
    if kind not in allowed:
        problems.append(
            Problem(
                "event.kind",
                "unknown_kind",
                f"must be one of {', '.join(allowed)}, got {quote(kind)}",
            )
        )


def _check_text(problems: list[Problem], path: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        problems.append(Problem(path, "type", f"must be a string or None, got {quote(value)}"))
    elif value is not None and not is_encodable(value):
        # A lone surrogate (which json.loads lets through) cannot be stored or sent.
        problems.append(
            Problem(path, "encoding", "must be valid Unicode text (no lone surrogates)")
        )


@attrs.frozen(kw_only=True)
class Event:
    """What every event has: its ``id`` and optional ``subject`` / ``customer`` text.

    Subclasses say which kinds they carry and supply the facts that recipients need; the
    defaults here mean "not applicable" (no conversation, no assignee, nobody mentioned).
    """

    id: str
    subject: str | None = None
    customer: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The notification kinds this event carries, in a fixed order."""
        raise NotImplementedError

    @property
    def conversation_id(self) -> str | None:
        """The conversation the event is about (None for workspace-wide events: digests)."""
        return None

    @property
    def assignee(self) -> str | None:
        """The assignee, for kinds whose recipients are ``ASSIGNEE_OR_ALL``."""
        return None

    @property
    def mentioned(self) -> tuple[str, ...]:
        """The mentioned members, for kinds whose recipients are ``MENTIONED``."""
        return ()

    @property
    def author_id(self) -> str | None:
        """Who wrote the note: never a recipient of a ``MENTIONED`` kind."""
        return None

    @property
    def held_for(self) -> tuple[str, ...]:
        """The members with held items, for kinds whose recipients are
        ``MEMBERS_WITH_HELD_ITEMS``."""
        return ()

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        self._check(problems)
        if problems:
            raise ValidationError(problems)

    def _check(self, problems: list[Problem]) -> None:
        _check_id(problems, "event.id", self.id, optional=False)
        _check_text(problems, "event.subject", self.subject)
        _check_text(problems, "event.customer", self.customer)


@attrs.frozen(kw_only=True)
class _ConversationEvent(Event):
    conversation_id: str  # a field where the base has a read-only default

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_id(problems, "event.conversation_id", self.conversation_id, optional=False)


@attrs.frozen(kw_only=True)
class ConversationCreated(_ConversationEvent):
    """A conversation was created; without an assignee it is also unassigned.

    Carries ``new_conversation``, plus ``unassigned_conversation`` when ``assignee`` is None.
    """

    assignee: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return _CREATED if self.assignee is not None else _CREATED_UNASSIGNED

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_id(problems, "event.assignee", self.assignee, optional=True)


@attrs.frozen(kw_only=True)
class ConversationUnassigned(_ConversationEvent):
    """A conversation lost its assignee: ``unassigned_conversation``."""

    @property
    def kinds(self) -> tuple[str, ...]:
        return _UNASSIGNED


@attrs.frozen(kw_only=True)
class MemberMentioned(_ConversationEvent):
    """Members were @mentioned in an internal note: ``mention``, never to the note's author."""

    author_id: str
    mentioned: tuple[str, ...] = attrs.field(converter=_to_ids)

    @property
    def kinds(self) -> tuple[str, ...]:
        return _MENTION

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_id(problems, "event.author_id", self.author_id, optional=False)
        _check_ids(problems, "event.mentioned", self.mentioned)


@attrs.frozen(kw_only=True)
class EscalationDue(_ConversationEvent):
    """An escalation became due (from ``due(...)``): ``escalation_unassigned`` or
    ``escalation_first_response``, to the admins."""

    kind: str

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_kind(problems, self.kind, ADMIN_ESCALATION_KINDS)


@attrs.frozen(kw_only=True)
class SlaBreached(_ConversationEvent):
    """The first-response target passed without a first response: ``sla_breach``.

    Goes to the assignee, or to all active members when there is none or the assignee is
    deactivated.
    """

    assignee: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return _SLA_BREACH

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_id(problems, "event.assignee", self.assignee, optional=True)


@attrs.frozen(kw_only=True)
class DigestReady(Event):
    """A digest is ready to send: ``daily_summary`` or ``weekly_report`` (no conversation)."""

    kind: str

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        _check_kind(problems, self.kind, DIGEST_KINDS)


@attrs.frozen(kw_only=True)
class HostEvent(Event):
    """An event of the host's own kinds (registered in its :class:`KindRegistry`).

    ``kinds`` are checked against the registry when deciding; the other facts are used by the
    kinds whose recipients need them.

    >>> HostEvent(id="e9", kinds=("refund_requested",), conversation_id="c3").kinds
    ('refund_requested',)
    """

    kinds: tuple[str, ...] = attrs.field(converter=_to_ids)
    conversation_id: str | None = None
    assignee: str | None = None
    mentioned: tuple[str, ...] = attrs.field(default=(), converter=_to_ids)
    author_id: str | None = None
    held_for: tuple[str, ...] = attrs.field(default=(), converter=_to_ids)

    def _check(self, problems: list[Problem]) -> None:
        super()._check(problems)
        if not isinstance(self.kinds, tuple) or not self.kinds:
            problems.append(
                Problem(
                    "event.kinds",
                    "type",
                    f"must be a non-empty sequence of kind names, got {quote(self.kinds)}",
                )
            )
        else:
            seen: set[str] = set()
            for i, name in enumerate(self.kinds):
                # A string first: a list is not hashable, and not a kind name either.
                if not isinstance(name, str) or not name:
                    problems.append(
                        Problem(
                            f"event.kinds[{i}]", "type", f"must be a kind name, got {quote(name)}"
                        )
                    )
                elif name in seen:
                    problems.append(
                        Problem(f"event.kinds[{i}]", "duplicate", f"{quote(name)} is listed twice")
                    )
                else:
                    seen.add(name)
        _check_id(problems, "event.conversation_id", self.conversation_id, optional=True)
        _check_id(problems, "event.assignee", self.assignee, optional=True)
        _check_ids(problems, "event.mentioned", self.mentioned)
        _check_id(problems, "event.author_id", self.author_id, optional=True)
        _check_ids(problems, "event.held_for", self.held_for)


_CREATED = ("new_conversation",)
_CREATED_UNASSIGNED = ("new_conversation", "unassigned_conversation")
_UNASSIGNED = ("unassigned_conversation",)
_MENTION = ("mention",)
_SLA_BREACH = (KIND_SLA_BREACH,)
