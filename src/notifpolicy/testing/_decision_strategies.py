"""Hypothesis strategies for decisions: rosters, events, preferences and instants.

To be merged into ``notifpolicy.testing.strategies``.  Each shrinks toward a small roster of
active agents with every channel, an event with no subject, and no overrides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from hypothesis import strategies as st

from notifpolicy._digest_schedule import DailyDigest, WeeklyDigest
from notifpolicy._events import (
    ConversationCreated,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    Event,
    MemberMentioned,
    SlaBreached,
)
from notifpolicy._kinds import (
    ADMIN_ESCALATION_KINDS,
    DIGEST_KINDS,
    MEMBER_CHANNELS,
    Channel,
    KindRegistry,
    Role,
    SlackEvent,
)
from notifpolicy._preferences import ALL_CHANNELS, MemberPreferences
from notifpolicy._roster import Member, Roster
from notifpolicy._settings import (
    DigestSettings,
    EscalationRule,
    EscalationSettings,
    SlackSettings,
    WorkspaceSettings,
)
from notifpolicy.testing._settings_strategies import quiet_hours, webhook_urls

__all__ = [
    "decision_settings",
    "events",
    "instants",
    "member_ids",
    "preferences_for",
    "rosters",
    "user_texts",
]

_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)

# Zones with the transitions quiet hours must survive: none, an hour, half an hour, a 45-minute
# offset, a southern-hemisphere DST, and a zone that skipped a whole day.
DECISION_ZONES = (
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "Pacific/Apia",
    "Asia/Kolkata",
)


# Strategies are built once, at import: Hypothesis validates a strategy the first time it draws
# from it, which costs more than the draw itself when strategies are rebuilt inside a composite.
_MEMBER_IDS = st.text("abcdefgh", min_size=1, max_size=3)
_USER_TEXTS = st.text(
    st.sampled_from("<>&!@|*_~`#:/ ") | st.characters(codec="utf-8"), min_size=1, max_size=40
) | st.sampled_from(
    ["<!channel>", "<!here>", "<@U123>", "<https://evil.example|your bank>", "a & b > c"]
)
_EVENT_IDS = st.text("e0123456789", min_size=1, max_size=4)
_MAYBE_TEXT = st.none() | _USER_TEXTS


def member_ids() -> st.SearchStrategy[str]:
    """Short member ids; shrinks toward ``"a"``."""
    return _MEMBER_IDS


def user_texts() -> st.SearchStrategy[str]:
    """Text a customer could type, with a bias toward Slack's control characters."""
    return _USER_TEXTS


_ROLES = st.sampled_from([Role.AGENT, Role.ADMIN, Role.OWNER])
_ACTIVE = st.booleans().map(lambda b: not b)
_NAMED = st.booleans()
_OFFERED = st.just(MEMBER_CHANNELS) | st.frozensets(st.sampled_from(_CHANNELS))


@st.composite
def rosters(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 8) -> Roster:
    """Rosters with unique ids, every role, some deactivated members, any channel subsets."""
    ids = draw(st.lists(member_ids(), min_size=min_size, max_size=max_size, unique=True))
    return Roster(
        Member(
            member_id,
            draw(_ROLES),
            member_id.upper() if draw(_NAMED) else "",
            active=draw(_ACTIVE),
            channels=draw(_OFFERED),
        )
        for member_id in ids
    )


def _some_id(ids: Sequence[str]) -> st.SearchStrategy[str]:
    # Mostly ids of the roster, sometimes one that is not in it.
    return st.sampled_from(ids) | member_ids() if ids else member_ids()


@st.composite
def events(draw: st.DrawFn, roster: Roster | None = None) -> Event:
    """Any built-in event; ids mostly from ``roster`` (sometimes unknown ones)."""
    ids = [m.id for m in roster] if roster is not None else []
    who = _some_id(ids)
    event_id = draw(_EVENT_IDS)
    subject, customer = draw(_MAYBE_TEXT), draw(_MAYBE_TEXT)
    conversation = draw(st.sampled_from(["c1", "c2", "c3"]))
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return ConversationCreated(
            id=event_id,
            subject=subject,
            customer=customer,
            conversation_id=conversation,
            assignee=draw(st.none() | who),
        )
    if choice == 1:
        return ConversationUnassigned(
            id=event_id, subject=subject, customer=customer, conversation_id=conversation
        )
    if choice == 2:
        return MemberMentioned(
            id=event_id,
            subject=subject,
            customer=customer,
            conversation_id=conversation,
            author_id=draw(who),
            mentioned=draw(st.lists(who, max_size=4)),
        )
    if choice == 3:
        return EscalationDue(
            id=event_id,
            subject=subject,
            customer=customer,
            conversation_id=conversation,
            kind=draw(st.sampled_from(ADMIN_ESCALATION_KINDS)),
        )
    if choice == 4:
        return SlaBreached(
            id=event_id,
            subject=subject,
            customer=customer,
            conversation_id=conversation,
            assignee=draw(st.none() | who),
        )
    return DigestReady(
        id=event_id,
        subject=subject,
        customer=customer,
        kind=draw(st.sampled_from(DIGEST_KINDS)),
    )


def _kind_overrides(
    kinds: KindRegistry, focus: frozenset[str] | None = None
) -> st.SearchStrategy[dict[str, dict[str, bool]]]:
    # Built once per registry (and focus): Hypothesis validates a strategy the first time it
    # draws from it, which costs more than the draw when strategies are rebuilt in a composite.
    per_kind = [
        st.tuples(
            st.just(kind.name),
            st.dictionaries(
                st.sampled_from(
                    [ALL_CHANNELS, *(c.value for c in _CHANNELS if c in kind.channels)]
                ),
                st.booleans(),
                min_size=1,
            ),
        )
        for kind in kinds.overridable()
        if focus is None or kind.name in focus
    ]
    if not per_kind:
        return st.just({})
    return st.lists(st.one_of(per_kind), max_size=3, unique_by=lambda item: item[0]).map(dict)


_DEFAULT_OVERRIDES = _kind_overrides(KindRegistry.default())
_FOCUSED: dict[frozenset[str], st.SearchStrategy[dict[str, dict[str, bool]]]] = {}


@st.composite
def preferences_for(
    draw: st.DrawFn,
    roster: Roster,
    *,
    kinds: KindRegistry | None = None,
    focus: Iterable[str] | None = None,
) -> dict[str, MemberPreferences]:
    """Valid overrides for some of the roster's members, and for an id that is not in it.

    ``focus``: draw overrides only for these kinds (say, the kinds of the event at hand), so
    that they matter to the decision more often.
    """
    if kinds is None and focus is None:
        overrides = _DEFAULT_OVERRIDES
    elif kinds is None:
        key = frozenset(focus or ())
        if key not in _FOCUSED:
            _FOCUSED[key] = _kind_overrides(KindRegistry.default(), key)
        overrides = _FOCUSED[key]
    else:
        overrides = _kind_overrides(kinds, None if focus is None else frozenset(focus))
    ids = [m.id for m in roster] + ["zz-not-a-member"]
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    return {member_id: MemberPreferences(draw(overrides)) for member_id in chosen}


def instants() -> st.SearchStrategy[dt.datetime]:
    """Aware instants in UTC, 2000-2040 (every DST rule the zones had then)."""
    # Hypothesis takes naive bounds and attaches the zone it draws.
    low, high = dt.datetime(2000, 1, 1), dt.datetime(2040, 12, 31)  # noqa: DTZ001
    return st.datetimes(low, high, timezones=st.just(dt.UTC))


_ON = st.booleans().map(lambda b: not b)  # shrinks toward True, the default
_RULES = st.builds(EscalationRule, _ON, st.integers(1, 120))
_WEBHOOKS = st.none() | webhook_urls()
_SLACK_EVENTS = st.frozensets(st.sampled_from(SlackEvent)) | st.just(frozenset(SlackEvent))
_QUIET_HOURS = quiet_hours()
_ZONES = st.sampled_from(DECISION_ZONES)


@st.composite
def decision_settings(draw: st.DrawFn, *, kinds: KindRegistry | None = None) -> WorkspaceSettings:
    """Settings varying in what decisions read: zone, defaults, switches, Slack, quiet hours.

    Lighter than ``workspace_settings()`` (no business hours, a fixed list of zones), so that
    decision properties can run many examples.  Shrinks toward the default settings.
    """
    registry = kinds or KindRegistry.default()
    return WorkspaceSettings(
        timezone=draw(_ZONES),
        defaults={k.name: draw(_ON) for k in registry.overridable()},
        digests=DigestSettings(
            daily=DailyDigest(draw(st.booleans())),
            weekly=WeeklyDigest(draw(st.booleans())),
        ),
        escalation=EscalationSettings(draw(_RULES), draw(_RULES)),
        slack=SlackSettings(draw(_WEBHOOKS), draw(_SLACK_EVENTS)),
        quiet_hours=draw(_QUIET_HOURS),
    )
