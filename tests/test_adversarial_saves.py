"""The adversarial suite, part 5: saves and patches.

A settings page posts whatever its client sends: merge patches over the saved document, through
the pure saves, ``diff``, ``merge_patch`` and the service with an in-memory store.  Law: only a
NotifPolicyError comes out (or a result), bounded and encodable, and a refused save stores
nothing (the saved value and the audit log are as they were).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    Member,
    MemberPreferences,
    Role,
    Roster,
    WorkspaceSettings,
    diff,
    merge_patch,
    save_member_preferences,
    save_workspace_settings,
)
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock

from ._adversarial import (
    adversarial,
    documents,
    obeys_law,
    preference_documents,
    settings_documents,
    values,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
OWNER = Member("olga", Role.OWNER)
AGENT = Member("anna", Role.AGENT)
SAVED = WorkspaceSettings.from_dict(
    {
        "timezone": "Europe/Amsterdam",
        "slack": {"webhook_url": "https://hooks.slack.com/services/T0/B0/secret"},
        "quiet_hours": {"enabled": True},
    }
)
# Patches carry the version they were based on, or a bad one, or none.
versions = st.sampled_from([1, 2, 0, None, "1", True, 10**5000, 2**63]) | st.nothing()
patches = st.builds(
    lambda doc, version: (
        doc if version is None or not isinstance(doc, dict) else doc | {"version": version}
    ),
    settings_documents | documents,
    st.one_of(st.none(), versions),
)


class Host:
    def roster(self, workspace_id: str) -> Roster:
        return Roster([OWNER, AGENT])


@adversarial(ci_examples=6_000)
@given(patch=patches, actor=st.sampled_from([OWNER, AGENT]))
def test_saving_a_settings_patch(patch, actor):
    obeys_law(lambda: save_workspace_settings(SAVED, patch, actor=actor, workspace_id="ws", now=T0))


@adversarial(ci_examples=3_000)
@given(patch=preference_documents | documents, version=versions)
def test_saving_a_preferences_patch(patch, version):
    if isinstance(patch, dict) and version is not None:
        patch = patch | {"version": version}
    obeys_law(
        lambda: save_member_preferences(
            MemberPreferences(),
            patch,
            actor=AGENT,
            member_id="anna",
            workspace_id="ws",
            now=T0,
        )
    )


@adversarial(ci_examples=3_000)
@given(draft=settings_documents | documents | values)
def test_diff_of_anything(draft):
    obeys_law(lambda: diff(SAVED, draft))


@adversarial(ci_examples=3_000)
@given(document=documents | values, patch=documents | values)
def test_merge_patch_of_anything(document, patch):
    obeys_law(lambda: merge_patch(document, patch))


@adversarial(ci_examples=2_000)
@given(patch=patches, actor=st.sampled_from(["olga", "anna", "ghost", ""]) | values)
def test_the_service_stores_nothing_it_refuses(patch, actor):
    store = InMemoryStore()
    service = NotificationService(
        workspace_id="ws", store=store, roster=Host(), clock=ManualClock(T0), transports={}
    )
    result = obeys_law(lambda: service.save_settings(patch, actor=actor))
    if result is None or not result.changed:
        assert store.get_settings("ws") == WorkspaceSettings()
        assert store.audit_entries("ws") == ()
    else:
        assert store.get_settings("ws") == result.value
        assert len(store.audit_entries("ws")) == 1
