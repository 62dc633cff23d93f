"""The library's exception hierarchy.

Every error the library raises on purpose is a :class:`NotifPolicyError`.  Like attrs, each also
subclasses the matching builtin where one fits, so ``except ValueError`` in a host app still works.
Suppressions and deferrals are returned values, never exceptions: these are for misuse and
invalid input only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

__all__ = [
    "ConflictError",
    "NotifPolicyError",
    "PermissionDenied",
    "Problem",
    "StorageError",
    "TransportError",
    "UnreadableRowsError",
    "ValidationError",
]


class NotifPolicyError(Exception):
    """Base class of every error the library raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with an input.

    ``path`` is dotted with ``[i]`` for list items (``slack.events[1]``), ``""`` for the whole
    input; ``code`` is a stable machine-readable word (``type``, ``range``, ``unknown_key``, ...);
    ``message`` says what was expected and what was got.
    """

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(NotifPolicyError, ValueError):
    """An input broke the rules; ``problems`` lists every problem found, not just the first."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")  # pragma: no cover
        super().__init__(self._render())

    @classmethod
    def single(cls, path: str, code: str, message: str) -> ValidationError:
        """The error for one problem."""
        return cls([Problem(path, code, message)])

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)


class PermissionDenied(NotifPolicyError):  # noqa: N818 -- the spec's name; Django uses it too
    """The actor may not do this (for example, an agent saving workspace settings).

    Deliberately not a ``PermissionError``: that is an ``OSError``, and nothing here touched the OS.
    """


class ConflictError(NotifPolicyError):
    """Someone saved in between: the draft was based on an older version. Nothing was written."""

    def __init__(self, *, expected: int, actual: int, what: str = "settings") -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{what}: the draft was based on version {expected}, "
            f"but version {actual} is saved; reload and apply the change again"
        )


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


class TransportError(NotifPolicyError):
    """A delivery transport was misused or misconfigured."""
