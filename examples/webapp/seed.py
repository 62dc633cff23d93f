"""A seeded workspace: an owner, an admin, three agents and a week of conversations.

``seed(data_dir, now=...)`` writes the host's data (``helpdesk.json``) and replays the week
through the service on a fresh SQLite file (``notifications.sqlite3``): the owner's first save
of the settings, two members' own preferences, an admin's change in mid-week, every
conversation and mention reported with ``handle`` at the instant it happened, and an hourly
``tick`` (escalations, deferred deliveries, digests).  The transports deliver nowhere: the
outbox rows in the file are the record of what would have been sent.

Everything is drawn from a fixed random seed, so the same ``now`` gives the same workspace.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from notifpolicy import (
    Channel,
    ConversationCreated,
    Delivery,
    Member,
    MemberMentioned,
    Reply,
    Role,
    SendResult,
)
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService

from .helpdesk import Conversation, HappenedEvent, Helpdesk, Person

WORKSPACE_ID = "acme"
ZONE = ZoneInfo("Europe/Amsterdam")
DAYS = 8  # a week, plus the day before it, so the weekly report's week is covered whole
WEBHOOK = "https://hooks.slack.com/services/T0ACME/B0DEMO/not-a-real-token"

PEOPLE = (
    Person(Member("olga", Role.OWNER, "Olga Jansen", email="olga@acme.example", language="en")),
    Person(Member("bram", Role.ADMIN, "Bram de Vries", email="bram@acme.example", language="nl")),
    Person(Member("anna", Role.AGENT, "Anna Smit", email="anna@acme.example", language="en")),
    Person(Member("daan", Role.AGENT, "Daan Bakker", email="daan@acme.example", language="nl")),
    Person(Member("sanne", Role.AGENT, "Sanne Visser", email="sanne@acme.example", language="en")),
)
OWNER, ADMIN = "olga", "bram"
AGENTS = ("anna", "daan", "sanne")

# The owner's first save: what the workspace looked like when the week began.
FIRST_SETTINGS: dict[str, Any] = {
    "timezone": "Europe/Amsterdam",
    "digests": {
        "daily": {"enabled": True, "send_time": "09:00"},
        "weekly": {"enabled": True, "weekday": "monday", "send_time": "09:00"},
    },
    "slack": {"webhook_url": WEBHOOK, "events": ["unassigned", "escalation"]},
    "quiet_hours": {"enabled": True, "start": "22:00", "end": "08:00", "mode": "defer"},
    "version": 1,
}
PREFERENCES: dict[str, dict[str, Any]] = {
    "anna": {"overrides": {"mention": {"email": False}}, "version": 1},
    "daan": {
        "overrides": {"new_conversation": {"push": False}, "unassigned_conversation": False},
        "version": 1,
    },
}
# In mid-week the admin shortens the unassigned escalation.
MIDWEEK_CHANGE: dict[str, Any] = {"escalation": {"unassigned": {"after_minutes": 20}}, "version": 2}

SUBJECTS = (
    "Refund for order 1042",
    "Cannot log in after password reset",
    "Invoice shows the wrong VAT number",
    "Where is my parcel?",
    "Bestelling niet ontvangen",
    "Change the billing address",
    "App crashes when I upload a photo",
    "Dubbel betaald voor abonnement",
    "Export to CSV is empty",
    "Cancel my subscription",
    "Two-factor code never arrives",
    "Korting werkt niet bij afrekenen",
    "Question about the API rate limit",
    "Damaged item in delivery",
    "Can I change my username?",
    "Factuur opnieuw versturen",
)
CUSTOMERS = (
    "Ada Lovelace",
    "Jan de Boer",
    "Grace Hopper",
    "Fatima El Amrani",
    "Linus Berg",
    "Emma Mulder",
    "Noah Peters",
    "Yara Kaya",
)


class Nowhere:
    """A transport that delivers nowhere: the demo has no real Slack, mail or push."""

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        return SendResult.sent()


class FixedClock:
    """The instant the seed was made (the replay passes its own instants)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at


def make_service(
    store: SqliteStore, helpdesk: Helpdesk, clock: Any, *, language: str = "en"
) -> NotificationService:
    return NotificationService(
        workspace_id=WORKSPACE_ID,
        store=store,
        roster=helpdesk,
        conversations=helpdesk,
        digests=helpdesk,
        clock=clock,
        transports={channel: Nowhere() for channel in Channel},
        language=language,
        conversation_url_template="http://127.0.0.1:8000/conversations/{conversation_id}",
    )


def _week(now: dt.datetime, rng: random.Random) -> tuple[list[Conversation], list[HappenedEvent]]:
    conversations: list[Conversation] = []
    events: list[HappenedEvent] = []
    local_now = now.astimezone(ZONE)
    n = 100
    for back in range(DAYS, -1, -1):
        day = (local_now - dt.timedelta(days=back)).date()
        for _ in range(rng.randint(5, 9)):
            minute = rng.randint(7 * 60, 23 * 60 + 30)
            local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), ZONE)
            created = local.astimezone(dt.UTC)
            if not now - dt.timedelta(days=DAYS) <= created < now:
                continue
            n += 1
            conversations.append(_conversation(f"c{n}", created, now, rng))
    conversations.sort(key=lambda c: c.created_at)
    for c in conversations:
        events.append(
            HappenedEvent(
                c.created_at,
                ConversationCreated(
                    id=f"created:{c.id}",
                    conversation_id=c.id,
                    subject=c.subject,
                    customer=c.customer,
                ),
            )
        )
        if c.first_response_at is not None and c.assignee is not None and rng.random() < 0.35:
            at = c.first_response_at + dt.timedelta(minutes=rng.randint(2, 50))
            if at < now:
                others = [p.id for p in PEOPLE if p.id != c.assignee]
                events.append(
                    HappenedEvent(
                        at,
                        MemberMentioned(
                            id=f"mention:{c.id}",
                            conversation_id=c.id,
                            subject=c.subject,
                            author_id=c.assignee,
                            mentioned=(rng.choice(others),),
                        ),
                    )
                )
    return conversations, events


def _conversation(
    cid: str, created: dt.datetime, now: dt.datetime, rng: random.Random
) -> Conversation:
    """One conversation as it stands at ``now``: picked up (sometimes late), answered, closed."""
    subject, customer = rng.choice(SUBJECTS), rng.choice(CUSTOMERS)
    late = rng.random() < 0.15  # waits longer than the escalation allows
    assigned_at = created + dt.timedelta(
        minutes=rng.randint(25, 90) if late else rng.randint(1, 12)
    )
    if assigned_at >= now:
        return Conversation(cid, subject, customer, created)
    agent = rng.choice((*AGENTS, *AGENTS, ADMIN))
    first = assigned_at + dt.timedelta(minutes=rng.randint(1, 20))
    if first >= now:
        return Conversation(cid, subject, customer, created, agent, assigned_at)
    replies = [Reply(agent, first)]
    later = first + dt.timedelta(minutes=rng.randint(20, 300))
    if later < now and rng.random() < 0.5:
        replies.append(Reply(agent, later))
    closed: dt.datetime | None = replies[-1].at + dt.timedelta(minutes=rng.randint(5, 600))
    if closed is not None and (closed >= now or rng.random() < 0.2):
        closed = None
    return Conversation(
        cid, subject, customer, created, agent, assigned_at, first, closed, tuple(replies)
    )


def seed(data_dir: Path, *, now: dt.datetime) -> Helpdesk:
    """Write a fresh seeded workspace into ``data_dir`` (which must not hold one yet)."""
    now = now.astimezone(dt.UTC)
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(14)
    conversations, events = _week(now, rng)
    helpdesk = Helpdesk(PEOPLE, conversations, events, path=data_dir / "helpdesk.json")
    helpdesk.save()
    start = now - dt.timedelta(days=DAYS, hours=1)
    with SqliteStore(data_dir / "notifications.sqlite3") as store:
        service = make_service(store, helpdesk, FixedClock(now))
        service.save_settings(FIRST_SETTINGS, actor=OWNER, now=start)
        for member_id, changes in PREFERENCES.items():
            service.save_preferences(member_id, changes, actor=member_id, now=start)
        midweek = now - dt.timedelta(days=DAYS // 2)
        pending = sorted(
            [*((h.at, h) for h in helpdesk.events), (midweek, None)], key=lambda p: p[0]
        )
        tick_at = start + dt.timedelta(hours=1)
        for at, happened in pending:
            while tick_at <= at:
                helpdesk.as_of = tick_at
                service.tick(now=tick_at)
                tick_at += dt.timedelta(hours=1)
            helpdesk.as_of = at
            if happened is None:
                service.save_settings(MIDWEEK_CHANGE, actor=ADMIN, now=at)
            else:
                service.handle(happened.event, now=at)
        helpdesk.as_of = None
        service.tick(now=now)
    return helpdesk
