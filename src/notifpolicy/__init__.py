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
from notifpolicy._digest import DigestReport, Insight, Trend, TrendMetric, build_report
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
    ValidationError,
)
from notifpolicy._escalation import Escalation, due, next_check_at
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
from notifpolicy._outbox import (
    SLACK_RECIPIENT,
    Delivery,
    OutboxItem,
    OutboxStatus,
    SendResult,
    SendStatus,
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

__version__ = "0.1.0.dev0"

__all__ = [
    "ALL_CHANNELS",
    "BUILTIN_KINDS",
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
    "OutboxStatus",
    "Outcome",
    "PeriodFigures",
    "PeriodTotals",
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
    "ValidationError",
    "Weekday",
    "WeeklyDigest",
    "WorkspaceSettings",
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
    "next_check_at",
    "period_figures",
    "period_totals",
    "preference_matrix",
    "render_digest",
    "save_member_preferences",
    "save_workspace_settings",
    "slack_payload",
]
