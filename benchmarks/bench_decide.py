"""How long ``decide`` takes: targeted events by roster size, and broadcasts per decision.

The workspace: members with the three member channels, one in ten an admin, one in five with one
or two overrides of the team kinds (all passed to ``decide``, as the service does), Slack
configured, quiet hours 22:00-08:00 Europe/Amsterdam in ``defer`` mode.  The garbage collector
is on, as a host has it.  Times are the process's CPU time (``time.process_time``), so that other
processes sharing the machine do not count; on an idle machine it equals the wall time.

- *Targeted*: a mention of one member (three decisions) in rosters of 10, 1,000 and 10,000
  members; an SLA breach for its assignee (one member, three channels); an escalation to the
  admins.  A sample is the mean of a batch of calls; the figure is per call (per decision for
  the escalation).  Targets: a mention costs the same within 1.5x at any roster size, and a
  one-member, three-channel event at most 10 µs.
- *Broadcast*: a conversation created without an assignee (two kinds, every member and Slack),
  at an instant outside quiet hours (everything delivered) and one inside (everything
  deferred); a sample is one call, the figure per (recipient, channel) decision.  Target: at
  most 1 µs per decision.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row, row, standalone, timed

from notifpolicy import (
    ConversationCreated,
    EscalationDue,
    Event,
    Member,
    MemberMentioned,
    MemberPreferences,
    QuietHours,
    QuietMode,
    Role,
    Roster,
    SlaBreached,
    SlackSettings,
    WorkspaceSettings,
    decide,
)

NAME = "decide"
TEAM_KINDS = ("new_conversation", "unassigned_conversation", "sla_breach", "mention")
CHANNEL_KEYS = ("*", "in_app", "email", "push")
OUTSIDE = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)  # 12:00 in Amsterdam
INSIDE = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)  # 23:00 in Amsterdam
SETTINGS = WorkspaceSettings(
    timezone="Europe/Amsterdam",
    slack=SlackSettings("https://hooks.slack.com/services/T0/B0/bench"),
    quiet_hours=QuietHours(dt.time(22), dt.time(8), mode=QuietMode.DEFER),
)
SMALL_EVENT_US = 10.0  # a one-member, three-channel event
SAME_WITHIN = 1.5  # a mention in any roster, against one in a roster of 10
PER_DECISION_US = 1.0  # a broadcast, per (recipient, channel)


def workspace(size: int, rng: random.Random) -> tuple[Roster, dict[str, MemberPreferences]]:
    members = [
        Member(f"m{i:05d}", Role.ADMIN if i % 10 == 0 else Role.AGENT, f"Member {i}")
        for i in range(size)
    ]
    prefs: dict[str, MemberPreferences] = {}
    for member in members:
        if rng.random() < 0.2:
            overrides: dict[str, dict[str, bool]] = {}
            for _ in range(rng.choice((1, 2))):
                kind = rng.choice(TEAM_KINDS)
                overrides.setdefault(kind, {})[rng.choice(CHANNEL_KEYS)] = rng.random() < 0.3
            prefs[member.id] = MemberPreferences.from_dict({"overrides": overrides})
    return Roster(members), prefs


def _caller(
    event: Event, roster: Roster, prefs: dict[str, MemberPreferences], now: dt.datetime
) -> tuple[Callable[[], object], int]:
    def call() -> object:
        return decide(event, settings=SETTINGS, roster=roster, preferences=prefs, now=now)

    return call, len(call())  # type: ignore[arg-type]


def _batched(call: Callable[[], object], batches: int, size: int) -> list[float]:
    """Seconds per call: the mean of each batch of ``size`` calls."""

    def batch() -> None:
        for _ in range(size):
            call()

    call()  # the first call for these settings resolves and caches their plan
    return [t / size for t in timed(batch, batches, clock=time.process_time)]


def rows(*, tiny: bool = False) -> list[Row]:
    rng = random.Random(20260302)
    batches, batch = (3, 5) if tiny else (60, 200)
    out: list[Row] = []
    mention = MemberMentioned(
        id="e1", conversation_id="c1", author_id="m00001", mentioned=["m00002"]
    )
    base: float | None = None
    for size in (10,) if tiny else (10, 1_000, 10_000):
        roster, prefs = workspace(size, rng)
        call, count = _caller(mention, roster, prefs, OUTSIDE)
        samples = _batched(call, batches, batch)
        label = f"mention of 1 member ({count} decisions)"
        if base is None:
            out.append(row(NAME, label, f"{size:,} members", samples, "µs", target=SMALL_EVENT_US))
            base = out[-1].median
        else:
            out.append(
                row(
                    NAME,
                    label,
                    f"{size:,} members",
                    samples,
                    "µs",
                    target=SAME_WITHIN * base,
                    target_text=f"<= {SAME_WITHIN} x the 10-member median",
                )
            )
    size = 10 if tiny else 1_000
    roster, prefs = workspace(size, rng)
    breach = SlaBreached(id="e2", conversation_id="c2", assignee="m00002")
    for label, now in (("outside quiet hours", OUTSIDE), ("inside, deferred", INSIDE)):
        call, count = _caller(breach, roster, prefs, now)
        out.append(
            row(
                NAME,
                f"SLA breach for its assignee: 1 member, {count} channels, {label}",
                f"{size:,} members",
                _batched(call, batches, batch),
                "µs",
                target=SMALL_EVENT_US,
            )
        )
    escalation = EscalationDue(id="e3", conversation_id="c3", kind="escalation_unassigned")
    call, count = _caller(escalation, roster, prefs, OUTSIDE)
    out.append(
        row(
            NAME,
            f"escalation to the admins and Slack ({count} decisions), per decision",
            f"{size:,} members",
            _batched(call, batches, max(1, batch // 20)),
            "µs",
            per=count,
            target=PER_DECISION_US,
        )
    )
    created = ConversationCreated(id="e4", conversation_id="c4")
    for size in (10,) if tiny else (100, 1_000, 10_000):
        roster, prefs = workspace(size, rng)
        rounds = 3 if tiny else max(10, 200_000 // size)
        instants = (("outside quiet hours", OUTSIDE), ("inside, deferred", INSIDE))
        calls = {label: _caller(created, roster, prefs, now) for label, now in instants}
        spent: dict[str, list[float]] = {label: [] for label in calls}
        # The two instants take turns, so that other work on the machine falls on both alike.
        for _ in range(rounds):
            for label, (call, _) in calls.items():
                start = time.process_time()
                call()
                spent[label].append(time.process_time() - start)
        for label, (_, count) in calls.items():
            out.append(
                row(
                    NAME,
                    f"broadcast: new unassigned conversation, {label}, per decision",
                    f"{size:,} members ({count:,} decisions)",
                    spent[label],
                    "µs",
                    per=count,
                    target=PER_DECISION_US,
                )
            )
    return out


if __name__ == "__main__":
    standalone(rows)
