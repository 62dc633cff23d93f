"""Reading input: one :class:`Reader` collects every problem with its path, then one error.

Every reader of the library goes through it: the workspace settings (``_settings.py``), business
hours, member preferences, a stored decision, the arguments of ``build_catchups`` and
``explain``.  Theory of operation: a reader walks its input once and never stops at the first
problem: each bad field is recorded with its dotted path (``[i]`` for list items, see
:func:`~notifpolicy._errors.key_path`), a code from ``PROBLEM_CODES`` and a message (what was
expected, what was got), and replaced by its default so the walk can go on.  At the end, either
the problem list is empty and the value is built, or one :class:`ValidationError` carries them
all (:meth:`Reader.raise_if_any`).  Nothing under ``slack`` is ever echoed (the webhook URL is a
secret).

Strictness, so that what is saved is what was meant: no coercion (``True`` is not ``1``,
``"30"`` is not ``30``), exact ``HH:MM``, exact IANA keys, unknown keys refused, duplicates in
lists refused, an explicit ``null`` refused except where it means "none".

The field parsers (``read_*``) return the value or an :class:`Invalid` with the problem's code;
``parse_json`` and ``parse_toml`` turn text into plain data for a reader.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from notifpolicy._errors import MAX_VERSION, Problem, ProblemList, ValidationError, key_path, quote
from notifpolicy._timeutil import is_valid_zone_key, parse_hhmm
from notifpolicy._values import MAX_AFTER_MINUTES, check_minutes, check_version

__all__ = [
    "BOOL_EXPECTED",
    "MINUTES_EXPECTED",
    "MISSING",
    "TIME_EXPECTED",
    "VERSION_EXPECTED",
    "Invalid",
    "Reader",
    "describe",
    "is_int",
    "parse_json",
    "parse_toml",
    "parse_version",
    "read_bool",
    "read_hhmm",
    "read_minutes",
    "read_timezone",
]

T = TypeVar("T")

MISSING: Any = object()
"""A key that is not there (``table.get(key, MISSING)``): not the same as an explicit null."""


def describe(value: object) -> str:
    """A short description of a bad value for a message (never a whole document)."""
    if isinstance(value, dt.time | dt.date):
        return f"a TOML/native {type(value).__name__} ({value.isoformat()})"
    return quote(value)


@attrs.frozen
class Invalid:
    """What a field parser returns for a bad value: the problem's code (see PROBLEM_CODES)."""

    code: str


TYPE = Invalid("type")
RANGE = Invalid("range")
CHOICE = Invalid("choice")
FORMAT = Invalid("format")
TIMEZONE = Invalid("timezone")


class Reader:
    """Collects problems while reading an input; see the module docstring."""

    def __init__(self) -> None:
        # The first MAX_LISTED problems, and a count of the rest: a document with a million
        # unknown keys must not cost a million Problem values (nor a message of 100 MB).
        self.problems = ProblemList()

    @property
    def full(self) -> bool:
        """Whether a further problem would only be counted (so it need not be built)."""
        return self.problems.full

    def problem(self, path: str, code: str, expected: str, value: object = MISSING) -> None:
        """Record a problem: ``expected`` as the message, with ``, got <value>`` when given."""
        if self.problems.full:
            self.problems.count_one()
        # Under `slack` the value is never echoed: it may be the webhook URL.
        elif value is MISSING or path == "slack" or path.startswith("slack."):
            self.problems.append(Problem(path, code, expected))
        else:
            self.problems.append(Problem(path, code, f"{expected}, got {describe(value)}"))

    def add(self, problems: Iterable[Problem]) -> None:
        """Record problems found by a check that returns them (``check_version``, ...)."""
        self.problems.extend(problems)

    def checked(self, check: Callable[[], T]) -> T | None:
        """``check()``'s value, or ``None`` with its :class:`ValidationError`'s problems recorded.

        For the value constructors and checks that raise (``require_aware``, ``registry.get``).
        """
        try:
            return check()
        except ValidationError as exc:
            self.problems.extend(exc.problems)
            self.problems.omitted += exc.omitted
            return None

    def instance(
        self, path: str, value: object, cls: type[Any] | tuple[type[Any], ...], expected: str
    ) -> bool:
        """Whether ``value`` is a ``cls``; if not, a ``type`` problem naming the type it is."""
        if isinstance(value, cls):
            return True
        self.problem(path, "type", f"{expected}, got {type(value).__name__}")
        return False

    def raise_if_any(self) -> None:
        """Raise one :class:`ValidationError` with every problem recorded, if there is one."""
        if self.problems:
            raise ValidationError(self.problems)

    def table(self, data: object, path: str, keys: Iterable[str]) -> Mapping[str, Any]:
        """``data`` as a mapping with only ``keys``; unknown keys and non-tables are problems."""
        if data is MISSING:
            return {}
        if data is None and path:  # the whole document null is a wrong type, below
            self.problem(path, "null", "must not be null; leave the key out for the default")
            return {}
        if not isinstance(data, Mapping):
            self.problem(path, "type", "must be a table (mapping)", data)
            return {}
        allowed = tuple(keys)
        self.unknown_keys(data, path, allowed, f"unknown key; expected one of {', '.join(allowed)}")
        return data

    def unknown_keys(
        self, data: Mapping[Any, Any], path: str, allowed: Iterable[str], message: str
    ) -> None:
        """Report each key of ``data`` (the table at ``path``) that is not ``allowed``."""
        allowed = frozenset(allowed)
        for key in data:
            if key not in allowed:
                self.unknown_key(path, key, message)

    def unknown_key(self, path: str, key: object, message: str) -> None:
        """Report ``key`` (a key of the table at ``path``) as unknown."""
        if self.problems.full:
            self.problems.count_one()  # not even the path is built: the key may be huge
            return
        self.problem(key_path(path, key), "unknown_key", message)

    def field(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        default: T,
        parse: Callable[[object], T | Invalid],
        expected: str,
    ) -> T:
        """Read ``table[key]`` with ``parse`` (an :class:`Invalid` = a problem with its code);
        the default if missing."""
        where = f"{path}.{key}" if path else key
        if key not in table:
            return default
        raw = table[key]
        if raw is None:
            self.problem(
                where, "null", f"must not be null; {expected} (leave the key out for the default)"
            )
            return default
        value = parse(raw)
        if isinstance(value, Invalid):
            code = "time" if isinstance(raw, dt.time | dt.date) else value.code
            hint = ' (write the time as a quoted string such as "09:00")' if code == "time" else ""
            self.problem(where, code, f"{expected}{hint}", raw)
            return default
        return value


# -- scalar parsers: the value or an Invalid ------------------------------------------------------


def is_int(raw: object) -> bool:
    """An int that is not a bool: a bool is an int to Python, not to a settings page."""
    return isinstance(raw, int) and not isinstance(raw, bool)


def read_bool(raw: object) -> bool | Invalid:
    return raw if isinstance(raw, bool) else TYPE


def read_minutes(raw: object) -> int | Invalid:
    if not is_int(raw):
        return TYPE
    return raw if check_minutes(raw) is None else RANGE  # type: ignore[return-value]


def read_hhmm(raw: object) -> dt.time | Invalid:
    if not isinstance(raw, str):
        return TYPE
    return parse_hhmm(raw) or FORMAT


def read_timezone(raw: object) -> str | Invalid:
    if not isinstance(raw, str):
        return TYPE
    return raw if is_valid_zone_key(raw) else TIMEZONE


def parse_version(raw: object) -> int | Invalid:
    """A document's version: an integer from 1 to :data:`MAX_VERSION` (a store column)."""
    problem = check_version(raw)
    return raw if problem is None else Invalid(problem.code)  # type: ignore[return-value]


VERSION_EXPECTED = f"must be an integer from 1 to {MAX_VERSION}"
TIME_EXPECTED = 'must be a time "HH:MM" from 00:00 to 23:59'
BOOL_EXPECTED = "must be true or false"
MINUTES_EXPECTED = f"must be an integer from 1 to {MAX_AFTER_MINUTES}"


# -- text formats ---------------------------------------------------------------------------------


_TOO_DEEP = "is nested too deeply to read (settings are a few levels deep)"


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as read, pairs in order, so duplicate keys can be reported with a path."""


def parse_json(text: str | bytes) -> Any:
    """JSON text to plain data; malformed JSON and duplicate keys are a ValidationError."""
    if not isinstance(text, str | bytes | bytearray):
        raise ValidationError.single(
            "", "type", f"JSON must be text (str or bytes), got {type(text).__name__}"
        )
    problems = ProblemList()
    try:
        raw = json.loads(text, object_pairs_hook=_Pairs)
        value = _unpair(raw, "", problems)
    except RecursionError:
        raise ValidationError.single("", "json", _TOO_DEEP) from None
    except ValueError as exc:
        # JSONDecodeError, UnicodeDecodeError, and an integer longer than Python converts
        # (sys.get_int_max_str_digits): all ValueErrors.
        raise ValidationError.single("", "json", f"is not valid JSON: {exc}") from None
    except TypeError as exc:  # pragma: no cover - json.loads on str/bytes raises ValueErrors
        raise ValidationError.single("", "json", f"is not valid JSON: {exc}") from None
    if problems:
        raise ValidationError(problems)
    return value


def _unpair(raw: Any, path: str, problems: ProblemList) -> Any:
    if isinstance(raw, _Pairs):
        out: dict[str, Any] = {}
        for key, value in raw:
            where = f"{path}.{key}" if path else key
            if key in out:
                if problems.full:
                    problems.count_one()
                else:
                    problems.append(Problem(where, "duplicate_key", "the key is given twice"))
            out[key] = _unpair(value, where, problems)
        return out
    if isinstance(raw, list):
        return [_unpair(v, f"{path}[{i}]", problems) for i, v in enumerate(raw)]
    return raw


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text to plain data; malformed TOML is a ValidationError."""
    if not isinstance(text, str):
        raise ValidationError.single(
            "", "type", f"TOML must be text (str), got {type(text).__name__}"
        )
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ValidationError.single("", "toml", _TOO_DEEP) from None
    except ValueError as exc:  # TOMLDecodeError, and an integer too long to convert
        raise ValidationError.single("", "toml", f"is not valid TOML: {exc}") from None
