"""Saving settings as a pure step: authorize, validate, compare versions, bump, audit.

The store-backed service calls these and then writes with compare-and-set; here nothing is
stored, so "nothing is half-saved" is structural: either a :class:`SaveResult` comes back (the new
value and its audit entry, to be written together) or an exception, and nothing changed.

Order, as the product requires: the permission check comes first (an agent who submits an invalid
draft gets ``PermissionDenied``, not a list of validation problems), then validation, then the
version check (``ConflictError`` when someone saved in between: no lost update).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from notifpolicy._errors import ConflictError, PermissionDenied, StorageError, ValidationError
from notifpolicy._kinds import KindRegistry
from notifpolicy._preferences import MemberPreferences
from notifpolicy._roster import Member
from notifpolicy._secret import REDACTED
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = [
    "AuditEntry",
    "FieldChange",
    "SaveResult",
    "check_stored_version",
    "diff",
    "save_member_preferences",
    "save_workspace_settings",
]

T = TypeVar("T", WorkspaceSettings, MemberPreferences)

# Paths whose values are secrets: shown as redacted in every diff and audit entry.
_SECRET_PATHS = frozenset({"slack.webhook_url"})


@attrs.frozen
class FieldChange:
    """One field that differs: its dotted path and the old and new values (secrets redacted).

    ``None`` as a value means "not set" (no webhook; for preferences: inherit).
    """

    path: str
    old: Any
    new: Any


def _to_changes(value: Iterable[FieldChange]) -> tuple[FieldChange, ...]:
    return tuple(value)


@attrs.frozen
class AuditEntry:
    """What an accepted change writes to the audit log.

    ``target`` is ``"workspace_settings"`` or ``"member_preferences:<member id>"``; ``key``
    starts with the workspace id, like every key the library makes.
    """

    workspace_id: str
    actor_id: str
    at: dt.datetime
    target: str
    version_before: int
    version_after: int
    changes: tuple[FieldChange, ...] = attrs.field(converter=_to_changes)

    @property
    def key(self) -> str:
        return f"{self.workspace_id}:audit:{self.target}:v{self.version_after}"


@attrs.frozen
class SaveResult(Generic[T]):
    """The value to store and the audit entry to append, together; ``audit`` is ``None`` when
    the draft changed nothing (nothing to store, the version stays)."""

    value: T
    audit: AuditEntry | None

    @property
    def changed(self) -> bool:
        return self.audit is not None


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def _fields(value: WorkspaceSettings | MemberPreferences) -> dict[str, Any]:
    out: dict[str, Any] = {}
    doc = value.to_dict()
    doc.pop("version")
    _flatten(doc, "", out)
    if isinstance(value, WorkspaceSettings):
        # business_hours = null vs a table: show the whole table as one field.
        bh = doc["business_hours"]
        for key in [k for k in out if k.startswith("business_hours")]:
            del out[key]
        out["business_hours"] = bh
    return out


def diff(saved: T, draft: T) -> tuple[FieldChange, ...]:
    """Field-level changes from ``saved`` to ``draft`` (the version is not a field).

    A non-empty diff is what shows the "Save changes" button.  Secrets are redacted.

    >>> a = WorkspaceSettings()
    >>> b = WorkspaceSettings.from_dict({"escalation": {"unassigned": {"after_minutes": 45}}})
    >>> diff(a, b)
    (FieldChange(path='escalation.unassigned.after_minutes', old=30, new=45),)
    """
    before: dict[str, Any] = _fields(saved)
    after: dict[str, Any] = _fields(draft)
    changes = []
    for path in [*before, *(p for p in after if p not in before)]:
        old, new = before.get(path), after.get(path)
        if old != new:
            if path in _SECRET_PATHS:
                old = None if old is None else REDACTED
                new = None if new is None else REDACTED
            changes.append(FieldChange(path, old, new))
    return tuple(changes)


def check_stored_version(stored_version: int, new_version: int, audit: AuditEntry) -> None:
    """The compare-and-set rule of every store, for store implementers.

    Call it inside the write transaction with the version read there: a stored version other
    than ``audit.version_before`` means someone saved in between (:class:`ConflictError`);
    a value whose version is not ``audit.version_after`` was not made by ``save_*``.
    """
    if stored_version != audit.version_before:
        raise ConflictError(expected=audit.version_before, actual=stored_version, what=audit.target)
    if new_version != audit.version_after:
        raise StorageError(
            f"{audit.target}: the value has version {new_version}, the audit entry says "
            f"{audit.version_after}; store what save_* returned"
        )


def _check_actor(actor: object) -> Member:
    if not isinstance(actor, Member):
        raise ValidationError.single(
            "actor", "type", f"must be a Member, got {type(actor).__name__}"
        )
    if not actor.active:
        raise PermissionDenied(f"{actor.id} is deactivated and may not change settings")
    return actor


def save_workspace_settings(
    current: WorkspaceSettings,
    draft: WorkspaceSettings | Mapping[str, Any],
    *,
    actor: Member,
    workspace_id: str,
    now: dt.datetime,
    kinds: KindRegistry | None = None,
    extra_webhook_hosts: Iterable[str] = (),
) -> SaveResult[WorkspaceSettings]:
    """Check and prepare a save of the workspace settings.

    ``draft`` is a settings value or the raw document from a form; its ``version`` is the one
    it was based on.  Only owners and admins may save (``PermissionDenied`` otherwise, checked
    first); the draft is validated in full (a hand-built value too, webhook URL included);
    a draft based on another version than ``current`` is a ``ConflictError``.
    """
    actor = _check_actor(actor)
    if not actor.role.is_admin:
        raise PermissionDenied(
            "only owners and admins can change workspace settings; "
            f"{actor.id} is {actor.role.value}"
        )
    now = require_aware(now, path="now")
    raw = draft.to_dict() if isinstance(draft, WorkspaceSettings) else draft
    checked = WorkspaceSettings.from_dict(raw, kinds=kinds, extra_webhook_hosts=extra_webhook_hosts)
    return _bump(current, checked, actor, workspace_id, now, "workspace_settings")


def save_member_preferences(
    current: MemberPreferences,
    draft: MemberPreferences | Mapping[str, Any],
    *,
    actor: Member,
    member_id: str,
    workspace_id: str,
    now: dt.datetime,
    kinds: KindRegistry | None = None,
) -> SaveResult[MemberPreferences]:
    """Check and prepare a save of one member's preferences.

    A member changes only their own (owners and admins included: personal settings are
    personal).  An override for a kind that is not overridable is a ``ValidationError`` naming
    the kind; versions are compared like the workspace settings'.
    """
    actor = _check_actor(actor)
    if actor.id != member_id:
        raise PermissionDenied(
            f"{actor.id} may change only their own preferences, not {member_id}'s"
        )
    now = require_aware(now, path="now")
    raw = draft.to_dict() if isinstance(draft, MemberPreferences) else draft
    checked = MemberPreferences.from_dict(raw, kinds=kinds)
    return _bump(current, checked, actor, workspace_id, now, f"member_preferences:{member_id}")


def _bump(
    current: T, checked: T, actor: Member, workspace_id: str, now: dt.datetime, target: str
) -> SaveResult[T]:
    """The version check, the new version and the audit entry, shared by both saves."""
    if checked.version != current.version:
        raise ConflictError(expected=checked.version, actual=current.version, what=target)
    changes = diff(current, checked)
    if not changes:
        return SaveResult(current, None)
    saved = attrs.evolve(checked, version=current.version + 1)
    entry = AuditEntry(workspace_id, actor.id, now, target, current.version, saved.version, changes)
    return SaveResult(saved, entry)
