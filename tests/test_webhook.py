"""The exact Slack webhook URL check (SPEC §8)."""

from __future__ import annotations

import pytest
from hypothesis import given

from notifpolicy import ValidationError, WorkspaceSettings
from notifpolicy._webhook import allowed_hosts, webhook_url_problem
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
