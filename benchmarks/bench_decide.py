"""How long ``decide`` takes for one event, by workspace size.

The event is a conversation created without an assignee (two kinds: new_conversation and
unassigned_conversation) in a workspace whose members all have the three member channels, one in
ten an admin, one in five with one or two overrides of the team kinds, Slack configured and quiet
hours 22:00-08:00 Europe/Amsterdam in ``defer`` mode.  Each size is measured at an instant outside
quiet hours (everything delivered) and one inside (everything deferred).

Run: ``python benchmarks/bench_decide.py`` (``--quick`` for fewer rounds).  Prints, per size and
instant, the best and the median time per event over the rounds, with the garbage collector on as
a host has it, and the best time per (recipient, channel) decision.  Target: 3 ms per event for
1,000 members, growing linearly.
"""

from __future__ import annotations

import datetime as dt
import gc
import platform
import random
import statistics
import sys
import time

from notifpolicy import (
    Member,
    MemberPreferences,
    QuietHours,
    QuietMode,
    Role,
    Roster,
    SlackSettings,
    WorkspaceSettings,
)
from notifpolicy._decide import decide
from notifpolicy._events import ConversationCreated

SIZES = (100, 1_000, 10_000)
TEAM_KINDS = ("new_conversation", "unassigned_conversation", "sla_breach", "mention")
CHANNEL_KEYS = ("*", "in_app", "email", "push")
OUTSIDE = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)  # 12:00 in Amsterdam
INSIDE = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)  # 23:00 in Amsterdam


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


def measure(
    rounds: int, roster: Roster, prefs: dict[str, MemberPreferences]
) -> dict[str, tuple[float, float, int]]:
    """(best, median, decisions) per instant; the two instants take turns, so that other work
    on the machine falls on both alike."""
    settings = WorkspaceSettings(
        timezone="Europe/Amsterdam",
        slack=SlackSettings("https://hooks.slack.com/services/T0/B0/bench"),
        quiet_hours=QuietHours(dt.time(22), dt.time(8), mode=QuietMode.DEFER),
    )
    event = ConversationCreated(id="e1", conversation_id="c1")
    instants = {"outside": OUTSIDE, "inside": INSIDE}
    times: dict[str, list[float]] = {label: [] for label in instants}
    counts = {
        label: len(decide(event, settings=settings, roster=roster, preferences=prefs, now=now))
        for label, now in instants.items()
    }
    for _ in range(rounds):
        for label, now in instants.items():
            start = time.perf_counter()
            decide(event, settings=settings, roster=roster, preferences=prefs, now=now)
            times[label].append(time.perf_counter() - start)
    return {
        label: (min(spent), statistics.median(spent), counts[label])
        for label, spent in times.items()
    }


def main(argv: list[str] | None = None) -> None:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    rng = random.Random(20260302)
    print(
        f"decide(ConversationCreated without assignee): CPython {platform.python_version()}, "
        f"{platform.machine()}, gc {'on' if gc.isenabled() else 'off'}"
    )
    print(
        f"{'members':>8} {'decisions':>9} {'quiet':>7} {'best ms':>8} {'median ms':>9} "
        f"{'µs/decision':>11}"
    )
    for size in SIZES:
        roster, prefs = workspace(size, rng)
        rounds = max(5, (20_000 if quick else 200_000) // size)
        for label, (best, median, count) in measure(rounds, roster, prefs).items():
            print(
                f"{size:>8,} {count:>9,} {label:>7} {best * 1e3:>8.2f} {median * 1e3:>9.2f} "
                f"{best / count * 1e6:>11.2f}"
            )


if __name__ == "__main__":
    main()
