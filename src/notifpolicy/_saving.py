"""Saving settings as a pure step: authorize, merge, validate, compare versions, bump, audit.

The store-backed service calls these and then writes with compare-and-set; here nothing is
stored, so "nothing is half-saved" is structural: either a :class:`SaveResult` comes back (the new
value and its audit entry, to be written together) or an exception, and nothing changed.

A save takes the **changes**: a JSON merge patch (RFC 7396, :func:`merge_patch`) over the saved
document, carrying the ``version`` it was based on.  A key the patch leaves out keeps its saved
value; ``null`` removes the key from the merged document, and the loader then gives it its
default.  That is why ``null`` resets anything in a patch, even where a stored document may not
hold a ``null``: the loader never sees the patch's ``null``, only the key's absence.  A whole
value (``WorkspaceSettings`` / ``MemberPreferences``) is still accepted, as an explicit
replacement.

Order, as the product requires: the permission check comes first (an agent who submits an invalid
draft gets ``PermissionDenied``, not a list of validation problems), then validation of the merged
document as a whole, then the version check (``ConflictError`` when someone saved in between: no
lost update), then the audit entry.

The functions take the :class:`Member` the host looked up in its roster by the id of whoever is
signed in, never one built from what a request claims: they trust its role and active flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from notifpolicy._errors import ConflictError, Problem, StorageError, ValidationError
from notifpolicy._keys import check_workspace_id, key_part
from notifpolicy._kinds import KindRegistry
from notifpolicy._merge_patch import merge_patch
from notifpolicy._permissions import Permission, authorize
from notifpolicy._preferences import MemberPreferences
from notifpolicy._roster import Member
from notifpolicy._secret import REDACTED
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import require_aware

__all__ = [
    "REDACTED_CHANGED",
    "AuditEntry",
    "FieldChange",
    "SaveResult",
    "check_stored_version",
    "diff",
    "save_member_preferences",
    "save_workspace_settings",
]

T = TypeVar("T", WorkspaceSettings, MemberPreferences)
_Loaded = TypeVar("_Loaded", bound=WorkspaceSettings | MemberPreferences)

# Paths whose values are secrets: shown as redacted in every diff and audit entry.
_SECRET_PATHS = frozenset({"slack.webhook_url"})
REDACTED_CHANGED = "<redacted, changed>"
"""A secret's new value in a diff when it replaced another: changed, and still not shown."""


@attrs.frozen
class FieldChange:
    """One field that differs: its dotted path and the old and new values (secrets redacted).

    ``None`` as a value means "not set" (no webhook; for preferences: inherit).  A secret shows
    as ``<redacted>``; one replaced by another as ``<redacted>`` → ``<redacted, changed>``.
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
    starts with the workspace id, like every key the library makes, and escapes the workspace
    and member ids as every key does (``ws:1`` is written ``ws%3A1``).
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
        """``<workspace>:audit:<target>:v<version after>``, each host id escaped."""
        what, colon, member_id = self.target.partition(":")
        target = what + colon + key_part(member_id)
        return f"{key_part(self.workspace_id)}:audit:{target}:v{self.version_after}"


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


def _type_name(value: object) -> str:
    return type(value).__name__


def _patched(
    current: WorkspaceSettings | MemberPreferences,
    changes: Mapping[str, Any],
    *,
    version_required: bool,
) -> tuple[dict[str, Any], list[Problem]]:
    """``changes`` (a merge patch) applied to ``current``'s document, and any problem with the
    patch's version; the caller loads the document and reports every problem together.

    The patch's ``version`` is not merged: it is the version the changes were based on, and goes
    into the document as given (the version check compares it).  Without ``version_required``
    (``diff``) it is ignored and the document keeps ``current``'s version.
    """
    problems: list[Problem] = []
    version: object = current.version
    if version_required:
        if "version" in changes:
            version = changes["version"]
        else:
            problems.append(
                Problem(
                    "version",
                    "missing",
                    "is required: the version the changes were based on (the saved "
                    f"document's version; {current.version} now)",
                )
            )
    doc = merge_patch(current.to_dict(), {k: v for k, v in changes.items() if k != "version"})
    doc["version"] = version
    return doc, problems


def _settings_draft(
    current: WorkspaceSettings,
    changes: object,
    *,
    kinds: KindRegistry | None,
    extra_webhook_hosts: Iterable[str],
    version_required: bool,
) -> WorkspaceSettings:
    hosts = tuple(extra_webhook_hosts)
    return _draft(
        current,
        changes,
        WorkspaceSettings,
        lambda doc: WorkspaceSettings.from_dict(doc, kinds=kinds, extra_webhook_hosts=hosts),
        "must be a merge patch (a mapping with the version it was based on)",
        version_required=version_required,
    )


def _preferences_draft(
    current: MemberPreferences,
    changes: object,
    *,
    kinds: KindRegistry | None,
    version_required: bool,
) -> MemberPreferences:
    return _draft(
        current,
        changes,
        MemberPreferences,
        lambda doc: MemberPreferences.from_dict(doc, kinds=kinds),
        'must be a merge patch ({"overrides": {...}, "version": n})',
        version_required=version_required,
    )


def _draft(
    current: WorkspaceSettings | MemberPreferences,
    changes: object,
    whole: type[_Loaded],
    load: Callable[[Mapping[str, Any]], _Loaded],
    patch: str,
    *,
    version_required: bool,
) -> _Loaded:
    """``changes`` (a merge patch over ``current``, as ``patch`` describes it, or a ``whole``
    value) loaded by ``load``: every problem, the patch's version included, in one
    ValidationError."""
    if isinstance(changes, whole):
        # An explicit whole replacement: validated again in full (a hand-built value too).
        return load(changes.to_dict())
    if not isinstance(changes, Mapping):
        raise ValidationError.single(
            "changes",
            "type",
            f"{patch} or a {whole.__name__}, got {_type_name(changes)}",
        )
    doc, problems = _patched(current, changes, version_required=version_required)
    try:
        value = load(doc)
    except ValidationError as invalid:
        raise ValidationError([*problems, *invalid.problems]) from None
    if problems:
        raise ValidationError(problems)
    return value


def diff(
    saved: T,
    draft: T | Mapping[str, Any],
    *,
    kinds: KindRegistry | None = None,
    extra_webhook_hosts: Iterable[str] = (),
) -> tuple[FieldChange, ...]:
    """Field-level changes from ``saved`` to ``draft`` (the version is not a field).

    ``saved`` is a :class:`WorkspaceSettings` or :class:`MemberPreferences`; ``draft`` a value of
    the same type or a merge patch over ``saved`` (as a save takes it; here no ``version`` is
    needed, and one given is ignored).  A non-empty diff is what shows the "Save changes" button.
    Secrets are redacted.  Anything else, or a patch that does not validate, is a
    :class:`~notifpolicy.ValidationError`.

    >>> a = WorkspaceSettings()
    >>> diff(a, {"escalation": {"unassigned": {"after_minutes": 45}}})
    (FieldChange(path='escalation.unassigned.after_minutes', old=30, new=45),)
    """
    after_value: WorkspaceSettings | MemberPreferences
    if isinstance(saved, WorkspaceSettings):
        if isinstance(draft, WorkspaceSettings):
            after_value = draft
        else:
            after_value = _settings_draft(
                saved,
                draft,
                kinds=kinds,
                extra_webhook_hosts=extra_webhook_hosts,
                version_required=False,
            )
    elif isinstance(saved, MemberPreferences):
        if isinstance(draft, MemberPreferences):
            after_value = draft
        else:
            after_value = _preferences_draft(saved, draft, kinds=kinds, version_required=False)
    else:
        raise ValidationError.single(
            "saved",
            "type",
            f"must be a WorkspaceSettings or MemberPreferences, got {_type_name(saved)}",
        )
    return _changes(saved, after_value)


def _changes(
    saved: WorkspaceSettings | MemberPreferences, draft: WorkspaceSettings | MemberPreferences
) -> tuple[FieldChange, ...]:
    before: dict[str, Any] = _fields(saved)
    after: dict[str, Any] = _fields(draft)
    changes = []
    for path in [*before, *(p for p in after if p not in before)]:
        old, new = before.get(path), after.get(path)
        if old != new:
            if path in _SECRET_PATHS:
                replaced = old is not None and new is not None
                old = None if old is None else REDACTED
                new = None if new is None else (REDACTED_CHANGED if replaced else REDACTED)
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


def _check_current(current: object, expected: type) -> None:
    if not isinstance(current, expected):
        raise ValidationError.single(
            "current",
            "type",
            f"must be the saved {expected.__name__}, got {_type_name(current)}",
        )


def save_workspace_settings(
    current: WorkspaceSettings,
    changes: WorkspaceSettings | Mapping[str, Any],
    *,
    actor: Member,
    workspace_id: str,
    now: dt.datetime,
    kinds: KindRegistry | None = None,
    extra_webhook_hosts: Iterable[str] = (),
) -> SaveResult[WorkspaceSettings]:
    """Check and prepare a save of the workspace settings.

    ``changes`` is a merge patch over ``current``'s document with the ``version`` it was based
    on (required: without it, a ``ValidationError`` at ``version``), as a form posts it::

        {"quiet_hours": {"enabled": True, "start": "21:00"}, "version": 4}

    Keys it leaves out keep their saved values; ``null`` resets a key to its default
    (``{"slack": {"webhook_url": None}}`` removes the webhook).  A :class:`WorkspaceSettings`
    is accepted too, as an explicit whole replacement.

    ``actor`` is the :class:`Member` the host looked up in its roster (never one built from a
    request): only active owners and admins may save (``PermissionDenied`` otherwise, checked
    first).  The merged document is validated in full, webhook URL included, every problem with
    its path; changes based on another version than ``current``'s are a ``ConflictError``.

    >>> import datetime as dt
    >>> from notifpolicy import Member, Role
    >>> saved = WorkspaceSettings.from_dict({"timezone": "Europe/Amsterdam"})
    >>> result = save_workspace_settings(
    ...     saved, {"quiet_hours": {"enabled": True}, "version": 1},
    ...     actor=Member("olga", Role.OWNER), workspace_id="ws-1",
    ...     now=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    >>> result.value.timezone, result.value.quiet_hours.enabled, result.value.version
    ('Europe/Amsterdam', True, 2)
    """
    member = authorize(actor, Permission.CHANGE_SETTINGS)
    check_workspace_id(workspace_id)  # the audit entry's key starts with it
    now = require_aware(now, path="now")
    _check_current(current, WorkspaceSettings)
    checked = _settings_draft(
        current,
        changes,
        kinds=kinds,
        extra_webhook_hosts=extra_webhook_hosts,
        version_required=True,
    )
    return _bump(current, checked, member, workspace_id, now, "workspace_settings")


def save_member_preferences(
    current: MemberPreferences,
    changes: MemberPreferences | Mapping[str, Any],
    *,
    actor: Member,
    member_id: str,
    workspace_id: str,
    now: dt.datetime,
    kinds: KindRegistry | None = None,
) -> SaveResult[MemberPreferences]:
    """Check and prepare a save of one member's preferences.

    ``changes`` has the preferences document's shape, ``{"overrides": {kind: bool | {channel or
    "*": bool}}, "version": n}``, as a merge patch over ``current``: ``null`` for a kind or a
    channel removes that override (inherit the workspace default again), ``"overrides": null``
    removes them all; ``version`` is required.  A :class:`MemberPreferences` is accepted too,
    as an explicit whole replacement.

    ``actor`` is the :class:`Member` the host looked up in its roster: a member changes only
    their own (owners and admins included: personal settings are personal).  An override for a
    kind that is not overridable is a ``ValidationError`` naming the kind; versions are compared
    like the workspace settings'.
    """
    member = authorize(actor, Permission.CHANGE_PREFERENCES, member_id=member_id)
    check_workspace_id(workspace_id)  # the audit entry's key starts with it
    now = require_aware(now, path="now")
    _check_current(current, MemberPreferences)
    checked = _preferences_draft(current, changes, kinds=kinds, version_required=True)
    return _bump(current, checked, member, workspace_id, now, f"member_preferences:{member_id}")


def _bump(
    current: T, checked: T, actor: Member, workspace_id: str, now: dt.datetime, target: str
) -> SaveResult[T]:
    """The version check, the new version and the audit entry, shared by both saves."""
    if checked.version != current.version:
        raise ConflictError(expected=checked.version, actual=current.version, what=target)
    changes = _changes(current, checked)
    if not changes:
        return SaveResult(current, None)
    saved = attrs.evolve(checked, version=current.version + 1)
    entry = AuditEntry(workspace_id, actor.id, now, target, current.version, saved.version, changes)
    return SaveResult(saved, entry)
