"""The exact Slack webhook URL check (SPEC §8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given

from notifpolicy import ValidationError, WorkspaceSettings
from notifpolicy._webhook import allowed_hosts, webhook_url_problem
from notifpolicy.adapters.slack import SlackWebhookTransport
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock
from notifpolicy.testing.strategies import webhook_urls

HOSTS = allowed_hosts()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "HTTPS://HOOKS.SLACK.COM/services/T0/B0/x",
        "https://hooks.slack-gov.com/services/T0/B0/x_y-z",
        "https://hooks.slack.com/services/one",
    ],
)
def test_accepts(url):
    assert webhook_url_problem(url, HOSTS) is None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com@evil.example/services/T/B/x",
        "https://user@hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com:443/services/T/B/x",
        "https://hooks.slack.com:8443/services/T/B/x",
        "https://hooks.slack.com./services/T/B/x",
        "https://hooks.slack.com.evil.example/services/T/B/x",
        "https://evilhooks.slack.com/services/T/B/x",
        "https://sub.hooks.slack.com/services/T/B/x",
        "https://hooks.s1ack.com/services/T/B/x",
        "https://52.1.2.3/services/T/B/x",
        "https://[::1]/services/T/B/x",
        "https://hooks.slack.com/Services/T/B/x",
        "https://hooks.slack.com/services/",
        "https://hooks.slack.com/services",
        "https://hooks.slack.com/services/T/B/x/",
        "https://hooks.slack.com/services/T//x",
        "https://hooks.slack.com/services/T/B/x?a=1",
        "https://hooks.slack.com/services/T/B/x#frag",
        "https://hooks.slack.com/services/T/B/%2e%2e",
        "https://hooks.slack.com/services/T/B/x\\y",
        "https://hooks.slack.com/services/../x",
        " https://hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com/services/T/B/x ",
        "https://hooks.slack.com/services/T/B/x\n",
        "https://hooks.slack.com/services/T/B/\x00",
        "https://hooks.slack.com/services/T/B/ü",
        "https://hooks.\u017flack.com/services/T/B/x",  # LATIN SMALL LETTER LONG S
        "hooks.slack.com/services/T/B/x",
        "https:/hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com/services/T/B/" + "x" * 2048,
    ],
)
def test_rejects(url):
    message = webhook_url_problem(url, HOSTS)
    assert message is not None
    if url:
        assert url not in message


def test_extra_hosts_are_exact_names_and_keep_the_other_rules():
    hosts = allowed_hosts(["Hooks.Example.org"])
    assert webhook_url_problem("https://hooks.example.org/services/T/B/x", hosts) is None
    assert webhook_url_problem("https://a.hooks.example.org/services/T/B/x", hosts) is not None
    assert webhook_url_problem("http://hooks.example.org/services/T/B/x", hosts) is not None
    assert webhook_url_problem("https://hooks.example.org/other/T/B/x", hosts) is not None


def test_length_limit_is_2048():
    base = "https://hooks.slack.com/services/"
    assert webhook_url_problem(base + "x" * (2048 - len(base)), HOSTS) is None
    assert webhook_url_problem(base + "x" * (2049 - len(base)), HOSTS) is not None


@given(webhook_urls())
def test_generated_urls_load(url):
    s = WorkspaceSettings.from_dict({"slack": {"webhook_url": url}})
    assert s.slack.webhook_url is not None
    assert s.slack.webhook_url.reveal() == url


def test_loader_error_does_not_echo_the_url():
    url = "https://hooks.slack.com:443/services/T/B/TOPSECRET"
    with pytest.raises(ValidationError) as info:
        WorkspaceSettings.from_dict({"slack": {"webhook_url": url}})
    assert "TOPSECRET" not in str(info.value)
    assert "port" in str(info.value)


@pytest.mark.parametrize(
    "entry",
    [
        "hooks.example.org.",
        "",
        " hooks.example.org",
        "hooks.example.org:443",
        "https://hooks.example.org",
        "user@hooks.example.org",
        "hooks.example.org/services",
        "hooks..example.org",
        "-hooks.example.org",
        "hooks-.example.org",
        "höoks.example.org",
        "hooks.example.org\n",
        "a" * 64 + ".example.org",
        ("a" * 60 + ".") * 5 + "org",  # over 253 characters
    ],
)
def test_an_extra_host_that_a_url_could_not_carry_is_refused(entry):
    with pytest.raises(ValidationError) as caught:
        allowed_hosts(["hooks.example.org", entry])
    (problem,) = caught.value.problems
    assert problem.path == "extra_webhook_hosts[1]"
    assert problem.code == "webhook_host"
    assert repr(entry)[:50] in problem.message
    assert len(str(caught.value)) < 400


def test_every_bad_extra_host_is_reported_and_the_type_is_checked():
    with pytest.raises(ValidationError) as caught:
        allowed_hosts(["", "ok.example.org", 7, "x."])
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("extra_webhook_hosts[0]", "webhook_host"),
        ("extra_webhook_hosts[2]", "type"),
        ("extra_webhook_hosts[3]", "webhook_host"),
    ]
    with pytest.raises(ValidationError, match="must be a list of host names, got str"):
        allowed_hosts("hooks.example.org")
    with pytest.raises(ValidationError, match="got int"):
        allowed_hosts(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", ["a", "hooks.example.org", "HOOKS.Example.ORG", "x-1.y2.z"])
def test_host_names_are_accepted_lowercased(entry):
    assert entry.lower() in allowed_hosts(iter([entry]))


def test_every_entry_point_checks_the_extra_hosts(tmp_path):
    bad = ["hooks.example.org."]
    calls: list[Callable[[], object]] = [
        lambda: WorkspaceSettings.from_dict({}, extra_webhook_hosts=bad),
        lambda: SqliteStore(tmp_path / "s.sqlite3", extra_webhook_hosts=bad),
        lambda: SlackWebhookTransport(extra_hosts=bad),
        lambda: NotificationService(
            workspace_id="ws",
            store=InMemoryStore(),
            roster=None,  # type: ignore[arg-type]
            clock=ManualClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
            transports={},
            extra_webhook_hosts=bad,
        ),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match=r"extra_webhook_hosts\[0\]"):
            call()
