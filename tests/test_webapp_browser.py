"""The example web app end to end, in headless Chromium.

Debian's ``/usr/bin/chromium`` driven by Playwright for Python (``executable_path``: nothing is
ever downloaded; ``playwright install`` is never run).  One browser per module; each test gets
its own freshly seeded workspace and server on 127.0.0.1, and its own browser context (its own
cookies: two contexts are two people signed in at once).  Skipped, with the reason, where the
browser or Playwright is missing.

Screenshots go to ``$WEBAPP_SCREENSHOTS`` (``make screenshots`` sets it to ``docs/_static``)
or to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import pytest
from flask import Flask

from notifpolicy import diff

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

from ._required import BROWSER, skip_unless_required
from ._webapp import WORKSPACE_ID, copy_seed, make_seed, open_app, running, store_of

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Flags for running as root in a container, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

if not CHROMIUM.exists():
    skip_unless_required(
        f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
        BROWSER,
        module=True,
    )
try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the test group installs it
    skip_unless_required(
        "browser tests need Playwright for Python (the test group)", BROWSER, module=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as p:
        # Playwright launches with --headless and a fresh temporary --user-data-dir of its own.
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_seed(tmp_path_factory.mktemp("seed") / "data")


class Site:
    """One test's running app: its URL, its store, and browser contexts signed in as members."""

    def __init__(self, app: Flask, base: str, browser: Browser, shots: Path) -> None:
        self.app = app
        self.base = base
        self.browser = browser
        self.shots = shots
        self.contexts: list[BrowserContext] = []

    @property
    def store(self):
        return store_of(self.app)

    def settings(self):
        return self.store.get_settings(WORKSPACE_ID)

    def page_as(self, member_id: str, path: str = "/settings") -> Page:
        """A new browser context (its own cookies) with the member signed in via the switcher."""
        context = self.browser.new_context(
            locale="en-GB", viewport={"width": 1100, "height": 900}, base_url=self.base
        )
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/settings")
        if member_id != "olga":  # the owner is signed in at first
            page.select_option("#member-switcher", member_id)
            page.click(".switcher button")
            page.wait_for_selector(
                f'#member-switcher option[value="{member_id}"][selected]', state="attached"
            )
        if path != "/settings":
            page.goto(path)
        wait_for_diff(page)
        return page

    def shot(self, page: Page, name: str, *, full_page: bool = True) -> None:
        path = self.shots / f"webapp-{name}.png"
        # Transitions finished (a switch caught mid-slide differs from run to run).
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        assert path.stat().st_size > 10_000


def wait_for_diff(page: Page) -> None:
    """The page's first diff request has been answered (forms with a diff URL only)."""
    if page.locator("form[data-diff]").count():
        page.wait_for_selector("form[data-diff][data-diffed]", state="attached")


def save_button(page: Page) -> Locator:
    return page.locator("button[data-save]")


@pytest.fixture
def site(browser: Browser, seeded: Path, tmp_path: Path) -> Iterator[Site]:
    shots = Path(os.environ.get("WEBAPP_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    app = open_app(copy_seed(seeded, tmp_path / "data"))
    with running(app) as base:
        s = Site(app, base, browser, shots)
        yield s
        for context in s.contexts:
            context.close()
    store_of(app).close()


def test_toggling_a_switch_shows_the_button_and_toggling_back_hides_it(site):
    page = site.page_as("olga")
    site.shot(page, "settings")
    assert save_button(page).is_hidden()
    page.click('label[for="f-quiet_hours-enabled"]')
    save_button(page).wait_for(state="visible")
    assert save_button(page).inner_text() == "Save changes"
    assert "quiet_hours.enabled: on → off" in page.inner_text("[data-unsaved]")
    site.shot(page, "settings-changed", full_page=False)
    page.click('label[for="f-quiet_hours-enabled"]')
    save_button(page).wait_for(state="hidden")


def test_saving_hides_the_button_and_the_change_survives_a_reload(site):
    page = site.page_as("olga")
    page.fill("#f-quiet_hours-start", "23:30")
    save_button(page).wait_for(state="visible")
    page.click("button[data-save]")
    page.wait_for_url("**/settings?saved=4")
    assert "Saved: version 4." in page.inner_text("#notice")
    wait_for_diff(page)
    assert save_button(page).is_hidden()
    site.shot(page, "settings-saved", full_page=False)
    page.reload()
    wait_for_diff(page)
    assert page.input_value("#f-quiet_hours-start") == "23:30"
    assert save_button(page).is_hidden()
    assert site.settings().quiet_hours.describe() == "23:30\u201308:00"


def test_the_browser_posts_only_what_changed_with_the_version(site):
    page = site.page_as("olga")
    before = site.settings()
    page.click('label[for="f-digests-daily-enabled"]')
    page.fill("#f-escalation-first_response-after_minutes", "20")
    save_button(page).wait_for(state="visible")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/settings")) as req:
        page.click("button[data-save]")
    posted = parse_qsl(req.value.post_data or "", keep_blank_values=True)
    assert posted == [
        ("version", "3"),
        ("digests.daily.enabled", "false"),
        ("escalation.first_response.after_minutes", "20"),
    ]
    page.wait_for_url("**/settings?saved=4")
    changes = [(c.path, c.old, c.new) for c in diff(before, site.settings())]
    assert changes == [
        ("digests.daily.enabled", True, False),
        ("escalation.first_response.after_minutes", 15, 20),
    ]


def test_an_agent_sees_a_read_only_page_and_a_forged_post_is_refused(site):
    page = site.page_as("anna")
    site.shot(page, "settings-agent")
    assert page.locator("button[data-save]").count() == 0
    assert page.is_disabled("#f-quiet_hours-enabled")
    assert page.input_value("#f-slack-webhook_url") == "<redacted>"
    before = site.settings()
    status = page.evaluate(
        """async () => {
            const body = new URLSearchParams({"version": "3", "quiet_hours.enabled": "false"});
            const response = await fetch("/settings", {method: "POST", body});
            return response.status;
        }"""
    )
    assert status == 403
    assert site.settings() == before


def test_two_admins_saving_at_once_give_one_success_and_one_conflict(site):
    olga = site.page_as("olga")
    bram = site.page_as("bram")  # Dutch
    olga.fill("#f-quiet_hours-start", "23:00")
    bram.select_option("#f-quiet_hours-mode", "summarize")
    save_button(olga).wait_for(state="visible")
    save_button(bram).wait_for(state="visible")
    olga.click("button[data-save]")
    bram.click("button[data-save]")
    olga.wait_for_url("**/settings?saved=4")
    notice = bram.inner_text("#notice")
    assert "Een andere admin was je voor: Olga Jansen heeft versie 4 opgeslagen" in notice
    assert "quiet_hours.start: 22:00 → 23:00" in bram.inner_text("#their-change")
    assert "quiet_hours.mode" in bram.inner_text("#your-change")
    site.shot(bram, "settings-conflict", full_page=False)
    saved = site.settings()
    assert (saved.version, saved.quiet_hours.describe(), saved.quiet_hours.mode.value) == (
        4,
        "23:00\u201308:00",
        "defer",
    )
    # The conflict page's form is the saved settings, at their version.
    assert bram.input_value("#f-quiet_hours-start") == "23:00"
    assert bram.input_value('input[name="version"]') == "4"


def test_an_invalid_webhook_url_shows_its_problem_beside_the_field(site):
    page = site.page_as("olga")
    before = site.settings()
    page.fill("#f-slack-webhook_url", "http://hooks.slack.com/services/T0/B0/x")
    save_button(page).wait_for(state="visible")
    page.click("button[data-save]")
    problem = page.locator('[data-field="slack.webhook_url"] .problem')
    problem.wait_for()
    assert "https" in problem.inner_text()
    assert page.get_attribute("#f-slack-webhook_url", "aria-invalid") == "true"
    assert page.get_attribute("#f-slack-webhook_url", "aria-describedby") == (
        "f-slack-webhook_url-problem"
    )
    # What was typed stays in the field; the button stays, since the form still differs.
    assert page.input_value("#f-slack-webhook_url") == "http://hooks.slack.com/services/T0/B0/x"
    wait_for_diff(page)
    assert save_button(page).is_visible()
    page.locator('[data-field="slack.webhook_url"]').scroll_into_view_if_needed()
    site.shot(page, "settings-problem", full_page=False)
    assert site.settings() == before


def test_my_notifications_locked_rows_have_no_switch(site):
    page = site.page_as("anna", "/me/notifications")
    site.shot(page, "mine")
    locked = page.locator('tr[data-kind="escalation_unassigned"]')
    assert "Set by your workspace" in locked.inner_text()
    assert locked.locator("select, input").count() == 0
    assert page.locator('tr[data-kind="mention"] select').count() == 4
    page.select_option("#c-mention-email", "inherit")
    save_button(page).wait_for(state="visible")
    page.click("button[data-save]")
    page.wait_for_url("**/me/notifications?saved=3")
    assert site.store.get_preferences(WORKSPACE_ID, "anna").to_dict()["overrides"] == {}


def test_the_dutch_page_is_dutch(site):
    page = site.page_as("bram")
    assert page.get_attribute("html", "lang") == "nl"
    assert page.inner_text("h1") == "Werkruimte notificatie-instellingen"
    assert "Standaard teamnotificaties" in page.inner_text("main")
    page.click('label[for="f-defaults-mention"]')
    save_button(page).wait_for(state="visible")
    assert save_button(page).inner_text() == "Wijzigingen opslaan"
    assert "defaults.mention: aan → uit" in page.inner_text("[data-unsaved]")
    site.shot(page, "settings-nl", full_page=False)


def test_why_audit_and_digest_pages(site):
    page = site.page_as("olga", "/why")
    page.select_option("#why-member", "daan")
    page.click("form.why button")
    page.wait_for_url("**/why?*member=daan*")
    assert "Daan Bakker does not get a push notification" in page.inner_text("#explanation")
    site.shot(page, "why")
    page.goto("/audit")
    assert "escalation.unassigned.after_minutes" in page.inner_text("table.audit")
    site.shot(page, "audit")
    page.goto("/digests")
    frame = page.frame_locator("#digest-daily_summary iframe")
    assert "Daily summary" in frame.locator("body").inner_text()
    page.wait_for_function(
        "document.querySelector('#digest-weekly_report iframe').offsetHeight > 700"
    )
    site.shot(page, "digests")


def test_without_javascript_the_button_is_always_there_and_the_whole_form_posts(site):
    context = site.browser.new_context(
        java_script_enabled=False, locale="en-GB", base_url=site.base
    )
    site.contexts.append(context)
    page = context.new_page()
    page.goto("/settings")
    assert save_button(page).is_visible()
    page.fill("#f-quiet_hours-end", "07:00")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/settings")) as req:
        page.click("button[data-save]")
    names = {name for name, _ in parse_qsl(req.value.post_data or "", keep_blank_values=True)}
    assert {"defaults.mention", "timezone", "slack.webhook_url", "quiet_hours.end"} <= names
    page.wait_for_url("**/settings?saved=4")
    assert site.settings().quiet_hours.describe() == "22:00\u201307:00"
