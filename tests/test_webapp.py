"""The example web app's server-side rules, through Flask's test client (no browser needed).

The browser tests (test_webapp_browser.py) drive the same pages in Chromium; these check what
the server must do whatever a browser sends: only admins save, a forged post is refused, a
stale form is a conflict that overwrites nothing, a patch changes only its fields, problems
land beside their fields.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from notifpolicy import Problem, Role, diff
from webapp import forms
from webapp.app import COOKIE
from webapp.helpdesk import Helpdesk
from webapp.texts import T

from ._webapp import (
    EXAMPLES,
    NOW,
    WORKSPACE_ID,
    copy_seed,
    make_seed,
    open_app,
    store_of,
    workspace_of,
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_seed(tmp_path_factory.mktemp("seed") / "data")


@pytest.fixture
def app(seeded: Path, tmp_path: Path) -> Iterator[Flask]:
    app = open_app(copy_seed(seeded, tmp_path / "data"))
    yield app
    store_of(app).close()


def client_as(app: Flask, member_id: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(COOKIE, member_id)
    return client


def settings(app: Flask):
    return store_of(app).get_settings(WORKSPACE_ID)


def audit(app: Flask):
    return store_of(app).audit_entries(WORKSPACE_ID)


def html(response) -> str:
    text: str = response.get_data(as_text=True)
    return text


# -- the seed ------------------------------------------------------------------------------


def test_the_seed_is_a_team_with_a_week_of_conversations(app):
    helpdesk = workspace_of(app).helpdesk
    roles = sorted(p.member.role.value for p in helpdesk.people())
    assert roles == ["admin", "agent", "agent", "agent", "owner"]
    times = [h.at for h in helpdesk.events]
    assert len(times) >= 40
    assert times[-1] <= NOW
    assert 7 <= (times[-1] - times[0]).days <= 8
    # The owner's first save, two members' preferences, the admin's change in mid-week.
    entries = audit(app)
    assert [(e.actor_id, e.target) for e in entries] == [
        ("olga", "workspace_settings"),
        ("anna", "member_preferences:anna"),
        ("daan", "member_preferences:daan"),
        ("bram", "workspace_settings"),
    ]
    assert settings(app).version == 3
    # The week went through the service: deliveries in the outbox, all sent by the end.
    items = store_of(app).items(WORKSPACE_ID)
    assert items
    assert {i.status.value for i in items} <= {"sent", "held"}


def test_the_first_page_is_the_settings_page_as_the_owner(app):
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings")
    page = html(client.get("/settings"))
    assert "Workspace notification settings" in page
    assert re.search(r'<option value="olga"\s+selected', page)
    assert "Demo stand-in for your app&#39;s login" in page
    assert 'value="https://hooks.slack.com/services/T0ACME/B0DEMO/not-a-real-token"' in page
    assert "<button" in page
    assert ">Save changes</button>" in page


def test_the_switcher_signs_in_another_member_and_redirects_only_within_the_app(app):
    client = app.test_client()
    response = client.post("/switch", data={"member": "anna", "next": "/audit"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit"
    assert client.get_cookie(COOKIE).value == "anna"
    away = client.post("/switch", data={"member": "bram", "next": "//evil.example/"})
    assert away.headers["Location"] == "/"
    client.post("/switch", data={"member": "nobody"})
    assert client.get_cookie(COOKIE).value == "bram"  # an unknown id changes nothing


# -- saving workspace settings -------------------------------------------------------------


def test_a_partial_post_changes_only_its_fields(app):
    before = settings(app)
    client = client_as(app, "olga")
    response = client.post("/settings", data={"version": "3", "quiet_hours.start": "23:00"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings?saved=4")
    after = settings(app)
    assert [(c.path, c.old, c.new) for c in diff(before, after)] == [
        ("quiet_hours.start", "22:00", "23:00")
    ]
    assert [c.path for c in audit(app)[-1].changes] == ["quiet_hours.start"]
    assert "Saved: version 4." in html(client.get(response.headers["Location"]))


def test_the_whole_form_posted_without_javascript_saves_just_the_change(app):
    before = settings(app)
    client = client_as(app, "olga")
    fields = forms.settings_fields()
    values = forms.form_values(before.view_for(Role.OWNER), fields)
    data = MultiDict([("version", "3")])
    for f in fields:
        value = values[f.name]
        if f.widget == "switch":
            data.add(f.name, "false")
            if value == "true":
                data.add(f.name, "true")
        elif f.widget == "events":
            data.add(f.name, "")
            for event in value:
                data.add(f.name, event)
        else:
            data.add(f.name, value)
    data.setlist("escalation.first_response.after_minutes", ["25"])
    assert client.post("/settings", data=data).status_code == 302
    changes = [(c.path, c.old, c.new) for c in diff(before, settings(app))]
    assert changes == [("escalation.first_response.after_minutes", 15, 25)]
    # Posting the same, unchanged form again saves nothing and keeps the version.
    data.setlist("version", ["4"])
    again = client.post("/settings", data=data)
    assert again.headers["Location"].endswith("/settings?unchanged=1")
    assert settings(app).version == 4


def test_an_agent_sees_the_page_read_only_with_the_webhook_redacted(app):
    page = html(client_as(app, "anna").get("/settings"))
    assert "only admins and owners can change them" in page
    assert "not-a-real-token" not in page
    assert "&lt;redacted&gt;" in page
    assert "data-save>" not in page
    assert "Save changes" not in page
    assert "data-diff" not in page
    controls = re.findall(r"<(?:input|select)\b[^>]*>", page.split('id="member-switcher"')[1])
    settings_controls = [c for c in controls if 'name="version"' not in c]
    assert settings_controls
    assert all("disabled" in c for c in settings_controls)


def test_an_agents_forged_post_is_refused_and_nothing_is_saved(app):
    before, entries = settings(app), audit(app)
    client = client_as(app, "anna")
    response = client.post(
        "/settings",
        data={"version": "3", "quiet_hours.enabled": "false", "slack.webhook_url": ""},
    )
    assert response.status_code == 403
    assert "only owners and admins" in html(response)
    assert settings(app) == before
    assert audit(app) == entries
    assert client.post("/settings", data={"version": "3", "bogus": "1"}).status_code == 403


def test_two_admins_saving_the_same_version_give_one_save_and_one_conflict(app):
    olga, bram = client_as(app, "olga"), client_as(app, "bram")
    first = olga.post("/settings", data={"version": "3", "quiet_hours.start": "23:00"})
    assert first.status_code == 302
    second = bram.post("/settings", data={"version": "3", "quiet_hours.mode": "summarize"})
    assert second.status_code == 409
    page = html(second)
    assert "Een andere admin was je voor: Olga Jansen heeft versie 4 opgeslagen" in page
    their = page.split('id="their-change"')[1].split("</ul>")[0]
    assert "quiet_hours.start" in their
    assert "22:00 → 23:00" in their
    yours = page.split('id="your-change"')[1].split("</ul>")[0]
    assert "quiet_hours.mode" in yours
    # Nothing overwritten: Olga's change is saved, Bram's is not.
    now = settings(app)
    assert (now.version, now.quiet_hours.describe(), now.quiet_hours.mode.value) == (
        4,
        "23:00\u201308:00",
        "defer",
    )
    # The form on the conflict page shows the saved settings at their version.
    assert 'name="version" value="4"' in page
    assert len(audit(app)) == 5


def test_problems_are_shown_beside_their_fields_and_nothing_is_saved(app):
    before = settings(app)
    client = client_as(app, "olga")
    response = client.post(
        "/settings",
        data={
            "version": "3",
            "slack.webhook_url": "http://example.com/services/T/B/x",
            "escalation.unassigned.after_minutes": "3x",
            "quiet_hours.end": "22:00",
        },
    )
    assert response.status_code == 422
    page = html(response)
    webhook = page.split('data-field="slack.webhook_url"')[1].split('data-field="slack.events"')[0]
    assert 'class="problem" id="f-slack-webhook_url-problem"' in webhook
    assert "must point at an allowed webhook host" in webhook or "https" in webhook
    assert 'aria-invalid="true"' in webhook
    minutes = page.split('data-field="escalation.unassigned.after_minutes"')[1].split("</div>")[0]
    assert "must be an integer from 1 to 10080, got &#39;3x&#39;" in minutes
    end = page.split('data-field="quiet_hours.end"')[1].split("</div>")[0]
    assert "must differ from quiet_hours.start" in end
    # The form keeps what was typed, so it can be corrected.
    assert 'value="3x"' in minutes
    assert settings(app) == before


def test_a_missing_version_is_a_problem_at_the_top_of_the_form(app):
    response = client_as(app, "olga").post("/settings", data={"quiet_hours.start": "23:00"})
    assert response.status_code == 422
    notice = html(response).split('id="notice"')[1].split("</div>")[0]
    assert "version:" in notice


def test_the_diff_endpoint_is_the_librarys_diff(app):
    client = client_as(app, "olga")
    same = client.post("/settings/diff", data={"version": "3", "quiet_hours.start": "22:00"})
    assert same.get_json() == {"changed": False, "changes": [], "problems": []}
    changed = client.post("/settings/diff", data={"version": "3", "slack.webhook_url": ""})
    assert changed.get_json()["changes"] == [
        {"path": "slack.webhook_url", "old": "<redacted>", "new": None}
    ]
    invalid = client.post("/settings/diff", data={"quiet_hours.start": "25:00"}).get_json()
    assert invalid["changed"] is True
    assert invalid["problems"][0].startswith("quiet_hours.start:")


# -- my notifications --------------------------------------------------------------------


def test_my_notifications_saves_and_resets_overrides(app):
    client = client_as(app, "anna")
    page = html(client.get("/me/notifications"))
    # Anna turned mention emails off in the seed.
    cell = page.split('data-field="overrides.mention.email"')[1].split("</div>")[0]
    assert 'data-saved="off"' in cell
    assert "your choice" in cell
    response = client.post(
        "/me/notifications",
        data={
            "version": "2",
            "overrides.mention.email": "inherit",
            "overrides.sla_breach.*": "off",
        },
    )
    assert response.status_code == 302
    prefs = store_of(app).get_preferences(WORKSPACE_ID, "anna")
    assert prefs.to_dict() == {"version": 3, "overrides": {"sla_breach": {"*": False}}}


def test_locked_rows_have_no_switch_and_cannot_be_forged(app):
    client = client_as(app, "anna")
    page = html(client.get("/me/notifications"))
    row = page.split('<tr data-kind="escalation_unassigned"')[1].split("</tr>")[0]
    assert "Set by your workspace" in row
    assert "<select" not in row
    assert "<input" not in row
    forged = client.post(
        "/me/notifications", data={"version": "2", "overrides.escalation_unassigned.email": "off"}
    )
    # Not a cell of the form: ignored, so nothing changes.
    assert forged.status_code == 302
    assert store_of(app).get_preferences(WORKSPACE_ID, "anna").version == 2


def test_language_is_chosen_per_member(app, tmp_path):
    client = client_as(app, "anna")
    assert client.post("/me/language", data={"language": "nl"}).status_code == 302
    page = html(client.get("/settings"))
    assert '<html lang="nl">' in page
    assert "Werkruimte notificatie-instellingen" in page
    assert client.post("/me/language", data={"language": "fr"}).status_code == 422
    # Stored in the host's data file, so it survives a restart.
    reread = Helpdesk.load(tmp_path / "data" / "helpdesk.json").person("anna")
    assert reread is not None
    assert reread.language == "nl"


# -- why, audit, digests -------------------------------------------------------------------


def test_why_explains_a_members_channels_for_a_recent_event(app):
    helpdesk = workspace_of(app).helpdesk
    created = next(h for h in helpdesk.recent_events() if h.event.id.startswith("created:"))
    client = client_as(app, "olga")
    page = html(client.get(f"/why?event={created.event.id}&member=daan"))
    lines = page.split('id="explanation"')[1].split("</ul>")[0]
    assert "Daan Bakker does not get a push notification" in lines
    assert "Slack" in lines
    mention = next(h for h in helpdesk.recent_events() if h.event.id.startswith("mention:"))
    author = mention.event.author_id
    page = html(client.get(f"/why?event={mention.event.id}&member={author}"))
    assert "is not a recipient of this event" in page
    # Agents ask about themselves only.
    assert client_as(app, "anna").get("/why?member=daan").status_code == 404
    assert client.get("/why?event=nope").status_code == 404


def test_the_audit_log_is_for_admins(app):
    page = html(client_as(app, "bram").get("/audit"))
    assert "escalation.unassigned.after_minutes" in page
    assert "&lt;redacted&gt;" in page  # the webhook the owner set, never in clear
    assert "not-a-real-token" not in page
    denied = client_as(app, "anna").get("/audit")
    assert denied.status_code == 403
    assert "Only admins and owners" in html(denied)


def test_the_digest_preview_shows_the_latest_daily_and_weekly_emails(app):
    page = html(client_as(app, "daan").get("/digests"))
    # In Daan's language: the daily summary of Sunday 15 March (sent Monday 09:00), and the
    # weekly report of the week that ended then.
    subjects = re.findall(r'class="subject">([^<]*)<', page)
    assert len(subjects) == 2
    assert subjects[0].startswith("Dagelijkse samenvatting")
    assert "15 mrt 2026" in subjects[0]
    assert subjects[1].startswith("Wekelijks rapport")
    assert 'sandbox="allow-same-origin"' in page
    assert page.count("<iframe") == 2


# -- the pieces ----------------------------------------------------------------------------


def test_problems_go_beside_the_field_their_path_names():
    names = ["slack.events", "slack.webhook_url", "quiet_hours.start", "quiet_hours.end"]
    beside, elsewhere = forms.problems_by_field(
        [
            Problem("slack.events[1]", "duplicate", "lists an event that is already listed"),
            Problem("quiet_hours.end", "empty_window", "must differ"),
            Problem("version", "missing", "is required"),
            Problem("business_hours.weekly.mon[0]", "type", "bad"),
        ],
        names,
    )
    assert beside == {
        "slack.events": ["lists an event that is already listed"],
        "quiet_hours.end": ["must differ"],
    }
    assert elsewhere == ["version: is required", "business_hours.weekly.mon[0]: bad"]


def test_a_form_becomes_the_patch_it_means():
    fields = forms.settings_fields()
    form = MultiDict(
        [
            ("version", "7"),
            ("quiet_hours.enabled", "false"),
            ("quiet_hours.enabled", "true"),
            ("digests.daily.enabled", "false"),
            ("escalation.unassigned.after_minutes", "45"),
            ("escalation.first_response.after_minutes", "١٥"),  # Arabic-Indic digits
            ("slack.webhook_url", ""),
            ("slack.events", ""),
            ("unknown.field", "x"),
        ]
    )
    assert forms.settings_patch(form, fields) == {
        "version": 7,
        "quiet_hours": {"enabled": True},
        "digests": {"daily": {"enabled": False}},
        "escalation": {
            "unassigned": {"after_minutes": 45},
            "first_response": {"after_minutes": "١٥"},
        },
        "slack": {"webhook_url": None, "events": []},
    }
    prefs = forms.preferences_patch(
        MultiDict(
            [
                ("version", "2"),
                ("overrides.mention.email", "inherit"),
                ("overrides.mention.*", "on"),
            ]
        ),
        ["overrides.mention.email", "overrides.mention.*", "overrides.sla_breach.push"],
    )
    assert prefs == {"overrides": {"mention": {"email": None, "*": True}}, "version": 2}


def test_every_language_has_every_text():
    assert set(T["en"]) == set(T["nl"])
    assert T["nl"]["save"] == "Wijzigingen opslaan"
    assert T["en"]["save"] == "Save changes"


def test_python_m_webapp_seeds_a_workspace(tmp_path):
    data = tmp_path / "web"
    result = subprocess.run(
        [sys.executable, "-m", "webapp", "--data", str(data), "--seed-only"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLES,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.match(r"Seeded .*: 5 members, \d+ events over the last week", result.stdout)
    assert (data / "notifications.sqlite3").exists()
    assert (data / "helpdesk.json").exists()
