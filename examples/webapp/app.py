"""The Flask application: the workspace settings page and its companions.

``create_app(data_dir, clock=...)`` opens the seeded workspace in ``data_dir`` (see
:mod:`webapp.seed`) and returns the app.  Each view reads through the library and writes only
through the service's saves, which look the actor up by id in the roster (the host's word for
who is signed in is the member id; the roster decides what that member may do).

What a real host does differently is said in ``examples/webapp/README.md``: here a cookie
names the signed-in member (a demo stand-in for login), and there is no CSRF protection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import attrs
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from notifpolicy import (
    AuditEntry,
    ConflictError,
    FieldChange,
    MemberPreferences,
    PermissionDenied,
    ValidationError,
    build_report,
    decide,
    diff,
    explain,
    preference_matrix,
    render_digest,
)
from notifpolicy.adapters.clock import SystemClock
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.ports import Clock
from notifpolicy.service import NotificationService

from . import forms
from .helpdesk import LANGUAGES, Helpdesk, Person
from .seed import OWNER, WORKSPACE_ID, make_service
from .texts import T

COOKIE = "demo_member"
HERE = Path(__file__).resolve().parent


def create_app(data_dir: Path, *, clock: Clock | None = None) -> Flask:
    """The web app on the seeded workspace in ``data_dir``."""
    helpdesk = Helpdesk.load(data_dir / "helpdesk.json")
    store = SqliteStore(data_dir / "notifications.sqlite3")
    clock = clock or SystemClock()
    app = Flask(
        __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static")
    )
    app.extensions["notifpolicy"] = Workspace(
        helpdesk=helpdesk,
        store=store,
        service=make_service(store, helpdesk, clock),
        clock=clock,
        fields=forms.settings_fields(),
        zones=tuple(sorted(available_timezones())),
    )
    app.jinja_env.filters["show"] = show
    app.before_request(who)
    app.context_processor(common)
    for method, rule, view in _ROUTES:
        app.add_url_rule(rule, view_func=view, methods=[method.upper()])
    return app


@attrs.frozen
class Workspace:
    """What the views share: the host's data, the library's store and service, the clock."""

    helpdesk: Helpdesk
    store: SqliteStore
    service: NotificationService
    clock: Clock
    fields: tuple[forms.Field, ...]
    zones: tuple[str, ...]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def ws() -> Workspace:
    """The workspace of the app that is answering."""
    found = current_app.extensions["notifpolicy"]
    if not isinstance(found, Workspace):  # pragma: no cover - create_app always sets it
        raise RuntimeError("not a web app made by create_app")
    return found


View = Callable[..., Any]
_ROUTES: list[tuple[str, str, View]] = []


def route(method: str, rule: str) -> Callable[[View], View]:
    """Register a view for ``create_app`` (a module-level ``app.get``)."""

    def register(view: View) -> View:
        _ROUTES.append((method, rule, view))
        return view

    return register


# -- who is asking ----------------------------------------------------------------------


def who() -> None:
    # A demo stand-in for login: the cookie names the member. The roster, through the
    # service, decides what they may do; an unknown or stale id falls back to the owner.
    helpdesk = ws().helpdesk
    person = helpdesk.person(request.cookies.get(COOKIE, "")) or helpdesk.person(OWNER)
    if person is None:  # pragma: no cover - the seed has its owner
        raise RuntimeError(f"the seeded owner {OWNER!r} is missing")
    g.me = person
    g.t = T[person.language]


def common() -> dict[str, Any]:
    return {"me": g.me, "t": g.t, "people": ws().helpdesk.people(), "lang": g.me.language}


@route("post", "/switch")
def switch() -> BaseResponse:
    member_id = request.form.get("member", "")
    target = request.form.get("next", "/settings")
    response = redirect(target if target.startswith("/") and not target.startswith("//") else "/")
    if ws().helpdesk.person(member_id) is not None:
        response.set_cookie(COOKIE, member_id, httponly=True, samesite="Lax")
    return response


@route("get", "/")
def home() -> BaseResponse:
    return redirect(url_for("settings_page"))


# -- workspace settings -------------------------------------------------------------------


def local(at: dt.datetime) -> str:
    return at.astimezone(ws().service.settings().zone).strftime("%Y-%m-%d %H:%M")


def settings_view(
    *,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
    notice: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    top_errors: list[str] | None = None,
    theirs: tuple[FieldChange, ...] = (),
    yours: tuple[FieldChange, ...] | list[str] = (),
) -> tuple[str, int]:
    me: Person = g.me
    settings = ws().service.settings()
    # The webhook URL only for admins: the service asks the roster who ``me`` is.
    document = ws().service.settings_view(actor=me.id)
    saved = forms.form_values(document, ws().fields)
    page = render_template(
        "settings.html",
        fields={f.name: f for f in ws().fields},
        saved=saved,
        values=values or saved,
        version=settings.version,
        can_edit=me.is_admin,
        notice=notice,
        errors=errors or {},
        top_errors=top_errors or [],
        theirs=theirs,
        yours=yours,
        weekdays=forms.WEEKDAYS,
        modes=forms.MODES,
        slack_events=forms.slack_events(),
        zones=ws().zones,
        warnings=settings.warnings(),
    )
    return page, status


@route("get", "/settings")
def settings_page() -> tuple[str, int]:
    saved_version = request.args.get("saved")
    notice = None
    if saved_version is not None:
        notice = g.t["saved"].format(version=saved_version)
    elif request.args.get("unchanged") is not None:
        notice = g.t["nothing_changed"]
    return settings_view(notice=notice)


@route("post", "/settings")
def save_settings() -> BaseResponse | tuple[str, int]:
    me: Person = g.me
    patch = forms.settings_patch(request.form, ws().fields)
    try:
        result = ws().service.save_settings(patch, actor=me.id)
    except PermissionDenied as exc:
        return settings_view(status=403, notice=g.t["denied"].format(reason=exc))
    except ConflictError as exc:
        return conflict_view(exc, patch)
    except ValidationError as exc:
        beside, elsewhere = forms.problems_by_field(exc.problems, ws().field_names)
        saved = forms.form_values(ws().service.settings_view(actor=me.id), ws().fields)
        values = forms.posted_values(saved, request.form, ws().fields)
        return settings_view(
            status=422,
            values=values,
            notice=g.t["problems"],
            errors=beside,
            top_errors=elsewhere,
        )
    # Post/redirect/get: a reload shows the saved page instead of posting again.
    if not result.changed:
        return redirect(url_for("settings_page", unchanged=1))
    return redirect(url_for("settings_page", saved=result.value.version))


def conflict_view(exc: ConflictError, patch: Mapping[str, Any]) -> tuple[str, int]:
    me: Person = g.me
    current = ws().service.settings()
    entries = [
        e
        for e in ws().service.audit_log(actor=me.id)
        if e.target == "workspace_settings" and e.version_before >= exc.expected
    ]
    theirs = tuple(c for e in entries for c in e.changes)
    latest = entries[-1] if entries else None
    who = ws().helpdesk.person(latest.actor_id) if latest else None
    notice = g.t["conflict"].format(
        who=who.member.name if who else "?",
        version=current.version,
        at=local(latest.at) if latest else "?",
    )
    yours: tuple[FieldChange, ...] | list[str]
    try:
        yours = diff(current, _without_version(patch))
    except ValidationError:
        yours = sorted(_paths(_without_version(patch)))
    return settings_view(status=409, notice=notice, theirs=theirs, yours=yours)


@route("post", "/settings/diff")
def settings_diff() -> Response:
    """What the form would change: the library's ``diff`` of the saved settings and the
    patch the form would post.  The page shows "Save changes" while this is not empty."""
    patch = forms.settings_patch(request.form, ws().fields)
    settings = ws().service.settings()
    return diff_response(lambda body: diff(settings, body), patch)


def diff_response(
    changes_of: Callable[[dict[str, Any]], tuple[FieldChange, ...]], patch: Mapping[str, Any]
) -> Response:
    """The JSON the page's script reads: whether the form differs, and how."""
    try:
        changes = changes_of(_without_version(patch))
    except ValidationError as exc:
        # Not a valid change, but a change: the button shows, and saving shows the problems.
        return jsonify(changed=True, changes=[], problems=[str(p) for p in exc.problems])
    return jsonify(
        changed=bool(changes),
        changes=[{"path": c.path, "old": c.old, "new": c.new} for c in changes],
        problems=[],
    )


# -- my notifications ---------------------------------------------------------------------


def my_matrix(me: Person) -> tuple[MemberPreferences, Any]:
    prefs = ws().store.get_preferences(WORKSPACE_ID, me.id)
    matrix = preference_matrix(prefs, settings=ws().service.settings(), channels=me.member.channels)
    return prefs, matrix


def mine_view(
    *, status: int = 200, notice: str | None = None, top_errors: list[str] | None = None
) -> tuple[str, int]:
    me: Person = g.me
    prefs, matrix = my_matrix(me)
    rows: dict[str, list[Any]] = {}
    for cell in matrix:
        rows.setdefault(cell.kind, []).append(cell)
    page = render_template(
        "mine.html",
        rows=rows,
        channels=[c for c in forms.member_channels() if c in me.member.channels],
        cells=forms.preference_cells(prefs, matrix),
        version=prefs.version,
        notice=notice,
        top_errors=top_errors or [],
        languages=LANGUAGES,
        cell_name=forms.cell_name,
    )
    return page, status


@route("get", "/me/notifications")
def mine_page() -> tuple[str, int]:
    saved_version = request.args.get("saved")
    notice = None if saved_version is None else g.t["saved"].format(version=saved_version)
    return mine_view(notice=notice)


@route("post", "/me/notifications")
def save_mine() -> BaseResponse | tuple[str, int]:
    me: Person = g.me
    prefs, matrix = my_matrix(me)
    patch = forms.preferences_patch(request.form, forms.preference_cells(prefs, matrix))
    try:
        result = ws().service.save_preferences(me.id, patch, actor=me.id)
    except ConflictError as exc:
        return mine_view(status=409, notice=str(exc))
    except (PermissionDenied, ValidationError) as exc:
        problems = [str(p) for p in getattr(exc, "problems", ())] or [str(exc)]
        return mine_view(status=422, notice=g.t["problems"], top_errors=problems)
    return redirect(url_for("mine_page", saved=result.value.version))


@route("post", "/me/notifications/diff")
def mine_diff() -> Response:
    me: Person = g.me
    prefs, matrix = my_matrix(me)
    patch = forms.preferences_patch(request.form, forms.preference_cells(prefs, matrix))
    return diff_response(lambda body: diff(prefs, body), patch)


@route("post", "/me/language")
def save_language() -> BaseResponse:
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(422)
    ws().helpdesk.set_language(g.me.id, language)
    return redirect(url_for("mine_page"))


# -- why didn't I get this? ---------------------------------------------------------------


@route("get", "/why")
def why_page() -> tuple[str, int]:
    me: Person = g.me
    events = ws().helpdesk.recent_events()
    # Agents ask about themselves; admins about anyone.
    members = ws().helpdesk.people() if me.is_admin else (me,)
    created = [h for h in events if h.event.id.startswith("created:")]
    event_id = request.args.get("event") or (created[0].event.id if created else "")
    member_id = request.args.get("member") or me.id
    happened = ws().helpdesk.event(event_id)
    if happened is None or member_id not in {p.id for p in members}:
        abort(404)
    settings = ws().service.settings()
    roster = ws().helpdesk.roster(WORKSPACE_ID)
    decisions = decide(
        happened.event,
        settings=settings,
        roster=roster,
        preferences=ws().store.all_preferences(WORKSPACE_ID),
        now=happened.at,
    )
    theirs = [d for d in decisions if d.member_id == member_id]
    slack = [d for d in decisions if d.is_slack]
    lines = []
    if not theirs:
        person = ws().helpdesk.person(member_id)
        name = person.member.name if person else member_id
        lines.append(g.t["why.not_recipient"].format(name=name))
    if theirs or slack:
        text = explain([*theirs, *slack], roster=roster, settings=settings, language=me.language)
        lines.extend(text.splitlines())
    page = render_template(
        "why.html",
        events=events,
        members=members,
        chosen_event=happened,
        chosen_member=member_id,
        lines=lines,
        at=local(happened.at),
        local=local,
    )
    return page, 200


# -- audit log ----------------------------------------------------------------------------


@route("get", "/audit")
def audit_page() -> tuple[str, int]:
    me: Person = g.me
    try:
        entries = ws().service.audit_log(actor=me.id)
    except PermissionDenied:
        return render_template(
            "message.html", title=g.t["audit.title"], message=g.t["audit.denied"]
        ), 403
    page = render_template(
        "audit.html",
        entries=list(reversed(entries)),
        local=local,
        target=audit_target,
        name=lambda member_id: (
            p.member.name if (p := ws().helpdesk.person(member_id)) else member_id
        ),
    )
    return page, 200


def audit_target(entry: AuditEntry) -> str:
    t: dict[str, str] = g.t
    if entry.target == "workspace_settings":
        return t["audit.workspace"]
    member_id = entry.target.partition(":")[2]
    person = ws().helpdesk.person(member_id)
    return t["audit.member"].format(name=person.member.name if person else member_id)


# -- digest preview -----------------------------------------------------------------------


@route("get", "/digests")
def digests_page() -> tuple[str, int]:
    me: Person = g.me
    settings = ws().service.settings()
    now = ws().clock.now()
    zone = settings.zone
    roster = ws().helpdesk.roster(WORKSPACE_ID)
    shown = []
    for schedule in (settings.digests.daily, settings.digests.weekly):
        last = schedule.previous_at_or_before(now, zone)
        period = schedule.period_ending_at(last, zone, workspace_id=WORKSPACE_ID)
        previous = None
        start = period.start
        if period.kind == "weekly_report":
            previous = schedule.period_ending_at(period.start, zone, workspace_id=WORKSPACE_ID)
            start = previous.start
        records = ws().helpdesk.conversation_records(WORKSPACE_ID, start, period.end)
        report = build_report(records, period=period, settings=settings, previous_period=previous)
        email = render_digest(
            report,
            roster=roster,
            language=me.language,
        )
        shown.append((period.kind, schedule.enabled, email))
    return render_template("digests.html", digests=shown), 200


def show(value: object) -> str:
    """A changed field's value as a person reads it: ``—`` for none, on / off in the reader's
    language, lists comma-separated."""
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        words: dict[str, str] = g.get("t", T["en"])
        return words["mine.effective_on" if value else "mine.effective_off"]
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "\u2014"
    return str(value)


def _without_version(patch: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in patch.items() if k != "version"}


def _paths(document: Mapping[str, Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        found.extend(_paths(value, path) if isinstance(value, Mapping) else [path])
    return found
