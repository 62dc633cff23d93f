"""The Slack webhook transport against a real HTTPS server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator

import pytest

from notifpolicy import Channel, Secret, TransportError
from notifpolicy._outbox import Delivery, OutboxItem, SendStatus
from notifpolicy.adapters.slack import SlackWebhookTransport, _not_public

from ._servers import ConnectProxy, SlackStub, slack_stub

NOW = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)
BASE = "https://hooks.slack.com/services/T0/B0/"
BODY = json.dumps({"text": "New conversation: &lt;script&gt;"})


@pytest.fixture
def stub() -> Iterator[tuple[SlackStub, SlackWebhookTransport]]:
    with slack_stub() as (server, context):
        transport = SlackWebhookTransport(
            timeout=0.5,
            ssl_context=context,
            resolve={
                "hooks.slack.com": ("127.0.0.1", server.port),
                "hooks.example.org": ("127.0.0.1", server.port),
            },
            extra_hosts=["hooks.example.org"],
            allow_private_addresses=True,
        )
        yield server, transport


def delivery(behaviour: str, *, base: str = BASE, body: str | None = BODY) -> Delivery:
    item = OutboxItem(
        "ws:1", "ws", "e1", "c1", "slack", Channel.SLACK, ("new_conversation",), NOW, body=body
    )
    return Delivery(item, Secret(base + behaviour))


def test_sent_posts_the_json_body_once(stub):
    server, transport = stub
    result = transport.send(delivery("ok"), now=NOW)
    assert result.status is SendStatus.SENT
    assert server.bodies == [BODY.encode()]
    assert server.headers_seen[0]["Content-Type"].startswith("application/json")


def test_extra_host(stub):
    _, transport = stub
    assert (
        transport.send(delivery("ok", base="https://hooks.example.org/services/X/"), now=NOW).status
        is SendStatus.SENT
    )


def test_429_is_retry_with_retry_after(stub):
    _, transport = stub
    result = transport.send(delivery("ratelimit"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert result.retry_after == NOW + dt.timedelta(seconds=7)
    dated = transport.send(delivery("ratelimit-date"), now=NOW)
    assert dated.status is SendStatus.RETRY
    assert dated.retry_after == dt.datetime(2026, 3, 28, 21, 5, tzinfo=dt.UTC)


def test_5xx_is_retry(stub):
    _, transport = stub
    result = transport.send(delivery("error"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert result.retry_after is None
    assert result.error == "HTTP 500 (internal_error)"


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [("gone", "no_service"), ("token", "invalid_token"), ("bad", "invalid_payload")],
)
def test_other_4xx_is_permanent_and_says_why(stub, behaviour, said):
    _, transport = stub
    result = transport.send(delivery(behaviour), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert said in result.error
    assert "check its URL" in result.error


def test_redirects_are_not_followed(stub):
    server, transport = stub
    result = transport.send(delivery("redirect"), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert "redirect" in result.error
    assert len(server.bodies) == 1


def test_slow_response_times_out_as_retry(stub):
    _, transport = stub
    result = transport.send(delivery("slow"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert result.error == "no answer within the 0.5 s deadline"


def test_dropped_connection_is_retry(stub):
    _, transport = stub
    result = transport.send(delivery("drop"), now=NOW)
    assert result.status is SendStatus.RETRY


def test_nothing_listening_is_retry():
    transport = SlackWebhookTransport(
        timeout=0.5,
        resolve={"hooks.slack.com": ("127.0.0.1", 9)},
        allow_private_addresses=True,
    )
    assert transport.send(delivery("ok"), now=NOW).status is SendStatus.RETRY


def test_untrusted_certificate_is_retry_not_sent(stub):
    server, _ = stub
    transport = SlackWebhookTransport(
        timeout=0.5,
        resolve={"hooks.slack.com": ("127.0.0.1", server.port)},
        allow_private_addresses=True,
    )
    result = transport.send(delivery("ok"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert server.bodies == []


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T0/B0/ok",
        "https://hooks.slack.com@127.0.0.1/services/T0/B0/ok",
        "https://127.0.0.1/services/T0/B0/ok",
        "https://hooks.slack.com:443/services/T0/B0/ok",
        "https://hooks.slack.com.evil.example/services/T0/B0/ok",
        "https://hooks.example.org/services/T0/B0/ok",
    ],
)
def test_url_is_checked_again_at_send_time(stub, url):
    server, _ = stub
    strict = SlackWebhookTransport(
        timeout=0.5, resolve={"hooks.slack.com": ("127.0.0.1", server.port)}
    )
    item = delivery("ok").item
    result = strict.send(Delivery(item, Secret(url)), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert url not in result.error
    assert server.bodies == []


def test_no_payload_is_permanent(stub):
    _, transport = stub
    assert transport.send(delivery("ok", body=None), now=NOW).status is SendStatus.PERMANENT


def test_the_url_never_leaks_into_results_or_logs(stub, caplog):
    _, transport = stub
    caplog.set_level(logging.DEBUG)
    secret_part = "ZZSECRETZZ"
    texts = []
    for behaviour in ("error", "gone", "redirect", "slow", "drop", "ratelimit"):
        url_delivery = delivery(f"{secret_part}/{behaviour}")
        result = transport.send(url_delivery, now=NOW)
        texts.append(repr(result))
        texts.append(repr(url_delivery))
        texts.append(str(result.error))
    texts.extend(r.getMessage() for r in caplog.records)
    assert not any(secret_part in t for t in texts)


@pytest.fixture
def stub_1s() -> Iterator[tuple[SlackStub, SlackWebhookTransport]]:
    with slack_stub() as (server, context):
        yield (
            server,
            SlackWebhookTransport(
                timeout=1,
                ssl_context=context,
                resolve={"hooks.slack.com": ("127.0.0.1", server.port)},
                allow_private_addresses=True,
            ),
        )


@pytest.mark.parametrize("behaviour", ["drip", "endless"])
def test_the_deadline_bounds_the_whole_send(stub_1s, behaviour):
    """One byte every 0.5 s (or a header line every 0.1 s) never trips a per-read timeout; the
    overall deadline ends the send anyway."""
    _, transport = stub_1s
    started = time.monotonic()
    result = transport.send(delivery(behaviour), now=NOW)
    took = time.monotonic() - started
    assert result.status is SendStatus.RETRY
    assert result.error == "no answer within the 1 s deadline"
    assert 0.9 < took < 2.0, took


def test_a_retry_after_of_5000_digits_is_capped_not_a_crash(stub):
    _, transport = stub
    result = transport.send(delivery("ratelimit-huge"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert result.retry_after == NOW + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 -- the address under test, not a bind
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_non_public_addresses_are_refused_before_connecting(stub, address, kind):
    server, _ = stub
    transport = SlackWebhookTransport(timeout=0.5, resolve={"hooks.slack.com": (address, 443)})
    result = transport.send(delivery("ok"), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert f"resolved to a {kind} address ({address})" in result.error
    assert "allow_private_addresses" in result.error
    assert "services" not in result.error  # the URL stays secret
    assert server.bodies == []


def test_the_name_is_resolved_at_send_time_and_checked(stub):
    """Real DNS for an allowed name that points at loopback: refused, nothing sent."""
    server, _ = stub
    transport = SlackWebhookTransport(timeout=2, extra_hosts=["localhost"])
    result = transport.send(delivery("ok", base="https://localhost/services/T0/B0/"), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert "loopback" in result.error
    assert server.bodies == []


def test_a_public_address_passes_the_check():
    assert _not_public("93.184.216.34") is None
    assert _not_public("2606:2800:220:1:248:1893:25c8:1946") is None
    assert _not_public("::ffff:10.0.0.1") == "private"


def test_through_a_proxy_the_tunnel_names_the_checked_address():
    with slack_stub() as (server, context):
        proxy = ConnectProxy()
        try:
            transport = SlackWebhookTransport(
                timeout=2,
                ssl_context=context,
                resolve={"hooks.slack.com": ("127.0.0.1", server.port)},
                proxies={"https": f"http://127.0.0.1:{proxy.port}"},
                allow_private_addresses=True,
            )
            result = transport.send(delivery("ok"), now=NOW)
        finally:
            proxy.close()
    assert result.status is SendStatus.SENT
    assert proxy.targets == [f"127.0.0.1:{server.port}"]
    assert server.bodies == [BODY.encode()]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": 0},
        {"timeout": "10"},
        {"proxies": {"https": "socks5://proxy:1080"}},
        {"proxies": {"https": "http://proxy:port"}},
    ],
)
def test_misconfiguration_is_a_transport_error(kwargs):
    with pytest.raises(TransportError):
        SlackWebhookTransport(**kwargs)
