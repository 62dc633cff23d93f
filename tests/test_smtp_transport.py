"""The SMTP transport against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
import time
from email.message import EmailMessage
from email.policy import default

import attrs
import pytest

from notifpolicy import Channel, Secret, TransportError
from notifpolicy._outbox import Delivery, OutboxItem, SendStatus
from notifpolicy.adapters.smtp import SmtpTransport, _by_code

from ._servers import free_port, misbehaving_smtp, smtp_server

NOW = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)


def delivery(
    to: str, *, html: str | None = "<p>Hello <b>Anna</b></p>", subject: str = "Daily summary"
) -> Delivery:
    item = OutboxItem(
        "ws:mail:1",
        "ws",
        "e1",
        None,
        "anna",
        Channel.EMAIL,
        ("daily_summary",),
        NOW,
        subject=subject,
        text="Hello Anna",
        html=html,
    )
    return Delivery(item, to)


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_plain_text_with_html_alternative():
    with smtp_server(tls=False) as (sink, port, _):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        result = transport.send(delivery("anna@example.org"), now=NOW)
    assert result.status is SendStatus.SENT
    ((sender, rcpts, raw),) = sink.messages
    assert (sender, rcpts) == ("desk@example.org", ["anna@example.org"])
    msg = parse(raw)
    assert msg["Subject"] == "Daily summary"
    assert msg["X-Notifpolicy-Id"] == "ws:mail:1"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().strip() == "Hello Anna"
    assert "<b>Anna</b>" in html.get_content()


def test_text_only():
    with smtp_server(tls=False) as (sink, port, _):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        assert (
            transport.send(delivery("anna@example.org", html=None), now=NOW).status
            is SendStatus.SENT
        )
    assert parse(sink.messages[0][2]).get_content_type() == "text/plain"


def test_starttls_and_login():
    with smtp_server(tls=True) as (sink, port, context):
        transport = SmtpTransport(
            host="127.0.0.1",
            port=port,
            sender="desk@example.org",
            username="desk",
            password=Secret("s3cret"),
            ssl_context=context,
        )
        assert transport.send(delivery("anna@example.org"), now=NOW).status is SendStatus.SENT
        plain = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        no_tls = plain.send(delivery("anna@example.org"), now=NOW)
    assert len(sink.messages) == 1
    # The server requires STARTTLS: a client that skips it is refused with a 5xx.
    assert no_tls.status is SendStatus.PERMANENT


def test_reply_codes_classify():
    # aiosmtpd stalls after a failed AUTH instead of answering 535, so the code path that
    # classifies an authentication failure is checked on its own.
    assert _by_code(535, "authentication failed").status is SendStatus.PERMANENT
    assert _by_code(421, "closing").status is SendStatus.RETRY


def test_5xx_recipient_is_permanent_4xx_is_retry():
    with smtp_server(tls=False) as (sink, port, _):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        gone = transport.send(delivery("nobody@example.org"), now=NOW)
        later = transport.send(delivery("later@example.org"), now=NOW)
    assert gone.status is SendStatus.PERMANENT
    assert gone.error == "SMTP 550: recipient refused"
    assert later.status is SendStatus.RETRY
    assert sink.messages == []


def test_nothing_listening_is_retry():
    transport = SmtpTransport(
        host="127.0.0.1", port=free_port(), sender="desk@example.org", starttls=False, timeout=1
    )
    result = transport.send(delivery("anna@example.org"), now=NOW)
    assert result.status is SendStatus.RETRY
    assert result.error == "network error: ConnectionRefusedError"


def test_bad_destination_and_header_injection_are_permanent():
    transport = SmtpTransport(host="127.0.0.1", port=1, sender="desk@example.org", starttls=False)
    assert transport.send(delivery("not-an-address"), now=NOW).status is SendStatus.PERMANENT
    assert (
        transport.send(Delivery(delivery("x@y").item, Secret("x@y")), now=NOW).status
        is SendStatus.PERMANENT
    )
    injected = transport.send(
        delivery("anna@example.org", subject="Hi\r\nBcc: evil@example.org"), now=NOW
    )
    assert injected.status is SendStatus.PERMANENT


def _grumpy_server(sock: socket.socket, accepted: list[bytes]) -> None:
    """Accepts one message, then answers QUIT with 421 (as a server shutting down might)."""
    conn, _ = sock.accept()
    with conn, conn.makefile("rwb") as f:

        def say(line: str) -> None:
            f.write(line.encode() + b"\r\n")
            f.flush()

        say("220 grumpy")
        while line := f.readline().decode().strip():
            verb = line.split()[0].upper()
            if verb == "DATA":
                say("354 go on")
                body = b""
                while (chunk := f.readline()) != b".\r\n":
                    body += chunk
                accepted.append(body)
                say("250 queued")
            elif verb == "QUIT":
                say("421 shutting down")
                return
            else:
                say("250 ok")


def test_a_failed_quit_after_acceptance_is_still_sent():
    accepted: list[bytes] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = threading.Thread(target=_grumpy_server, args=(sock, accepted), daemon=True)
        server.start()
        port = sock.getsockname()[1]
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False, timeout=5
        )
        result = transport.send(delivery("anna@example.org"), now=NOW)
        server.join(5)
    assert len(accepted) == 1
    assert result.status is SendStatus.SENT


def test_one_click_unsubscribe_headers_when_the_item_has_a_url():
    url = "https://desk.example/digests/off?m=anna&k=weekly_report"
    plain, with_url = delivery("anna@example.org"), delivery("bo@example.org")
    with_url = Delivery(attrs.evolve(with_url.item, unsubscribe_url=url), with_url.destination)
    with smtp_server(tls=False) as (sink, port, _):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False
        )
        assert transport.send(with_url, now=NOW).status is SendStatus.SENT
        assert transport.send(plain, now=NOW).status is SendStatus.SENT
    (_, _, raw), (_, _, raw_plain) = sink.messages
    msg = parse(raw)
    # RFC 8058: the HTTPS URI in angle brackets, and the one-click POST body.
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    without = parse(raw_plain)
    assert without["List-Unsubscribe"] is None
    assert without["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize("mode", ["drip", "endless-ehlo"])
def test_the_deadline_bounds_the_whole_exchange(mode):
    """A greeting dripped one byte every 0.5 s, or an EHLO reply that never ends, never trips a
    per-read timeout; the overall deadline ends the send anyway."""
    with misbehaving_smtp(mode) as (port, _):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False, timeout=1
        )
        started = time.monotonic()
        result = transport.send(delivery("anna@example.org"), now=NOW)
        took = time.monotonic() - started
    assert result.status is SendStatus.RETRY
    assert result.error == "no answer within the 1 s deadline"
    assert 0.9 < took < 2.0, took


def test_starttls_required_but_not_offered_is_permanent():
    with misbehaving_smtp("no-starttls") as (port, commands):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=True, timeout=5
        )
        result = transport.send(delivery("anna@example.org"), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert "STARTTLS" in result.error
    assert not any(c.upper().startswith("MAIL") for c in commands)  # nothing went in clear


def test_a_non_ascii_recipient_without_smtputf8_is_permanent():
    with misbehaving_smtp("no-starttls") as (port, commands):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False, timeout=5
        )
        result = transport.send(delivery("änna@example.org"), now=NOW)
    assert result.status is SendStatus.PERMANENT
    assert result.error is not None
    assert "SMTPUTF8" in result.error
    assert not any(c.upper().startswith("RCPT") for c in commands)


def test_the_well_behaved_odd_server_still_takes_mail():
    with misbehaving_smtp("no-starttls") as (port, commands):
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="desk@example.org", starttls=False, timeout=5
        )
        result = transport.send(delivery("anna@example.org"), now=NOW)
    assert result.status is SendStatus.SENT
    assert [c.split(":")[0].split(" ")[0].upper() for c in commands] == [
        "EHLO",
        "MAIL",
        "RCPT",
        "DATA",
        "QUIT",
    ]


@pytest.mark.parametrize("timeout", [0, -1, "5", 10_000])
def test_a_bad_timeout_is_a_transport_error(timeout):
    with pytest.raises(TransportError, match="timeout"):
        SmtpTransport(host="127.0.0.1", sender="desk@example.org", timeout=timeout)


def test_a_name_lookup_that_hangs_is_bounded_by_the_deadline(monkeypatch):
    """getaddrinfo blocks and cannot be interrupted; the send stops waiting for it when its
    deadline passes (it used to wait the lookup out: 4 s for a 1 s deadline)."""

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(4)  # a resolver that does not answer; never a real lookup (loopback only)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 9))]

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    transport = SmtpTransport(
        host="mail.example.org", port=25, sender="desk@example.org", starttls=False, timeout=1
    )
    started = time.monotonic()
    result = transport.send(delivery("anna@example.org"), now=NOW)
    took = time.monotonic() - started
    assert result.status is SendStatus.RETRY
    assert took < 2.0, took
