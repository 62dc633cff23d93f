"""The exact check of a Slack incoming-webhook URL.

A webhook URL is a bearer credential that the library will POST customer text to, so the check is
an allow-list, not a parse-and-hope: scheme ``https`` and host compared ASCII case-insensitively,
the path case-sensitive under ``/services/`` with ``[A-Za-z0-9_-]`` segments, and none of the
things URL parsers disagree about (userinfo, ports, ``%``-escapes, backslashes, whitespace,
trailing dots).  Nothing is trimmed: what is saved is what was typed.

Messages never echo the URL: it is a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["DEFAULT_WEBHOOK_HOSTS", "MAX_WEBHOOK_URL_LENGTH", "webhook_url_problem"]

DEFAULT_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
MAX_WEBHOOK_URL_LENGTH = 2048

_PATH = re.compile(r"/services(?:/[A-Za-z0-9_-]+)+", re.ASCII)
_SCHEME = "https://"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FORBIDDEN = frozenset("%\\?#@")


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def allowed_hosts(extra_hosts: Iterable[str] = ()) -> frozenset[str]:
    """The default Slack hosts plus the host app's exact extra names, ASCII-lowercased."""
    return DEFAULT_WEBHOOK_HOSTS | {_ascii_lower(h) for h in extra_hosts}


def webhook_url_problem(url: str, hosts: frozenset[str]) -> str | None:
    """Why ``url`` is not an acceptable webhook URL, or ``None`` when it is.

    ``hosts`` comes from :func:`allowed_hosts`.  The message never contains the URL.
    """
    if not url:
        return "must be an https://hooks.slack.com/services/... URL, got an empty string"
    if len(url) > MAX_WEBHOOK_URL_LENGTH:
        return f"must be at most {MAX_WEBHOOK_URL_LENGTH} characters, got {len(url)}"
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        return "must not contain whitespace, control or non-ASCII characters"
    if _ascii_lower(url[: len(_SCHEME)]) != _SCHEME:
        return "must use https://"
    rest = url[len(_SCHEME) :]
    if any(c in _FORBIDDEN for c in rest):
        return "must not contain userinfo, a query, a fragment, '%' or '\\'"
    host, slash, path = rest.partition("/")
    if ":" in host:
        return "must not name a port"
    if _ascii_lower(host) not in hosts:
        return f"must point at an allowed webhook host ({', '.join(sorted(hosts))})"
    if not _PATH.fullmatch(slash + path):
        return (
            "must have a path /services/<segment>/... with segments of letters, digits, '_' or '-'"
        )
    return None
