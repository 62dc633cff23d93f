"""A conversation's state as the host reports it: the facts escalations are computed from.

The host owns the conversation; the library only reads a snapshot.  Build a new value for each
change with ``attrs.evolve`` (which checks it again).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs

from notifpolicy._errors import Problem, ValidationError, quote
from notifpolicy._keys import id_problem

__all__ = ["ConversationState", "ConversationStatus"]

UTC = dt.UTC


class ConversationStatus(enum.Enum):
    """Only open conversations escalate."""

    OPEN = "open"
    CLOSED = "closed"


def _to_status(value: Any) -> Any:
    # The strings a host stores ("open", "closed") are accepted; anything else is kept as given
    # so that __attrs_post_init__ can report it beside any other problem of the same state.
    if isinstance(value, str):
        try:
            return ConversationStatus(value)
        except ValueError:
            return value
    return value


@attrs.frozen(kw_only=True)
class ConversationState:
    """One conversation, as of the host's latest knowledge.

    - ``unassigned_since``: when it last became unassigned (equal to ``created_at`` if it was
      created without an assignee); set exactly when ``assignee`` is ``None``.
    - ``first_response_at``: the first agent reply, if any.  Any recorded first response stops the
      first-response clock, whatever its timestamp (workers' clocks differ).

    Datetimes must be timezone-aware; they are stored converted to UTC, so two states that name
    the same instants are equal.  Timestamps after "now" are not errors, just not due yet.

    >>> import datetime as dt
    >>> t = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    >>> c = ConversationState(id="c1", created_at=t, status="open", unassigned_since=t)
    >>> c.status, c.assignee
    (<ConversationStatus.OPEN: 'open'>, None)
    """

    id: str
    created_at: dt.datetime
    status: ConversationStatus = attrs.field(default=ConversationStatus.OPEN, converter=_to_status)
    assignee: str | None = None
    unassigned_since: dt.datetime | None = None
    first_response_at: dt.datetime | None = None

    def __attrs_post_init__(self) -> None:
        if _plainly_valid(self):
            return
        problems, in_utc = _check(self)
        if problems:
            raise ValidationError(problems)
        # Stored in UTC: the escalation engine then compares instants, and compares them fast
        # (two datetimes with the same tzinfo object compare field by field).
        for name, value in in_utc.items():
            if value is not getattr(self, name):
                object.__setattr__(self, name, value)

    @property
    def is_open(self) -> bool:
        return self.status is ConversationStatus.OPEN


def _plainly_valid(state: ConversationState) -> bool:
    """The common case, checked fast: valid, and every datetime already in UTC.

    Hosts build many states per evaluation; anything else takes the full check in ``_check``.
    """
    created: object = state.created_at
    since: object = state.unassigned_since
    first: object = state.first_response_at
    assignee: object = state.assignee
    cid: object = state.id
    return (
        type(cid) is str
        and cid != ""
        and type(state.status) is ConversationStatus
        and type(created) is dt.datetime
        and created.tzinfo is UTC
        and (
            (
                assignee is None
                and type(since) is dt.datetime
                and since.tzinfo is UTC
                and since >= created
            )
            or (since is None and type(assignee) is str and assignee != "")
        )
        and (
            first is None
            or (type(first) is dt.datetime and first.tzinfo is UTC and first >= created)
        )
    )


def _aware(value: object, name: str, label: str, problems: list[Problem]) -> dt.datetime | None:
    """``value`` in UTC if it is an aware datetime; otherwise record why not and return ``None``."""
    if not isinstance(value, dt.datetime):
        problems.append(
            Problem(
                name,
                "type",
                f"{label}: must be a timezone-aware datetime, got {type(value).__name__}",
            )
        )
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        problems.append(
            Problem(
                name,
                "naive_datetime",
                f"{label}: must be timezone-aware, got naive {value.isoformat()}",
            )
        )
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # datetime.max at a negative offset is after year 9999 in UTC
        problems.append(
            Problem(
                name,
                "range",
                f"{label}: must be representable in UTC, got {value.isoformat()}",
            )
        )
        return None


def _check(state: ConversationState) -> tuple[list[Problem], dict[str, dt.datetime]]:
    """Every problem of ``state``, and its datetimes converted to UTC."""
    problems: list[Problem] = []
    # Typed loosely on purpose: the constructor does not stop a caller passing anything.
    cid: object = state.id
    status: object = state.status
    if (problem := id_problem("id", cid)) is not None:
        problems.append(problem)
        label = "conversation"
    else:
        label = f"conversation {quote(cid)}"
    if not isinstance(status, ConversationStatus):
        problems.append(
            Problem(
                "status",
                "unknown_status",
                f"{label}: must be 'open' or 'closed', got {quote(status)}",
            )
        )
    assignee = state.assignee
    if assignee is not None and not (isinstance(assignee, str) and assignee):
        problems.append(
            Problem(
                "assignee",
                "type",
                f"{label}: must be a non-empty member id or None, got {quote(assignee)}",
            )
        )
    created = _aware(state.created_at, "created_at", label, problems)
    since = None
    if state.unassigned_since is not None:
        since = _aware(state.unassigned_since, "unassigned_since", label, problems)
    first = None
    if state.first_response_at is not None:
        first = _aware(state.first_response_at, "first_response_at", label, problems)
    if assignee is not None and state.unassigned_since is not None:
        problems.append(
            Problem(
                "unassigned_since",
                "inconsistent",
                f"{label}: must be None while assignee {quote(assignee)} is set, "
                f"got {_describe(state.unassigned_since)}",
            )
        )
    if assignee is None and state.unassigned_since is None:
        problems.append(
            Problem(
                "unassigned_since",
                "inconsistent",
                f"{label}: must say since when, without an assignee "
                f"(created_at if it was created unassigned), got None",
            )
        )
    # Compared in UTC: two datetimes sharing a ZoneInfo compare by wall clock, wrong in a fold.
    if created is not None and since is not None and since < created:
        problems.append(
            Problem(
                "unassigned_since",
                "before_creation",
                f"{label}: must not be before created_at "
                f"{created.isoformat()}, got {since.isoformat()}",
            )
        )
    if created is not None and first is not None and first < created:
        problems.append(
            Problem(
                "first_response_at",
                "before_creation",
                f"{label}: must not be before created_at "
                f"{created.isoformat()}, got {first.isoformat()}",
            )
        )
    in_utc = {"created_at": created, "unassigned_since": since, "first_response_at": first}
    return problems, {name: value for name, value in in_utc.items() if value is not None}


def _describe(value: object) -> str:
    if isinstance(value, dt.datetime):
        try:
            return value.isoformat()
        except Exception:  # a host tzinfo whose utcoffset fails
            return quote(value)
    return quote(value)
