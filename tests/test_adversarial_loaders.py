"""The adversarial suite, part 1: the loaders and constructors that take outside data.

Law (SPEC §11): only a NotifPolicyError comes out, or a valid result; the message is bounded
and encodes as UTF-8.  See tests/_adversarial.py for the inputs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    ConversationCreated,
    ConversationState,
    ConversationUnassigned,
    DigestReady,
    EscalationDue,
    HostEvent,
    Member,
    MemberMentioned,
    MemberPreferences,
    Role,
    Roster,
    SlaBreached,
    WorkspaceSettings,
)

from ._adversarial import (
    adversarial,
    datetimes,
    documents,
    json_texts,
    keys,
    obeys_law,
    preference_documents,
    settings_documents,
    texts,
    toml_texts,
    values,
)

HOSTS = st.sampled_from([(), ("hooks.example.org",)]) | st.lists(texts, max_size=2)


@adversarial(ci_examples=7_000)
@given(doc=settings_documents | documents, hosts=HOSTS)
def test_settings_from_dict(doc, hosts):
    loaded = obeys_law(lambda: WorkspaceSettings.from_dict(doc, extra_webhook_hosts=hosts))
    if loaded is not None:
        # A valid result is a real one: its canonical form loads back to itself.
        assert WorkspaceSettings.from_dict(loaded.to_dict(), extra_webhook_hosts=hosts) == loaded


@adversarial(ci_examples=4_000)
@given(text=json_texts | st.binary(max_size=40) | values)
def test_settings_from_json(text):
    obeys_law(lambda: WorkspaceSettings.from_json(text))


@adversarial(ci_examples=3_000)
@given(text=toml_texts | values)
def test_settings_from_toml(text):
    obeys_law(lambda: WorkspaceSettings.from_toml(text))


@adversarial(ci_examples=5_500)
@given(doc=preference_documents | documents, lenient=st.booleans())
def test_preferences_from_dict_and_from_stored(doc, lenient):
    if lenient:
        loaded = obeys_law(lambda: MemberPreferences.from_stored(doc))
        prefs = None if loaded is None else loaded[0]
    else:
        prefs = obeys_law(lambda: MemberPreferences.from_dict(doc))
    if prefs is not None:
        assert MemberPreferences.from_dict(prefs.to_dict()) == prefs


@adversarial(ci_examples=8_000)
@given(overrides=values, version=values)
def test_preferences_constructor(overrides, version):
    obeys_law(lambda: MemberPreferences(overrides, version))


IDS = st.one_of(st.sampled_from(["e1", "c1", "anna", "x:y"]), texts, values)
KIND_NAMES = st.sampled_from(["mention", "refund", "daily_summary", "escalation_unassigned"])


def _event_args(cls: type, fields: dict[str, st.SearchStrategy[object]]) -> st.SearchStrategy:
    # The arguments only: the constructor runs inside the law, not while drawing.
    return st.fixed_dictionaries(fields).map(lambda kw: (cls, kw))


EVENT_ARGS = st.one_of(
    _event_args(
        ConversationCreated,
        {
            "id": IDS,
            "conversation_id": IDS,
            "assignee": st.none() | IDS,
            "subject": st.none() | texts | values,
            "customer": st.none() | texts | values,
        },
    ),
    _event_args(ConversationUnassigned, {"id": IDS, "conversation_id": IDS}),
    _event_args(
        MemberMentioned,
        {
            "id": IDS,
            "conversation_id": IDS,
            "author_id": IDS,
            "mentioned": st.lists(IDS, max_size=3) | values,
        },
    ),
    _event_args(EscalationDue, {"id": IDS, "conversation_id": IDS, "kind": KIND_NAMES | values}),
    _event_args(SlaBreached, {"id": IDS, "conversation_id": IDS, "assignee": st.none() | IDS}),
    _event_args(DigestReady, {"id": IDS, "kind": KIND_NAMES | values}),
    _event_args(
        HostEvent,
        {
            "id": IDS,
            "kinds": st.lists(KIND_NAMES | values, max_size=3) | values,
            "conversation_id": st.none() | IDS,
            "assignee": st.none() | IDS,
            "mentioned": st.lists(IDS, max_size=2) | values,
            "author_id": st.none() | IDS,
            "held_for": st.lists(IDS, max_size=2) | values,
        },
    ),
)


@adversarial(ci_examples=25_000)
@given(args=EVENT_ARGS)
def test_event_constructors(args):
    cls, kwargs = args
    obeys_law(lambda: cls(**kwargs))


@adversarial(ci_examples=4_000)
@given(
    member_id=IDS,
    role=st.sampled_from(list(Role)) | values,
    name=texts | values,
    active=st.booleans() | values,
    channels=st.lists(values, max_size=2) | st.just(()) | values,
    email=st.none() | texts | values,
)
def test_members_and_rosters(member_id, role, name, active, channels, email):
    member = obeys_law(
        lambda: Member(member_id, role, name, active=active, channels=channels, email=email)
    )
    obeys_law(lambda: Roster([member, member] if member is not None else [member_id]))


@adversarial(ci_examples=8_000)
@given(
    cid=IDS,
    created=datetimes | values,
    status=st.sampled_from(["open", "closed"]) | values,
    assignee=st.none() | IDS,
    since=st.none() | datetimes | values,
    first=st.none() | datetimes | values,
)
def test_conversation_state(cid, created, status, assignee, since, first):
    obeys_law(
        lambda: ConversationState(
            id=cid,
            created_at=created,
            status=status,
            assignee=assignee,
            unassigned_since=since,
            first_response_at=first,
        )
    )


@adversarial(ci_examples=1_500)
@given(data=st.dictionaries(keys, values, max_size=6))
def test_dicts_with_odd_keys(data):
    obeys_law(lambda: WorkspaceSettings.from_dict(data))
    obeys_law(lambda: MemberPreferences.from_dict(data))
    obeys_law(lambda: MemberPreferences.from_dict({"overrides": data}))


@adversarial(ci_examples=2_000)
@given(doc=documents | values)
def test_members_and_rosters_from_dict(doc):
    obeys_law(lambda: Member.from_dict(doc))
    obeys_law(lambda: Roster.from_dict(doc))
    obeys_law(lambda: Roster.from_dict({"members": [doc, doc]}))
