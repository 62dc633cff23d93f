"""What the SQL stores share: stored documents and rows read back, and unreadable ones reported.

:class:`~notifpolicy.adapters.sqlite.SqliteStore` and
:class:`~notifpolicy.adapters.postgres.PostgresStore` keep the same tables in different SQL
dialects.  Their SQL differs; what a row means does not, so it lives here once:

- the settings and preferences documents: JSON text with :data:`DOCUMENT_SCHEMA` in a column
  beside it, loaded with the host's kinds and webhook hosts (:class:`Documents`, which also
  keeps the last settings read per workspace, so an unchanged document is not validated again);
- the audit entry's JSON document (:func:`audit_document`, :func:`audit_entries`);
- the outbox row's sixteen columns (:data:`OUTBOX_COLUMNS`, :func:`item_row`,
  :func:`outbox_item`), the two columns whose storage differs (``kinds``, ``due_at``) converted
  by the store;
- a stored row that does not parse: a :class:`~notifpolicy.StorageError` naming its table and
  key (:func:`unreadable`); where a read returns many rows, the readable ones are kept and the
  rest reported together (:class:`~notifpolicy.UnreadableRowsError`).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from notifpolicy import (
    AuditEntry,
    Channel,
    FieldChange,
    KindRegistry,
    MemberPreferences,
    NotifPolicyError,
    OutboxItem,
    OutboxStatus,
    StorageError,
    UnreadableRowsError,
    WorkspaceSettings,
)
from notifpolicy._timeutil import require_aware
from notifpolicy._webhook import allowed_hosts

T = TypeVar("T")

DOCUMENT_SCHEMA = 1
"""The version of the settings and preferences documents' shape, stored beside each."""

OUTBOX_COLUMNS = (
    "id, workspace_id, event_id, conversation_id, recipient, channel, kinds, due_at, status, "
    "attempts, last_error, subject, text, html, body, unsubscribe_url"
)
"""The outbox row's columns, in the order :func:`item_row` and :func:`outbox_item` use."""

# What reading a corrupt row can raise: JSON that does not parse (ValueError), a missing key
# (LookupError), a wrong type (TypeError, AttributeError), a document nested too deep
# (RecursionError), an out-of-range instant (OverflowError), or a document our loaders refuse.
UNREADABLE = (
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    RecursionError,
    OverflowError,
    NotifPolicyError,
)
_QUOTE_LIMIT = 100


def quote(value: object) -> str:
    """``repr(value)`` cut to about 100 characters: messages stay short whatever was stored."""
    try:
        text = repr(value)
    except ValueError:  # an int over the interpreter's digit limit
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _QUOTE_LIMIT else f"{text[:_QUOTE_LIMIT]}... ({len(text)} chars)"


def unreadable(where: str, exc: BaseException) -> StorageError:
    """The error for a stored row that does not parse: ``where`` and the first line of why."""
    detail = str(exc).splitlines()[0] if str(exc) else ""
    if len(detail) > _QUOTE_LIMIT:
        detail = detail[:_QUOTE_LIMIT] + "..."
    return StorageError(f"{where}: cannot be read ({type(exc).__name__}: {detail})")


def decode(doc_schema: object, text: str, load: Callable[[Any], T], where: str) -> T:
    """Load one stored document; anything wrong with it is a StorageError naming ``where``
    (the table and key), never a bare JSONDecodeError, KeyError or RecursionError."""
    if doc_schema != DOCUMENT_SCHEMA:
        raise StorageError(
            f"{where}: document schema {quote(doc_schema)}, expected {DOCUMENT_SCHEMA}"
        )
    try:
        return load(json.loads(text))
    except UNREADABLE as exc:
        raise unreadable(where, exc) from exc


def _preferences_row(workspace_id: str, member_id: str) -> str:
    return f"preferences row workspace_id={quote(workspace_id)} member_id={quote(member_id)}"


class Documents:
    """Reads stored settings and preferences back with the host's kinds and webhook hosts, as
    they were validated when saved."""

    def __init__(self, kinds: KindRegistry | None, extra_webhook_hosts: Iterable[str]) -> None:
        self._kinds = kinds
        # Checked once (a bad entry fails here, not on every read); kept as the full allowed set.
        self._extra_hosts = tuple(sorted(allowed_hosts(extra_webhook_hosts)))
        # The last settings document read per workspace and its value: the service reads the
        # settings on every handle, tick and next_wake_at, and validating the same document
        # again each time was a tenth of a busy run.  Any change to the text is parsed afresh.
        self._seen: dict[str, tuple[str, WorkspaceSettings]] = {}
        self._seen_lock = threading.Lock()

    def settings(self, workspace_id: str, doc_schema: object, text: str) -> WorkspaceSettings:
        """One workspace's stored settings document, loaded (or the value it loaded to last)."""
        with self._seen_lock:
            seen = self._seen.get(workspace_id)
        if seen is not None and doc_schema == DOCUMENT_SCHEMA and seen[0] == text:
            return seen[1]
        where = f"settings row workspace_id={quote(workspace_id)}"
        settings = decode(doc_schema, text, self._load_settings, where)
        with self._seen_lock:
            self._seen[workspace_id] = (text, settings)
        return settings

    def preferences(
        self, workspace_id: str, member_id: str, doc_schema: object, text: str
    ) -> MemberPreferences:
        """One member's stored preferences document, loaded."""
        return decode(
            doc_schema, text, self._load_preferences, _preferences_row(workspace_id, member_id)
        )

    def all_preferences(
        self, workspace_id: str, rows: Iterable[Sequence[Any]]
    ) -> dict[str, MemberPreferences]:
        """``(member_id, doc_schema, text)`` rows as preferences by member; the unreadable ones
        are left out and reported together at the end."""
        found: dict[str, MemberPreferences] = {}
        errors: list[StorageError] = []
        for member_id, doc_schema, text in rows:
            try:
                found[member_id] = self.preferences(workspace_id, member_id, doc_schema, text)
            except StorageError as exc:
                errors.append(exc)
        if errors:
            raise UnreadableRowsError(errors, found.items())
        return found

    def _load_settings(self, data: Any) -> WorkspaceSettings:
        return WorkspaceSettings.from_dict(
            data, kinds=self._kinds, extra_webhook_hosts=self._extra_hosts
        )

    def _load_preferences(self, data: Any) -> MemberPreferences:
        # Reading back is lenient as the spec allows: overrides for kinds that are no longer
        # overridable (or registered) are dropped rather than refused.
        preferences, _warnings = MemberPreferences.from_stored(data, kinds=self._kinds)
        return preferences


# -- the audit log ------------------------------------------------------------------------------


def audit_document(audit: AuditEntry) -> str:
    """The audit entry as the JSON text a store keeps."""
    return json.dumps(
        {
            "workspace_id": audit.workspace_id,
            "actor_id": audit.actor_id,
            "at": audit.at.isoformat(),
            "target": audit.target,
            "version_before": audit.version_before,
            "version_after": audit.version_after,
            "changes": [[c.path, c.old, c.new] for c in audit.changes],
        }
    )


def _audit_entry(d: Any) -> AuditEntry:
    at = dt.datetime.fromisoformat(d["at"])
    require_aware(at, path="at")
    return AuditEntry(
        d["workspace_id"],
        d["actor_id"],
        at,
        d["target"],
        d["version_before"],
        d["version_after"],
        tuple(FieldChange(p, old, new) for p, old, new in d["changes"]),
    )


def audit_entries(rows: Iterable[Sequence[Any]]) -> tuple[AuditEntry, ...]:
    """``(seq, text)`` rows as audit entries; the unreadable ones are left out and reported
    together at the end."""
    entries: list[AuditEntry] = []
    errors: list[StorageError] = []
    for seq, text in rows:
        try:
            entries.append(_audit_entry(json.loads(text)))
        except UNREADABLE as exc:
            errors.append(unreadable(f"audit row seq={seq}", exc))
    if errors:
        raise UnreadableRowsError(errors, entries)
    return tuple(entries)


# -- the outbox ---------------------------------------------------------------------------------


def item_row(item: OutboxItem, kinds: Any, due_at: Any) -> tuple[Any, ...]:
    """The item's :data:`OUTBOX_COLUMNS`, with ``kinds`` and ``due_at`` as the store keeps them."""
    return (
        item.id,
        item.workspace_id,
        item.event_id,
        item.conversation_id,
        item.recipient,
        item.channel.value,
        kinds,
        due_at,
        item.status.value,
        item.attempts,
        item.last_error,
        item.subject,
        item.text,
        item.html,
        item.body,
        item.unsubscribe_url,
    )


def outbox_item(
    row: Sequence[Any],
    kinds: Sequence[str],
    due_at: dt.datetime,
    leased_until: dt.datetime | None,
) -> OutboxItem:
    """The item a row of :data:`OUTBOX_COLUMNS` holds, its ``kinds`` and ``due_at`` read by the
    store."""
    # Positional, in the attribute order (id, workspace_id, event_id, conversation_id,
    # recipient, channel, kinds, due_at, status, attempts, last_error, subject, text, html,
    # body, unsubscribe_url, leased_until): the fastest way into attrs' __init__, per row.
    return OutboxItem(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        Channel(row[5]),
        tuple(kinds),
        due_at,
        OutboxStatus(row[8]),
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        row[15],
        leased_until,
    )


def outbox_items(
    rows: Iterable[Sequence[Any]],
    read: Callable[[Sequence[Any], dt.datetime | None], OutboxItem],
    *,
    leased_until: dt.datetime | None = None,
) -> tuple[OutboxItem, ...]:
    """The rows as items (each read by ``read``); unreadable ones are left out and reported
    together at the end."""
    items: list[OutboxItem] = []
    errors: list[StorageError] = []
    for row in rows:
        try:
            items.append(read(row, leased_until))
        except UNREADABLE as exc:
            errors.append(unreadable(f"outbox row id={quote(row[0])}", exc))
    if errors:
        raise UnreadableRowsError(errors, items)
    return tuple(items)


def lease_of(item: OutboxItem) -> dt.datetime:
    """The lease ``item`` was taken under; a :class:`~notifpolicy.StorageError` when it has none."""
    if item.leased_until is None:
        raise StorageError(
            f"outbox item {quote(item.id)}: record outcomes only for items that lease_due "
            "returned (they carry the lease they were taken under)"
        )
    return item.leased_until


def missing_item(item_id: str) -> StorageError:
    """The error for an outbox id that is not there."""
    return StorageError(f"outbox item {quote(item_id)} does not exist")


def missing_workspace_item(workspace_id: str, item_id: str) -> StorageError:
    """The error for an outbox id that is not there in ``workspace_id``."""
    return StorageError(
        f"outbox item {quote(item_id)} does not exist in workspace {quote(workspace_id)}"
    )
