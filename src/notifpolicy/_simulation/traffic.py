"""One day of made-up helpdesk traffic for the simulation, drawn from a seeded RNG.

Theory of operation.  Everything comes from one ``random.Random(seed)``, drawn in a fixed
order, so a seed gives the same team and the same day on every machine.  All arithmetic is on
UTC instants (a ``timedelta`` added to a zoned datetime would be wall-clock arithmetic); the
local wall clock is only read, to weight arrivals by hour of day and to keep staff work inside
the shift.

- The team: one owner, one admin, ``agents`` agents; every member has an email address and is
  offered in-app and/or push besides; a few agents have a personal override (at least one: the
  first agent turns unassigned alerts off when no agent drew an override).
- Conversations arrive through the whole local day, weighted by hour (busy in office hours,
  a trickle at night).  Each follows one of a few scripts: handled promptly, assigned late
  (past the unassigned threshold), answered late (past the first-response target), left
  alone, or handed back (unassigned again) and picked up later.
- Staff work from 08:00 to 18:00 local time: an action that would fall outside the shift
  happens at the next shift start plus a few minutes; actions after the day are not played.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Mapping

import attrs

from notifpolicy import Channel, Member, Role, WorkspaceSettings

__all__ = ["Action", "ActionKind", "DayPlan", "local_midnight", "plan_day"]

_MINUTE = dt.timedelta(minutes=1)
_SHIFT_START = dt.time(8, 0)
_SHIFT_END = dt.time(18, 0)
# How many arrivals each local hour gets, relative to the busiest.
_HOURLY = (2, 1, 1, 1, 1, 2, 3, 6, 10, 10, 10, 9, 7, 9, 10, 9, 8, 6, 4, 3, 3, 3, 2, 2)
_NAMES = (
    "anna", "daan", "emma", "finn", "lisa", "milan", "noor", "sem", "tess", "luuk", "sara",
    "jesse", "zoe", "thijs", "julia", "ruben", "eva", "lars", "fleur", "stijn", "iris", "bas",
    "lotte", "niels", "mila",
)  # fmt: skip
_SUBJECTS = (
    "Refund for order 4411",
    "Cannot log in after password reset",
    "Invoice <42> shows the wrong VAT & total",
    "Where is my parcel?",
    "Change the billing address",
    "App crashes when exporting to PDF",
    "Double charge on my card",
    "How do I add a team member?",
    "Cancel my subscription",
    "Two-factor codes never arrive",
    "Discount code not accepted",
    "Data export is empty",
)
_CUSTOMERS = (
    "Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
    "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Frances Allen", "Guido van Rossum",
)  # fmt: skip
# Personal overrides some agents have saved: kind -> {channel or "*": on}.
_OVERRIDES: tuple[Mapping[str, object], ...] = (
    {"new_conversation": {"push": False}},
    {"mention": {"email": False}},
    {"unassigned_conversation": False},
    {"daily_summary": False},
)
# The first agent's when no agent drew one: unassigned alerts happen on most days.
_FALLBACK_OVERRIDE: Mapping[str, object] = {"unassigned_conversation": False}


class ActionKind(enum.Enum):
    """What the host app reports happening to a conversation."""

    CREATE = "created"
    ASSIGN = "assigned"
    REPLY = "replied"
    MENTION = "mentioned"
    UNASSIGN = "unassigned"
    CLOSE = "closed"


@attrs.frozen
class Action:
    """One thing that happens in the host app, at an instant (UTC)."""

    at: dt.datetime
    order: int  # ties at one instant are played in the order the plan drew them
    kind: ActionKind
    conversation_id: str
    member: str | None = None  # the assignee, the replying agent, the note's author
    mentioned: tuple[str, ...] = ()
    subject: str | None = None
    customer: str | None = None


@attrs.frozen
class DayPlan:
    """The team, their saved preferences, and the day's actions in the order to play them."""

    members: tuple[Member, ...]
    overrides: tuple[tuple[str, Mapping[str, object]], ...]
    actions: tuple[Action, ...]
    start: dt.datetime
    end: dt.datetime
    seed: int


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first instant of the local date ``day`` (UTC): a midnight that falls in a DST gap
    resolves forward, like every wall time here ("compatible", ``fold=0``)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _team(rng: random.Random, agents: int) -> tuple[Member, ...]:
    members = [
        Member("olga", Role.OWNER, "Olga", channels=[Channel.EMAIL, Channel.PUSH]),
        Member("bram", Role.ADMIN, "Bram", channels=[Channel.IN_APP, Channel.EMAIL]),
    ]
    for i in range(agents):
        base = _NAMES[i % len(_NAMES)]
        ident = base if i < len(_NAMES) else f"{base}{i // len(_NAMES) + 1}"
        channels = [Channel.IN_APP, Channel.EMAIL]
        if rng.random() < 0.5:
            channels.append(Channel.PUSH)
        members.append(Member(ident, Role.AGENT, ident.capitalize(), channels=channels))
    return tuple(attrs.evolve(m, email=f"{m.id}@example.org") for m in members)


class _Shift:
    """Keeps staff work inside 08:00-18:00 local time."""

    def __init__(self, zone: dt.tzinfo, rng: random.Random) -> None:
        self._zone = zone
        self._rng = rng

    def at_or_after(self, at: dt.datetime) -> dt.datetime:
        local = at.astimezone(self._zone)
        if _SHIFT_START <= local.time() < _SHIFT_END:
            return at
        day = local.date() if local.time() < _SHIFT_START else local.date() + dt.timedelta(1)
        opens = dt.datetime.combine(day, _SHIFT_START, tzinfo=self._zone).astimezone(dt.UTC)
        return opens + self._rng.randint(0, 40) * _MINUTE


def _arrivals(
    rng: random.Random, count: int, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo
) -> list[dt.datetime]:
    minutes = (end - start) // _MINUTE
    top = max(_HOURLY)
    found: list[dt.datetime] = []
    while len(found) < count:
        at = start + rng.randrange(minutes) * _MINUTE
        if rng.random() * top < _HOURLY[at.astimezone(zone).hour]:
            found.append(at)
    return sorted(found)


class _Planner:
    """Draws each conversation's script and turns it into actions."""

    def __init__(
        self,
        rng: random.Random,
        settings: WorkspaceSettings,
        members: tuple[Member, ...],
        end: dt.datetime,
    ) -> None:
        self.rng = rng
        self.members = members
        self.staff = [m.id for m in members if m.role is Role.AGENT]
        self.shift = _Shift(settings.zone, rng)
        self.unassigned_after = settings.escalation.unassigned.after_minutes
        self.response_after = settings.escalation.first_response.after_minutes
        self.end = end
        self.actions: list[Action] = []

    def add(
        self,
        at: dt.datetime,
        kind: ActionKind,
        cid: str,
        member: str | None = None,
        mentioned: tuple[str, ...] = (),
        subject: str | None = None,
        customer: str | None = None,
    ) -> None:
        if at < self.end:  # the day is over: the rest of this conversation is not played
            self.actions.append(
                Action(at, len(self.actions), kind, cid, member, mentioned, subject, customer)
            )

    def minutes(self, low: int, high: int) -> dt.timedelta:
        return self.rng.randint(low, max(low, high)) * _MINUTE

    def conversation(self, cid: str, created: dt.datetime) -> None:
        rng, shift = self.rng, self.shift
        script = rng.choices(
            ("prompt", "late_assign", "late_reply", "left_alone", "handed_back"),
            weights=(50, 15, 15, 8, 12),
        )[0]
        agent = rng.choice(self.staff)
        assign_now = script in {"prompt", "late_reply"} and rng.random() < 0.5
        subject, customer = rng.choice(_SUBJECTS), rng.choice(_CUSTOMERS)
        member = agent if assign_now else None
        self.add(created, ActionKind.CREATE, cid, member, subject=subject, customer=customer)
        if script == "left_alone":
            return
        assigned = created
        if script == "late_assign":
            # Past the unassigned threshold: the admins get an escalation first.
            assigned = shift.at_or_after(
                created + self.minutes(5, 45) + self.unassigned_after * _MINUTE
            )
        elif not assign_now:
            assigned = shift.at_or_after(created + self.minutes(0, self.unassigned_after // 2))
        if not assign_now:
            self.add(assigned, ActionKind.ASSIGN, cid, agent)
        if script == "late_reply":
            # Past the first-response target: an SLA breach (counted in business hours).
            replied = created + self.minutes(5, 40) + self.response_after * _MINUTE
        else:
            replied = assigned + self.minutes(1, self.response_after // 2)
        last = shift.at_or_after(max(replied, assigned + _MINUTE))
        self.add(last, ActionKind.REPLY, cid, agent)
        if rng.random() < 0.35:
            others = [m.id for m in self.members if m.id != agent]
            mentioned = tuple(sorted(rng.sample(others, k=min(len(others), rng.randint(1, 2)))))
            last = shift.at_or_after(last + self.minutes(5, 60))
            self.add(last, ActionKind.MENTION, cid, agent, mentioned)
        if script == "handed_back":
            last = shift.at_or_after(last + self.minutes(20, 90))
            self.add(last, ActionKind.UNASSIGN, cid)
            last = shift.at_or_after(last + self.minutes(10, 60))
            agent = rng.choice(self.staff)
            self.add(last, ActionKind.ASSIGN, cid, agent)
            last = shift.at_or_after(last + self.minutes(2, 20))
            self.add(last, ActionKind.REPLY, cid, agent)
        if rng.random() < 0.6:
            self.add(shift.at_or_after(last + self.minutes(10, 180)), ActionKind.CLOSE, cid)


def plan_day(
    settings: WorkspaceSettings,
    day: dt.date,
    *,
    seed: int,
    agents: int,
    conversations: int,
) -> DayPlan:
    """The team and one local day of traffic for ``settings``' zone and thresholds."""
    rng = random.Random(seed)  # noqa: S311 -- made-up traffic, not cryptography
    zone = settings.zone
    start, end = local_midnight(day, zone), local_midnight(day + dt.timedelta(1), zone)
    members = _team(rng, agents)
    staff = [m.id for m in members if m.role is Role.AGENT]
    overrides = tuple(
        (member_id, rng.choice(_OVERRIDES)) for member_id in staff if rng.random() < 0.3
    )
    if not overrides:
        # At least one override at work, so that every run shows a member's own choice
        # winning over the workspace default; drawn from nothing, so other seeds keep theirs.
        overrides = ((staff[0], _FALLBACK_OVERRIDE),)
    planner = _Planner(rng, settings, members, end)
    width = max(2, len(str(conversations)))
    for n, created in enumerate(_arrivals(rng, conversations, start, end, zone), start=1):
        planner.conversation(f"c{n:0{width}d}", created)
    actions = sorted(planner.actions, key=lambda a: (a.at, a.order))
    return DayPlan(members, overrides, tuple(actions), start, end, seed)
