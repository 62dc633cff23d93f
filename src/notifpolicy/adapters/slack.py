"""Slack incoming-webhook transport on the standard library (``urllib.request``).

One HTTPS POST per :meth:`SlackWebhookTransport.send`, with a timeout, redirects refused, and the
URL checked again against the allowed hosts at send time (settings may be old, or edited behind
the library's back).  Each attempt is classified:

- ``SENT``: 2xx;
- ``RETRY``: 429 (with ``Retry-After`` as ``retry_after``), 5xx, timeouts and network errors;
- ``PERMANENT``: any other status (404 ``no_service`` or 403 ``invalid_token`` means the webhook
  was revoked: an admin must fix the URL), a redirect, or a URL that fails the check.

Backoff, the attempt limit and pacing belong to the service and its outbox, not here.  The URL
is a secret: it never appears in a result, an exception or a log record from this module.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from notifpolicy._outbox import Delivery, SendResult, SendStatus
from notifpolicy._secret import Secret
from notifpolicy._webhook import allowed_hosts, webhook_url_problem

__all__ = ["SlackWebhookTransport"]

_MAX_REASON = 120
_MAX_RETRY_AFTER = 86_400


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured or hijacked: never follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _https_handler(
    context: ssl.SSLContext, resolve: Mapping[str, tuple[str, int]]
) -> urllib.request.HTTPSHandler:
    """An HTTPS handler that may connect a host name to another address (for tests on
    loopback), keeping the name for SNI and certificate checks."""

    class Connection(http.client.HTTPSConnection):
        def connect(self) -> None:
            target = resolve.get(self.host.lower())
            if target is None:
                super().connect()
                return
            raw = socket.create_connection(target, self.timeout)
            self.sock = context.wrap_socket(raw, server_hostname=self.host)

    class Handler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req, context=context)

    return Handler(context=context)


class SlackWebhookTransport:
    """Posts a decision's Slack payload (``item.body``) to the webhook in ``destination``.

    ``extra_hosts`` widens the allowed webhook hosts exactly as the settings loader does;
    ``proxies`` (``{"https": "http://proxy:3128"}``) is used as given, and without it the
    connection is direct (environment proxy variables are not read).  ``ssl_context`` and
    ``resolve`` exist for tests against a local server.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        extra_hosts: Iterable[str] = (),
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolve: Mapping[str, tuple[str, int]] | None = None,
        user_agent: str = "notifpolicy",
    ) -> None:
        self._timeout = timeout
        self._hosts = allowed_hosts(extra_hosts)
        self._user_agent = user_agent
        context = ssl_context or ssl.create_default_context()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(dict(proxies or {})),
            _https_handler(context, {k.lower(): v for k, v in (resolve or {}).items()}),
            _RefuseRedirects(),
        )

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
        request = urllib.request.Request(  # noqa: S310 -- the URL passed the https allow-list
            url,
            data=body.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": self._user_agent,
            },
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read(65536)
                return _classify(response.status, response.headers, b"", now)
        except urllib.error.HTTPError as exc:
            with exc:
                text = exc.read(512)
            return _classify(exc.code, exc.headers, text, now)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            # Only the exception's type: its text may quote the URL.
            reason = getattr(exc, "reason", exc)
            return SendResult(SendStatus.RETRY, error=f"network error: {type(reason).__name__}")


def _classify(status: int, headers: Any, text: bytes, now: dt.datetime) -> SendResult:
    if 200 <= status < 300:
        return SendResult.sent()
    said = text.decode("utf-8", "replace").strip()[:_MAX_REASON]
    detail = f"HTTP {status}" + (f" ({said})" if said else "")
    if status == 429:
        return SendResult(
            SendStatus.RETRY,
            retry_after=_retry_after(headers, now),
            error=f"{detail}: rate limited",
        )
    if status >= 500:
        return SendResult(SendStatus.RETRY, error=detail)
    if 300 <= status < 400:
        return SendResult(SendStatus.PERMANENT, error=f"{detail}: the webhook redirected; refused")
    return SendResult(
        SendStatus.PERMANENT, error=f"{detail}: the webhook refused the message; check its URL"
    )


def _retry_after(headers: Any, now: dt.datetime) -> dt.datetime | None:
    """``Retry-After`` as an instant: delta-seconds or an HTTP date; ``None`` if absent or bad."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Capped at a day: a server's absurd value must not park a message for centuries.
        return now.astimezone(dt.UTC) + dt.timedelta(seconds=min(int(value), _MAX_RETRY_AFTER))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when, now)
