"""The ports: what the host (or a reference adapter) implements for the service shell.

Each is a :class:`typing.Protocol`; one object may implement several (the SQLite adapter and the
in-memory fake implement all the store ports).  The pure core never imports this module; the
service shell is the only code that calls ports.  ``docs/concepts/ports.md`` says, port by port,
what an implementation must guarantee; one contract test suite checks every implementation
shipped here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from notifpolicy._conversation import ConversationState
from notifpolicy._digest_figures import ConversationRecord
from notifpolicy._kinds import Channel
from notifpolicy._outbox import (
    Delivery,
    OutboxItem,
    OutboxMark,
    OutboxStats,
    SendResult,
    WakeUp,
)
from notifpolicy._preferences import MemberPreferences
from notifpolicy._roster import Roster
from notifpolicy._saving import AuditEntry
from notifpolicy._settings import WorkspaceSettings

__all__ = [
    "AuditLog",
    "Clock",
    "ConversationSource",
    "DigestSource",
    "Ledger",
    "Outbox",
    "OutboxAdmin",
    "PreferencesStore",
    "RosterSource",
    "SettingsStore",
    "Store",
    "Transport",
    "WakeUps",
]


@runtime_checkable
class SettingsStore(Protocol):
    """Workspace settings, versioned with compare-and-set."""

    def get_settings(self, workspace_id: str) -> WorkspaceSettings:
        """The saved settings, or ``WorkspaceSettings()`` (version 1) when none were saved."""
        ...

    def save_settings(self, settings: WorkspaceSettings, audit: AuditEntry) -> None:
        """Store ``settings`` and append ``audit`` in one atomic step.

        Compare-and-set: the stored version must be ``audit.version_before`` (1 when nothing was
        saved yet), else raise :class:`~notifpolicy.ConflictError` and write nothing.
        """
        ...


@runtime_checkable
class PreferencesStore(Protocol):
    """Members' preferences, versioned like the settings."""

    def get_preferences(self, workspace_id: str, member_id: str) -> MemberPreferences:
        """The member's preferences, or ``MemberPreferences()`` when none were saved."""
        ...

    def all_preferences(self, workspace_id: str) -> Mapping[str, MemberPreferences]:
        """Every member's saved preferences, by member id.  Rows that do not parse:
        :class:`~notifpolicy.UnreadableRowsError` (``readable`` holds ``(member_id, preferences)``
        pairs of the others)."""
        ...

    def save_preferences(
        self, member_id: str, preferences: MemberPreferences, audit: AuditEntry
    ) -> None:
        """Like :meth:`SettingsStore.save_settings`, for one member."""
        ...


@runtime_checkable
class AuditLog(Protocol):
    """The append-only audit log (entries are appended by the saves)."""

    def audit_entries(self, workspace_id: str) -> tuple[AuditEntry, ...]:
        """Every entry of the workspace, oldest first.  Rows that do not parse:
        :class:`~notifpolicy.UnreadableRowsError` with the other entries in ``readable``."""
        ...


@runtime_checkable
class Ledger(Protocol):
    """Exactly-once: a key is claimed once, together with the deliveries it produces."""

    def claim(self, key: str, items: Sequence[OutboxItem]) -> bool:
        """Claim ``key`` and enqueue ``items``, atomically; ``True`` for exactly one caller.

        Across threads and processes, one caller gets ``True`` and writes the items; every other
        gets ``False`` and writes nothing.  A crash leaves both done or neither.
        """
        ...

    def claimed(self, keys: Iterable[str]) -> frozenset[str]:
        """Which of ``keys`` are claimed already."""
        ...


@runtime_checkable
class Outbox(Protocol):
    """Deliveries waiting to be sent, being retried, held for a catch-up, sent or failed."""

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        """Add items; an id that is already there is left as it is (idempotent)."""
        ...

    def lease_due(
        self,
        workspace_id: str,
        now: dt.datetime,
        limit: int,
        *,
        lease_until: dt.datetime,
        channels: Collection[Channel] | None = None,
        enqueue: Sequence[OutboxItem] = (),
    ) -> tuple[OutboxItem, ...]:
        """Take pending items with ``due_at <= now`` (oldest first, at most ``limit``, only
        ``channels`` when given) for sending, atomically: their ``due_at`` moves to
        ``lease_until``, so no other worker takes them meanwhile, and a worker that crashes
        before marking them leaves them due again when the lease runs out.  Returned as they
        were before the lease, with ``leased_until`` set: the marks below check it.

        ``enqueue``: items to add first, as :meth:`enqueue` would, in the same transaction
        (``handle`` records an event's deliveries and takes the due ones in one write).

        ``now`` and ``lease_until`` are the service's instants: compare with them, never with
        the database's own clock.  Rows that do not parse are leased with the others and
        reported after the lease is taken, by raising
        :class:`~notifpolicy.UnreadableRowsError` with the readable items in ``readable``."""
        ...

    def next_due_at(
        self, workspace_id: str, *, channels: Collection[Channel] | None = None
    ) -> dt.datetime | None:
        """The earliest ``due_at`` of a pending item (of ``channels`` when given)."""
        ...

    def held(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[OutboxItem, ...]:
        """Held items with ``start <= due_at < end`` (the quiet period of a catch-up).
        Unreadable rows: :class:`~notifpolicy.UnreadableRowsError`, as for :meth:`lease_due`."""
        ...

    def next_held_at(self, workspace_id: str, after: dt.datetime) -> dt.datetime | None:
        """The earliest ``due_at`` later than ``after`` of a held item: when the next quiet
        period with held items ends.  Called on every ``next_wake_at``, so make it an index
        lookup, not a scan of the night's items."""
        ...

    def mark_sent(self, item: OutboxItem, at: dt.datetime) -> bool:
        """The item was sent; ``attempts`` goes up by one.

        Fenced, in the same write: the outcome is recorded only while the stored item is still
        pending under the lease ``item`` was taken with (``due_at == item.leased_until`` and
        ``attempts == item.attempts``).  Otherwise another worker holds it now, or it was
        recorded already: nothing changes and the result is ``False``.  An item that does not
        exist, or one without ``leased_until``, is a :class:`~notifpolicy.StorageError`.
        """
        ...

    def mark_retry(self, item: OutboxItem, retry_at: dt.datetime, error: str) -> bool:
        """The attempt failed and will be retried at ``retry_at``; ``attempts`` goes up.
        Fenced like :meth:`mark_sent`."""
        ...

    def mark_failed(self, item: OutboxItem, error: str) -> bool:
        """The item finally failed; kept with its error, never silently dropped.  Fenced like
        :meth:`mark_sent`."""
        ...

    def record(self, marks: Sequence[OutboxMark]) -> tuple[bool, ...]:
        """Record several outcomes in one transaction, each fenced and counted as
        :meth:`mark_sent`, :meth:`mark_retry` or :meth:`mark_failed` would record it; the
        result says, mark by mark, whether it was recorded.  A mark for an item that does not
        exist or was not leased is a :class:`~notifpolicy.StorageError`, and nothing is
        recorded."""
        ...

    def release(self, item: OutboxItem) -> bool:
        """Give a leased item back unsent (a worker stopping): it is due again at the
        ``due_at`` it had before the lease, ``attempts`` unchanged, and the workspace's
        wake-up is lowered to that instant.  Fenced like :meth:`mark_sent`."""
        ...

    def items(self, workspace_id: str) -> tuple[OutboxItem, ...]:
        """Every item of the workspace, in insertion order (for inspection and tests).
        Unreadable rows: :class:`~notifpolicy.UnreadableRowsError`, as for :meth:`lease_due`."""
        ...


@runtime_checkable
class OutboxAdmin(Protocol):
    """What an operator needs of the outbox: failed deliveries listed and requeued, and figures
    for metrics.  The service never calls these; the shipped stores implement them, and the
    ``notifpolicy outbox`` command uses them."""

    def failed_items(
        self, workspace_id: str | None = None, *, limit: int = 100
    ) -> tuple[OutboxItem, ...]:
        """Items that finally failed, oldest first, at most ``limit`` (every workspace's when
        ``workspace_id`` is ``None``), each with its ``last_error``."""
        ...

    def requeue(self, workspace_id: str, item_id: str, *, now: dt.datetime) -> bool:
        """Send a failed item again: it becomes pending, due at ``now``, with ``attempts`` back
        to 0 (a full round of retries) and its last error kept until the next outcome; the
        workspace's wake-up is lowered to ``now``.  ``False`` when the item is not failed (sent,
        pending or held: nothing changes); :class:`~notifpolicy.StorageError` when the
        workspace has no item ``item_id``."""
        ...

    def outbox_stats(self, workspace_id: str | None = None) -> OutboxStats:
        """Pending and failed counts and the oldest pending item, of one workspace or all."""
        ...


@runtime_checkable
class WakeUps(Protocol):
    """Each workspace's next wake-up, so one worker loop serves many workspaces without
    scanning them all (SPEC section 12).

    The wake-up only ever moves earlier by itself: :meth:`Outbox.enqueue`, a won
    :meth:`Ledger.claim`, a recorded :meth:`Outbox.mark_retry`, :meth:`Outbox.release` and
    :meth:`SettingsStore.save_settings` lower it in their own transaction (to the earliest
    ``due_at`` they wrote, or the save's instant) and count a new generation.  Only a worker,
    after ticking the workspace, moves it later, with :meth:`set_wake_at` and the generation it
    took the workspace with: if anything lowered it meanwhile, the earlier instant stays.  So
    new work is never hidden behind a wake-up computed before it arrived.
    """

    def wake(self, workspace_id: str, at: dt.datetime) -> None:
        """Lower the workspace's wake-up to ``at`` (unless it is earlier already) and count a
        new generation.  Also how a workspace becomes known to the workers (a new sign-up)."""
        ...

    def due_workspaces(
        self, now: dt.datetime, limit: int, *, lease_until: dt.datetime
    ) -> tuple[WakeUp, ...]:
        """Take the workspaces whose wake-up is at or before ``now`` (earliest first, at most
        ``limit``), atomically: their wake-up moves to ``lease_until`` (a worker that dies
        leaves them due again then) and their generation goes up.  Workers taking at once get
        disjoint workspaces.  An index lookup, never a scan of every workspace."""
        ...

    def set_wake_at(self, workspace_id: str, at: dt.datetime | None, *, generation: int) -> None:
        """After a tick: the workspace's next wake-up is ``at`` (``None``: nothing pending).
        Written as given only while the stored generation is still ``generation``; otherwise
        something lowered the wake-up meanwhile, and the earlier of the two stays."""
        ...

    def earliest_wake_at(self) -> dt.datetime | None:
        """The earliest wake-up of any workspace (``None``: none has one): how long a worker
        may sleep."""
        ...


@runtime_checkable
class Store(SettingsStore, PreferencesStore, AuditLog, Ledger, Outbox, WakeUps, Protocol):
    """Every store port at once, as ``InMemoryStore``, ``SqliteStore`` and ``PostgresStore``
    implement them."""


@runtime_checkable
class RosterSource(Protocol):
    """The host's members."""

    def roster(self, workspace_id: str) -> Roster:
        """The workspace's members now (deactivated ones included, flagged)."""
        ...


@runtime_checkable
class ConversationSource(Protocol):
    """The host's open conversations, for the escalation check."""

    def open_conversations(self, workspace_id: str) -> Iterable[ConversationState]:
        """The workspace's open conversations, as they are now."""
        ...


@runtime_checkable
class DigestSource(Protocol):
    """The host's conversation records, for digest content."""

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> Iterable[ConversationRecord]:
        """Records of the conversations that existed during ``[start, end)``: created before
        ``end`` and not closed before ``start`` (passing more is harmless, only slower)."""
        ...


@runtime_checkable
class Clock(Protocol):
    """The one clock; only the service holds it."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


@runtime_checkable
class Transport(Protocol):
    """One delivery channel: one attempt per ``send``, classified, never raising for failures."""

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        """Attempt once: ``SENT``, ``RETRY`` (with ``retry_after`` when known) or ``PERMANENT``.

        Backoff and the attempt limit belong to the service, not to the transport.
        """
        ...
