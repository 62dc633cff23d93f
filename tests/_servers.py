"""Real servers on 127.0.0.1 for the transport tests: an HTTPS "Slack" and an SMTP server."""

from __future__ import annotations

import contextlib
import http.server
import itertools
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
    """Answers by the last path segment: ok, ratelimit, ratelimit-date, ratelimit-huge, error,
    gone, slow, drop, redirect, drip (one byte every 0.5 s), endless (a header line every
    0.1 s, forever).  Records every request body."""

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

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a misbehaving answer is the point of those tests


def _trickle(
    handler: http.server.BaseHTTPRequestHandler, chunks: Iterator[bytes], pause: float
) -> None:
    """Write ``chunks`` one by one, ``pause`` seconds apart, until the client goes away."""
    try:
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        return


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
        if behaviour == "drip":
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            _trickle(self, (answer[i : i + 1] for i in range(len(answer))), 0.5)
            return
        if behaviour == "endless":
            lines = itertools.chain(
                [b"HTTP/1.1 200 OK\r\n"], (b"X-More: %d\r\n" % n for n in itertools.count())
            )
            _trickle(self, lines, 0.1)
            return
        status, extra, text = {
            "ok": (200, {}, b"ok"),
            "slow": (200, {}, b"ok"),
            "ratelimit": (429, {"Retry-After": "7"}, b"rate_limited"),
            "ratelimit-date": (429, {"Retry-After": "Sat, 28 Mar 2026 21:05:00 GMT"}, b""),
            "ratelimit-huge": (429, {"Retry-After": "9" * 5000}, b""),
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


class ConnectProxy:
    """An HTTP proxy on 127.0.0.1 that only tunnels (``CONNECT``), recording each target."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            target = request.split()[1].decode()
            self.targets.append(target)
            host, _, port = target.rpartition(":")
            with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pump = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
                pump.start()
                _pump(client, upstream)
                pump.join(5)

    def close(self) -> None:
        self._sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextmanager
def misbehaving_smtp(mode: str) -> Iterator[tuple[int, list[str]]]:
    """An SMTP server on 127.0.0.1 that misbehaves in one way, recording the commands it got:

    - ``drip``: the greeting, one byte every 0.5 s;
    - ``endless-ehlo``: a fine greeting, then an EHLO reply of ``250-`` lines every 0.1 s that
      never ends;
    - ``no-starttls``: a well-behaved server that does not offer STARTTLS (nor SMTPUTF8).
    """
    commands: list[str] = []
    server = socket.create_server(("127.0.0.1", 0))
    port = int(server.getsockname()[1])

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn, contextlib.suppress(OSError):
            conn.settimeout(30)
            if mode == "drip":
                for byte in b"220 slow.example ESMTP\r\n" * 10:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.5)
                return
            conn.sendall(b"220 odd.example ESMTP\r\n")
            reader = conn.makefile("rb")
            while line := reader.readline():
                command = line.decode("ascii", "replace").strip()
                commands.append(command)
                verb = command.split(" ")[0].upper()
                if verb in ("EHLO", "HELO") and mode == "endless-ehlo":
                    for n in itertools.count():
                        conn.sendall(b"250-line %d\r\n" % n)
                        time.sleep(0.1)
                elif verb == "EHLO":
                    conn.sendall(b"250-odd.example\r\n250 8BITMIME\r\n")
                elif verb == "DATA":
                    conn.sendall(b"354 go on\r\n")
                    while reader.readline() not in (b".\r\n", b""):
                        pass
                    conn.sendall(b"250 queued\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, commands
    finally:
        server.close()
