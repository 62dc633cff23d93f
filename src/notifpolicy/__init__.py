"""notifpolicy: sans-I/O notification policy for helpdesk workspaces.

The host passes facts and ``now`` in and gets frozen decisions, with reasons, out.  This module
is the whole public surface of the core; storage and delivery adapters live in their own modules
and are never imported from here.
"""

from __future__ import annotations

from notifpolicy._business_clock import business_due_at, business_time_between
from notifpolicy._business_hours import BusinessHours, OpeningRange
from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CatchUp, build_catchups, catchup_text
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._decide import decide
from notifpolicy._decision import SLACK_CHANNEL, Decision, Outcome, Recipient, Ruling, SlackTarget
from notifpolicy._digest import DigestReport, Insight, Trend, TrendMetric, Verdict, build_report
from notifpolicy._digest_render import RenderedDigest, render_digest
from notifpolicy._digest_report import (
    AgentFigures,
    ConversationRecord,
    PeriodFigures,
    PeriodTotals,
    Reply,
    period_figures,
    period_totals,
)
from notifpolicy._digest_schedule import DailyDigest, DigestPeriod, Weekday, WeeklyDigest
from notifpolicy._errors import (
    PROBLEM_CODES,
    ConflictError,
    NotifPolicyError,
    PermissionDenied,
    Problem,
    StorageError,
    TransportError,
    UnreadableRowsError,
    ValidationError,
)
from notifpolicy._escalation import Escalation, due, next_check_at
from notifpolicy._escalation_key import (
    ESCALATION_KINDS,
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
    EscalationKey,
)
from notifpolicy._events import (
    ConversationCreated,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    Event,
    HostEvent,
    MemberMentioned,
    SlaBreached,
)
from notifpolicy._explain import explain, explain_decision
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
from notifpolicy._merge_patch import merge_patch
from notifpolicy._outbox import (
    SLACK_RECIPIENT,
    Delivery,
    OutboxItem,
    OutboxMark,
    OutboxStats,
    OutboxStatus,
    SendResult,
    SendStatus,
    WakeUp,
    outbox_items,
    retry_at,
)
from notifpolicy._permissions import Permission, allowed, authorize, settings_view
from notifpolicy._preferences import (
    ALL_CHANNELS,
    EffectivePreference,
    MemberPreferences,
    PreferenceSource,
    effective_preference,
    preference_matrix,
)
from notifpolicy._quiet_hours import QuietHours, QuietMode
from notifpolicy._reasons import Reason, ReasonCode
from notifpolicy._roster import Member, Roster
from notifpolicy._saving import (
    AuditEntry,
    FieldChange,
    SaveResult,
    check_stored_version,
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
from notifpolicy._slack_payload import escape_slack, slack_payload
from notifpolicy._version import __version__ as __version__

__all__ = [
    "ALL_CHANNELS",
    "BUILTIN_KINDS",
    "ESCALATION_KINDS",
    "KIND_FIRST_RESPONSE",
    "KIND_SLA_BREACH",
    "KIND_UNASSIGNED",
    "MEMBER_CHANNELS",
    "PROBLEM_CODES",
    "SLACK_CHANNEL",
    "SLACK_RECIPIENT",
    "AgentFigures",
    "AuditEntry",
    "BusinessHours",
    "CatchUp",
    "Channel",
    "ConflictError",
    "ConversationCreated",
    "ConversationRecord",
    "ConversationState",
    "ConversationStatus",
    "ConversationUnassigned",
    "DailyDigest",
    "Decision",
    "Delivery",
    "DigestPeriod",
    "DigestReady",
    "DigestReport",
    "DigestSettings",
    "EffectivePreference",
    "Escalation",
    "EscalationDue",
    "EscalationKey",
    "EscalationRule",
    "EscalationSettings",
    "Event",
    "FieldChange",
    "FrozenMap",
    "HostEvent",
    "Insight",
    "Kind",
    "KindRegistry",
    "Member",
    "MemberMentioned",
    "MemberPreferences",
    "MessageCatalog",
    "NotifPolicyError",
    "OpeningRange",
    "OutboxItem",
    "OutboxMark",
    "OutboxStats",
    "OutboxStatus",
    "Outcome",
    "PeriodFigures",
    "PeriodTotals",
    "Permission",
    "PermissionDenied",
    "PreferenceSource",
    "Problem",
    "QuietHours",
    "QuietMode",
    "Reason",
    "ReasonCode",
    "Recipient",
    "Recipients",
    "RenderedDigest",
    "Reply",
    "Role",
    "Roster",
    "Ruling",
    "SaveResult",
    "Secret",
    "SendResult",
    "SendStatus",
    "SettingsWarning",
    "SlaBreached",
    "SlackEvent",
    "SlackSettings",
    "SlackTarget",
    "StorageError",
    "TransportError",
    "Trend",
    "TrendMetric",
    "UnreadableRowsError",
    "ValidationError",
    "Verdict",
    "WakeUp",
    "Weekday",
    "WeeklyDigest",
    "WorkspaceSettings",
    "allowed",
    "authorize",
    "build_catchups",
    "build_report",
    "business_due_at",
    "business_time_between",
    "catchup_text",
    "check_stored_version",
    "decide",
    "diff",
    "due",
    "effective_preference",
    "escape_slack",
    "explain",
    "explain_decision",
    "merge_patch",
    "next_check_at",
    "outbox_items",
    "period_figures",
    "period_totals",
    "preference_matrix",
    "render_digest",
    "retry_at",
    "save_member_preferences",
    "save_workspace_settings",
    "settings_view",
    "slack_payload",
]


def _present_as_public() -> None:
    """Name the public exceptions after the package that exports them.

    They are defined in the private ``_errors`` module; without this a host's traceback reads
    ``notifpolicy._errors.ValidationError``, naming a module nobody imports.  Only exceptions:
    a traceback names their class, and other values keep the module they are defined in, where
    ``doctest`` and Sphinx find their examples.  Pickling still finds each one, as
    ``notifpolicy.<name>``.
    """
    namespace = globals()
    for name in __all__:
        value = namespace[name]
        if isinstance(value, type) and issubclass(value, BaseException):
            value.__module__ = __name__


_present_as_public()
