"""SMTP transport on ``smtplib`` and ``email.message``.

One message per :meth:`SmtpTransport.send`: plain text with an HTML alternative when the item has
one, ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058 one-click) when it has an
unsubscribe URL, optional STARTTLS and login, and an overall deadline (``timeout``) for the whole
exchange, so a server that drips its greeting or never ends its EHLO reply cannot hold a worker.
Classified like every transport: ``SENT``; ``RETRY`` for 4xx replies, the deadline passing and
network errors; ``PERMANENT`` for 5xx replies (an unknown mailbox, a refused sender), bad
addresses, a server that does not offer STARTTLS when it is required, and a recipient the
server cannot take (a non-ASCII address without ``SMTPUTF8``): retrying changes none of those.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import smtplib
import socket
import ssl
from email.message import EmailMessage
from typing import Any

from notifpolicy import Delivery, Secret, SendResult, SendStatus, TransportError
from notifpolicy.adapters._deadline import Deadline

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Sends ``item.subject``/``text``/``html`` to the address in ``destination``.

    ``password`` is a :class:`~notifpolicy.Secret` (or ``None`` for no login); ``starttls``
    upgrades the connection before login with ``ssl_context`` (the system's by default), and a
    server that does not offer it is refused.  ``timeout`` is the overall deadline of one send
    in seconds.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: Secret | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if not (isinstance(timeout, int | float) and 0 < timeout <= 3600):
            raise TransportError(f"timeout: must be seconds from 0 to 3600, got {timeout!r}")
        self._host = host
        self._port = port
        self._sender = sender
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout
        self._context = ssl_context
        self._local_hostname = local_hostname

    def message(self, delivery: Delivery) -> EmailMessage:
        """The email for a delivery (public so hosts can preview it)."""
        item = delivery.item
        msg = EmailMessage()
        msg["From"] = self._sender
        msg["To"] = str(delivery.destination)
        msg["Subject"] = item.subject
        msg["Message-ID"] = email.utils.make_msgid(domain=self._sender.rpartition("@")[2] or None)
        # Lets a recipient's mail system keep one thread per outbox item across retries.
        msg["X-Notifpolicy-Id"] = item.id
        if item.unsubscribe_url is not None:
            # One-click unsubscribe (RFC 8058): the mail provider POSTs
            # "List-Unsubscribe=One-Click" to the URL when the reader presses its button.
            msg["List-Unsubscribe"] = f"<{item.unsubscribe_url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(item.text)
        if item.html is not None:
            msg.add_alternative(item.html, subtype="html")
        return msg

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        """One SMTP transaction; see the module docstring for the classification."""
        if isinstance(delivery.destination, Secret) or "@" not in delivery.destination:
            return SendResult(SendStatus.PERMANENT, error="the destination is not an email address")
        try:
            msg = self.message(delivery)
        except (ValueError, TypeError) as exc:  # header injection and other malformed input
            return SendResult(SendStatus.PERMANENT, error=f"cannot build the message: {exc}")
        smtp: smtplib.SMTP | None = None
        failure: SendResult | None = None
        with Deadline(self._timeout) as deadline:
            try:
                smtp = _DeadlineSMTP(
                    deadline,
                    host=self._host,
                    port=self._port,
                    timeout=self._timeout,
                    local_hostname=self._local_hostname,
                )
                if self._starttls:
                    smtp.ehlo_or_helo_if_needed()
                    if not smtp.has_extn("starttls"):
                        # Sending in clear instead would leak the message and the password.
                        failure = SendResult(
                            SendStatus.PERMANENT,
                            error="the server does not offer STARTTLS, which is required",
                        )
                        raise _Stop
                    smtp.starttls(context=self._context or ssl.create_default_context())
                if self._username is not None and self._password is not None:
                    smtp.login(self._username, self._password.reveal())
                smtp.send_message(msg)
            except _Stop:
                pass
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                failure = _by_code(min(codes, default=550), "recipient refused")
            except smtplib.SMTPResponseException as exc:
                failure = _by_code(exc.smtp_code, _text(exc.smtp_error))
            except smtplib.SMTPNotSupportedError:
                # An address that needs SMTPUTF8 on a server without it: the same server says
                # the same next time.
                failure = SendResult(
                    SendStatus.PERMANENT,
                    error="a non-ASCII address needs SMTPUTF8, which the server does not offer",
                )
            except UnicodeError:
                failure = SendResult(
                    SendStatus.PERMANENT, error="the address cannot be sent over SMTP as ASCII"
                )
            except TimeoutError:
                failure = SendResult(
                    SendStatus.RETRY, error=f"no answer within the {self._timeout:g} s deadline"
                )
            except (smtplib.SMTPException, OSError) as exc:
                failure = SendResult(SendStatus.RETRY, error=f"network error: {type(exc).__name__}")
            if failure is not None and deadline.expired:
                # Cut mid-reply, smtplib may read a partial line as an odd reply code: the
                # deadline is what happened.
                failure = SendResult(
                    SendStatus.RETRY, error=f"no answer within the {self._timeout:g} s deadline"
                )
            if failure is not None or smtp is None:
                if smtp is not None:
                    smtp.close()
                return failure or SendResult(SendStatus.RETRY, error="no connection")
            # The server accepted the message: a failed QUIT must not make it a retry (sent
            # twice), and neither must the deadline passing during it.
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        return SendResult.sent()


class _Stop(Exception):  # noqa: N818 -- control flow inside send, never raised out of it
    """The send ends here with the failure already set."""


class _DeadlineSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose connection the deadline cuts when the send's time is up."""

    def __init__(self, deadline: Deadline, **kwargs: Any) -> None:
        self._deadline = deadline
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib opens every connection here (typeshed does not list this hook).  The name
        # is looked up within the deadline too (getaddrinfo blocks and cannot be interrupted),
        # then each address is tried in turn with what is left of it.
        failure: OSError = OSError(f"{host} has no address")
        for address in self._deadline.resolve(host, port):
            try:
                sock = socket.create_connection(
                    address, min(timeout, self._deadline.left()), self.source_address
                )
            except TimeoutError:
                raise
            except OSError as exc:
                failure = exc
                continue
            self._deadline.watch(sock)
            return sock
        raise failure


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.strip()[:120]


def _by_code(code: int, detail: str) -> SendResult:
    status = SendStatus.RETRY if 400 <= code < 500 else SendStatus.PERMANENT
    return SendResult(status, error=f"SMTP {code}: {detail}")
