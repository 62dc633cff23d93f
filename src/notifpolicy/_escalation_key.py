"""An escalation's ledger key, as a value a host can build, parse and read.

:func:`~notifpolicy.due` gives each escalation a key (``Escalation.key``, a string) that the
store's ledger claims once.  The key has one of two shapes, each part a host id escaped by
:func:`~notifpolicy._keys.key_part`:

- ``<workspace>:unassigned:<conversation>:<unassigned_since as a UTC ISO instant>``: once per
  unassigned spell (a new spell, after an assignment, has a new start and so a new key);
- ``<workspace>:first_response:<conversation>:<kind>``, kind ``escalation_first_response`` (the
  admins' alert) or ``sla_breach`` (the members' alert): once per conversation and kind.

The instant comes last and is the only part that may contain ``:``, so a key splits back into its
parts unambiguously.  :class:`EscalationKey` is that parse and that build in one place; ``due``
builds the same text on its fast path, and a property test holds the two together.
"""

from __future__ import annotations

import datetime as dt

import attrs

from notifpolicy._errors import ValidationError
from notifpolicy._keys import check_id, check_workspace_id, key_part, parse_key_part
from notifpolicy._kinds import (  # the names are defined with the other kinds; exported here too
    ESCALATION_KINDS,
    KIND_FIRST_RESPONSE,
    KIND_SLA_BREACH,
    KIND_UNASSIGNED,
)
from notifpolicy._timeutil import require_aware

__all__ = [
    "ESCALATION_KINDS",
    "KIND_FIRST_RESPONSE",
    "KIND_SLA_BREACH",
    "KIND_UNASSIGNED",
    "RULE_FIRST_RESPONSE",
    "RULE_UNASSIGNED",
    "EscalationKey",
]

# The rule's word in a key: which clock the key belongs to.
RULE_UNASSIGNED = "unassigned"
RULE_FIRST_RESPONSE = "first_response"
_FIRST_RESPONSE_KINDS = (KIND_FIRST_RESPONSE, KIND_SLA_BREACH)


@attrs.frozen
class EscalationKey:
    """The parts of an escalation's key.

    ``unassigned_since`` (the start of the unassigned spell, kept in UTC) is set for
    ``escalation_unassigned`` and only for it.  ``str(key)`` is the ledger key; :meth:`parse`
    reads one back.

    >>> import datetime as dt
    >>> key = EscalationKey("ws:1", "escalation_unassigned", "c42",
    ...                     dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    >>> str(key)
    'ws%3A1:unassigned:c42:2026-03-02T09:00:00+00:00'
    >>> EscalationKey.parse(str(key)) == key
    True
    >>> EscalationKey.parse("ws-1:first_response:c7:sla_breach").kind
    'sla_breach'
    """

    workspace_id: str
    kind: str
    conversation_id: str
    unassigned_since: dt.datetime | None = None

    def __attrs_post_init__(self) -> None:
        check_workspace_id(self.workspace_id)
        check_id("conversation_id", self.conversation_id)
        if not (isinstance(self.kind, str) and self.kind in ESCALATION_KINDS):
            raise ValidationError.single(
                "kind",
                "unknown_kind",
                f"must be one of {', '.join(sorted(ESCALATION_KINDS))}, got {self.kind!r}",
            )
        if self.kind == KIND_UNASSIGNED:
            if self.unassigned_since is None:
                raise ValidationError.single(
                    "unassigned_since",
                    "missing",
                    "must be the spell's start for an escalation_unassigned key, got None",
                )
            since = require_aware(self.unassigned_since, path="unassigned_since")
            object.__setattr__(self, "unassigned_since", since.astimezone(dt.UTC))
        elif self.unassigned_since is not None:
            raise ValidationError.single(
                "unassigned_since",
                "inconsistent",
                f"must be None for a {self.kind} key, got {self.unassigned_since!r}",
            )

    @property
    def rule(self) -> str:
        """``"unassigned"`` or ``"first_response"``: the rule (and clock) the key belongs to."""
        return RULE_UNASSIGNED if self.kind == KIND_UNASSIGNED else RULE_FIRST_RESPONSE

    def __str__(self) -> str:
        head = f"{key_part(self.workspace_id)}:{self.rule}:{key_part(self.conversation_id)}"
        if self.unassigned_since is not None:
            return f"{head}:{self.unassigned_since.isoformat()}"
        return f"{head}:{self.kind}"

    @classmethod
    def parse(cls, text: object) -> EscalationKey:
        """The key ``text`` (an ``Escalation.key``) as its parts; a ``ValidationError`` when it
        is not an escalation key."""
        if not isinstance(text, str):
            raise ValidationError.single(
                "key", "type", f"must be an escalation key string, got {type(text).__name__}"
            )
        parts = text.split(":", 3)
        if len(parts) == 4 and all(parts):
            workspace, rule, conversation, rest = parts
            ids = parse_key_part(workspace), parse_key_part(conversation)
            if rule == RULE_FIRST_RESPONSE and rest in _FIRST_RESPONSE_KINDS:
                return cls(ids[0], rest, ids[1])
            if rule == RULE_UNASSIGNED:
                since = _instant(rest)
                if since is not None:
                    return cls(ids[0], KIND_UNASSIGNED, ids[1], since)
        raise ValidationError.single(
            "key",
            "format",
            "must be '<workspace>:unassigned:<conversation>:<UTC instant>' or "
            "'<workspace>:first_response:<conversation>:<kind>', got " + repr(text[:100]),
        )


def _instant(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.utcoffset() != dt.timedelta(0) or value.isoformat() != text:
        return None  # only the exact form due() writes: one key, one text
    return value
