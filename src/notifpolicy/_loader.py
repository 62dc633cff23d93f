"""The strict loader: plain data (from a dict, JSON or TOML) to :class:`WorkspaceSettings`.

Theory of operation: a :class:`Reader` walks the document once, section by section, and never
stops at the first problem: each bad field is recorded with its dotted path, a code and a message
(what was expected, what was got) and replaced by its default so the walk can go on.  At the end,
either the problem list is empty and the value is built, or one :class:`ValidationError` carries
them all.  Nothing under ``slack`` is ever echoed (the webhook URL is a secret).

Strictness, so that what is saved is what was meant: no coercion (``True`` is not ``1``,
``"30"`` is not ``30``), exact ``HH:MM``, exact IANA keys, unknown keys refused, duplicates in
lists refused, an explicit ``null`` refused except where it means "none".
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from notifpolicy._business_hours import parse_business_hours
from notifpolicy._digest_schedule import DailyDigest, Weekday, WeeklyDigest
from notifpolicy._errors import MAX_VERSION, Problem, ProblemList, ValidationError, key_path, quote
from notifpolicy._frozen import FrozenMap
from notifpolicy._kinds import KindRegistry, SlackEvent
from notifpolicy._quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, QuietMode
from notifpolicy._secret import Secret
from notifpolicy._settings import (
    WEEKDAY_NAMES,
    DigestSettings,
    EscalationRule,
    EscalationSettings,
    SlackSettings,
    WorkspaceSettings,
)
from notifpolicy._timeutil import format_hhmm, is_valid_zone_key, parse_hhmm
from notifpolicy._values import check_minutes, check_version
from notifpolicy._webhook import allowed_hosts, webhook_url_problem

__all__ = [
    "VERSION_EXPECTED",
    "Invalid",
    "Reader",
    "describe",
    "load_workspace_settings",
    "parse_json",
    "parse_toml",
    "parse_version",
]

T = TypeVar("T")

_MISSING: Any = object()


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
    """Collects problems while reading a document; see the module docstring."""

    def __init__(self) -> None:
        # The first MAX_LISTED problems, and a count of the rest: a document with a million
        # unknown keys must not cost a million Problem values (nor a message of 100 MB).
        self.problems = ProblemList()

    def problem(self, path: str, code: str, expected: str, value: object = _MISSING) -> None:
        if self.problems.full:
            self.problems.count_one()
        # Under `slack` the value is never echoed: it may be the webhook URL.
        elif value is _MISSING or path == "slack" or path.startswith("slack."):
            self.problems.append(Problem(path, code, expected))
        else:
            self.problems.append(Problem(path, code, f"{expected}, got {describe(value)}"))

    def table(self, data: object, path: str, keys: Iterable[str]) -> Mapping[str, Any]:
        """``data`` as a mapping with only ``keys``; unknown keys and non-tables are problems."""
        if data is _MISSING:
            return {}
        if data is None and path:  # the whole document null is a wrong type, below
            self.problem(path, "null", "must not be null; leave the key out for the default")
            return {}
        if not isinstance(data, Mapping):
            self.problem(path, "type", "must be a table (mapping)", data)
            return {}
        allowed = tuple(keys)
        for key in data:
            if key not in allowed:
                self.unknown_key(path, key, f"unknown key; expected one of {', '.join(allowed)}")
        return data

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


# -- scalar parsers: value or None ----------------------------------------------------------------


def _is_int(raw: object) -> bool:
    # A bool is an int to Python, not to a settings page.
    return isinstance(raw, int) and not isinstance(raw, bool)


def _bool(raw: object) -> bool | Invalid:
    return raw if isinstance(raw, bool) else TYPE


def _minutes(raw: object) -> int | Invalid:
    if not _is_int(raw):
        return TYPE
    return raw if check_minutes(raw) is None else RANGE  # type: ignore[return-value]


def _hhmm(raw: object) -> dt.time | Invalid:
    if not isinstance(raw, str):
        return TYPE
    return parse_hhmm(raw) or FORMAT


def _weekday(raw: object) -> Weekday | Invalid:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Weekday(raw) if 0 <= raw <= 6 else RANGE
    if isinstance(raw, str):
        if raw.isascii() and raw.lower() in WEEKDAY_NAMES:
            return Weekday(WEEKDAY_NAMES.index(raw.lower()))
        return CHOICE
    return TYPE


_MODES = {m.value: m for m in QuietMode}


def _mode(raw: object) -> QuietMode | Invalid:
    # Checked as a string first: a list or a dict is not hashable, and not a mode either.
    if not isinstance(raw, str):
        return TYPE
    return _MODES.get(raw, CHOICE)


def _timezone(raw: object) -> str | Invalid:
    if not isinstance(raw, str):
        return TYPE
    return raw if is_valid_zone_key(raw) else TIMEZONE


def parse_version(raw: object) -> int | Invalid:
    """A document's version: an integer from 1 to :data:`MAX_VERSION` (a store column)."""
    problem = check_version(raw)
    return raw if problem is None else Invalid(problem.code)  # type: ignore[return-value]


VERSION_EXPECTED = f"must be an integer from 1 to {MAX_VERSION}"


_TIME = 'must be a time "HH:MM" from 00:00 to 23:59'
_BOOL = "must be true or false"
_MINUTES = "must be an integer from 1 to 10080"


# -- the sections ---------------------------------------------------------------------------------


def load_workspace_settings(
    data: object, *, kinds: KindRegistry, extra_hosts: Iterable[str]
) -> WorkspaceSettings:
    r = Reader()
    top = r.table(
        data,
        "",
        (
            "timezone",
            "defaults",
            "digests",
            "escalation",
            "slack",
            "quiet_hours",
            "business_hours",
            "version",
        ),
    )
    if not isinstance(data, Mapping):
        raise ValidationError(r.problems)
    timezone = r.field(
        top,
        "timezone",
        "",
        "UTC",
        _timezone,
        "must be an IANA time zone name such as 'Europe/Amsterdam' (exact case)",
    )
    defaults = _defaults(r, top.get("defaults", _MISSING), kinds)
    digests = _digests(r, top.get("digests", _MISSING))
    escalation = _escalation(r, top.get("escalation", _MISSING))
    slack = _slack(r, top.get("slack", _MISSING), allowed_hosts(extra_hosts))
    quiet_hours = _quiet_hours(r, top.get("quiet_hours", _MISSING))
    business_hours = None
    if "business_hours" in top:
        business_hours, bh_problems = parse_business_hours(top["business_hours"])
        r.problems.extend(bh_problems)
    version = r.field(top, "version", "", 1, parse_version, VERSION_EXPECTED)
    if r.problems:
        raise ValidationError(r.problems)
    return WorkspaceSettings(
        timezone=timezone,
        defaults=defaults,
        digests=digests,
        escalation=escalation,
        slack=slack,
        quiet_hours=quiet_hours,
        business_hours=business_hours,
        version=version,
    )


def _defaults(r: Reader, data: object, kinds: KindRegistry) -> FrozenMap[str, bool]:
    overridable = [k.name for k in kinds.overridable()]
    values = dict.fromkeys(overridable, True)
    if data is _MISSING:
        return FrozenMap(values)
    if data is None or not isinstance(data, Mapping):
        code = "type" if data is not None else "null"
        r.problem("defaults", code, "must be a table of kind = true/false", data)
        return FrozenMap(values)
    for key in data:
        if not isinstance(key, str) or key not in kinds:
            r.unknown_key(
                "defaults", key, f"unknown kind; expected one of {', '.join(overridable)}"
            )
            continue
        path = f"defaults.{key}"
        if key not in values:
            # Escalation rules are workspace-wide: members cannot override them, so there is
            # no member default to set.
            r.problem(path, "not_overridable", f"{key} is workspace-wide and has no member default")
        else:
            values[key] = r.field(data, key, "defaults", True, _bool, _BOOL)
    return FrozenMap(values)


def _digests(r: Reader, data: object) -> DigestSettings:
    top = r.table(data, "digests", ("daily", "weekly"))
    daily = r.table(top.get("daily", _MISSING), "digests.daily", ("enabled", "send_time"))
    weekly = r.table(
        top.get("weekly", _MISSING), "digests.weekly", ("enabled", "weekday", "send_time")
    )
    default_daily, default_weekly = DailyDigest(), WeeklyDigest()
    raw_weekday = weekly.get("weekday")
    weekday_expected = "must be a day name such as 'monday' or 0-6 (Monday = 0)"
    short = {name[:3]: name for name in WEEKDAY_NAMES}
    if isinstance(raw_weekday, str) and raw_weekday.isascii() and raw_weekday.lower() in short:
        weekday_expected += f"; write the full name '{short[raw_weekday.lower()]}'"
    return DigestSettings(
        daily=DailyDigest(
            enabled=r.field(daily, "enabled", "digests.daily", default_daily.enabled, _bool, _BOOL),
            send_time=r.field(
                daily, "send_time", "digests.daily", default_daily.send_time, _hhmm, _TIME
            ),
        ),
        weekly=WeeklyDigest(
            enabled=r.field(
                weekly, "enabled", "digests.weekly", default_weekly.enabled, _bool, _BOOL
            ),
            weekday=r.field(
                weekly,
                "weekday",
                "digests.weekly",
                default_weekly.weekday,
                _weekday,
                weekday_expected,
            ),
            send_time=r.field(
                weekly, "send_time", "digests.weekly", default_weekly.send_time, _hhmm, _TIME
            ),
        ),
    )


def _escalation(r: Reader, data: object) -> EscalationSettings:
    top = r.table(data, "escalation", ("unassigned", "first_response"))
    defaults = EscalationSettings()
    rules = {}
    for name in ("unassigned", "first_response"):
        path = f"escalation.{name}"
        table = r.table(top.get(name, _MISSING), path, ("enabled", "after_minutes"))
        default: EscalationRule = getattr(defaults, name)
        rules[name] = EscalationRule(
            enabled=r.field(table, "enabled", path, default.enabled, _bool, _BOOL),
            after_minutes=r.field(
                table, "after_minutes", path, default.after_minutes, _minutes, _MINUTES
            ),
        )
    return EscalationSettings(**rules)


def _slack(r: Reader, data: object, hosts: frozenset[str]) -> SlackSettings:
    top = r.table(data, "slack", ("webhook_url", "events"))
    url: Secret | None = None
    if top.get("webhook_url") is not None:
        raw = top["webhook_url"]
        if not isinstance(raw, str):
            r.problem("slack.webhook_url", "type", "must be a string URL or null")
        else:
            message = webhook_url_problem(raw, hosts)
            if message is None:
                url = Secret(raw)
            else:
                r.problem("slack.webhook_url", "webhook_url", message)
    events: set[SlackEvent] = set(SlackEvent)
    if "events" in top:
        raw_events = top["events"]
        events = set()
        expected = f"must be one of {', '.join(e.value for e in SlackEvent)}"
        if not isinstance(raw_events, list):
            r.problem("slack.events", "type", f"must be a list of events; each {expected}")
        else:
            names = {e.value for e in SlackEvent}
            for i, raw in enumerate(raw_events):
                path = f"slack.events[{i}]"
                # A string first: a list or a dict is not hashable, and not an event either.
                if not isinstance(raw, str) or raw not in names:
                    r.problem(path, "choice" if isinstance(raw, str) else "type", expected)
                elif SlackEvent(raw) in events:
                    r.problem(path, "duplicate", "lists an event that is already listed")
                else:
                    events.add(SlackEvent(raw))
    return SlackSettings(webhook_url=url, events=frozenset(events))


def _quiet_hours(r: Reader, data: object) -> QuietHours:
    top = r.table(data, "quiet_hours", ("enabled", "start", "end", "mode"))
    d = DEFAULT_QUIET_HOURS
    path = "quiet_hours"
    problems_before = r.problems.total
    enabled = r.field(top, "enabled", path, d.enabled, _bool, _BOOL)
    start = r.field(top, "start", path, d.start, _hhmm, _TIME)
    end = r.field(top, "end", path, d.end, _hhmm, _TIME)
    mode = r.field(top, "mode", path, d.mode, _mode, "must be one of suppress, defer, summarize")
    if start == end:
        if r.problems.total == problems_before:
            # Checked after defaults are filled in, and even while disabled.
            r.problem(
                "quiet_hours.end",
                "empty_window",
                f"must differ from quiet_hours.start ({format_hhmm(start)}); "
                "an empty window is invalid even while quiet hours are disabled",
            )
        return d
    return QuietHours(start, end, enabled=enabled, mode=mode)


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
