"""In-memory implementations of the store and transport ports: for tests, the ``simulate``
command, demos and small single-process hosts.

:class:`InMemoryStore` keeps the same promises as the SQLite and PostgreSQL adapters (the
contract suite runs against all three): saves are compare-and-set, a ledger claim and its outbox
write happen under one lock, nothing is half written.  It is thread-safe, not process-safe, and
forgets everything when the process ends.  :class:`RecordingTransport` sends nothing: it keeps
every delivery it is given.  The manual clock that goes with them is
:class:`notifpolicy.adapters.clock.ManualClock`.  ``notifpolicy.testing.fakes`` re-exports all
three (the same objects), so imports from there keep working.

>>> from notifpolicy.adapters.memory import InMemoryStore, RecordingTransport
>>> InMemoryStore().get_settings("ws-1").version  # nothing saved yet: the defaults
1
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence

import attrs

from notifpolicy import (
    AuditEntry,
    Channel,
    Delivery,
    MemberPreferences,
    OutboxItem,
    OutboxMark,
    OutboxStats,
    OutboxStatus,
    SendResult,
    StorageError,
    WakeUp,
    WorkspaceSettings,
    check_stored_version,
)
from notifpolicy._timeutil import require_aware

__all__ = ["InMemoryStore", "RecordingTransport"]


class InMemoryStore:
    """Settings, preferences, audit log, ledger and outbox in dictionaries."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._settings: dict[str, WorkspaceSettings] = {}
        self._preferences: dict[tuple[str, str], MemberPreferences] = {}
        self._audit: list[AuditEntry] = []
        self._claimed: set[str] = set()
        self._items: dict[str, OutboxItem] = {}
        self._wakes: dict[str, _Wake] = {}

    # -- settings and preferences ---------------------------------------------------------------

    def get_settings(self, workspace_id: str) -> WorkspaceSettings:
        with self._lock:
            return self._settings.get(workspace_id, _DEFAULT_SETTINGS)

    def save_settings(self, settings: WorkspaceSettings, audit: AuditEntry) -> None:
        with self._lock:
            current = self.get_settings(audit.workspace_id)
            check_stored_version(current.version, settings.version, audit)
            self._settings[audit.workspace_id] = settings
            self._audit.append(audit)
            self._lower(audit.workspace_id, audit.at)  # the new settings apply at once

    def get_preferences(self, workspace_id: str, member_id: str) -> MemberPreferences:
        with self._lock:
            return self._preferences.get((workspace_id, member_id), _DEFAULT_PREFERENCES)

    def all_preferences(self, workspace_id: str) -> Mapping[str, MemberPreferences]:
        with self._lock:
            return {m: p for (w, m), p in self._preferences.items() if w == workspace_id}

    def save_preferences(
        self, member_id: str, preferences: MemberPreferences, audit: AuditEntry
    ) -> None:
        with self._lock:
            current = self.get_preferences(audit.workspace_id, member_id)
            check_stored_version(current.version, preferences.version, audit)
            self._preferences[(audit.workspace_id, member_id)] = preferences
            self._audit.append(audit)

    def audit_entries(self, workspace_id: str) -> tuple[AuditEntry, ...]:
        with self._lock:
            return tuple(e for e in self._audit if e.workspace_id == workspace_id)

    # -- ledger and outbox ----------------------------------------------------------------------

    def claim(self, key: str, items: Sequence[OutboxItem]) -> bool:
        _check_items(items)  # before anything is written: both or neither
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            self._add(items)
            return True

    def claimed(self, keys: Iterable[str]) -> frozenset[str]:
        with self._lock:
            return frozenset(k for k in keys if k in self._claimed)

    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        _check_items(items)
        with self._lock:
            self._add(items)

    def _add(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self._items.setdefault(item.id, item)
            if item.status in (OutboxStatus.PENDING, OutboxStatus.HELD):
                self._lower(item.workspace_id, item.due_at)

    def _pending(self, workspace_id: str, channels: Collection[Channel] | None) -> list[OutboxItem]:
        return [
            i
            for i in self._items.values()
            if i.workspace_id == workspace_id
            and i.status is OutboxStatus.PENDING
            and (channels is None or i.channel in channels)
        ]

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
        _check_items(enqueue)
        with self._lock:
            self._add(enqueue)
            ready = [i for i in self._pending(workspace_id, channels) if i.due_at <= now]
            ready.sort(key=lambda i: i.due_at)
            lease = require_aware(lease_until, path="lease_until")
            taken = tuple(attrs.evolve(i, leased_until=lease) for i in ready[:limit])
            for item in taken:
                self._items[item.id] = attrs.evolve(item, due_at=lease, leased_until=None)
            return taken

    def next_due_at(
        self, workspace_id: str, *, channels: Collection[Channel] | None = None
    ) -> dt.datetime | None:
        with self._lock:
            return min((i.due_at for i in self._pending(workspace_id, channels)), default=None)

    def next_held_at(self, workspace_id: str, after: dt.datetime) -> dt.datetime | None:
        with self._lock:
            return min(
                (
                    i.due_at
                    for i in self._items.values()
                    if i.workspace_id == workspace_id
                    and i.status is OutboxStatus.HELD
                    and i.due_at > after
                ),
                default=None,
            )

    def held(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[OutboxItem, ...]:
        with self._lock:
            return tuple(
                i
                for i in self._items.values()
                if i.workspace_id == workspace_id
                and i.status is OutboxStatus.HELD
                and start <= i.due_at < end
            )

    def mark_sent(self, item: OutboxItem, at: dt.datetime) -> bool:
        return self._update(item, status=OutboxStatus.SENT, error=None)

    def mark_retry(self, item: OutboxItem, retry_at: dt.datetime, error: str) -> bool:
        with self._lock:
            done = self._update(item, status=OutboxStatus.PENDING, error=error, due_at=retry_at)
            if done:
                self._lower(item.workspace_id, retry_at)
            return done

    def record(self, marks: Sequence[OutboxMark]) -> tuple[bool, ...]:
        with self._lock:
            for mark in marks:  # every problem before anything is written
                self._check_leased(mark.item)
            results = []
            for mark in marks:
                if mark.retry_at is not None:  # a retry (the mark checked its status)
                    results.append(self.mark_retry(mark.item, mark.retry_at, mark.error or ""))
                else:
                    results.append(self._update(mark.item, status=mark.status, error=mark.error))
            return tuple(results)

    def _check_leased(self, leased: OutboxItem) -> None:
        if leased.leased_until is None:
            raise StorageError(
                f"outbox item {leased.id!r}: record outcomes only for items that lease_due "
                "returned (they carry the lease they were taken under)"
            )
        if leased.id not in self._items:
            raise StorageError(f"outbox item {leased.id!r} does not exist")

    def release(self, item: OutboxItem) -> bool:
        with self._lock:
            done = self._update(
                item,
                status=OutboxStatus.PENDING,
                error=item.last_error,
                due_at=item.due_at,
                count=0,
            )
            if done:
                self._lower(item.workspace_id, item.due_at)
            return done

    def mark_failed(self, item: OutboxItem, error: str) -> bool:
        return self._update(item, status=OutboxStatus.FAILED, error=error)

    def _update(
        self,
        leased: OutboxItem,
        *,
        status: OutboxStatus,
        error: str | None,
        due_at: dt.datetime | None = None,
        count: int = 1,
    ) -> bool:
        with self._lock:
            self._check_leased(leased)
            item = self._items[leased.id]
            if not (
                item.status is OutboxStatus.PENDING
                and item.due_at == leased.leased_until
                and item.attempts == leased.attempts
            ):
                return False  # another worker holds it now, or it was recorded already
            self._items[leased.id] = attrs.evolve(
                item,
                status=status,
                attempts=item.attempts + count,
                last_error=error,
                due_at=item.due_at if due_at is None else due_at,
            )
            return True

    def items(self, workspace_id: str) -> tuple[OutboxItem, ...]:
        with self._lock:
            return tuple(i for i in self._items.values() if i.workspace_id == workspace_id)

    # -- operating it ---------------------------------------------------------------------------

    def failed_items(
        self, workspace_id: str | None = None, *, limit: int = 100
    ) -> tuple[OutboxItem, ...]:
        with self._lock:
            failed = (
                i
                for i in self._items.values()
                if i.status is OutboxStatus.FAILED
                and (workspace_id is None or i.workspace_id == workspace_id)
            )
            return tuple(itertools.islice(failed, max(limit, 0)))

    def requeue(self, workspace_id: str, item_id: str, *, now: dt.datetime) -> bool:
        require_aware(now, path="now")
        with self._lock:
            item = self._items.get(item_id)
            if item is None or item.workspace_id != workspace_id:
                raise StorageError(
                    f"outbox item {item_id!r} does not exist in workspace {workspace_id!r}"
                )
            if item.status is not OutboxStatus.FAILED:
                return False
            self._items[item_id] = attrs.evolve(
                item, status=OutboxStatus.PENDING, due_at=now, attempts=0
            )
            self._lower(workspace_id, now)
            return True

    def outbox_stats(self, workspace_id: str | None = None) -> OutboxStats:
        with self._lock:
            mine = [
                i
                for i in self._items.values()
                if workspace_id is None or i.workspace_id == workspace_id
            ]
            pending = [i for i in mine if i.status is OutboxStatus.PENDING]
            oldest = min(pending, key=lambda i: i.due_at, default=None)
            return OutboxStats(
                pending=len(pending),
                failed=sum(i.status is OutboxStatus.FAILED for i in mine),
                oldest_pending_id=None if oldest is None else oldest.id,
                oldest_pending_due_at=None if oldest is None else oldest.due_at,
            )

    # -- wake-ups -------------------------------------------------------------------------------

    def _lower(self, workspace_id: str, at: dt.datetime) -> None:
        require_aware(at, path="at")
        wake = self._wakes.setdefault(workspace_id, _Wake())
        if wake.at is None or at < wake.at:
            wake.at = at
        wake.generation += 1

    def wake(self, workspace_id: str, at: dt.datetime) -> None:
        with self._lock:
            self._lower(workspace_id, at)

    def due_workspaces(
        self, now: dt.datetime, limit: int, *, lease_until: dt.datetime
    ) -> tuple[WakeUp, ...]:
        require_aware(now, path="now")
        lease = require_aware(lease_until, path="lease_until")
        with self._lock:
            due = sorted(
                (w.at, ws) for ws, w in self._wakes.items() if w.at is not None and w.at <= now
            )[: max(limit, 0)]
            taken = []
            for at, ws in due:
                wake = self._wakes[ws]
                wake.at = lease
                wake.generation += 1
                taken.append(WakeUp(ws, at, wake.generation))
            return tuple(taken)

    def set_wake_at(self, workspace_id: str, at: dt.datetime | None, *, generation: int) -> None:
        if at is not None:
            require_aware(at, path="at")
        with self._lock:
            wake = self._wakes.setdefault(workspace_id, _Wake())
            # As given while nothing lowered it since the worker took it; else the earlier.
            lowered = wake.generation != generation
            if not lowered or (at is not None and (wake.at is None or at < wake.at)):
                wake.at = at

    def earliest_wake_at(self) -> dt.datetime | None:
        with self._lock:
            return min((w.at for w in self._wakes.values() if w.at is not None), default=None)


@attrs.define
class _Wake:
    at: dt.datetime | None = None
    generation: int = 0


def _check_items(items: Sequence[OutboxItem]) -> None:
    for item in items:
        if not isinstance(item, OutboxItem):
            raise StorageError(f"the outbox takes OutboxItem values, got {type(item).__name__}")
        require_aware(item.due_at, path="item.due_at")


_DEFAULT_SETTINGS = WorkspaceSettings()
_DEFAULT_PREFERENCES = MemberPreferences()


@attrs.define
class RecordingTransport:
    """A transport that records every delivery and answers with ``results`` in turn.

    With no ``results`` left it answers ``SENT``.
    """

    results: list[SendResult] = attrs.field(factory=list)
    sent: list[Delivery] = attrs.field(factory=list)

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        self.sent.append(delivery)
        return self.results.pop(0) if self.results else SendResult.sent()
