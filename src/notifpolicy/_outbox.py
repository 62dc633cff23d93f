"""The values that cross the ports: outbox items, deliveries, send results.

Pure data, so the core, the service, the stores and the transports can share them without any of
them importing another's I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from notifpolicy._kinds import Channel
from notifpolicy._secret import Secret

__all__ = [
    "SLACK_RECIPIENT",
    "Delivery",
    "OutboxItem",
    "OutboxMark",
    "OutboxStats",
    "OutboxStatus",
    "SendResult",
    "SendStatus",
    "WakeUp",
]

SLACK_RECIPIENT = "slack"
"""The recipient of the workspace's Slack channel in outbox items: ``str(SLACK_CHANNEL)``, the
same name a decision's recipient has."""


class OutboxStatus(enum.Enum):
    """Where an outbox item is in its life."""

    PENDING = "pending"  # to be sent at or after due_at (first try, deferral or retry)
    HELD = "held"  # held by quiet hours in summarize mode: input to the catch-up, never sent
    SENT = "sent"
    FAILED = "failed"  # finally failed (permanent error or attempts exhausted); recorded


def _to_kinds(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class OutboxItem:
    """One delivery waiting in, or recorded by, the outbox.

    ``id`` starts with the workspace id.  The content is rendered when the item is made
    (``subject``/``text``/``html`` for people, ``body`` the JSON for Slack); the Slack webhook
    URL is never stored here: the service takes it from the current settings at send time.
    ``unsubscribe_url`` (digest emails, when the host gives a template) is where the
    recipient's mail provider turns the digest off in one click (``List-Unsubscribe``).

    ``leased_until`` is set only on the items that ``Outbox.lease_due`` returns: the lease they
    were taken under.  The outcome (``mark_sent``, ``mark_retry``, ``mark_failed``) is recorded
    only while the store still holds the item under that lease, so a worker whose lease lapsed
    cannot overwrite the outcome of the worker that holds the item now.
    """

    id: str
    workspace_id: str
    event_id: str
    conversation_id: str | None
    recipient: str
    channel: Channel
    kinds: tuple[str, ...] = attrs.field(converter=_to_kinds)
    due_at: dt.datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    subject: str = ""
    text: str = ""
    html: str | None = None
    body: str | None = None
    unsubscribe_url: str | None = None
    leased_until: dt.datetime | None = None


def _check_mark(mark: OutboxMark, attribute: object, status: OutboxStatus) -> None:
    if status is OutboxStatus.HELD:
        raise ValueError("status: must be sent, failed or pending (a retry), got held")
    if (status is OutboxStatus.PENDING) != (mark.retry_at is not None):
        raise ValueError("retry_at: must be given for a retry (status pending), and only then")


@attrs.frozen
class OutboxMark:
    """One outcome for ``Outbox.record``: ``item`` (as ``lease_due`` returned it) was sent,
    finally failed with ``error``, or is retried at ``retry_at`` (status ``PENDING``)."""

    item: OutboxItem
    status: OutboxStatus = attrs.field(validator=_check_mark)
    error: str | None = None
    retry_at: dt.datetime | None = None


@attrs.frozen
class Delivery:
    """What a transport sends: an outbox item and its destination, resolved at send time.

    ``destination`` is the Slack webhook URL (a :class:`Secret`) or an email address.
    """

    item: OutboxItem
    destination: Secret | str


class SendStatus(enum.Enum):
    """How one attempt ended."""

    SENT = "sent"
    RETRY = "retry"  # try again at or after retry_after (429, 5xx, network errors)
    PERMANENT = "permanent"  # do not try again (other 4xx, e.g. a revoked webhook)


@attrs.frozen
class SendResult:
    """The outcome of one ``Transport.send``; ``error`` never contains a secret."""

    status: SendStatus
    retry_after: dt.datetime | None = None
    error: str | None = None

    @classmethod
    def sent(cls) -> SendResult:
        return _SENT


_SENT = SendResult(SendStatus.SENT)


@attrs.frozen
class WakeUp:
    """A workspace whose wake-up came, as ``WakeUps.due_workspaces`` takes it for one worker.

    ``wake_at`` is the wake-up it had; ``generation`` counts the changes to it, and the worker
    passes it back to ``WakeUps.set_wake_at`` after the tick, so that a wake-up lowered
    meanwhile (new work enqueued while the worker was busy) is kept instead of overwritten.
    """

    workspace_id: str
    wake_at: dt.datetime
    generation: int


@attrs.frozen
class OutboxStats:
    """What a metrics endpoint shows of an outbox (``OutboxAdmin.outbox_stats``).

    ``pending`` counts the items waiting to be sent (deferred, retried and leased ones
    included); ``failed`` those that finally failed.  ``oldest_pending_id`` and
    ``oldest_pending_due_at`` name the pending item with the earliest ``due_at``: when that
    instant is well in the past, nothing is sending.
    """

    pending: int = 0
    failed: int = 0
    oldest_pending_id: str | None = None
    oldest_pending_due_at: dt.datetime | None = None
