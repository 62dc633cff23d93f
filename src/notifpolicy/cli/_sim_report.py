"""A simulated day as text for people or as one JSON document.

Instants are shown in the workspace zone.  The text timeline starts a heading whenever the
local date or the UTC offset changes, so a DST day shows its new offset where it begins; the
JSON gives every instant as ISO 8601 with its offset.  Nothing here reads the wall clock or a
temporary path: the same simulation prints the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, cast

import attrs

from notifpolicy import MessageCatalog, ReasonCode
from notifpolicy._simulation.run import (
    CatchUpEntry,
    DigestEntry,
    Entry,
    EscalationEntry,
    HeldEntry,
    ProblemEntry,
    SentEntry,
    Simulation,
    Targets,
    TrafficEntry,
)
from notifpolicy._simulation.summary import CHANNELS, summary
from notifpolicy._simulation.traffic import ActionKind

__all__ = ["json_document", "text_lines"]

# The JSON "type" of the entries whose fields map one to one (see _entry_json).
_JSON_TYPES: dict[type[Entry], str] = {
    SentEntry: "sent",
    HeldEntry: "held",
    EscalationEntry: "escalation",
    CatchUpEntry: "catch_up",
}
_INDENT = " " * 23  # under the text after the time and the verb
_DROPPED_FROM_SUMMARY = ReasonCode.QUIET_HOURS_SUMMARIZE.value
_CATALOG = MessageCatalog.default()
# The timeline's verbs, said once at the top (docs/simulate.md has the long form).
KEY = (
    "Key: created, assigned, replied, mentioned, unassigned, closed = the helpdesk's traffic;",
    "     sent = delivered (the next line: channel → recipients); deferred, summarized = held by",
    "     quiet hours; suppressed = not sent [reason]; escalation, catch-up, digest = the",
    "     service's own work.",
)


def _offset(local: dt.datetime) -> str:
    total = int((local.utcoffset() or dt.timedelta()).total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _clock(local: dt.datetime) -> str:
    if local.second or local.microsecond:
        return f"{local:%H:%M:%S}"
    return f"{local:%H:%M}"


def _when(at: dt.datetime, zone: dt.tzinfo) -> str:
    local = at.astimezone(zone)
    return f"{_clock(local)} {local:%A %Y-%m-%d} ({_offset(local)})"


def _iso(at: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat()


def _targets(targets: Targets) -> str:
    by_channel: dict[str, list[str]] = {}
    for channel, recipient in targets:
        by_channel.setdefault(channel, []).append(recipient)
    parts = []
    for channel in (c.value for c in CHANNELS):
        if channel in by_channel:
            who = by_channel[channel]
            parts.append(channel if who == ["slack"] else f"{channel} → {', '.join(who)}")
    return "; ".join(parts)


def _bracket(reasons: tuple[str, ...]) -> str:
    return f" [{', '.join(reasons)}]" if reasons else ""


def _traffic_text(e: TrafficEntry) -> str:
    a = e.action
    cid = a.conversation_id
    if a.kind is ActionKind.CREATE:
        who = f"assigned to {a.member}" if a.member else "unassigned"
        return f'{cid} "{a.subject}" from {a.customer}, {who}'
    if a.kind is ActionKind.ASSIGN:
        return f"{cid} to {a.member}"
    if a.kind is ActionKind.REPLY:
        return f"{cid} by {a.member}"
    if a.kind is ActionKind.MENTION:
        return f"{cid} {a.member} mentions {', '.join(a.mentioned)} in a note"
    return cid


def _entry_text(e: Entry, zone: dt.tzinfo, names: Mapping[str, str]) -> tuple[str, str, list[str]]:
    """The verb, the text and the detail lines of one entry (members by their names)."""
    if isinstance(e, TrafficEntry):
        return e.action.kind.value, _traffic_text(e), []
    if isinstance(e, SentEntry):
        about = f"{e.conversation_id} " if e.conversation_id else ""
        return "sent", f"{about}{e.subject}{_bracket(e.reasons)}", [_targets(e.targets)]
    if isinstance(e, HeldEntry):
        until = ""
        if e.until is not None:
            verb = "until" if e.outcome == "deferred" else "catch-up at"
            until = f", {verb} {_clock(e.until.astimezone(zone))}"
        elif _DROPPED_FROM_SUMMARY in e.reasons:
            # Slack's copy in summarize mode: suppressed, and in no member's catch-up.
            until = ", dropped (no catch-up for Slack)"
        about = f"{e.conversation_id} " if e.conversation_id else ""
        text = f"{about}{', '.join(e.kinds)}{until}{_bracket(e.reasons)}"
        return e.outcome, text, [_targets(e.targets)]
    if isinstance(e, EscalationEntry):
        return "escalation", f"{e.kind} {e.conversation_id}", []
    if isinstance(e, CatchUpEntry):
        counts = ", ".join(_CATALOG.kind_count("en", kind, n) for kind, n in e.counts)
        name = names.get(e.member_id, e.member_id)
        sent = "; ".join(f"{c} → {e.member_id}" for c in e.channels) or "not sent: turned off"
        return "catch-up", f"{name}: {counts}", [sent]
    if isinstance(e, DigestEntry):
        period = f"{_when(e.start, zone)} to {_when(e.end, zone)}"
        text = f"{e.key.split(':', 1)[1]} to {len(e.recipients)} members"
        return "digest", text, [f"covers {period}"]
    return e.what, f"{e.item_id or ''} {e.message}".strip(), []


def _heading(local: dt.datetime, changed: bool) -> str:
    note = " (the clocks changed)" if changed else ""
    return f"{local:%A %Y-%m-%d}, {_offset(local)}{note}"


def _timeline(sim: Simulation) -> Iterator[str]:
    zone = sim.settings.zone
    current: tuple[dt.date, str] | None = None
    # A catch-up's line names where it went: its "sent" lines would say it again.
    catchups = {e.key for e in sim.entries if isinstance(e, CatchUpEntry)}
    names = {m.id: m.name for m in sim.plan.members}
    for e in sim.entries:
        if isinstance(e, SentEntry) and e.event_id in catchups:
            continue
        local = e.at.astimezone(zone)
        section = (local.date(), _offset(local))
        if section != current:
            changed = current is not None and current[0] == section[0]
            yield ""
            yield _heading(local, changed)
            current = section
        verb, text, details = _entry_text(e, zone, names)
        yield f"  {_clock(local):<8} {verb:<11} {text}".rstrip()
        yield from (f"{_INDENT}{d}" for d in details)


def _counts(mapping: dict[str, int], *, unit: str = "") -> str:
    parts = ", ".join(f"{k} {n}" for k, n in mapping.items() if n)
    return f"{sum(mapping.values())}{unit}" + (f": {parts}" if parts else "")


def text_lines(sim: Simulation, *, store: str | None) -> Iterator[str]:
    """The human-readable report, line by line."""
    plan, zone = sim.plan, sim.settings.zone
    day = plan.start.astimezone(zone)
    yield f"Simulated {day:%A %Y-%m-%d} in {sim.settings.timezone} with seed {sim.plan.seed}."
    team = ", ".join(
        f"{m.id} ({m.role.value}: {', '.join(c.value for c in CHANNELS if c in m.channels)})"
        for m in plan.members
    )
    yield f"Team: {team}."
    for member_id, overrides in plan.overrides:
        yield f"  {member_id} overrides {_override_text(overrides)}."
    hours = (plan.end - plan.start) / dt.timedelta(hours=1)
    yield (f"Traffic from {_when(plan.start, zone)} to {_when(plan.end, zone)}: {hours:g} hours.")
    if sim.stop >= plan.end:
        yield f"Then, without new traffic, until quiet hours end at {_when(sim.stop, zone)}."
    if store is not None:
        yield f"Store: {store} (kept)."
    yield ""
    yield from KEY
    yield from _timeline(sim)
    s = summary(sim)
    t = s["traffic"]
    yield ""
    yield "Summary"
    yield (
        f"  traffic      {t['created']} conversations created, {t['assigned']} assigned, "
        f"{t['replied']} replies, {t['mentioned']} mentions, {t['unassigned']} handed back, "
        f"{t['closed']} closed; {t['open_at_end']} open at the end"
    )
    yield f"  decisions    {_counts(s['decisions'])}"
    reasons = ", ".join(f"{k} {n}" for k, n in s["reasons"].items()) or "none"
    yield f"  reasons      {reasons}"
    yield f"  sent         {_counts(s['sent'])}"
    yield f"  escalations  {_counts(s['escalations'])}"
    yield f"  catch-ups    {s['catch_ups']}"
    digests = ", ".join(f"{d['key'].split(':', 1)[1]} to {d['recipients']}" for d in s["digests"])
    yield f"  digests      {len(s['digests'])}" + (f": {digests}" if digests else "")
    yield f"  problems     {s['problems']}"
    yield f"  outbox       {_counts(s['outbox'], unit=' rows')}"


def _override_text(overrides: Mapping[str, object]) -> str:
    parts = []
    for kind, value in overrides.items():
        per_channel = value.items() if isinstance(value, Mapping) else [("*", value)]
        for channel, on in per_channel:
            where = "everywhere" if channel == "*" else f"on {channel}"
            parts.append(f"{kind} {'on' if on else 'off'} {where}")
    return ", ".join(parts)


def _entry_json(e: Entry, zone: dt.tzinfo) -> dict[str, Any]:
    at = _iso(e.at, zone)
    if isinstance(e, TrafficEntry):
        a = e.action
        return {
            "at": at,
            "type": "traffic",
            "action": a.kind.value,
            "conversation_id": a.conversation_id,
            "event_id": e.event_id,
            "member": a.member,
            "mentioned": list(a.mentioned),
            "subject": a.subject,
            "customer": a.customer,
        }
    if isinstance(e, DigestEntry):
        return {
            "at": at,
            "type": "digest",
            "kind": e.kind,
            "key": e.key,
            "period": {"start": _iso(e.start, zone), "end": _iso(e.end, zone)},
            "recipients": list(e.recipients),
        }
    if isinstance(e, ProblemEntry):
        return {"at": at, "type": e.what, "item_id": e.item_id, "message": e.message}
    # The others: every field after `at`, in order, as JSON.
    document: dict[str, Any] = {"at": at, "type": _JSON_TYPES[type(e)]}
    document.update(
        _field_json(f.name, getattr(e, f.name), zone) for f in attrs.fields(type(e))[1:]
    )
    return document


def _field_json(name: str, value: object, zone: dt.tzinfo) -> tuple[str, Any]:
    """One field of an entry as a JSON member: ``(name, value)``."""
    if name == "targets":
        return "deliveries", [{"channel": c, "recipient": r} for c, r in cast(Targets, value)]
    if name == "counts":
        return name, dict(cast(tuple[tuple[str, int], ...], value))
    if isinstance(value, dt.datetime):
        return name, _iso(value, zone)
    if isinstance(value, tuple):
        return name, list(value)
    return name, value


def json_document(sim: Simulation, *, store: str | None) -> dict[str, Any]:
    """The whole simulation as one JSON-ready value."""
    plan, zone = sim.plan, sim.settings.zone
    return {
        "command": "simulate",
        "day": plan.start.astimezone(zone).date().isoformat(),
        "timezone": sim.settings.timezone,
        "seed": sim.plan.seed,
        "window": {
            "start": _iso(plan.start, zone),
            "end": _iso(plan.end, zone),
            "hours": (plan.end - plan.start) / dt.timedelta(hours=1),
            "stop": _iso(sim.stop, zone),
        },
        "team": [
            {
                "id": m.id,
                "role": m.role.value,
                "email": m.email,
                "channels": [c.value for c in CHANNELS if c in m.channels],
            }
            for m in plan.members
        ],
        "overrides": {member_id: dict(o) for member_id, o in plan.overrides},
        "store": store,
        "timeline": [_entry_json(e, zone) for e in sim.entries],
        "summary": summary(sim),
    }
