"""The URL that turns a member's digest off, for one-click unsubscribe (RFC 8058).

Mail providers expect bulk mail to carry ``List-Unsubscribe: <https://...>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``: the provider shows an "unsubscribe"
button and POSTs to the URL when the reader presses it.  The host owns that endpoint (it turns
the member's ``daily_summary`` or ``weekly_report`` preference off); the library fills in a
template the host gives, once per recipient, when the digest enters the outbox.

The template's fields are ``{member_id}`` (required: the URL must say whose digest) and
``{kind}`` (``daily_summary`` or ``weekly_report``); both are percent-encoded.  RFC 8058 asks
for an HTTPS URI, and the URL goes into a header inside angle brackets, so whitespace, control
characters and ``<``/``>`` are refused.  The endpoint must authenticate the request itself (a
signed token in the URL, say): anyone who sees the URL can POST to it.

>>> template = check_template("https://desk.example/digests/off?m={member_id}&k={kind}")
>>> fill(template, member_id="anna b", kind="weekly_report")
'https://desk.example/digests/off?m=anna%20b&k=weekly_report'
"""

from __future__ import annotations

import string
from urllib.parse import quote

from notifpolicy._errors import ValidationError

__all__ = ["check_template", "fill"]

_FIELDS = frozenset({"member_id", "kind"})
_PATH = "digest_unsubscribe_url_template"


def _refuse(message: str) -> ValidationError:
    return ValidationError.single(_PATH, "template", message)


def check_template(template: object) -> str:
    """``template`` if it is a usable unsubscribe URL template (see the module docstring)."""
    if not isinstance(template, str):
        raise _refuse(f"must be a string, got {type(template).__name__}")
    shown = template if len(template) <= 100 else template[:97] + "..."
    if not template.startswith("https://"):
        raise _refuse(f"must be an https:// URL (RFC 8058), got {shown!r}")
    if not template.isprintable() or any(c in template for c in " <>"):
        raise _refuse(
            f"must not contain spaces, control characters or angle brackets, got {shown!r}"
        )
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template)]
    except ValueError as exc:
        raise _refuse(f"is not a valid template ({exc}), got {shown!r}") from None
    fields = {f for f, _, _ in parsed if f is not None}
    if any(spec or conv for f, spec, conv in parsed if f is not None):
        raise _refuse(f"may not format or convert its fields, got {shown!r}")
    if not fields <= _FIELDS or "member_id" not in fields:
        raise _refuse(
            "must use {member_id} and may use {kind}, and no other fields, "
            f"got {', '.join(sorted('{' + f + '}' for f in fields)) or 'none'}"
        )
    return template


def fill(template: str, *, member_id: str, kind: str) -> str:
    """The URL for one member and digest kind."""
    return template.format(member_id=quote(member_id, safe=""), kind=quote(kind, safe=""))
