"""Who may do what, as data: one row per permission, with the product rule it carries.

The functions here take the :class:`Member` the host looked up in its roster; they trust its
role and active flag, so they must never be given a member built from what a request claims.
The service looks the actor up by id itself (the roster decides who asks); the pure functions
leave that lookup to the host.  A deactivated member may do nothing here, and neither may
``None`` (what ``Roster.get`` returns for an unknown id): both are ``PermissionDenied``.
"""

from __future__ import annotations

import enum
from typing import Any, cast

import attrs

from notifpolicy._errors import PermissionDenied, ValidationError
from notifpolicy._kinds import Role
from notifpolicy._roster import Member
from notifpolicy._settings import WorkspaceSettings

__all__ = ["Permission", "allowed", "authorize", "settings_view"]


class Permission(enum.Enum):
    """Something a member may be allowed to do; see :func:`allowed`."""

    READ_SETTINGS = "read_settings"
    SEE_WEBHOOK_URL = "see_webhook_url"
    CHANGE_SETTINGS = "change_settings"
    CHANGE_PREFERENCES = "change_preferences"
    READ_AUDIT_LOG = "read_audit_log"


@attrs.frozen
class _Rule:
    roles: frozenset[Role]
    own_only: bool  # only for the actor's own member id
    what: str  # completes "may not ..." in the refusal


_ADMINS = frozenset(r for r in Role if r.is_admin)
_EVERYONE = frozenset(Role)

_RULES = {
    # Any member may read the workspace settings ...
    Permission.READ_SETTINGS: _Rule(_EVERYONE, False, "read the workspace settings"),
    # ... but the Slack webhook URL is shown only to admins, redacted everywhere else.
    Permission.SEE_WEBHOOK_URL: _Rule(_ADMINS, False, "see the Slack webhook URL"),
    # Only admins may change the workspace settings.
    Permission.CHANGE_SETTINGS: _Rule(_ADMINS, False, "change workspace settings"),
    # A member changes only their own preferences (owners and admins included: personal
    # settings are personal).
    Permission.CHANGE_PREFERENCES: _Rule(_EVERYONE, True, "change this member's preferences"),
    # Admins may read the audit log; agents may not.
    Permission.READ_AUDIT_LOG: _Rule(_ADMINS, False, "read the audit log"),
}


def _refusal(actor: object, permission: Permission, member_id: str | None) -> str | None:
    """Why ``actor`` may not, or ``None`` when it may; not a member at all is a misuse."""
    rule = _RULES[permission]
    if actor is None:
        # What Roster.get gives for an id it does not know: nobody may do anything.
        return f"the actor is not a member of the workspace, so may not {rule.what}"
    if not isinstance(actor, Member):
        raise ValidationError.single(
            "actor", "type", f"must be a Member, got {type(actor).__name__}"
        )
    if not actor.active:
        return f"{actor.id} is deactivated and may not {rule.what}"
    if actor.role not in rule.roles:
        roles = " and ".join(f"{r.value}s" for r in Role if r in rule.roles)
        return f"only {roles} can {rule.what}; {actor.id} is {actor.role.value}"
    if rule.own_only and member_id != actor.id:
        return f"{actor.id} may change only their own preferences, not {member_id}'s"
    return None


def allowed(actor: Member | None, permission: Permission, *, member_id: str | None = None) -> bool:
    """Whether ``actor`` (as the roster has them) may do it; ``member_id``: whose preferences.

    ``None`` (what ``Roster.get`` returns for an unknown id) may do nothing.

    >>> agent = Member("anna", Role.AGENT)
    >>> allowed(agent, Permission.READ_SETTINGS), allowed(agent, Permission.READ_AUDIT_LOG)
    (True, False)
    >>> allowed(agent, Permission.CHANGE_PREFERENCES, member_id="anna")
    True
    """
    return _refusal(actor, permission, member_id) is None


def authorize(
    actor: Member | None, permission: Permission, *, member_id: str | None = None
) -> Member:
    """``actor`` when :func:`allowed`, else :class:`~notifpolicy.PermissionDenied` saying why.

    Anything but a :class:`Member` or ``None`` is a :class:`~notifpolicy.ValidationError` at
    ``actor``.
    """
    refusal = _refusal(actor, permission, member_id)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return cast("Member", actor)  # _refusal said yes: so it is a member


def settings_view(settings: WorkspaceSettings, *, actor: Member | None) -> dict[str, Any]:
    """The settings document ``actor`` may see: webhook URL in clear for admins only.

    >>> s = WorkspaceSettings.from_dict(
    ...     {"slack": {"webhook_url": "https://hooks.slack.com/services/T0/B0/x"}})
    >>> settings_view(s, actor=Member("anna", Role.AGENT))["slack"]["webhook_url"]
    '<redacted>'
    """
    member = authorize(actor, Permission.READ_SETTINGS)
    if allowed(member, Permission.SEE_WEBHOOK_URL):
        return settings.to_dict()
    return settings.redacted()
