"""The host app's side of a simulation: the team, the conversations, and the events they make.

A :class:`Helpdesk` is what a helpdesk app is to the service: it answers the host-side ports
(the roster, the open conversations the escalation check reads, the conversation records the
digests summarize) and turns each action of a :class:`~notifpolicy._simulation.traffic.DayPlan`
into the change it makes to a conversation and the event, if any, that the app reports.
"""

from __future__ import annotations

import datetime as dt

import attrs

from notifpolicy import (
    ConversationCreated,
    ConversationRecord,
    ConversationState,
    ConversationUnassigned,
    Event,
    MemberMentioned,
    Reply,
    Roster,
)
from notifpolicy._simulation.traffic import Action, ActionKind

__all__ = ["Helpdesk"]


class Helpdesk:
    """The host app's side: the roster, open conversations for escalations, digest records."""

    def __init__(self, roster: Roster) -> None:
        self._roster = roster
        self._states: dict[str, ConversationState] = {}
        self._records: dict[str, ConversationRecord] = {}

    def roster(self, workspace_id: str) -> Roster:
        return self._roster

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return list(self._states.values())

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[ConversationRecord]:
        return [
            r
            for r in self._records.values()
            if r.created_at < end and (r.closed_at is None or r.closed_at >= start)
        ]

    def apply(self, action: Action, event_id: str) -> Event | None:
        """Change the conversation as the action says; the event to report, if there is one."""
        cid, at = action.conversation_id, action.at
        if action.kind is ActionKind.CREATE:
            self._states[cid] = ConversationState(
                id=cid,
                created_at=at,
                assignee=action.member,
                unassigned_since=None if action.member else at,
            )
            self._records[cid] = ConversationRecord(cid, at, assignee=action.member)
            return ConversationCreated(
                id=event_id,
                conversation_id=cid,
                subject=action.subject,
                customer=action.customer,
                assignee=action.member,
            )
        state, record = self._states[cid], self._records[cid]
        if action.kind is ActionKind.MENTION:
            assert action.member is not None  # noqa: S101 -- the plan always names the author
            return MemberMentioned(
                id=event_id,
                conversation_id=cid,
                author_id=action.member,
                mentioned=action.mentioned,
            )
        if action.kind is ActionKind.CLOSE:
            del self._states[cid]
            self._records[cid] = attrs.evolve(record, closed_at=at)
        elif action.kind is ActionKind.ASSIGN:
            self._states[cid] = attrs.evolve(state, assignee=action.member, unassigned_since=None)
            self._records[cid] = attrs.evolve(record, assignee=action.member)
        elif action.kind is ActionKind.UNASSIGN:
            self._states[cid] = attrs.evolve(state, assignee=None, unassigned_since=at)
            self._records[cid] = attrs.evolve(record, assignee=None)
            return ConversationUnassigned(id=event_id, conversation_id=cid)
        else:  # a reply: the first one stops the first-response clock
            assert action.member is not None  # noqa: S101 -- the plan always names the agent
            first = state.first_response_at or at
            self._states[cid] = attrs.evolve(state, first_response_at=first)
            self._records[cid] = attrs.evolve(
                record,
                first_response_at=first,
                replies=(*record.replies, Reply(action.member, at)),
            )
        return None
