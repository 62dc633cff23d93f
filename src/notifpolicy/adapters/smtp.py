"""SMTP transport on ``smtplib`` and ``email.message``.

One message per :meth:`SmtpTransport.send`: plain text with an HTML alternative when the item has
one, ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058 one-click) when it has an
unsubscribe URL, optional STARTTLS and login, a timeout.  Classified like every transport: ``SENT``;
``RETRY`` for 4xx replies, timeouts and network errors; ``PERMANENT`` for 5xx replies (an unknown
mailbox, a refused sender) and bad addresses.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import smtplib
import ssl
from email.message import EmailMessage

from notifpolicy._outbox import Delivery, SendResult, SendStatus
from notifpolicy._secret import Secret

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Sends ``item.subject``/``text``/``html`` to the address in ``destination``.

    ``password`` is a :class:`~notifpolicy.Secret` (or ``None`` for no login); ``starttls``
    upgrades the connection before login with ``ssl_context`` (the system's by default).
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
        try:
            smtp = smtplib.SMTP(
                self._host, self._port, timeout=self._timeout, local_hostname=self._local_hostname
            )
            if self._starttls:
                smtp.starttls(context=self._context or ssl.create_default_context())
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password.reveal())
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            failure = _by_code(min(codes, default=550), "recipient refused")
        except smtplib.SMTPResponseException as exc:
            failure = _by_code(exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            failure = SendResult(SendStatus.RETRY, error=f"network error: {type(exc).__name__}")
        if failure is not None or smtp is None:
            if smtp is not None:
                smtp.close()
            return failure or SendResult(SendStatus.RETRY, error="no connection")
        # The server accepted the message: a failed QUIT must not make it a retry (sent twice).
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
        return SendResult.sent()


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.strip()[:120]


def _by_code(code: int, detail: str) -> SendResult:
    status = SendStatus.RETRY if 400 <= code < 500 else SendStatus.PERMANENT
    return SendResult(status, error=f"SMTP {code}: {detail}")
