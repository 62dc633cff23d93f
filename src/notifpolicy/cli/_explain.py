"""``notifpolicy explain SETTINGS --event KIND --at WHEN``: who gets one event, how, and why.

Builds the event the options describe, runs the library's ``decide`` for a team (a roster file,
or a built-in sample team, edited with ``--member`` / ``--override``) and prints each decision:
recipient and channel, the outcome, the reason codes, the sentence ``explain_decision`` gives in
the chosen language and, for a deferral, when it is sent (local time and UTC).  Nothing here
decides anything: the library does, with the settings file as the workspace's settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, Final

import attrs

from notifpolicy import (
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
    ConversationCreated,
    ConversationUnassigned,
    Decision,
    DigestReady,
    EscalationDue,
    Event,
    MemberMentioned,
    MessageCatalog,
    Outcome,
    SlaBreached,
    ValidationError,
    WorkspaceSettings,
    decide,
    explain,
    explain_decision,
)
from notifpolicy._errors import quote
from notifpolicy._kinds import KIND_DAILY_SUMMARY, KIND_WEEKLY_REPORT
from notifpolicy.cli._common import (
    EXIT_OK,
    CommandError,
    Output,
    add_command,
    load_settings,
)
from notifpolicy.cli._team import Team, apply_members, apply_overrides, load_team, sample_team
from notifpolicy.cli._time import moment, parse_instant, when_text

# Which of the optional facts each event takes (every event but a digest is about a conversation).
_FACTS: Final[dict[str, tuple[str, ...]]] = {
    "new_conversation": ("conversation", "assignee"),
    "unassigned_conversation": ("conversation",),
    "mention": ("conversation", "author", "mention"),
    KIND_SLA_BREACH: ("conversation", "assignee"),
    KIND_UNASSIGNED: ("conversation",),
    KIND_FIRST_RESPONSE: ("conversation",),
    KIND_DAILY_SUMMARY: (),
    KIND_WEEKLY_REPORT: (),
}
# The library's paths for event fields, as the options that set them.
_OPTION_OF_PATH: Final = {
    "event.id": "--event-id",
    "event.conversation_id": "--conversation",
    "event.assignee": "--assignee",
    "event.author_id": "--author",
    "event.mentioned": "--mention",
}

SUMMARY = "who is notified of one event, on which channel, and why"

DESCRIPTION = """\
Decide one event at one instant with the library's decide() and explain every decision: per
recipient and channel the outcome (deliver, suppress or defer), the reason codes, a sentence
(--lang en or nl) and, for a deferral, when it is sent, in local time and UTC.

events: new_conversation (without --assignee it is also unassigned_conversation),
unassigned_conversation, mention (--author and --mention), sla_breach (--assignee optional),
escalation_unassigned, escalation_first_response, daily_summary, weekly_report

--at takes 2026-03-02T23:00 (workspace local time; a time the clocks skip or show twice is
refused, naming the offsets), 2026-03-02T23:00+01:00 or ...Z (exact), or a date (its start).

The team is the sample team unless --roster is given: anna (agent; in_app, email, push),
bo (admin; email), olga (owner; in_app, email).

exit codes: 0 explained, 1 invalid settings or roster file, 2 unreadable file or bad usage
"""


def register(sub: Any) -> None:
    """Add ``explain`` to the command parser."""
    add_command(sub, "explain", SUMMARY, DESCRIPTION, run, arguments=_arguments)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--event", metavar="KIND", required=True, help="what happened (see the list above)"
    )
    parser.add_argument("--at", metavar="WHEN", required=True, help="when it happened")
    parser.add_argument("--event-id", metavar="ID", default="evt-1", help="default evt-1")
    parser.add_argument(
        "--conversation", metavar="ID", help="the conversation's id (default conv-1)"
    )
    parser.add_argument(
        "--assignee", metavar="ID", help="the assignee (new_conversation, sla_breach)"
    )
    parser.add_argument("--author", metavar="ID", help="who wrote the note (mention)")
    parser.add_argument(
        "--mention",
        metavar="ID",
        action="append",
        help="a member mentioned in the note (mention; repeatable)",
    )
    parser.add_argument(
        "--roster",
        metavar="FILE",
        help="the team, a .toml or .json file with a members list (default: the sample team)",
    )
    parser.add_argument(
        "--member",
        metavar="ID:ROLE[:CHANNELS]",
        action="append",
        default=[],
        help="add a member, or replace the one with that id: e.g. carl:agent:email,push "
        "(repeatable)",
    )
    parser.add_argument(
        "--override",
        metavar="ID:KIND[.CHANNEL]=on|off",
        action="append",
        default=[],
        help="a member's preference override: e.g. anna:mention.email=off or "
        "anna:new_conversation=off for every channel (repeatable)",
    )
    parser.add_argument(
        "--lang", metavar="LANG", default="en", help="language of the sentences: en or nl"
    )


def _check_facts(args: argparse.Namespace) -> None:
    if args.event not in _FACTS:
        raise CommandError(f"--event: expected one of {', '.join(_FACTS)}; got {quote(args.event)}")
    takes = _FACTS[args.event]
    for fact in ("conversation", "assignee", "author", "mention"):
        if getattr(args, fact) is not None and fact not in takes:
            raise CommandError(f"--{fact}: does not apply to --event {args.event}")
    if args.event == "mention" and (args.author is None or args.mention is None):
        raise CommandError("--event mention: expected --author ID and at least one --mention ID")


def _event(args: argparse.Namespace) -> Event:
    kind: str = args.event
    ids: dict[str, Any] = {"id": args.event_id}
    if "conversation" in _FACTS[kind]:
        ids["conversation_id"] = "conv-1" if args.conversation is None else args.conversation
    try:
        if kind == "new_conversation":
            return ConversationCreated(**ids, assignee=args.assignee)
        if kind == "unassigned_conversation":
            return ConversationUnassigned(**ids)
        if kind == "mention":
            return MemberMentioned(**ids, author_id=args.author, mentioned=args.mention)
        if kind == KIND_SLA_BREACH:
            return SlaBreached(**ids, assignee=args.assignee)
        if kind.startswith("escalation_"):
            return EscalationDue(**ids, kind=kind)
        return DigestReady(**ids, kind=kind)
    except ValidationError as exc:
        problem = exc.problems[0]
        base = problem.path.split("[")[0]
        raise CommandError(f"{_OPTION_OF_PATH.get(base, base)}: {problem.message}") from None


def _team(args: argparse.Namespace) -> Team:
    team = sample_team() if args.roster is None else load_team(args.roster)
    team = apply_members(team, args.member)
    return apply_overrides(team, args.override)


def _check_members(args: argparse.Namespace, team: Team) -> None:
    """Every id the event names is in the team: the library would quietly notify nobody (an
    unknown mention), or decide as if the conversation had no assignee or a stranger wrote."""
    named = [("--assignee", args.assignee), ("--author", args.author)]
    named += [("--mention", member_id) for member_id in args.mention or ()]
    for option, member_id in named:
        if member_id is not None and team.roster.get(member_id) is None:
            known = ", ".join(m.id for m in team.roster)
            raise CommandError(
                f"{option}: expected the id of a member ({known}); got {quote(member_id)}"
            )


def _check_language(language: str) -> None:
    codes = MessageCatalog.default().codes
    if language not in codes:
        raise CommandError(f"--lang: expected one of {', '.join(codes)}; got {quote(language)}")


def _who(decision: Decision, team: Team) -> str:
    member_id = decision.member_id
    if member_id is None:
        return "Slack"
    member = team.roster.get(member_id)
    role = f" ({member.role.value})" if member is not None else ""
    return f"{member_id}{role}, {decision.channel.value}"


def _event_facts(event: Event) -> str:
    facts = [f"id {event.id}"]
    if event.conversation_id is not None:
        facts.append(f"conversation {event.conversation_id}")
    if isinstance(event, ConversationCreated | SlaBreached):
        facts.append("no assignee" if event.assignee is None else f"assignee {event.assignee}")
    if isinstance(event, MemberMentioned):
        facts.append(f"author {event.author_id}")
        facts.append(f"mentioned {', '.join(event.mentioned)}")
    return ", ".join(facts)


@attrs.frozen
class _Explained:
    """What ``run`` found, for the text and JSON renderers."""

    settings: WorkspaceSettings
    team: Team
    event: Event
    at: dt.datetime
    quiet_until: dt.datetime | None
    decisions: tuple[Decision, ...]
    sentences: tuple[str, ...]

    def counts(self) -> dict[Outcome, int]:
        return {o: sum(d.outcome is o for d in self.decisions) for o in Outcome}


def run(args: argparse.Namespace, out: Output) -> int:
    _check_facts(args)
    _check_language(args.lang)
    settings = load_settings(args.settings, extra_webhook_hosts=args.webhook_host)
    zone = settings.zone
    at = parse_instant(args.at, option="--at", zone=zone, zone_name=settings.timezone)
    team = _team(args)
    _check_members(args, team)
    event = _event(args)
    decisions = decide(
        event, settings=settings, roster=team.roster, preferences=team.preferences(), now=at
    )
    found = _Explained(
        settings,
        team,
        event,
        at,
        settings.quiet_hours.quiet_until(at, zone),
        decisions,
        tuple(
            explain_decision(d, roster=team.roster, settings=settings, language=args.lang)
            for d in decisions
        ),
    )
    if out.json:
        out.document(_document(args, found))
    else:
        _show(args, found, out)
    return EXIT_OK


def _show(args: argparse.Namespace, found: _Explained, out: Output) -> None:
    settings, zone, qh = found.settings, found.settings.zone, found.settings.quiet_hours
    out.line(f"{args.settings}: {settings.timezone}")
    out.line(f"event  {args.event} ({_event_facts(found.event)})")
    out.line(f"kinds  {', '.join(found.event.kinds)}")
    out.line(f"at     {when_text(found.at, zone)}")
    window = f"{qh.describe()}, mode {qh.mode.value}"
    if not qh.enabled:
        out.line("quiet  off")
    elif found.quiet_until is None:
        out.line(f"quiet  no ({window})")
    else:
        out.line(f"quiet  yes ({window}) until {when_text(found.quiet_until, zone)}")
    out.line()
    for decision, sentence in zip(found.decisions, found.sentences, strict=True):
        head = f"{_who(decision, found.team)}: {decision.outcome.value}"
        if decision.deliver_at is not None:
            head += f" at {when_text(decision.deliver_at, zone)}"
        if decision.reasons:
            head += f" [{'; '.join(str(r) for r in decision.reasons)}]"
        out.line(head)
        out.line(f"  {sentence}")
    if not found.decisions:
        out.line(explain((), roster=found.team.roster, settings=settings, language=args.lang))
    total = len(found.decisions)
    tally = ", ".join(f"{n} {o.value}" for o, n in found.counts().items() if n)
    out.line()
    out.line(f"{total} decision{'' if total == 1 else 's'}" + (f": {tally}" if tally else ""))


def _document(args: argparse.Namespace, found: _Explained) -> dict[str, Any]:
    settings, zone, qh, event = (
        found.settings,
        found.settings.zone,
        found.settings.quiet_hours,
        found.event,
    )
    return {
        "settings": args.settings,
        "timezone": settings.timezone,
        "language": args.lang,
        "at": moment(found.at, zone),
        "event": {
            "type": args.event,
            "id": event.id,
            "conversation_id": event.conversation_id,
            "assignee": event.assignee,
            "author_id": event.author_id,
            "mentioned": list(event.mentioned),
            "kinds": list(event.kinds),
        },
        "quiet_hours": {
            "enabled": qh.enabled,
            "start": f"{qh.start:%H:%M}",
            "end": f"{qh.end:%H:%M}",
            "mode": qh.mode.value,
            "quiet": found.quiet_until is not None,
            "until": moment(found.quiet_until, zone),
        },
        "decisions": [
            _decision_json(d, s, zone)
            for d, s in zip(found.decisions, found.sentences, strict=True)
        ],
        "counts": {o.value: n for o, n in found.counts().items()},
    }


def _decision_json(decision: Decision, sentence: str, zone: dt.tzinfo) -> dict[str, Any]:
    return {
        "recipient": decision.member_id,
        "channel": decision.channel.value,
        "kinds": list(decision.kinds),
        "outcome": decision.outcome.value,
        "reasons": [{"code": r.code.value, "kind": r.kind} for r in decision.reasons],
        "deliver_at": moment(decision.deliver_at, zone),
        "held_until": moment(decision.held_until, zone),
        "explanation": sentence,
    }
