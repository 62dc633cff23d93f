"""The figures of a simulated day: what the traffic was, what the service decided and did.

One place for the counts that the ``simulate`` command prints as its summary and puts in its
JSON document (``summary``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from notifpolicy import (
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
    Channel,
    OutboxStatus,
)
from notifpolicy._simulation.run import (
    CatchUpEntry,
    DigestEntry,
    EscalationEntry,
    ProblemEntry,
    SentEntry,
    Simulation,
)
from notifpolicy._simulation.traffic import ActionKind

__all__ = ["CHANNELS", "summary"]

CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH, Channel.SLACK)
"""The channels in the order every figure and line lists them."""


def summary(sim: Simulation) -> dict[str, Any]:
    """The day's figures as plain data (JSON-ready): every count, zeros included."""
    actions = Counter(a.kind for a in sim.plan.actions)
    assigned = actions[ActionKind.ASSIGN] + sum(
        1 for a in sim.plan.actions if a.kind is ActionKind.CREATE and a.member
    )
    sent: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    digests = []
    catchups = problems = 0
    for e in sim.entries:
        if isinstance(e, SentEntry):
            sent.update(channel for channel, _ in e.targets)
        elif isinstance(e, EscalationEntry):
            escalations[e.kind] += 1
        elif isinstance(e, DigestEntry):
            digests.append({"key": e.key, "recipients": len(e.recipients)})
        elif isinstance(e, CatchUpEntry):
            catchups += 1
        elif isinstance(e, ProblemEntry):
            problems += 1
    statuses = Counter(i.status for i in sim.outbox)
    return {
        "traffic": {
            "created": actions[ActionKind.CREATE],
            "assigned": assigned,
            "replied": actions[ActionKind.REPLY],
            "mentioned": actions[ActionKind.MENTION],
            "unassigned": actions[ActionKind.UNASSIGN],
            "closed": actions[ActionKind.CLOSE],
            "open_at_end": actions[ActionKind.CREATE] - actions[ActionKind.CLOSE],
        },
        "decisions": dict(sim.outcomes),
        "reasons": dict(sim.reasons),
        "sent": {c.value: sent[c.value] for c in CHANNELS},
        "escalations": {
            kind: escalations[kind]
            for kind in (KIND_UNASSIGNED, KIND_FIRST_RESPONSE, KIND_SLA_BREACH)
        },
        "catch_ups": catchups,
        "digests": digests,
        "problems": problems,
        "outbox": {s.value: statuses[s] for s in OutboxStatus},
    }
