"""The library's exception hierarchy, and how its messages quote what they were given.

Every error the library raises on purpose is a :class:`NotifPolicyError`.  Like attrs, each also
subclasses the matching builtin where one fits, so ``except ValueError`` in a host app still works.
Suppressions and deferrals are returned values, never exceptions: these are for misuse and
invalid input only.

Messages stay readable and bounded whatever the input was (a million unknown keys, a 10 MB key,
an integer of 5,000 digits, a list nested 100,000 deep, a lone surrogate): :func:`quote` renders
a value short and safe, :class:`Problem` escapes and shortens its path and message, and
:class:`ValidationError` lists at most :data:`MAX_LISTED` problems plus a count of the rest.
Every message encodes as UTF-8.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, SupportsIndex

import attrs

__all__ = [
    "MAX_LISTED",
    "MAX_QUOTED",
    "MAX_VERSION",
    "PROBLEM_CODES",
    "ConflictError",
    "NotifPolicyError",
    "PermissionDenied",
    "Problem",
    "ProblemList",
    "StorageError",
    "TransportError",
    "UnreadableRowsError",
    "ValidationError",
    "key_path",
    "printable",
    "quote",
]

MAX_QUOTED = 100
"""How many characters of a value a message quotes, at most (then ``...``)."""

MAX_LISTED = 100
"""How many problems one :class:`ValidationError` keeps and lists; the rest are counted."""

MAX_VERSION = 2**63 - 1
"""The largest version a settings or preferences document may have: what a store column holds."""

_MAX_PATH = 200  # a path quotes keys the user wrote: a 10 MB key is shortened like a value
_MAX_MESSAGE = 600  # "must ..., got <quoted value>" with room for a list of expected names
_MAX_RENDERED = 16_000  # str(ValidationError): the problems listed until this budget is spent
_ELLIPSIS = "..."

PROBLEM_CODES: Mapping[str, str] = {
    # The kinds of problem, one code each (docs/concepts/errors.md shows this table).
    "type": "the value has the wrong type (a string where a number belongs, a list where a "
    "table belongs, a bool where an integer belongs, ...)",
    "null": "an explicit null where the key must have a value (leave the key out for the default)",
    "range": "a number, date or instant outside its allowed range",
    "choice": "a name that is not one of the allowed ones (a quiet-hours mode, a Slack event, a "
    "weekday name, a status)",
    "format": 'a string whose form is wrong (a time that is not "HH:MM", a date that is not '
    '"YYYY-MM-DD")',
    "time": "a TOML native date or time where a quoted string belongs",
    "timezone": "not an IANA time zone name that zoneinfo knows (exact case)",
    "encoding": "text that is not valid Unicode (a lone surrogate, which cannot be stored)",
    "unknown_key": "a key the document does not have",
    "duplicate_key": "a key given twice in JSON text",
    "duplicate": "an item listed twice (a Slack event, a closed date, a member id, a kind, ...)",
    "missing": "a required key or value is missing",
    "json": "the text is not valid JSON (or is too deeply nested to read)",
    "toml": "the text is not valid TOML (or is too deeply nested to read)",
    "depth": "a mapping nested deeper than a settings document can be (a patch given as Python "
    "values)",
    "unknown_kind": "a notification kind that is not registered",
    "invalid_kind": "a Kind definition that breaks the rules (its name, channels or switch)",
    "not_overridable": "a workspace-wide kind (an escalation) where members' choices go",
    "channel_not_applicable": "a channel that the kind is not sent on",
    "webhook_url": "the Slack webhook URL is not allowed (scheme, host, path or length)",
    "webhook_host": "an extra webhook host that is not a plain host name (no scheme, port or "
    "trailing dot)",
    "empty_window": "quiet hours that start when they end",
    "invalid_range": "a business-hours opening range outside 00:00-24:00",
    "invalid_day": "a business-hours day that is not 0-6",
    "empty_range": "a business-hours range whose start and end are the same",
    "overlap": "business-hours ranges that overlap",
    "never_open": "business hours with no open time at all (use null for none)",
    "naive_datetime": "a datetime without a time zone where an aware one is required",
    "inconsistent": "facts that contradict each other (unassigned since, with an assignee)",
    "before_creation": "an instant before the conversation was created",
    "unknown_status": "a conversation status the library does not know",
    "missing_reason": "a decision that does not deliver but gives no reason",
    "defer": "deliver_at is required for a defer decision, and only for one",
    "not_a_send_instant": "an instant that is not a digest's send instant",
    "empty_period": "a digest period that ends where it starts",
    "mismatch": "two values that must agree do not (the event and its decision)",
    "not_delivered": "a suppressed decision where a delivered one is needed",
    "unsafe_url": "a URL template with characters that would break a Slack link",
    "template": "a message template that is malformed or uses an unknown field",
    "unknown_language": "a language the catalog has no messages for",
    "language_code": "a language code that does not look like 'en' or 'pt-BR'",
    "missing_language": "a catalog without a language it must have",
    "unknown_message": "a message id the catalog does not have",
    "missing_message": "a catalog language that lacks a message",
    "reused_id": "an event id handled before with different content",
    # Warnings (SettingsWarning): the value is valid and is used.
    "digest_in_quiet_hours": "(warning) a digest send time inside quiet hours: sent anyway",
    "override_dropped": "(warning) a stored override for a kind members can no longer override",
}


def printable(text: str, limit: int = _MAX_MESSAGE) -> str:
    """``text`` with control characters and lone surrogates escaped, shortened to ``limit``.

    >>> printable("a\\nb\\ud800")
    'a\\\\nb\\\\ud800'
    """
    if len(text) <= limit and text.isprintable():
        return text  # the usual case: nothing to escape
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = _escaped(char) if unicodedata.category(char) in _ESCAPED else char
        used += len(piece)
        if used > limit:
            return "".join(pieces) + _ELLIPSIS
        pieces.append(piece)
    return "".join(pieces)


# Control, format (bidi overrides), surrogate, line and paragraph separator characters.
_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escaped(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return repr(char)[1:-1]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def quote(value: object, limit: int = MAX_QUOTED) -> str:
    """``value`` as a message quotes it: its ``repr``, shortened and safe to print.

    Never fails, never recurses into deep input and never converts a huge integer to text.

    >>> quote("on"), quote(30), quote([1, "a"])
    ("'on'", '30', "[1, 'a']")
    >>> quote(10**5000)
    'an integer of 5001 digits'
    >>> quote("x" * 500)[-20:]
    "xxxxxxxxxxxxx'... (500 characters)"
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if type(value) is int:
        return _quote_int(value)
    if type(value) is str:
        if len(value) > limit:
            return f"{printable(repr(value[:limit]), limit + 2)}... ({len(value)} characters)"
        return printable(repr(value), 4 * limit)
    if not _small(value, limit):
        return _summary(value)
    try:
        text = repr(value)
    except Exception:
        return _summary(value)
    return printable(text, limit)


_INT_DIGITS_SHOWN = 64  # about 212 bits: short enough to quote whole


def _quote_int(value: int) -> str:
    if value.bit_length() <= 212:
        return repr(value)
    # str() of a huge int is slow and refused past sys.get_int_max_str_digits(): count instead.
    digits = _digits(abs(value))
    sign = "a negative integer" if value < 0 else "an integer"
    return f"{sign} of {digits} digits"


def _digits(n: int) -> int:
    """The number of decimal digits of ``n > 0``, without converting it to text."""
    estimate = int((n.bit_length() - 1) * 0.30102999566398120) + 1
    # The estimate is exact or one short; 10**k is cheap next to str(n).
    return estimate + 1 if n >= 10**estimate else estimate


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _small(value: object, limit: int) -> bool:
    """Whether ``repr(value)`` is cheap and safe: few nodes, shallow, no huge leaves."""
    stack: list[tuple[object, int]] = [(value, 0)]
    budget = 64
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > 8:
            return False
        if type(item) is int:
            if item.bit_length() > 212:
                return False
        elif isinstance(item, str | bytes):
            if len(item) > limit:
                return False
        elif isinstance(item, dict):
            if type(item) is not dict or len(item) > budget:
                return False
            stack.extend((x, depth + 1) for pair in item.items() for x in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            if type(item) not in _CONTAINERS or len(item) > budget:
                return False
            stack.extend((x, depth + 1) for x in item)
    return True


def _summary(value: object) -> str:
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    try:
        size = len(value)  # type: ignore[arg-type]
    except Exception:
        return f"{article} {printable(name, 60)}"
    return f"{article} {printable(name, 60)} of {size} item{'' if size == 1 else 's'}"


def key_path(path: str, key: object) -> str:
    """The path of ``key`` in the table at ``path``; a key that is not a string is quoted.

    >>> key_path("defaults", "mention"), key_path("", 10**5000)
    ('defaults.mention', 'an integer of 5001 digits')
    """
    name = key if isinstance(key, str) else quote(key)
    return f"{path}.{name}" if path else name


def _path(value: str) -> str:
    return printable(value, _MAX_PATH) if isinstance(value, str) else quote(value)


def _message(value: str) -> str:
    return printable(value, _MAX_MESSAGE) if isinstance(value, str) else quote(value)


class NotifPolicyError(Exception):
    """Base class of every error the library raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with an input.

    ``path`` is dotted with ``[i]`` for list items (``slack.events[1]``), ``""`` for the whole
    input; ``code`` is a stable machine-readable word from :data:`PROBLEM_CODES` (``type``,
    ``range``, ``unknown_key``, ...); ``message`` says what was expected and what was got.
    The path and the message are kept short (a key of 10 MB is shortened like a quoted value)
    and printable (control characters and lone surrogates are escaped).
    """

    path: str = attrs.field(converter=_path)
    code: str
    message: str = attrs.field(converter=_message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProblemList(list[Problem]):
    """Problems as a reader collects them: the first :data:`MAX_LISTED` kept, the rest counted.

    A document with a million unknown keys costs a hundred :class:`Problem` values, not a
    million.  ``total`` counts them all; ``omitted`` those that were not kept.
    """

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        super().__init__()
        self.omitted = 0
        self.extend(problems)

    @property
    def full(self) -> bool:
        """Whether a further problem would only be counted (so it need not be built)."""
        return len(self) >= MAX_LISTED

    @property
    def total(self) -> int:
        return len(self) + self.omitted

    def count_one(self) -> None:
        """Count a problem that is not built, because the list is :attr:`full`."""
        self.omitted += 1

    def append(self, problem: Problem) -> None:
        if self.full:
            self.omitted += 1
        else:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)
        self.omitted += getattr(problems, "omitted", 0)

    def insert(self, index: SupportsIndex, problem: Problem) -> None:
        super().insert(index, problem)
        if len(self) > MAX_LISTED:
            self.pop()
            self.omitted += 1


class ValidationError(NotifPolicyError, ValueError):
    """An input broke the rules; ``problems`` lists every problem found, not just the first.

    At most :data:`MAX_LISTED` problems are kept in ``problems``; ``omitted`` counts the rest
    (a document with a million unknown keys gives a short message, not a huge one).
    """

    problems: tuple[Problem, ...]
    omitted: int

    def __init__(self, problems: Iterable[Problem], *, omitted: int = 0) -> None:
        kept = ProblemList(problems)
        self.problems = tuple(kept)
        self.omitted = omitted + kept.omitted
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")  # pragma: no cover
        super().__init__(self._render())

    @property
    def total(self) -> int:
        """How many problems were found, listed or not."""
        return len(self.problems) + self.omitted

    @classmethod
    def single(cls, path: str, code: str, message: str) -> ValidationError:
        """The error for one problem."""
        return cls([Problem(path, code, message)])

    def _render(self) -> str:
        if self.total == 1:
            return str(self.problems[0])
        lines = [f"{self.total} problems:"]
        used = len(lines[0])
        for listed, problem in enumerate(self.problems):
            line = f"  {problem}"
            used += len(line) + 1
            if used > _MAX_RENDERED:
                lines.append(f"  ... and {self.total - listed} more")
                break
            lines.append(line)
        else:
            if self.omitted:
                lines.append(f"  ... and {self.omitted} more")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        # An exception pickles as ``cls(*args)``; our args are the rendered message, so say how
        # to build it again (a worker process sends errors to its parent this way).
        return (_rebuild_validation_error, (type(self), self.problems, self.omitted))


class PermissionDenied(NotifPolicyError):  # noqa: N818 -- the spec's name; Django uses it too
    """The actor may not do this (for example, an agent saving workspace settings).

    Deliberately not a ``PermissionError``: that is an ``OSError``, and nothing here touched the OS.
    """


class ConflictError(NotifPolicyError):
    """Someone saved in between: the draft was based on an older version. Nothing was written."""

    def __init__(self, *, expected: int, actual: int, what: str = "settings") -> None:
        self.expected = expected
        self.actual = actual
        self.what = what
        super().__init__(
            f"{what}: the draft was based on version {expected}, "
            f"but version {actual} is saved; reload and apply the change again"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_conflict_error, (type(self), self.expected, self.actual, self.what))


class StorageError(NotifPolicyError):
    """A store adapter failed (database locked, corrupt document, ...)."""


class UnreadableRowsError(StorageError):
    """Some stored rows do not parse; the rest were read (and, by ``lease_due``, leased).

    ``errors`` has one :class:`StorageError` per unreadable row, each naming its table and key;
    ``readable`` holds what the call returns for the other rows, in order.  A store raises it
    *after* its work is done, so a caller that takes ``readable`` and reports ``errors`` loses
    nothing (the service puts them in ``TickReport.errors`` and goes on).
    """

    errors: tuple[StorageError, ...]
    readable: tuple[Any, ...]

    def __init__(self, errors: Iterable[StorageError], readable: Iterable[Any]) -> None:
        self.errors = tuple(errors)
        self.readable = tuple(readable)
        shown = "; ".join(str(e) for e in self.errors[:3])
        more = len(self.errors) - 3
        super().__init__(
            f"{len(self.errors)} stored row(s) cannot be read: {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors, self.readable))


class TransportError(NotifPolicyError):
    """A delivery transport was misused or misconfigured."""


def _rebuild_validation_error(
    cls: type[ValidationError], problems: tuple[Problem, ...], omitted: int
) -> ValidationError:
    return cls(problems, omitted=omitted)


def _rebuild_conflict_error(
    cls: type[ConflictError], expected: int, actual: int, what: str
) -> ConflictError:
    return cls(expected=expected, actual=actual, what=what)
