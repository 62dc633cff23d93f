"""The host application's own data: members, conversations and what happened in them.

A real helpdesk keeps these in its own database; this example keeps them in one JSON file
beside the library's SQLite file, written by :mod:`webapp.seed` and read at start-up.  The
:class:`Helpdesk` is what the service reads through its ports (``RosterSource``,
``ConversationSource``, ``DigestSource``); the web pages read it too, for names, languages and
the list of recent events.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from notifpolicy import (
    ConversationCreated,
    ConversationRecord,
    ConversationState,
    ConversationUnassigned,
    Event,
    Member,
    MemberMentioned,
    Reply,
    Role,
    Roster,
)

LANGUAGES = ("en", "nl")


@attrs.frozen
class Person:
    """A member as the pages show them; ``Member.language`` is also the pages' language."""

    member: Member

    @property
    def id(self) -> str:
        return self.member.id

    @property
    def language(self) -> str:
        return self.member.language or "en"

    @property
    def is_admin(self) -> bool:
        return self.member.role.is_admin


@attrs.frozen
class Conversation:
    """One conversation as the host stores it (with when it was assigned, for the replay)."""

    id: str
    subject: str
    customer: str
    created_at: dt.datetime
    assignee: str | None = None
    assigned_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    replies: tuple[Reply, ...] = ()

    def record(self) -> ConversationRecord:
        return ConversationRecord(
            self.id,
            self.created_at,
            closed_at=self.closed_at,
            first_response_at=self.first_response_at,
            assignee=self.assignee,
            replies=self.replies,
        )

    def state(self) -> ConversationState:
        assigned = self.assignee is not None
        return ConversationState(
            id=self.id,
            created_at=self.created_at,
            status="open" if self.closed_at is None else "closed",
            assignee=self.assignee,
            unassigned_since=None if assigned else self.created_at,
            first_response_at=self.first_response_at,
        )


@attrs.frozen
class HappenedEvent:
    """An event the helpdesk reported to the service, and when."""

    at: dt.datetime
    event: Event

    def describe(self) -> str:
        e = self.event
        return f"{e.subject or e.conversation_id or e.id}"


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _event_doc(happened: HappenedEvent) -> dict[str, Any]:
    e = happened.event
    doc: dict[str, Any] = {
        "at": happened.at.isoformat(),
        "id": e.id,
        "subject": e.subject,
        "customer": e.customer,
        "conversation_id": e.conversation_id,
    }
    if isinstance(e, ConversationCreated):
        doc.update(type="created", assignee=e.assignee)
    elif isinstance(e, MemberMentioned):
        doc.update(type="mention", author_id=e.author_id, mentioned=list(e.mentioned))
    elif isinstance(e, ConversationUnassigned):
        doc.update(type="unassigned")
    else:  # pragma: no cover - the seed makes only the three above
        raise TypeError(f"not a helpdesk event: {e!r}")
    return doc


def _event_from(doc: Mapping[str, Any]) -> HappenedEvent:
    common = {
        "id": doc["id"],
        "subject": doc["subject"],
        "customer": doc["customer"],
        "conversation_id": doc["conversation_id"],
    }
    event: Event
    if doc["type"] == "created":
        event = ConversationCreated(**common, assignee=doc["assignee"])
    elif doc["type"] == "mention":
        event = MemberMentioned(
            **common, author_id=doc["author_id"], mentioned=tuple(doc["mentioned"])
        )
    else:
        event = ConversationUnassigned(**common)
    return HappenedEvent(_instant(doc["at"]), event)


class Helpdesk:
    """The host's data, behind a lock (the development server answers in threads)."""

    def __init__(
        self,
        people: Iterable[Person],
        conversations: Iterable[Conversation],
        events: Iterable[HappenedEvent],
        *,
        path: Path | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._people = {p.id: p for p in people}
        self._conversations = list(conversations)
        self.events = tuple(sorted(events, key=lambda h: h.at))
        self._path = path
        # While the seed replays the week, the ports answer as of this instant.
        self.as_of: dt.datetime | None = None

    # -- people ---------------------------------------------------------------------------------

    def people(self) -> tuple[Person, ...]:
        with self._lock:
            return tuple(self._people.values())

    def person(self, member_id: str) -> Person | None:
        with self._lock:
            return self._people.get(member_id)

    def set_language(self, member_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language: must be one of {', '.join(LANGUAGES)}, got {language!r}")
        with self._lock:
            person = self._people[member_id]
            member = attrs.evolve(person.member, language=language)
            self._people[member_id] = Person(member)
        self.save()

    # -- the service's ports -----------------------------------------------------------------

    def roster(self, workspace_id: str) -> Roster:
        return Roster(p.member for p in self.people())

    def _visible(self) -> list[Conversation]:
        if self.as_of is None:
            return list(self._conversations)
        t = self.as_of
        return [_as_of(c, t) for c in self._conversations if c.created_at <= t]

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return [c.state() for c in self._visible() if c.closed_at is None]

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[ConversationRecord]:
        return [
            c.record()
            for c in self._visible()
            if c.created_at < end and (c.closed_at is None or c.closed_at >= start)
        ]

    def recent_events(self, limit: int = 40) -> tuple[HappenedEvent, ...]:
        return tuple(reversed(self.events[-limit:]))

    def event(self, event_id: str) -> HappenedEvent | None:
        return next((h for h in self.events if h.event.id == event_id), None)

    # -- the file -------------------------------------------------------------------------------

    def save(self) -> None:
        if self._path is None:
            return
        with self._lock:
            doc = {
                "members": [_person_doc(p) for p in self._people.values()],
                "conversations": [_conversation_doc(c) for c in self._conversations],
                "events": [_event_doc(h) for h in self.events],
            }
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self._path)

    @classmethod
    def load(cls, path: Path) -> Helpdesk:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            [_person_from(d) for d in doc["members"]],
            [_conversation_from(d) for d in doc["conversations"]],
            [_event_from(d) for d in doc["events"]],
            path=path,
        )


def _as_of(c: Conversation, t: dt.datetime) -> Conversation:
    """The conversation as it was at ``t``: later facts not yet happened."""
    assigned = c.assigned_at is not None and c.assigned_at <= t
    return attrs.evolve(
        c,
        assignee=c.assignee if assigned else None,
        assigned_at=c.assigned_at if assigned else None,
        first_response_at=c.first_response_at
        if c.first_response_at is not None and c.first_response_at <= t
        else None,
        closed_at=c.closed_at if c.closed_at is not None and c.closed_at <= t else None,
        replies=tuple(r for r in c.replies if r.at <= t),
    )


def _person_doc(p: Person) -> dict[str, Any]:
    m = p.member
    return {
        "id": m.id,
        "role": m.role.value,
        "name": m.display_name,
        "email": m.email,
        "active": m.active,
        "language": m.language,
    }


def _person_from(d: Mapping[str, Any]) -> Person:
    return Person(
        Member(
            d["id"],
            Role(d["role"]),
            d["name"],
            active=d["active"],
            email=d["email"],
            language=d["language"],
        )
    )


def _conversation_doc(c: Conversation) -> dict[str, Any]:
    return {
        "id": c.id,
        "subject": c.subject,
        "customer": c.customer,
        "created_at": _iso(c.created_at),
        "assignee": c.assignee,
        "assigned_at": _iso(c.assigned_at),
        "first_response_at": _iso(c.first_response_at),
        "closed_at": _iso(c.closed_at),
        "replies": [[r.agent_id, r.at.isoformat()] for r in c.replies],
    }


def _conversation_from(d: Mapping[str, Any]) -> Conversation:
    return Conversation(
        d["id"],
        d["subject"],
        d["customer"],
        _instant(d["created_at"]),
        assignee=d["assignee"],
        assigned_at=_when(d["assigned_at"]),
        first_response_at=_when(d["first_response_at"]),
        closed_at=_when(d["closed_at"]),
        replies=tuple(Reply(agent, dt.datetime.fromisoformat(at)) for agent, at in d["replies"]),
    )
