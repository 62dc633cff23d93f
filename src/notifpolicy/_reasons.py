"""Why a decision came out the way it did: stable machine-readable codes.

A :class:`Reason` is a code plus, where it matters, the kind it is about.  The codes are part of
the public contract: hosts store them, filter on them and show them; a code is never renamed or
reused for another meaning (new codes may be added).  The sentences for people come from the
message catalog (``explain``), in the reader's language; :attr:`ReasonCode.description` is the
English definition for developers, the one ``docs/concepts/decisions.md`` lists.

Reasons carry no per-decision data, so the decision engine shares one instance per (code, kind)
instead of allocating a new one for every member (:func:`reason`).
"""

from __future__ import annotations

import enum
import functools

import attrs

__all__ = ["QUIET_HOURS_CODES", "Reason", "ReasonCode", "reason"]


class ReasonCode(enum.Enum):
    """Why a decision delivers during quiet hours, or does not deliver.

    The values are stable strings; hosts may store them.
    """

    #: The member's own override turned this kind off on this channel (preference rules 2-3).
    DISABLED_BY_MEMBER = "disabled_by_member"
    #: The workspace default for this kind is off and the member has no override (rule 4).
    DISABLED_BY_WORKSPACE = "disabled_by_workspace"
    #: Disabled by the workspace: the kind's workspace rule is switched off (an escalation rule,
    #: a digest schedule), for every member and for Slack alike.
    RULE_DISABLED = "rule_disabled"
    #: No Slack webhook URL is set.
    SLACK_NOT_CONFIGURED = "slack_not_configured"
    #: None of the kinds' Slack events is selected in ``slack.events``.
    SLACK_EVENT_NOT_SELECTED = "slack_event_not_selected"
    #: Held by quiet hours in ``suppress`` mode: dropped.
    QUIET_HOURS_SUPPRESS = "quiet_hours_suppress"
    #: Held by quiet hours in ``defer`` mode: delivered when quiet hours end (``deliver_at``).
    QUIET_HOURS_DEFER = "quiet_hours_defer"
    #: Held by quiet hours in ``summarize`` mode: dropped here, counted in the member's catch-up
    #: summary when quiet hours end (Slack: dropped, the catch-up is per member).
    QUIET_HOURS_SUMMARIZE = "quiet_hours_summarize"
    #: Delivered during quiet hours because a kind is critical (escalations).
    CRITICAL_BYPASSES_QUIET_HOURS = "critical_bypasses_quiet_hours"
    #: Delivered during quiet hours because the kind is exempt from them (digests, the catch-up).
    QUIET_HOURS_EXEMPT = "quiet_hours_exempt"

    @property
    def description(self) -> str:
        """The English definition of the code (for developers; people get the catalog's)."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    ReasonCode.DISABLED_BY_MEMBER: "turned off in the member's personal settings",
    ReasonCode.DISABLED_BY_WORKSPACE: "the workspace default for the kind is off",
    ReasonCode.RULE_DISABLED: "the workspace rule for the kind is switched off",
    ReasonCode.SLACK_NOT_CONFIGURED: "no Slack webhook URL is set",
    ReasonCode.SLACK_EVENT_NOT_SELECTED: "the kind's Slack event is not selected",
    ReasonCode.QUIET_HOURS_SUPPRESS: "held by quiet hours, mode suppress: dropped",
    ReasonCode.QUIET_HOURS_DEFER: "held by quiet hours, mode defer: delivered when they end",
    ReasonCode.QUIET_HOURS_SUMMARIZE: "held by quiet hours, mode summarize: in the catch-up",
    ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS: "critical: bypasses quiet hours",
    ReasonCode.QUIET_HOURS_EXEMPT: "exempt from quiet hours",
}

QUIET_HOURS_CODES = frozenset(
    {
        ReasonCode.QUIET_HOURS_SUPPRESS,
        ReasonCode.QUIET_HOURS_DEFER,
        ReasonCode.QUIET_HOURS_SUMMARIZE,
        ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS,
        ReasonCode.QUIET_HOURS_EXEMPT,
    }
)
"""The codes that are about quiet hours (the rest are about preferences and Slack)."""


@attrs.frozen
class Reason:
    """One reason: a :class:`ReasonCode` and the kind it is about, if it is about one kind.

    Preference and rule reasons name their kind (a decision can list several kinds, each off for
    its own reason); quiet-hours and Slack-configuration reasons apply to the whole decision.

    >>> Reason(ReasonCode.DISABLED_BY_MEMBER, "mention")
    Reason(code=<ReasonCode.DISABLED_BY_MEMBER: 'disabled_by_member'>, kind='mention')
    >>> str(Reason(ReasonCode.SLACK_NOT_CONFIGURED))
    'slack_not_configured'
    """

    code: ReasonCode
    kind: str | None = None

    def __str__(self) -> str:
        return self.code.value if self.kind is None else f"{self.code.value} ({self.kind})"


@functools.cache
def reason(code: ReasonCode, kind: str | None = None) -> Reason:
    """The shared :class:`Reason` for ``(code, kind)`` (equal to a new one, allocated once)."""
    return Reason(code, kind)
