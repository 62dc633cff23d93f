"""Real servers on 127.0.0.1 for the transport tests: an HTTPS "Slack" and an SMTP server."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword


class SlackStub(http.server.ThreadingHTTPServer):
    """Answers by the last path segment: ok, ratelimit, ratelimit-date, error, gone, slow,
    drop, redirect.  Records every request body."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlackHandler)
        self.bodies: list[bytes] = []
        self.headers_seen: list[dict[str, str]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _SlackHandler(http.server.BaseHTTPRequestHandler):
    server: SlackStub

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.bodies.append(body)
        self.server.headers_seen.append(dict(self.headers.items()))
        behaviour = self.path.rsplit("/", 1)[-1]
        if behaviour == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if behaviour == "slow":
            time.sleep(1.5)
        status, extra, text = {
            "ok": (200, {}, b"ok"),
            "slow": (200, {}, b"ok"),
            "ratelimit": (429, {"Retry-After": "7"}, b"rate_limited"),
            "ratelimit-date": (429, {"Retry-After": "Sat, 28 Mar 2026 21:05:00 GMT"}, b""),
            "error": (500, {}, b"internal_error"),
            "gone": (404, {}, b"no_service"),
            "token": (403, {}, b"invalid_token"),
            "redirect": (302, {"Location": "https://evil.example/collect"}, b""),
        }.get(behaviour, (400, {}, b"invalid_payload"))
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


@contextmanager
def slack_stub() -> Iterator[tuple[SlackStub, ssl.SSLContext]]:
    """A TLS server for hooks.slack.com on loopback, and a client context that trusts it."""
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.slack.com", "hooks.slack-gov.com", "hooks.example.org")
    server = SlackStub()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server, client_context
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailSink:
    """An aiosmtpd handler: refuses nobody@ (550) and later@ (451), keeps the rest."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd's hook name
        self,
        server: object,
        session: object,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("later@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


def _authenticate(
    server: object, session: object, envelope: object, mechanism: str, auth_data: object
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"desk"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok)


@contextmanager
def smtp_server(*, tls: bool) -> Iterator[tuple[MailSink, int, ssl.SSLContext | None]]:
    """An SMTP server on 127.0.0.1 (with STARTTLS and LOGIN when ``tls``)."""
    sink = MailSink()
    port = free_port()
    client_context = None
    kwargs: dict[str, object] = {}
    if tls:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        kwargs = {
            "tls_context": server_context,
            "require_starttls": True,
            "authenticator": _authenticate,
        }
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)  # type: ignore[arg-type]
    controller.start()
    try:
        yield sink, port, client_context
    finally:
        controller.stop()
