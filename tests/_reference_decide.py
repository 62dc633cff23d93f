"""A plain reference for ``decide``: the product's rules written out one by one, not fast.

The equivalence property in ``test_decide_reference.py`` compares the engine with this on
generated workspaces, so that the engine's caches and fast paths can never change a decision.
Everything here follows the documented rules directly (docs/concepts/decisions.md,
preferences.md, kinds.md) and shares nothing with the engine but the value types and the public
``effective_preference``:

- Recipients (kinds): each kind's ``recipients`` against the event's facts; only active members;
  a mention never goes to its author; an SLA breach whose assignee is missing or deactivated
  goes to every active member.
- Member decisions: active members in roster order, then channels in ``in_app, email, push``
  order; one decision per channel the member is offered and at least one of their kinds can use.
  Per kind, first match wins: its workspace switch is off -> ``rule_disabled``; the effective
  preference (rules 1-4) is off -> ``disabled_by_member`` or ``disabled_by_workspace``.  The
  decision is about the kinds that are on, if any (then quiet hours may hold it); else it is a
  suppression about every kind, each with its reason.
- Quiet hours, for kinds that are on: outside them, deliver with no reason; a critical kind
  delivers ("critical: bypasses quiet hours"); an exempt kind delivers ("exempt"); else the mode
  holds it (suppress / defer at ``quiet_until(now)`` / summarize), ``held_until`` the same instant.
- Slack, last: only kinds with a Slack event; their switches -> webhook -> selected events ->
  quiet hours.  The members' defaults are not consulted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from notifpolicy import (
    Channel,
    KindRegistry,
    Member,
    MemberPreferences,
    PreferenceSource,
    Recipients,
    Roster,
    WorkspaceSettings,
    effective_preference,
)
from notifpolicy._decision import SLACK_CHANNEL, Decision, Outcome
from notifpolicy._events import Event
from notifpolicy._kinds import Kind
from notifpolicy._quiet_hours import QuietMode
from notifpolicy._reasons import Reason, ReasonCode

MEMBER_CHANNEL_ORDER = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)


def reference_decide(
    event: Event,
    *,
    settings: WorkspaceSettings,
    roster: Roster,
    preferences: Mapping[str, MemberPreferences],
    now: dt.datetime,
    kinds: KindRegistry | None = None,
) -> tuple[Decision, ...]:
    registry = kinds or KindRegistry.default()
    event_kinds = [registry.get(name) for name in event.kinds]
    qh = settings.quiet_hours
    quiet = qh.is_quiet(now, settings.timezone)
    until = qh.quiet_until(now, settings.timezone) if quiet else None

    def decision(
        recipient: object,
        channel: Channel,
        about: list[Kind],
        outcome: Outcome,
        reasons: list[Reason],
        deliver_at: dt.datetime | None = None,
        held_until: dt.datetime | None = None,
    ) -> Decision:
        return Decision.of(
            recipient,  # type: ignore[arg-type]
            channel,
            [k.name for k in about],
            event_id=event.id,
            conversation_id=event.conversation_id,
            outcome=outcome,
            reasons=reasons,
            deliver_at=deliver_at,
            held_until=held_until,
        )

    def timed(
        recipient: object, channel: Channel, on: list[Kind], dropped: list[Reason]
    ) -> Decision:
        """``on``: the kinds that are on; ``dropped``: why the others are off (they follow)."""
        if not quiet:
            return decision(recipient, channel, on, Outcome.DELIVER, dropped)
        if any(k.critical for k in on):
            why = Reason(ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS)
            return decision(recipient, channel, on, Outcome.DELIVER, [why, *dropped])
        if any(k.quiet_hours_exempt for k in on):
            why = Reason(ReasonCode.QUIET_HOURS_EXEMPT)
            return decision(recipient, channel, on, Outcome.DELIVER, [why, *dropped])
        if qh.mode is QuietMode.SUPPRESS:
            why = Reason(ReasonCode.QUIET_HOURS_SUPPRESS)
            return decision(recipient, channel, on, Outcome.SUPPRESS, [why, *dropped], None, until)
        if qh.mode is QuietMode.DEFER:
            why = Reason(ReasonCode.QUIET_HOURS_DEFER)
            return decision(recipient, channel, on, Outcome.DEFER, [why, *dropped], until, until)
        why = Reason(ReasonCode.QUIET_HOURS_SUMMARIZE)
        return decision(recipient, channel, on, Outcome.SUPPRESS, [why, *dropped], None, until)

    def switched_on(kind: Kind) -> bool:
        return kind.switch is None or settings.switch(kind.switch)

    def receives(member: Member, kind: Kind) -> bool:
        if not member.active:
            return False
        who = kind.recipients
        if who is Recipients.ALL_MEMBERS:
            return True
        if who is Recipients.ADMINS:
            return member.role.is_admin
        if who is Recipients.ASSIGNEE_OR_ALL:
            assignee = roster.get(event.assignee) if event.assignee is not None else None
            if assignee is None or not assignee.active:
                return True  # as if unassigned
            return member.id == assignee.id
        if who is Recipients.MENTIONED:
            return member.id in event.mentioned and member.id != event.author_id
        return member.id in event.held_for

    out: list[Decision] = []
    for member in roster:
        theirs = [k for k in event_kinds if receives(member, k)]
        own = preferences.get(member.id)
        for channel in MEMBER_CHANNEL_ORDER:
            if channel not in member.channels:
                continue
            applicable = [k for k in theirs if channel in k.channels]
            if not applicable:
                continue
            on: list[Kind] = []
            off: list[tuple[Kind, ReasonCode]] = []
            for kind in applicable:
                if not switched_on(kind):
                    off.append((kind, ReasonCode.RULE_DISABLED))
                    continue
                pref = effective_preference(kind, channel, settings=settings, preferences=own)
                if pref.enabled:
                    on.append(kind)
                elif pref.source is PreferenceSource.WORKSPACE_DEFAULT:
                    off.append((kind, ReasonCode.DISABLED_BY_WORKSPACE))
                else:
                    off.append((kind, ReasonCode.DISABLED_BY_MEMBER))
            reasons = [Reason(code, k.name) for k, code in off]
            if on:
                out.append(timed(member.id, channel, on, reasons))
            else:
                out.append(
                    decision(member.id, channel, [k for k, _ in off], Outcome.SUPPRESS, reasons)
                )

    routed = [k for k in event_kinds if k.slack_event is not None]
    if routed:
        live = [k for k in routed if switched_on(k)]
        selected = [k for k in live if k.slack_event in settings.slack.events]
        if not live:
            reasons = [Reason(ReasonCode.RULE_DISABLED, k.name) for k in routed]
            out.append(decision(SLACK_CHANNEL, Channel.SLACK, routed, Outcome.SUPPRESS, reasons))
        elif settings.slack.webhook_url is None:
            reasons = [Reason(ReasonCode.SLACK_NOT_CONFIGURED)]
            out.append(decision(SLACK_CHANNEL, Channel.SLACK, live, Outcome.SUPPRESS, reasons))
        elif not selected:
            reasons = [Reason(ReasonCode.SLACK_EVENT_NOT_SELECTED, k.name) for k in live]
            out.append(decision(SLACK_CHANNEL, Channel.SLACK, live, Outcome.SUPPRESS, reasons))
        else:
            dropped = [
                Reason(ReasonCode.RULE_DISABLED, k.name)
                if not switched_on(k)
                else Reason(ReasonCode.SLACK_EVENT_NOT_SELECTED, k.name)
                for k in routed
                if k not in selected
            ]
            out.append(timed(SLACK_CHANNEL, Channel.SLACK, selected, dropped))
    return tuple(out)
