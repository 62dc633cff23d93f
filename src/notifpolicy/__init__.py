"""notifpolicy: sans-I/O notification policy for helpdesk workspaces.

The host passes facts and ``now`` in and gets frozen decisions, with reasons, out.  This module
is the whole public surface of the core; storage and delivery adapters live in their own modules
and are never imported from here.

Where everything is: one line a module, grouped by layer.  A layer imports only the layers its
heading names (``tests/test_layers.py`` checks both the imports and that this map is complete;
``docs/concepts/modules.md`` is the same map for readers)::

    core: pure policy, no I/O and no clock; imports no other layer
      __init__.py               this public surface: every public name, re-exported
      _business_clock.py        the SLA clock: elapsed time counted only while open
      _business_hours.py        business hours: weekly opening ranges and dated closures
      _catalog.py               the message catalog: every text for people, per language
      _catchup.py               the quiet-hours catch-up summary, one per member and period
      _conversation.py          a conversation's state, the facts escalations use
      _decide.py                decide: who gets an event, on which channel, when, why
      _decision.py              the decision values: Decision, Ruling, Outcome
      _digest_figures.py        a period's figures from conversation records
      _digest_html.py           the digest email's sections, and their HTML
      _digest_render.py         a digest report as an email: subject, text, HTML
      _digest_report.py         the digest report: figures, trends, insights
      _digest_schedule.py       digest schedules: the daily summary, the weekly report
      _digest_texts.py          the digest emails' texts, English and Dutch
      _errors.py                the exception hierarchy, Problem, and quoting of values
      _escalation.py            escalations: which are due now, and when to look again
      _escalation_key.py        an escalation's ledger key, built, parsed and read
      _events.py                the facts a host reports, as frozen events
      _explain.py               decisions told to a person: "why didn't I get this?"
      _frozen.py                FrozenMap, a hashable immutable mapping
      _keys.py                  store keys made of host ids, each part escaped
      _kinds.py                 notification kinds as data: one table of attributes
      _loader.py                Reader: every problem of an input at once, with paths
      _merge_patch.py           JSON merge patch (RFC 7396) for saves
      _outbox.py                outbox values, and the items, texts and retries made of them
      _permissions.py           who may do what, one row per permission
      _preferences.py           member preferences and their numbered resolution rules
      _quiet_hours.py           quiet hours: one daily window of local wall-clock time
      _reasons.py               why a decision came out so: stable reason codes
      _roster.py                members and the workspace roster
      _saving.py                saving settings: authorize, merge, validate, audit
      _secret.py                Secret: keeps the webhook URL out of reprs and logs
      _settings.py              workspace settings, one value per version, read strictly
      _slack_payload.py         the Slack message for a Slack decision
      _timeutil.py              small strict time helpers (aware instants, zones)
      _unsubscribe.py           the one-click unsubscribe URL of a digest (RFC 8058)
      _values.py                checks shared by value constructors and the loader
      _version.py               the package version
      _webhook.py               the exact check of a Slack incoming-webhook URL
      _zonecache.py             per-zone offset tables: a UTC offset at any instant
    ports: the Protocols a host or an adapter implements; imports the core
      ports.py                  Store and its parts, the sources, Clock, Transport
    service: the shell that calls ports and holds a clock; imports core and ports
      service.py                NotificationService (handle, tick, saves), TickReport
    adapters: real I/O behind the ports; imports core and ports, never the service
      adapters/__init__.py      the reference adapters, listed
      adapters/_deadline.py     an overall deadline for one send
      adapters/_rows.py         what the SQL stores share: row decoding, schema, audit rows
      adapters/clock.py         SystemClock, the real clock; ManualClock, moved by hand
      adapters/memory.py        InMemoryStore and RecordingTransport: no I/O at all
      adapters/postgres.py      PostgresStore and PostgresListener: one PostgreSQL schema
      adapters/slack.py         SlackWebhookTransport, on http.client and ssl
      adapters/smtp.py          SmtpTransport, on smtplib
      adapters/sqlite.py        SqliteStore: every store port in one SQLite file
    runners: loops a host runs around the service; imports core, ports, service, adapters
      worker.py                 run_worker: one loop serving many workspaces
      _simulation/__init__.py   the simulation engine, shared by the CLI and the testing kit
      _simulation/host.py       the helpdesk's side: conversations and the events they make
      _simulation/run.py        plays a day through the real service, records it
      _simulation/summary.py    the figures of a simulated day
      _simulation/traffic.py    a day of made-up helpdesk traffic from a seeded RNG
      _simulation/wake.py       the wake loop: tick whenever the service asks to be woken
    cli: the notifpolicy command; imports anything but the testing kit
      __main__.py               python -m notifpolicy
      cli/__init__.py           main and the argument parser of the command
      cli/_check.py             check: is a settings file valid, any warnings?
      cli/_common.py            what every command shares: loading, text or JSON output
      cli/_diff.py              diff: what saving NEW over OLD would change
      cli/_explain.py           explain: who gets one event, how, and why
      cli/_outbox.py            outbox: failed, requeue and stats on a SQLite store
      cli/_schedule.py          schedule: quiet periods and digest sends ahead
      cli/_sim_progress.py      simulate's progress bar on stderr
      cli/_sim_report.py        a simulated day as text or JSON
      cli/_simulate.py          simulate: a day of made-up traffic through the service
      cli/_team.py              the members explain decides for
      cli/_time.py              instants on the command line, read and shown
    testing: for tests only (only tests import it); imports anything but the CLI
      testing/__init__.py       fakes, Hypothesis strategies, a pytest plugin
      testing/_decision_strategies.py  strategies for rosters, events, preferences
      testing/_settings_strategies.py  strategies for settings values
      testing/fakes.py          InMemoryStore, ManualClock, RecordingTransport, re-exported
      testing/plugin.py         the pytest plugin (registered as notifpolicy)
      testing/strategies.py     the public Hypothesis strategies
      testing/workspace.py      Workspace: one workspace under test
"""

from __future__ import annotations

from notifpolicy._business_clock import business_due_at, business_time_between
from notifpolicy._business_hours import BusinessHours, OpeningRange
from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CatchUp, build_catchups, catchup_text
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._decide import decide
from notifpolicy._decision import SLACK_CHANNEL, Decision, Outcome, Recipient, Ruling, SlackTarget
from notifpolicy._digest_figures import (
    AgentFigures,
    ConversationRecord,
    PeriodFigures,
    PeriodTotals,
    Reply,
    period_figures,
    period_totals,
)
from notifpolicy._digest_render import RenderedDigest, render_digest
from notifpolicy._digest_report import (
    DigestReport,
    Insight,
    Trend,
    TrendMetric,
    Verdict,
    build_report,
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
