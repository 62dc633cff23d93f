"""notifpolicy: sans-I/O notification policy for helpdesk workspaces.

The host passes facts and ``now`` in and gets frozen decisions, with reasons, out.  This module
is the whole public surface of the core; storage and delivery adapters live in their own modules
and are never imported from here.
"""

from __future__ import annotations

from notifpolicy._business_clock import business_due_at, business_time_between
from notifpolicy._business_hours import BusinessHours, OpeningRange
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._digest_schedule import DailyDigest, Weekday, WeeklyDigest
from notifpolicy._errors import (
    ConflictError,
    NotifPolicyError,
    PermissionDenied,
    Problem,
    StorageError,
    TransportError,
    ValidationError,
)
from notifpolicy._escalation import Escalation, due, next_check_at
from notifpolicy._frozen import FrozenMap
from notifpolicy._kinds import (
    BUILTIN_KINDS,
    MEMBER_CHANNELS,
    Channel,
    Kind,
    KindRegistry,
    Recipients,
    Role,
    SlackEvent,
)
from notifpolicy._preferences import (
    ALL_CHANNELS,
    EffectivePreference,
    MemberPreferences,
    PreferenceSource,
    effective_preference,
    preference_matrix,
)
from notifpolicy._quiet_hours import QuietHours, QuietMode
from notifpolicy._roster import Member, Roster
from notifpolicy._saving import (
    AuditEntry,
    FieldChange,
    SaveResult,
    diff,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy._secret import Secret
from notifpolicy._settings import (
    DigestSettings,
    EscalationRule,
    EscalationSettings,
    SettingsWarning,
    SlackSettings,
    WorkspaceSettings,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "ALL_CHANNELS",
    "BUILTIN_KINDS",
    "MEMBER_CHANNELS",
    "AuditEntry",
    "BusinessHours",
    "Channel",
    "ConflictError",
    "ConversationState",
    "ConversationStatus",
    "DailyDigest",
    "DigestSettings",
    "EffectivePreference",
    "Escalation",
    "EscalationRule",
    "EscalationSettings",
    "FieldChange",
    "FrozenMap",
    "Kind",
    "KindRegistry",
    "Member",
    "MemberPreferences",
    "NotifPolicyError",
    "OpeningRange",
    "PermissionDenied",
    "PreferenceSource",
    "Problem",
    "QuietHours",
    "QuietMode",
    "Recipients",
    "Role",
    "Roster",
    "SaveResult",
    "Secret",
    "SettingsWarning",
    "SlackEvent",
    "SlackSettings",
    "StorageError",
    "TransportError",
    "ValidationError",
    "Weekday",
    "WeeklyDigest",
    "WorkspaceSettings",
    "business_due_at",
    "business_time_between",
    "diff",
    "due",
    "effective_preference",
    "next_check_at",
    "preference_matrix",
    "save_member_preferences",
    "save_workspace_settings",
]
