"""Real servers on 127.0.0.1 for the transport tests: an HTTPS "Slack" and an SMTP server."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
        self.arrived: list[float] = []  # time.monotonic() of each request

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
        self.server.arrived.append(time.monotonic())
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
def _serve_slack(ca: trustme.CA) -> Iterator[SlackStub]:
    cert = ca.issue_cert("hooks.slack.com", "hooks.slack-gov.com", "hooks.example.org")
    server = SlackStub()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def slack_stub() -> Iterator[tuple[SlackStub, ssl.SSLContext]]:
    """A TLS server for hooks.slack.com on loopback, and a client context that trusts it."""
    ca = trustme.CA()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with _serve_slack(ca) as server:
        yield server, client_context


@contextmanager
def slack_stub_for_subprocess(ca_pem: Path) -> Iterator[SlackStub]:
    """:func:`slack_stub` for a client in another process: the CA certificate that it must
    trust is written to ``ca_pem``."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_pem))
    with _serve_slack(ca) as server:
        yield server


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
    ca = trustme.CA() if tls else None
    client_context = None
    if ca is not None:
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
    with _serve_smtp(ca) as (sink, port):
        yield sink, port, client_context


@contextmanager
def smtp_server_for_subprocess(ca_pem: Path) -> Iterator[tuple[MailSink, int]]:
    """:func:`smtp_server` with STARTTLS and LOGIN (``desk`` / ``s3cret``) for a client in
    another process: the CA certificate that it must trust is written to ``ca_pem``."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_pem))
    with _serve_smtp(ca) as served:
        yield served


@contextmanager
def _serve_smtp(ca: trustme.CA | None) -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    port = free_port()
    kwargs: dict[str, object] = {}
    if ca is not None:
        cert = ca.issue_cert("127.0.0.1", "localhost")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        kwargs = {
            "tls_context": server_context,
            "require_starttls": True,
            "authenticator": _authenticate,
        }
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)  # type: ignore[arg-type]
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
