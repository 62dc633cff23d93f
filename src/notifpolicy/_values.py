"""Checks shared by the value constructors and the settings loader.

Each returns ``None`` when the value is fine, or the message of the problem: the loader collects
them (every problem at once), the constructors raise the first.
"""

from __future__ import annotations

import datetime as dt

from notifpolicy._errors import MAX_VERSION, Problem, ValidationError, quote

__all__ = [
    "MAX_AFTER_MINUTES",
    "check_bool",
    "check_minutes",
    "check_version",
    "check_wall_time",
    "is_encodable",
    "raise_if",
]

MAX_AFTER_MINUTES = 10080  # one week


def check_bool(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    return f"must be true or false, got {quote(value)}"


def check_minutes(value: object) -> str | None:
    # A bool is an int to Python, not to a settings page.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_AFTER_MINUTES:
        return None
    return f"must be an integer from 1 to {MAX_AFTER_MINUTES}, got {quote(value)}"


def check_version(value: object, path: str = "version") -> Problem | None:
    """A document's version: an integer from 1 to 2**63 - 1, what a store column holds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= MAX_VERSION:
            return None
        return Problem(
            path, "range", f"must be an integer from 1 to {MAX_VERSION}, got {quote(value)}"
        )
    return Problem(path, "type", f"must be an integer from 1 to {MAX_VERSION}, got {quote(value)}")


def check_wall_time(value: object) -> str | None:
    if (
        isinstance(value, dt.time)
        and value.tzinfo is None
        and value.second == 0
        and value.microsecond == 0
        and value.fold == 0
    ):
        return None
    return f"must be a naive datetime.time with whole minutes, got {quote(value)}"


def is_encodable(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8: a lone surrogate (``json.loads`` lets one through)
    cannot be stored or sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def raise_if(path: str, code: str, message: str | None) -> None:
    """Raise a one-problem :class:`ValidationError` when ``message`` is set."""
    if message is not None:
        raise ValidationError.single(path, code, message)
