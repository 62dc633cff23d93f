"""Decisions told to a person: "why didn't I get this?"

``explain`` renders one line per decision, in the reader's language, from the message catalog:

    Anna does not get an email (mention): they turned off mention notifications by email in
    their personal settings.
    Slack: not sent (new conversation): held by quiet hours 22:00-08:00 Europe/Amsterdam, mode
    suppress.

Quiet-hours texts show the window and zone of the ``settings`` passed in (normally the ones the
decisions were made with).  Nothing here reads the Slack webhook URL, so no explanation can show
it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from notifpolicy._catalog import MessageCatalog
from notifpolicy._decision import Decision, Outcome
from notifpolicy._errors import ValidationError
from notifpolicy._kinds import Channel, KindRegistry
from notifpolicy._loader import Reader
from notifpolicy._reasons import Reason, ReasonCode
from notifpolicy._roster import Roster
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._timeutil import format_hhmm

__all__ = ["explain", "explain_decision"]


class _Context:
    """What every line needs: the catalog and language, names, the quiet-hours window."""

    def __init__(
        self,
        roster: Roster,
        settings: WorkspaceSettings,
        language: str,
        catalog: MessageCatalog,
        kinds: KindRegistry,
    ) -> None:
        self.roster = roster
        self.settings = settings
        self.language = language
        self.catalog = catalog
        self.kinds = kinds
        self.window = settings.quiet_hours.describe()

    def text(self, key: str, /, **fields: object) -> str:
        return self.catalog.text(self.language, key, **fields)

    def label(self, kind: str | None) -> str:
        return self.catalog.kind_label(self.language, kind or "")

    def when(self, instant: dt.datetime | None) -> str:
        """An instant as the workspace's local wall clock, ``2026-03-03 08:00``."""
        if instant is None:
            return ""
        local = instant.astimezone(self.settings.zone)
        return f"{local.date().isoformat()} {format_hhmm(local.time())}"

    def name(self, decision: Decision) -> str:
        member_id = decision.member_id or ""
        member = self.roster.get(member_id)
        return member.name if member is not None else member_id


def _member_off(ctx: _Context, why: Reason, d: Decision) -> str:
    via = ctx.text(f"channel.{d.channel.value}.via")
    return ctx.text("reason.disabled_by_member", kind=ctx.label(why.kind), channel_via=via)


def _workspace_off(ctx: _Context, why: Reason, d: Decision) -> str:
    return ctx.text("reason.disabled_by_workspace", kind=ctx.label(why.kind))


def _rule_off(ctx: _Context, why: Reason, d: Decision) -> str:
    kind = ctx.kinds.kinds.get(why.kind or "")
    key = f"rule.{kind.switch}" if kind is not None and kind.switch else ""
    if key and ctx.catalog.has(ctx.language, key):
        rule = ctx.text(key)
    else:
        rule = ctx.text("rule._unnamed", kind=ctx.label(why.kind))
    return ctx.text("reason.rule_disabled", rule=rule)


def _not_configured(ctx: _Context, why: Reason, d: Decision) -> str:
    return ctx.text("reason.slack_not_configured")


def _not_selected(ctx: _Context, why: Reason, d: Decision) -> str:
    kind = ctx.kinds.kinds.get(why.kind or "")
    event = kind.slack_event if kind is not None else None
    phrase = ctx.text(f"slack_event.{event.value}") if event is not None else ctx.label(why.kind)
    return ctx.text("reason.slack_event_not_selected", slack_event=phrase)


def _quiet(key: str) -> Callable[[_Context, Reason, Decision], str]:
    def render(ctx: _Context, why: Reason, d: Decision) -> str:
        # Held Slack messages in summarize mode are dropped, not summarized: say so.
        slack_key = f"{key}.slack"
        if d.channel is Channel.SLACK and ctx.catalog.has(ctx.language, slack_key):
            chosen = slack_key
        else:
            chosen = key
        return ctx.text(
            chosen,
            window=ctx.window,
            zone=ctx.settings.timezone,
            when=ctx.when(d.deliver_at),
        )

    return render


# One renderer per code: a new code without a sentence fails the catalog tests.
_RENDER: dict[ReasonCode, Callable[[_Context, Reason, Decision], str]] = {
    ReasonCode.DISABLED_BY_MEMBER: _member_off,
    ReasonCode.DISABLED_BY_WORKSPACE: _workspace_off,
    ReasonCode.RULE_DISABLED: _rule_off,
    ReasonCode.SLACK_NOT_CONFIGURED: _not_configured,
    ReasonCode.SLACK_EVENT_NOT_SELECTED: _not_selected,
    ReasonCode.QUIET_HOURS_SUPPRESS: _quiet("reason.quiet_hours_suppress"),
    ReasonCode.QUIET_HOURS_DEFER: _quiet("reason.quiet_hours_defer"),
    ReasonCode.QUIET_HOURS_SUMMARIZE: _quiet("reason.quiet_hours_summarize"),
    ReasonCode.CRITICAL_BYPASSES_QUIET_HOURS: _quiet("reason.critical_bypasses_quiet_hours"),
    ReasonCode.QUIET_HOURS_EXEMPT: _quiet("reason.quiet_hours_exempt"),
}


def _reasons(ctx: _Context, d: Decision, reasons: Iterable[Reason]) -> str:
    return ctx.text("reasons.separator").join(_RENDER[r.code](ctx, r, d) for r in reasons)


def _line(ctx: _Context, d: Decision) -> str:
    # A reason about a kind the decision is not about says why that kind of the event did not
    # count (new_conversation off, unassigned_conversation on): told after the outcome.
    own = [r for r in d.reasons if r.kind is None or r.kind in d.kinds]
    dropped = [r for r in d.reasons if r.kind is not None and r.kind not in d.kinds]
    reasons = _reasons(ctx, d, own)
    kinds = ctx.catalog.kind_list(ctx.language, d.kinds)
    outcome = d.outcome.value
    because = ".because" if d.outcome is Outcome.DELIVER and own else ""
    if d.is_slack:
        line = ctx.text(f"explain.slack.{outcome}{because}", kinds=kinds, reasons=reasons)
    else:
        form = "none" if d.outcome is Outcome.SUPPRESS else "noun"
        line = ctx.text(
            f"explain.{outcome}{because}",
            name=ctx.name(d),
            channel=ctx.text(f"channel.{d.channel.value}.{form}"),
            kinds=kinds,
            reasons=reasons,
        )
    if not dropped:
        return line
    names = ctx.catalog.kind_list(ctx.language, tuple(dict.fromkeys(r.kind or "" for r in dropped)))
    return f"{line} {ctx.text('explain.dropped', kinds=names, reasons=_reasons(ctx, d, dropped))}"


def _context(
    r: Reader,
    roster: object,
    settings: object,
    language: object,
    catalog: object,
    kinds: object,
) -> _Context | None:
    """The context for the lines, or ``None`` with the arguments' problems recorded in ``r``."""
    ok = r.instance("roster", roster, Roster, "must be a Roster")
    ok &= r.instance("settings", settings, WorkspaceSettings, "must be a WorkspaceSettings")
    catalog_ok = r.instance(
        "catalog", catalog, (MessageCatalog, type(None)), "must be a MessageCatalog or None"
    )
    ok &= r.instance("kinds", kinds, (KindRegistry, type(None)), "must be a KindRegistry or None")
    if not catalog_ok:
        return None  # the language is checked against the catalog
    chosen = catalog if isinstance(catalog, MessageCatalog) else MessageCatalog.default()
    # An unknown language fails here.
    ok &= r.checked(lambda: chosen.messages(language)) is not None  # type: ignore[arg-type]
    if not ok:
        return None
    return _Context(
        roster,  # type: ignore[arg-type]
        settings,  # type: ignore[arg-type]
        language,  # type: ignore[arg-type]
        chosen,
        kinds if isinstance(kinds, KindRegistry) else KindRegistry.default(),
    )


def explain_decision(
    decision: Decision,
    *,
    roster: Roster,
    settings: WorkspaceSettings,
    language: str = "en",
    catalog: MessageCatalog | None = None,
    kinds: KindRegistry | None = None,
) -> str:
    """One decision as a sentence (see :func:`explain`)."""
    return explain(
        (decision,),
        roster=roster,
        settings=settings,
        language=language,
        catalog=catalog,
        kinds=kinds,
    )


def explain(
    decisions: Iterable[Decision],
    *,
    roster: Roster,
    settings: WorkspaceSettings,
    language: str = "en",
    catalog: MessageCatalog | None = None,
    kinds: KindRegistry | None = None,
) -> str:
    """A person-readable account of ``decisions``: one line each, in their order.

    Members are named by their display name (their id if they are no longer in the roster).
    ``language`` picks the catalog's language (``"en"``, ``"nl"``, or one the host added);
    ``kinds`` is the host's registry, for the names of its rules and Slack events.

    >>> from notifpolicy import Channel, Member, Role, Roster, WorkspaceSettings
    >>> from notifpolicy import Decision, Outcome
    >>> from notifpolicy import Reason, ReasonCode
    >>> d = Decision.of("ann", Channel.EMAIL, ("mention",), event_id="e1", conversation_id="c1",
    ...                 outcome=Outcome.SUPPRESS,
    ...                 reasons=(Reason(ReasonCode.DISABLED_BY_MEMBER, "mention"),))
    >>> roster = Roster([Member("ann", Role.AGENT, "Anna")])
    >>> print(explain([d], roster=roster, settings=WorkspaceSettings()))
    Anna does not get an email (mention): they turned off mention notifications by email in their personal settings.
    >>> print(explain([d], roster=roster, settings=WorkspaceSettings(), language="nl"))
    Anna krijgt geen e-mail (vermelding): meldingen voor ‘vermelding’ staan per e-mail uit in de persoonlijke instellingen.
    """  # noqa: E501, RUF002 -- doctest output is one long line; Dutch quotes
    r = Reader()
    ctx = _context(r, roster, settings, language, catalog, kinds)
    items: tuple[object, ...] = ()
    if r.instance("decisions", decisions, Iterable, "must be an iterable of Decision"):
        items = tuple(decisions)
    for i, d in enumerate(items):
        r.instance(f"decisions[{i}]", d, Decision, "must be a Decision")
    if r.problems or ctx is None:  # a None came with a problem
        raise ValidationError(r.problems)
    lines = [_line(ctx, d) for d in items]  # type: ignore[arg-type]  # each checked above
    return "\n".join(lines) if lines else ctx.text("explain.nobody")
