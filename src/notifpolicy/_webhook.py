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

from notifpolicy._errors import Problem, ValidationError

__all__ = ["DEFAULT_WEBHOOK_HOSTS", "MAX_WEBHOOK_URL_LENGTH", "webhook_url_problem"]

DEFAULT_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
MAX_WEBHOOK_URL_LENGTH = 2048

_PATH = re.compile(r"/services(?:/[A-Za-z0-9_-]+)+", re.ASCII)
_SCHEME = "https://"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FORBIDDEN = frozenset("%\\?#@")
# One label: 1-63 letters, digits or '-', not starting or ending with '-'.  A full name is one
# or more labels joined by dots, with no trailing dot (the URL check refuses one).
_HOST_NAME = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)
_MAX_HOST = 253


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def allowed_hosts(extra_hosts: Iterable[object] = ()) -> frozenset[str]:
    """The default Slack hosts plus the host app's exact extra names, ASCII-lowercased.

    Each extra name must be what a webhook URL's host may be (a name a URL could carry, so
    one that can match): ASCII letters, digits and ``-`` in dot-separated labels, no trailing
    dot, no port, nothing else.  Every bad entry is reported at once.

    >>> sorted(allowed_hosts(["Hooks.Example.org"]))
    ['hooks.example.org', 'hooks.slack-gov.com', 'hooks.slack.com']
    >>> allowed_hosts(["hooks.example.org."])
    Traceback (most recent call last):
    ...
    notifpolicy._errors.ValidationError: extra_webhook_hosts[0]: must be a host name ...
    """
    if isinstance(extra_hosts, str | bytes) or not isinstance(extra_hosts, Iterable):
        raise ValidationError.single(
            "extra_webhook_hosts",
            "type",
            f"must be a list of host names, got {type(extra_hosts).__name__}",
        )
    problems = []
    names = set()
    for index, host in enumerate(extra_hosts):
        if not isinstance(host, str):
            problems.append(
                Problem(
                    f"extra_webhook_hosts[{index}]",
                    "type",
                    f"must be a host name (a string), got {type(host).__name__}",
                )
            )
        elif len(host) > _MAX_HOST or not _HOST_NAME.fullmatch(host):
            problems.append(
                Problem(
                    f"extra_webhook_hosts[{index}]",
                    "webhook_host",
                    "must be a host name like hooks.example.org (letters, digits and '-' in "
                    f"dot-separated labels; no trailing dot, port or scheme), got {_show(host)}",
                )
            )
        else:
            names.add(_ascii_lower(host))
    if problems:
        raise ValidationError(problems)
    return DEFAULT_WEBHOOK_HOSTS | names


def _show(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 100 else f"{shown[:100]}... ({len(text)} characters)"


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
