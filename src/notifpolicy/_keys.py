"""Keys made of host ids: each host-given part is escaped, so two id tuples never share a key.

Keys join their parts with ``:`` (``ws-1:unassigned:c42:2026-03-28T22:15:00+00:00``).  A host id
may itself contain ``:`` (``"zendesk:42"``), and ``("a:b", "c")`` would then make the same key as
``("a", "b:c")``: two different escalations, one claimed, the other never sent.  So every part a
host supplies (workspace, event, conversation and member ids) goes through :func:`key_part`, which
percent-encodes ``%`` and ``:``; ids without them (nearly all) are used as they are.  The parts the
library writes itself (kind names, ISO dates and instants) are never ambiguous: they come last or
contain no ``:``.
"""

from __future__ import annotations

from notifpolicy._errors import Problem, ValidationError, quote

__all__ = ["check_id", "check_workspace_id", "id_problem", "key_part", "parse_key_part"]


def key_part(text: str) -> str:
    """``text`` as one part of a key: ``%`` and ``:`` percent-encoded, nothing else changed.

    >>> key_part("c42"), key_part("zendesk:42"), key_part("50%")
    ('c42', 'zendesk%3A42', '50%25')
    """
    if ":" in text or "%" in text:
        return text.replace("%", "%25").replace(":", "%3A")
    return text


def parse_key_part(part: str) -> str:
    """The host id that :func:`key_part` made ``part`` from.

    >>> parse_key_part("zendesk%3A42"), parse_key_part("50%25")
    ('zendesk:42', '50%')
    """
    if "%" in part:
        return part.replace("%3A", ":").replace("%25", "%")
    return part


def check_workspace_id(workspace_id: object) -> None:
    """A workspace id is a non-empty string, else a ``ValidationError`` at ``workspace_id``."""
    # Every key starts with it: a host may keep many workspaces in one store.
    check_id("workspace_id", workspace_id)


def check_id(path: str, value: object) -> str:
    """``value`` when it is a non-empty string (an id a key is built from), else a
    ``ValidationError`` at ``path``."""
    if isinstance(value, str) and value:
        return value
    raise ValidationError([_id_problem(path, value)])


def id_problem(path: str, value: object) -> Problem | None:
    """The problem with an id at ``path``, ``None`` when it is a non-empty string."""
    return None if isinstance(value, str) and value else _id_problem(path, value)


def _id_problem(path: str, value: object) -> Problem:
    return Problem(path, "type", f"must be a non-empty string, got {quote(value)}")
