"""A host's scheduler, driven by ``next_check_at``, fires exactly what brute force says, once.

The machine plays a helpdesk: conversations are created, assigned, unassigned, answered (with
workers' clocks a little off), closed and reopened, and admins change the escalation settings,
while simulated time advances.  The host does what ``docs/concepts/escalations.md`` recommends:
after every change it calls ``due`` and claims the keys, then sleeps until ``next_check_at``.

Brute force, on the side: between two changes the conversations are constant, so the machine
samples that stretch (a coarse grid, and every due instant of the reference with one microsecond
either side), reads off the rules which keys are due at each sample, and checks ``due`` itself at
each sample too.  Invariant: the keys the scheduler fired are exactly the keys brute force saw
due, each fired once, never before its due instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import attrs
from hypothesis import event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from notifpolicy._business_clock import business_due_at
from notifpolicy._conversation import ConversationState, ConversationStatus
from notifpolicy._escalation import due, next_check_at
from notifpolicy._settings import WorkspaceSettings

UTC = dt.UTC
US = dt.timedelta(microseconds=1)
MIN = dt.timedelta(minutes=1)
WS = "ws-sim"
GRID = 20 * MIN

SCHEDULES: list[dict[str, object] | None] = [
    None,
    None,
    {
        "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "closed_dates": ["2026-10-26"],
    },
    {
        # Short ranges around the DST changes, one of them overnight, one holiday.
        "weekly": {
            "sat": [["22:00", "02:30"]],
            "sun": [["02:30", "03:15"], ["12:00", "12:20"]],
            "mon": [["00:00", "00:05"], ["08:00", "08:30"]],
        },
        "closed_dates": ["2026-03-30"],
    },
]
# Saturday evenings before the two DST changes of 2026 in Amsterdam.
BASES = [dt.datetime(2026, 3, 28, 18, tzinfo=UTC), dt.datetime(2026, 10, 24, 18, tzinfo=UTC)]

# How far time moves before an event: not at all, a little, a lot, or exactly to the next due
# instant (by the reference), or one microsecond either side of it.
STEPS = st.one_of(
    st.just(dt.timedelta(0)),
    st.integers(1, 10**6).map(lambda us: us * US),
    st.integers(1, 180).map(lambda m: m * MIN),
    st.integers(1, 3 * 3600 * 10**6).map(lambda us: us * US),
    st.sampled_from(["next-1us", "next", "next+1us"]),
)

THRESHOLDS = st.one_of(st.integers(1, 20), st.integers(1, 240))


def reference(
    states: Iterable[ConversationState], settings: WorkspaceSettings
) -> Iterator[tuple[str, dt.datetime]]:
    """(key, due instant) of every escalation of every open conversation, from the rules."""
    rules = settings.escalation
    for c in states:
        if c.status is not ConversationStatus.OPEN:
            continue
        if rules.unassigned.enabled and c.assignee is None:
            assert c.unassigned_since is not None
            since = c.unassigned_since.astimezone(UTC)
            yield f"{WS}:unassigned:{c.id}:{since.isoformat()}", since + rules.unassigned.after
        if c.first_response_at is None:
            if settings.business_hours is None:
                at = c.created_at + rules.first_response.after
            else:
                at = business_due_at(
                    c.created_at,
                    rules.first_response.after,
                    hours=settings.business_hours,
                    tz=settings.timezone,
                )
            if rules.first_response.enabled:
                yield f"{WS}:first_response:{c.id}:escalation_first_response", at
            yield f"{WS}:first_response:{c.id}:sla_breach", at


class Helpdesk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = BASES[0]
        self.conversations: dict[str, ConversationState] = {}
        self.settings = WorkspaceSettings()
        self.fired: list[str] = []  # what the scheduler fired, in order
        self.brute: set[str] = set()  # what brute force saw due
        self.threshold_raised = False

    # -- the host ------------------------------------------------------------------------------

    def evaluate(self, *, wake_up: bool = False) -> int:
        """Call `due` at `now`, claim the keys; the number claimed."""
        table = dict(reference(self.conversations.values(), self.settings))
        found = due(
            self.conversations.values(),
            settings=self.settings,
            now=self.now,
            already_fired=frozenset(self.fired),
            workspace_id=WS,
        )
        for e in found:
            assert e.due_at == table[e.key]
            assert e.due_at <= self.now
            if wake_up:
                # Everything due earlier was claimed at an earlier evaluation (the host evaluates
                # after every change), so a wake-up finds only what falls due at this very
                # instant: next_check_at is on time to the microsecond, never late.
                assert e.due_at == self.now
            assert e.key not in self.fired
            self.fired.append(e.key)
        return len(found)

    def advance(self, step: dt.timedelta | str) -> None:
        """Let time pass to the next event; the scheduler wakes at every `next_check_at`."""
        if isinstance(step, str):
            # To the next due instant by the reference, not by next_check_at (under test).
            upcoming = [
                at
                for at in dict(reference(self.conversations.values(), self.settings)).values()
                if at > self.now
            ]
            nudge = {"next-1us": -US, "next": 0 * US, "next+1us": US}[step]
            target = max(self.now, min(upcoming, default=self.now) + nudge)
        else:
            target = self.now + step
        self.brute_force(self.now, target)
        while True:
            wake = next_check_at(self.conversations.values(), settings=self.settings, now=self.now)
            if wake is None or wake > target:
                break
            assert wake > self.now
            self.now = wake
            claimed = self.evaluate(wake_up=True)
            # A wake-up finds work, unless a raised threshold moved an already fired one later.
            assert claimed or self.threshold_raised
        self.now = target

    def brute_force(self, start: dt.datetime, end: dt.datetime) -> None:
        """Sample [start, end], over which nothing changes, and record what is due."""
        table = dict(reference(self.conversations.values(), self.settings))
        samples = {start, end}
        t = start
        while t < end:
            samples.add(t)
            t += GRID
        for at in table.values():
            samples.update({at - US, at, at + US})
        for t in sorted(s for s in samples if start <= s <= end):
            expected = {key for key, at in table.items() if at <= t}
            self.brute |= expected
            got = due(
                self.conversations.values(),
                settings=self.settings,
                now=t,
                already_fired=frozenset(),
                workspace_id=WS,
            )
            assert {e.key for e in got} == expected

    def change(self, cid: str, **changes: Any) -> None:
        self.conversations[cid] = attrs.evolve(self.conversations[cid], **changes)
        self.after_change()

    def after_change(self) -> None:
        # The host evaluates after every change; brute force sees the new state at this instant.
        self.brute_force(self.now, self.now)
        self.evaluate()

    def pick(self, index: int) -> ConversationState | None:
        """The conversation at `index` (modulo); None before the first one exists."""
        if not self.conversations:
            return None
        return list(self.conversations.values())[index % len(self.conversations)]

    # -- the world -----------------------------------------------------------------------------

    @initialize(
        base=st.sampled_from(BASES),
        schedule=st.sampled_from(SCHEDULES),
        unassigned=st.tuples(st.booleans(), THRESHOLDS),
        first_response=st.tuples(st.booleans(), THRESHOLDS),
        opening=st.lists(st.booleans(), min_size=1, max_size=3),
    )
    def start(self, base, schedule, unassigned, first_response, opening) -> None:
        self.now = base
        self.settings = WorkspaceSettings.from_dict(
            {
                "timezone": "Europe/Amsterdam",
                "escalation": {
                    "unassigned": {"enabled": unassigned[0], "after_minutes": unassigned[1]},
                    "first_response": {
                        "enabled": first_response[0],
                        "after_minutes": first_response[1],
                    },
                },
                "business_hours": schedule,
            }
        )
        # A few conversations from the start, so that every run has something to escalate.
        for assigned in opening:
            self.create(0 * US, assigned)

    @rule(step=STEPS, assigned=st.booleans())
    def create(self, step, assigned) -> None:
        self.advance(step)
        cid = f"c{len(self.conversations)}"
        self.conversations[cid] = ConversationState(
            id=cid,
            created_at=self.now,
            assignee="agent" if assigned else None,
            unassigned_since=None if assigned else self.now,
        )
        self.after_change()

    @rule(step=STEPS, index=st.integers(0, 50))
    def assign(self, step, index) -> None:
        self.advance(step)
        c = self.pick(index)
        if c is not None:
            self.change(c.id, assignee="agent", unassigned_since=None)

    @rule(step=STEPS, index=st.integers(0, 50))
    def unassign(self, step, index) -> None:
        self.advance(step)
        c = self.pick(index)
        if c is not None and c.assignee is not None:
            self.change(c.id, assignee=None, unassigned_since=self.now)

    @rule(step=STEPS, index=st.integers(0, 50), skew=st.integers(-600, 600))
    def reply(self, step, index, skew) -> None:
        self.advance(step)
        c = self.pick(index)
        if c is not None and c.first_response_at is None:
            # The replying worker's clock may be a few minutes off, either way.
            at = max(c.created_at, self.now + skew * dt.timedelta(seconds=1))
            self.change(c.id, first_response_at=at)

    @rule(step=STEPS, index=st.integers(0, 50))
    def close_or_reopen(self, step, index) -> None:
        self.advance(step)
        c = self.pick(index)
        if c is None:
            return
        flipped = (
            ConversationStatus.CLOSED
            if c.status is ConversationStatus.OPEN
            else ConversationStatus.OPEN
        )
        self.change(c.id, status=flipped)

    @rule(
        step=STEPS,
        which=st.sampled_from(["unassigned", "first_response"]),
        enabled=st.booleans(),
        minutes=THRESHOLDS,
    )
    def admin_changes_a_rule(self, step, which, enabled, minutes) -> None:
        self.advance(step)
        old = getattr(self.settings.escalation, which)
        if minutes > old.after_minutes:
            self.threshold_raised = True
        rule_ = attrs.evolve(old, enabled=enabled, after_minutes=minutes)
        escalation = attrs.evolve(self.settings.escalation, **{which: rule_})
        self.settings = attrs.evolve(self.settings, escalation=escalation)
        self.after_change()

    @rule(step=STEPS)
    def time_passes(self, step) -> None:
        self.advance(step)

    # -- the law -------------------------------------------------------------------------------

    def teardown(self) -> None:
        # Visible with --hypothesis-show-statistics: the runs do fire escalations.
        event(
            f"escalations fired: {min(len(self.fired), 10)}{'+' if len(self.fired) >= 10 else ''}"
        )

    @invariant()
    def fired_exactly_what_brute_force_saw_due_each_once(self) -> None:
        assert len(self.fired) == len(set(self.fired))
        assert set(self.fired) == self.brute


# Sized from the active profile: a few seconds under "quick", about half a minute under "ci".
Helpdesk.TestCase.settings = hypothesis_settings(
    max_examples=hypothesis_settings().max_examples // 2,
    stateful_step_count=50,
)
TestHelpdesk = Helpdesk.TestCase
