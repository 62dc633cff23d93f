"""A wrapper that keeps a secret (the Slack webhook URL) out of reprs, logs and exceptions."""

from __future__ import annotations

import attrs

__all__ = ["REDACTED", "Secret"]

REDACTED = "<redacted>"


@attrs.frozen(repr=False)
class Secret:
    """A secret string. ``repr``/``str``/f-strings show ``<redacted>``; :meth:`reveal` the value.

    >>> s = Secret("https://hooks.slack.com/services/T0/B0/x")
    >>> f"{s}", repr(s)
    ('<redacted>', "Secret('<redacted>')")
    """

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """The secret in clear: call it only where it is used (the transport, the store)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED
