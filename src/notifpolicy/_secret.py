"""A wrapper that keeps a secret (the Slack webhook URL) out of reprs, logs and exceptions.

``Secret`` is deliberately *not* an attrs class, though every value around it is: ``attrs.asdict``
and ``attrs.astuple`` recurse into attrs instances and would copy the clear text into a plain
dict (``{"_value": "https://hooks.slack.com/..."}``) that anything may print or serialize.  A
plain class is kept as it is, so an ``asdict`` of the settings holds the ``Secret`` itself:
redacted when printed, and refused by ``json.dumps`` rather than leaked.  ``copy.deepcopy`` and
``pickle`` keep it a ``Secret`` (pickle carries the value, as the stored settings do: it is how
a settings value crosses to another process).
"""

from __future__ import annotations

import hmac
from typing import Any

__all__ = ["REDACTED", "Secret"]

REDACTED = "<redacted>"


class Secret:
    """A secret string. ``repr``/``str``/f-strings show ``<redacted>``; :meth:`reveal` the value.

    >>> s = Secret("https://hooks.slack.com/services/T0/B0/x")
    >>> f"{s}", repr(s)
    ('<redacted>', "Secret('<redacted>')")
    >>> s == Secret("https://hooks.slack.com/services/T0/B0/x")
    True
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The secret in clear: call it only where it is used (the transport, the store)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return format(REDACTED, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time: comparing a guess must not tell how much of it was right.
        return hmac.compare_digest(
            self._value.encode("utf-8", "surrogatepass"),
            other._value.encode("utf-8", "surrogatepass"),
        )

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return Secret, (self._value,)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self  # immutable: the copy is the same value
