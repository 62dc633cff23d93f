"""The permission matrix (SPEC §2): every kind of actor against every action, through the pure
functions and through the service, one table for both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from notifpolicy import (
    Member,
    MemberPreferences,
    Permission,
    PermissionDenied,
    Role,
    ValidationError,
    allowed,
    authorize,
    save_member_preferences,
    save_workspace_settings,
    settings_view,
)
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock
from notifpolicy.testing.workspace import START, Workspace

URL = "https://hooks.slack.com/services/T0/B0/MATRIXSECRET"
NOW = START + dt.timedelta(hours=1)

FULL, REDACTED, DENIED, OK = "full view", "redacted view", "denied", "ok"
ACTIONS = (
    "read settings",
    "see webhook URL",
    "save settings",
    "save own preferences",
    "save another's preferences",
    "read audit log",
)

# actor id -> what each action gives, in ACTIONS order.
MATRIX: dict[str, tuple[str, bool, str, str, str, str]] = {
    "olga": (FULL, True, OK, OK, DENIED, OK),  # owner
    "adam": (FULL, True, OK, OK, DENIED, OK),  # admin
    "anna": (REDACTED, False, DENIED, OK, DENIED, DENIED),  # agent
    "dora": (DENIED, False, DENIED, DENIED, DENIED, DENIED),  # deactivated admin
    "ghost": (DENIED, False, DENIED, DENIED, DENIED, DENIED),  # not in the roster
}


def _workspace() -> Workspace:
    ws = Workspace(InMemoryStore(), ManualClock(START))
    ws.configure({"slack": {"webhook_url": URL}, "quiet_hours": {"enabled": True}})
    ws.add_member("adam", Role.ADMIN)
    ws.add_member("anna", Role.AGENT)
    ws.add_member("bob", Role.AGENT, overrides={"mention": False})
    ws.add_member("dora", Role.ADMIN, active=False, overrides={"mention": True})
    return ws


def _other(actor_id: str) -> str:
    return "anna" if actor_id == "bob" else "bob"


def _outcome(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except PermissionDenied:
        return DENIED


def _view_kind(view: Any) -> Any:
    if view == DENIED:
        return DENIED
    return FULL if view["slack"]["webhook_url"] == URL else REDACTED


class _Pure:
    """The host's side with the pure functions: it looks the member up, then asks."""

    def __init__(self, ws: Workspace, actor_id: str) -> None:
        self.ws = ws
        self.member: Member | None = ws.roster(ws.workspace_id).get(actor_id)
        self.actor_id = actor_id

    def view(self) -> Any:
        return settings_view(self.ws.service.settings(), actor=self.member)

    def save_settings(self) -> Any:
        current = self.ws.service.settings()
        result = save_workspace_settings(
            current,
            {"timezone": "Asia/Tokyo", "version": current.version},
            actor=self.member,  # type: ignore[arg-type]
            workspace_id=self.ws.workspace_id,
            now=NOW,
        )
        assert result.audit is not None
        self.ws.store.save_settings(result.value, result.audit)
        return OK

    def save_preferences(self, member_id: str) -> Any:
        current = self.ws.store.get_preferences(self.ws.workspace_id, member_id)
        result = save_member_preferences(
            current,
            {"overrides": {"mention": {"push": False}}, "version": current.version},
            actor=self.member,  # type: ignore[arg-type]
            member_id=member_id,
            workspace_id=self.ws.workspace_id,
            now=NOW,
        )
        assert result.audit is not None
        self.ws.store.save_preferences(member_id, result.value, result.audit)
        return OK

    def audit_log(self) -> Any:
        authorize(self.member, Permission.READ_AUDIT_LOG)
        return OK


class _Service:
    """The service: it gets the id and asks the roster itself."""

    def __init__(self, ws: Workspace, actor_id: str) -> None:
        self.ws = ws
        self.actor_id = actor_id

    def view(self) -> Any:
        return self.ws.service.settings_view(actor=self.actor_id)

    def save_settings(self) -> Any:
        version = self.ws.service.settings().version
        self.ws.service.save_settings(
            {"timezone": "Asia/Tokyo", "version": version}, actor=self.actor_id, now=NOW
        )
        return OK

    def save_preferences(self, member_id: str) -> Any:
        version = self.ws.store.get_preferences(self.ws.workspace_id, member_id).version
        self.ws.service.save_preferences(
            member_id,
            {"overrides": {"mention": {"push": False}}, "version": version},
            actor=self.actor_id,
            now=NOW,
        )
        return OK

    def audit_log(self) -> Any:
        entries = self.ws.service.audit_log(actor=self.actor_id)
        assert entries == self.ws.store.audit_entries(self.ws.workspace_id)
        assert entries  # the workspace was configured: there is something to read
        return OK


@pytest.mark.parametrize("path", [_Pure, _Service], ids=["pure", "service"])
@pytest.mark.parametrize("actor_id", list(MATRIX))
def test_permission_matrix(path, actor_id):
    ws = _workspace()
    asker = path(ws, actor_id)
    settings_before = ws.service.settings()
    audit_before = ws.store.audit_entries(ws.workspace_id)
    other = _other(actor_id)
    other_before = ws.store.get_preferences(ws.workspace_id, other)

    view = _outcome(asker.view)
    got = {
        "read settings": _view_kind(view),
        "see webhook URL": view != DENIED and view["slack"]["webhook_url"] == URL,
        "save settings": _outcome(asker.save_settings),
        "save own preferences": _outcome(lambda: asker.save_preferences(actor_id)),
        "save another's preferences": _outcome(lambda: asker.save_preferences(other)),
        "read audit log": _outcome(asker.audit_log),
    }
    assert got == dict(zip(ACTIONS, MATRIX[actor_id], strict=True))

    # A refusal leaves everything as it was; an accepted save is audited under the actor.
    saved = ws.service.settings()
    if got["save settings"] == DENIED:
        assert saved == settings_before
    else:
        assert (saved.timezone, saved.version) == ("Asia/Tokyo", settings_before.version + 1)
    assert ws.store.get_preferences(ws.workspace_id, other) == other_before
    new_entries = ws.store.audit_entries(ws.workspace_id)[len(audit_before) :]
    expected = [got["save settings"], got["save own preferences"]].count(OK)
    assert len(new_entries) == expected
    assert {e.actor_id for e in new_entries} <= {actor_id}
    if view != DENIED and not got["see webhook URL"]:
        assert "MATRIXSECRET" not in repr(view)


def test_the_table_agrees_with_allowed():
    ws = _workspace()
    roster = ws.roster(ws.workspace_id)
    for actor_id, row in MATRIX.items():
        member = roster.get(actor_id)
        got = (
            allowed(member, Permission.READ_SETTINGS),
            allowed(member, Permission.SEE_WEBHOOK_URL),
            allowed(member, Permission.CHANGE_SETTINGS),
            allowed(member, Permission.CHANGE_PREFERENCES, member_id=actor_id),
            allowed(member, Permission.CHANGE_PREFERENCES, member_id=_other(actor_id)),
            allowed(member, Permission.READ_AUDIT_LOG),
        )
        assert got == (row[0] != DENIED, row[1], *(cell == OK for cell in row[2:]))


# -- the roster decides who asks, whatever the caller claims ------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        Member("anna", Role.ADMIN),  # the roster says anna is an agent
        Member("ghost", Role.OWNER),  # not in the roster
        Member("dora", Role.ADMIN, active=True),  # deactivated in the roster
    ],
    ids=["agent-as-admin", "ghost-owner", "deactivated-as-active"],
)
def test_the_service_refuses_a_member_passed_as_the_actor(forged):
    ws = _workspace()
    before = (ws.service.settings(), ws.store.audit_entries(ws.workspace_id))
    calls: list[Callable[[], object]] = [
        lambda: ws.service.save_settings({"timezone": "UTC", "version": 2}, actor=forged),
        lambda: ws.service.save_preferences(
            forged.id, {"overrides": {"mention": False}, "version": 1}, actor=forged
        ),
        lambda: ws.service.audit_log(actor=forged),
        lambda: ws.service.settings_view(actor=forged),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            call()
        (problem,) = info.value.problems
        assert (problem.path, problem.code) == ("actor", "type")
        assert "member id" in problem.message
    assert (ws.service.settings(), ws.store.audit_entries(ws.workspace_id)) == before


@pytest.mark.parametrize("actor", ["ghost", "", "OLGA", "olga "])
def test_an_id_the_roster_does_not_know_is_denied(actor):
    ws = _workspace()
    with pytest.raises(PermissionDenied, match="is not a member of workspace"):
        ws.service.save_settings({"timezone": "UTC", "version": 2}, actor=actor)
    with pytest.raises(PermissionDenied):
        ws.service.audit_log(actor=actor)


def test_a_member_deactivated_after_a_save_can_save_no_more():
    ws = _workspace()
    ws.service.save_settings({"timezone": "Asia/Tokyo", "version": 2}, actor="adam")
    ws.members = [attrs.evolve(m, active=False) if m.id == "adam" else m for m in ws.members]
    with pytest.raises(PermissionDenied, match="adam is deactivated"):
        ws.service.save_settings({"timezone": "UTC", "version": 3}, actor="adam")
    assert [e.actor_id for e in ws.store.audit_entries(ws.workspace_id)][-1] == "adam"


def test_permission_comes_before_validation_in_the_service():
    ws = _workspace()
    with pytest.raises(PermissionDenied):
        ws.service.save_settings({"timezone": "Mars/Base"}, actor="anna")
    with pytest.raises(PermissionDenied):
        ws.service.save_settings(
            {"timezone": "Mars/Base"}, actor="ghost", now=dt.datetime(2026, 1, 1)
        )


def test_pure_functions_refuse_what_is_not_a_member():
    settings = _workspace().service.settings()
    for bad in ("olga", {"id": "olga", "role": "owner"}):
        with pytest.raises(ValidationError, match="actor: must be a Member"):
            settings_view(settings, actor=bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="actor: must be a Member"):
            allowed(bad, Permission.READ_SETTINGS)  # type: ignore[arg-type]
    assert allowed(None, Permission.READ_SETTINGS) is False
    with pytest.raises(PermissionDenied, match="not a member"):
        save_member_preferences(
            MemberPreferences(),
            {"version": 1},
            actor=None,  # type: ignore[arg-type]
            member_id="x",
            workspace_id="w",
            now=NOW,
        )


@pytest.mark.parametrize("workspace_id", ["", None, 3])
def test_the_service_needs_a_workspace_id(workspace_id):
    with pytest.raises(ValidationError) as info:
        NotificationService(
            workspace_id=workspace_id,
            store=InMemoryStore(),
            roster=_workspace(),
            clock=ManualClock(START),
            transports={},
        )
    assert info.value.problems[0].path == "workspace_id"
