"""Slack incoming-webhook transport on the standard library (``http.client`` and ``ssl``).

One HTTPS POST per :meth:`SlackWebhookTransport.send`, with an overall deadline, no redirects
followed, and the URL checked again against the allowed hosts at send time (settings may be
old, or edited behind the library's back).  Each attempt is classified:

- ``SENT``: 2xx;
- ``RETRY``: 429 (with ``Retry-After`` as ``retry_after``), 5xx, the deadline passing, and
  network errors;
- ``PERMANENT``: any other status (404 ``no_service`` or 403 ``invalid_token`` means the webhook
  was revoked: an admin must fix the URL), a redirect, a URL that fails the check, or a host
  that resolves to an address that is not public.

Theory of operation.  The host name is resolved once, at send time, and every address it
resolved to is checked: loopback, private, link-local, shared, multicast, reserved and
unspecified addresses are refused (an allowed name pointed at an internal service must not let
a settings page reach inside the network).  The connection is then made to the checked address
itself, never by name again, so a second DNS answer cannot slip in between the check and the
connect; TLS still verifies the certificate against the host name.  Through a proxy, the
``CONNECT`` names the checked address too.  :class:`~notifpolicy.adapters._deadline.Deadline`
bounds the whole send, name lookup included.

Backoff, the attempt limit and pacing belong to the service and its outbox, not here.  The URL
is a secret: it never appears in a result, an exception or a log record from this module.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from notifpolicy import Delivery, Secret, SendResult, SendStatus, TransportError
from notifpolicy._webhook import allowed_hosts, webhook_url_problem
from notifpolicy.adapters._deadline import Address, Deadline

__all__ = ["SlackWebhookTransport"]

_MAX_REASON = 120
_MAX_RETRY_AFTER = 86_400
_HTTPS_PORT = 443
_MAX_PROXY_REPLY = 64 * 1024


class _RefusedAddressError(Exception):
    """The webhook host resolved to an address the transport does not connect to."""


class SlackWebhookTransport:
    """Posts a decision's Slack payload (``item.body``) to the webhook in ``destination``.

    ``timeout`` is the overall deadline of one send in seconds: name lookup, connect, TLS,
    request and response together.  ``extra_hosts`` widens the allowed webhook hosts exactly as
    the settings loader does.  ``proxies`` (``{"https": "http://proxy:3128"}``) is used as
    given, and without it the connection is direct (environment proxy variables are not read).

    The host must resolve to public addresses only; ``allow_private_addresses=True`` lifts that
    (a webhook relay inside your own network, or tests on ``127.0.0.1``).  ``ssl_context`` and
    ``resolve`` (host name to ``(address, port)``, instead of DNS) exist for tests against a
    local server; an address from ``resolve`` is checked like one from DNS.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        extra_hosts: Iterable[str] = (),
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolve: Mapping[str, Address] | None = None,
        user_agent: str = "notifpolicy",
        allow_private_addresses: bool = False,
    ) -> None:
        if not (isinstance(timeout, int | float) and 0 < timeout <= 3600):
            raise TransportError(f"timeout: must be seconds from 0 to 3600, got {timeout!r}")
        self._timeout = float(timeout)
        self._hosts = allowed_hosts(extra_hosts)
        self._user_agent = user_agent
        self._context = ssl_context or ssl.create_default_context()
        self._resolve = {k.lower(): v for k, v in (resolve or {}).items()}
        self._proxy = _proxy_address(proxies)
        self._allow_private = allow_private_addresses

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        """One POST; see the module docstring for the classification."""
        destination = delivery.destination
        url = destination.reveal() if isinstance(destination, Secret) else destination
        problem = webhook_url_problem(url, self._hosts)
        if problem is not None:
            return SendResult(SendStatus.PERMANENT, error=f"webhook URL refused: {problem}")
        body = delivery.item.body
        if body is None:
            return SendResult(SendStatus.PERMANENT, error="the outbox item has no Slack payload")
        host, _, path = url[len("https://") :].partition("/")
        host = host.lower()
        with Deadline(self._timeout) as deadline:
            try:
                addresses = self._addresses(host, deadline)
                status, retry_after, text = self._post(
                    host, "/" + path, addresses, body.encode("utf-8"), deadline
                )
            except _RefusedAddressError as exc:
                return SendResult(SendStatus.PERMANENT, error=str(exc))
            except (OSError, http.client.HTTPException, ValueError) as exc:
                # Only the exception's type: its text may quote the URL.
                if deadline.expired or isinstance(exc, TimeoutError):
                    return self._too_late()
                return SendResult(SendStatus.RETRY, error=f"network error: {type(exc).__name__}")
            if deadline.expired:
                # The connection was cut mid-answer, which http.client may read as a short but
                # complete one: the outcome is unknown, so it is a retry, never SENT.
                return self._too_late()
        return _classify(status, retry_after, text, now)

    def _too_late(self) -> SendResult:
        return SendResult(
            SendStatus.RETRY, error=f"no answer within the {self._timeout:g} s deadline"
        )

    # -- where to connect -----------------------------------------------------------------------

    def _addresses(self, host: str, deadline: Deadline) -> list[Address]:
        """The addresses ``host`` resolves to now, each checked; refused if any is not public."""
        override = self._resolve.get(host)
        found = [override] if override is not None else deadline.resolve(host, _HTTPS_PORT)
        if not self._allow_private:
            for address, _port in found:
                why = _not_public(address)
                if why is not None:
                    raise _RefusedAddressError(
                        f"the webhook host resolved to a {why} address ({address}); only public "
                        "addresses are allowed (allow_private_addresses=True lifts this)"
                    )
        return found

    def _connect(self, addresses: list[Address], deadline: Deadline) -> socket.socket:
        if self._proxy is not None:
            sock = socket.create_connection(self._proxy, timeout=deadline.left())
            deadline.watch(sock)
            _tunnel(sock, addresses[0], deadline)
            return sock
        error: OSError = ConnectionError("no address")
        for address in addresses:
            try:
                sock = socket.create_connection(address, timeout=deadline.left())
            except OSError as exc:
                error = exc
                continue
            deadline.watch(sock)
            return sock
        raise error

    def _post(
        self, host: str, path: str, addresses: list[Address], body: bytes, deadline: Deadline
    ) -> tuple[int, dt.timedelta | dt.datetime | None, bytes]:
        raw = self._connect(addresses, deadline)
        with raw:
            tls = self._context.wrap_socket(raw, server_hostname=host)
            # Host header and certificate name: the host; the socket: the checked address.
            connection = http.client.HTTPSConnection(host, _HTTPS_PORT, timeout=deadline.left())
            connection.sock = tls
            try:
                connection.request(
                    "POST",
                    path,
                    body=body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "User-Agent": self._user_agent,
                    },
                )
                response = connection.getresponse()
                text = response.read(65536 if 200 <= response.status < 300 else 512)
                return response.status, _retry_after(response.headers), text
            finally:
                connection.close()


def _not_public(address: str) -> str | None:
    """What kind of non-public address ``address`` is, or ``None`` for a public one."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def _proxy_address(proxies: Mapping[str, str] | None) -> Address | None:
    if not proxies or "https" not in proxies:
        return None
    parsed = urllib.parse.urlsplit(proxies["https"])
    try:
        port = parsed.port or 80
    except ValueError:
        port = 0
    if parsed.scheme != "http" or not parsed.hostname or not port:
        raise TransportError("proxies['https']: must be an http://host:port URL of a proxy")
    return parsed.hostname, port


def _tunnel(sock: socket.socket, target: Address, deadline: Deadline) -> None:
    """``CONNECT`` through the proxy to the checked address (not the name)."""
    ip = ipaddress.ip_address(target[0])
    authority = f"[{ip}]:{target[1]}" if ip.version == 6 else f"{ip}:{target[1]}"
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode("ascii"))
    reply = b""
    while b"\r\n\r\n" not in reply:
        sock.settimeout(deadline.left())
        chunk = sock.recv(4096)
        if not chunk or len(reply) > _MAX_PROXY_REPLY:
            raise ConnectionError("the proxy closed the tunnel")
        reply += chunk
    status_line = reply.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or status_line[1] != b"200":
        raise ConnectionError("the proxy refused the tunnel")


def _classify(
    status: int, retry_after: dt.timedelta | dt.datetime | None, text: bytes, now: dt.datetime
) -> SendResult:
    if 200 <= status < 300:
        return SendResult.sent()
    said = text.decode("utf-8", "replace").strip()[:_MAX_REASON]
    detail = f"HTTP {status}" + (f" ({said})" if said else "")
    if status == 429:
        when = retry_after
        if isinstance(when, dt.timedelta):
            when = now.astimezone(dt.UTC) + when
        elif when is not None:
            when = max(when, now)
        return SendResult(SendStatus.RETRY, retry_after=when, error=f"{detail}: rate limited")
    if status >= 500:
        return SendResult(SendStatus.RETRY, error=detail)
    if 300 <= status < 400:
        return SendResult(SendStatus.PERMANENT, error=f"{detail}: the webhook redirected; refused")
    return SendResult(
        SendStatus.PERMANENT, error=f"{detail}: the webhook refused the message; check its URL"
    )


def _retry_after(headers: Any) -> dt.timedelta | dt.datetime | None:
    """``Retry-After``: delta-seconds (a delay) or an HTTP date (an instant); ``None`` if absent
    or bad."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Capped at a day: a server's absurd value must not park a message for centuries (and
        # 5,000 digits must not reach int(), which refuses over 4,300).
        seconds = int(value) if len(value) <= 6 else _MAX_RETRY_AFTER
        return dt.timedelta(seconds=min(seconds, _MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return when
