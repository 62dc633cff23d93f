"""JSON merge patch (RFC 7396): how a save applies a form's changes to the saved document.

The whole algorithm, as the RFC gives it: a patch that is an object is merged key by key into
the target (a target that is not an object counts as ``{}``); a ``null`` removes the key; any
other value replaces it (lists and scalars whole, objects merged again, recursively).  So a
patch names only what it changes, and applying it twice gives what applying it once gave.

Here both the document and the patch must be mappings (a patch that is not an object would
replace the whole document, which no settings page means).  Nothing given is changed: the
result is built fresh, nested mappings and lists copied, so a caller may change it freely.
Nesting is bounded (settings are a few levels deep), so a pathological input is a
:class:`ValidationError`, not a ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifpolicy._errors import Problem, ValidationError, key_path

__all__ = ["MAX_DEPTH", "merge_patch"]

MAX_DEPTH = 64
"""How deeply the document and the patch may nest; settings documents are four levels deep."""

_ABSENT: Any = object()


def merge_patch(document: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with the RFC 7396 merge ``patch`` applied; neither argument is changed.

    >>> saved = {"timezone": "Europe/Amsterdam", "quiet_hours": {"enabled": True, "start": "22:00"}}
    >>> merge_patch(saved, {"quiet_hours": {"start": "21:00"}, "timezone": None})
    {'quiet_hours': {'enabled': True, 'start': '21:00'}}

    Raises :class:`~notifpolicy.ValidationError` when either is not a mapping or nests deeper
    than :data:`MAX_DEPTH`.
    """
    problems = [
        Problem(
            "", "type", f"the {what} must be a mapping (a JSON object), got {type(value).__name__}"
        )
        for what, value in (("document", document), ("patch", patch))
        if not isinstance(value, Mapping)
    ]
    if problems:
        raise ValidationError(problems)
    return _merge(document, patch, "", 0)


def _merge(target: object, patch: Mapping[Any, Any], path: str, depth: int) -> dict[str, Any]:
    _check_depth(path, depth)
    base: Mapping[Any, Any] = target if isinstance(target, Mapping) else {}
    out: dict[str, Any] = {}
    # The target's keys keep their order; keys new in the patch come after them.
    for key, value in base.items():
        if key not in patch:
            out[key] = _copy(value, key_path(path, key), depth + 1)
        elif patch[key] is not None:
            out[key] = _apply(value, patch[key], key_path(path, key), depth + 1)
    for key, value in patch.items():
        if key not in base and value is not None:
            out[key] = _apply(_ABSENT, value, key_path(path, key), depth + 1)
    return out


def _apply(target: object, value: object, path: str, depth: int) -> Any:
    if isinstance(value, Mapping):
        return _merge(target, value, path, depth)
    return _copy(value, path, depth)


def _copy(value: object, path: str, depth: int) -> Any:
    if isinstance(value, Mapping):
        _check_depth(path, depth)
        return {k: _copy(v, key_path(path, k), depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        _check_depth(path, depth)
        return [_copy(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def _check_depth(path: str, depth: int) -> None:
    if depth >= MAX_DEPTH:
        # Only the first levels of the path: the rest says nothing a reader needs.
        shown = path if len(path) <= 80 else f"{path[:77]}..."
        raise ValidationError.single(
            shown, "depth", f"is nested more than {MAX_DEPTH} levels deep; settings are not"
        )
