"""Workspace settings: one immutable value per saved version.

Build them with :meth:`WorkspaceSettings.from_dict` / ``from_json`` / ``from_toml`` (strict, every
problem at once: the sections at the end of this module read the document with ``_loader``'s
:class:`Reader`) or by hand with the constructors; change them with ``attrs.evolve``.
``to_dict`` is the canonical storage form, ``redacted`` the view for non-admins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from notifpolicy._business_hours import BusinessHours, read_business_hours
from notifpolicy._digest_schedule import DailyDigest, Weekday, WeeklyDigest
from notifpolicy._errors import ValidationError
from notifpolicy._frozen import FrozenMap
from notifpolicy._kinds import BUILTIN_KINDS, KindRegistry, Role, SlackEvent
from notifpolicy._loader import (
    BOOL_EXPECTED,
    CHOICE,
    MINUTES_EXPECTED,
    MISSING,
    RANGE,
    TIME_EXPECTED,
    TYPE,
    VERSION_EXPECTED,
    Invalid,
    Reader,
    is_int,
    parse_json,
    parse_toml,
    parse_version,
    read_bool,
    read_hhmm,
    read_minutes,
    read_timezone,
)
from notifpolicy._quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, QuietMode
from notifpolicy._secret import REDACTED, Secret
from notifpolicy._timeutil import format_hhmm, resolve_zone
from notifpolicy._values import check_bool, check_minutes, check_version, raise_if
from notifpolicy._webhook import allowed_hosts, webhook_url_problem

__all__ = [
    "DigestSettings",
    "EscalationRule",
    "EscalationSettings",
    "SettingsWarning",
    "SlackSettings",
    "WorkspaceSettings",
]

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@attrs.frozen
class SettingsWarning:
    """A non-fatal remark about valid settings (a digest send time inside quiet hours)."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@attrs.frozen
class EscalationRule:
    """Alert admins once a conversation has waited ``after_minutes`` (1-10080)."""

    enabled: bool = True
    after_minutes: int = 30

    def __attrs_post_init__(self) -> None:
        # A rule does not know which it is: its fields are named as they are in the rule (the
        # loader says where the rule sits, `escalation.unassigned.after_minutes`).
        raise_if("enabled", "type", check_bool(self.enabled))
        raise_if("after_minutes", "range", check_minutes(self.after_minutes))

    @property
    def after(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.after_minutes)


@attrs.frozen
class EscalationSettings:
    """``unassigned``: no assignee for too long. ``first_response``: also the SLA target."""

    unassigned: EscalationRule = EscalationRule(enabled=True, after_minutes=30)
    first_response: EscalationRule = EscalationRule(enabled=True, after_minutes=15)


@attrs.frozen
class DigestSettings:
    """Whether and when the workspace sends the daily summary and the weekly report."""

    daily: DailyDigest = DailyDigest()
    weekly: WeeklyDigest = WeeklyDigest()


def _to_secret(value: Secret | str | None) -> Secret | None:
    return Secret(value) if isinstance(value, str) else value


def _to_events(value: Iterable[SlackEvent]) -> frozenset[SlackEvent]:
    return frozenset(value)


@attrs.frozen
class SlackSettings:
    """The incoming webhook (a :class:`Secret`) and the events routed to it.

    The constructor takes the URL as given; :meth:`WorkspaceSettings.from_dict` and the save step
    check it against the allowed hosts (SPEC: https, ``hooks.slack.com``, ``/services/...``).
    """

    webhook_url: Secret | None = attrs.field(default=None, converter=_to_secret)
    events: frozenset[SlackEvent] = attrs.field(default=frozenset(SlackEvent), converter=_to_events)

    @property
    def configured(self) -> bool:
        """True when a webhook URL is set."""
        return self.webhook_url is not None


def _builtin_defaults() -> FrozenMap[str, bool]:
    return FrozenMap((k.name, True) for k in BUILTIN_KINDS if k.overridable)


def _to_defaults(value: Mapping[str, bool]) -> FrozenMap[str, bool]:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


@attrs.frozen
class WorkspaceSettings:
    """Everything an admin sets for the whole team; immutable, one value per saved version.

    >>> s = WorkspaceSettings.from_dict({"timezone": "Europe/Amsterdam",
    ...                                  "quiet_hours": {"enabled": True}})
    >>> s.quiet_hours.describe(), s.version
    ('22:00\u201308:00', 1)
    """

    timezone: str = "UTC"
    defaults: FrozenMap[str, bool] = attrs.field(factory=_builtin_defaults, converter=_to_defaults)
    digests: DigestSettings = DigestSettings()
    escalation: EscalationSettings = EscalationSettings()
    slack: SlackSettings = SlackSettings()
    quiet_hours: QuietHours = DEFAULT_QUIET_HOURS
    business_hours: BusinessHours | None = None
    version: int = 1

    def __attrs_post_init__(self) -> None:
        resolve_zone(self.timezone, path="timezone")
        problem = check_version(self.version)
        if problem is not None:
            raise ValidationError([problem])

    # -- loading and dumping --------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
    ) -> WorkspaceSettings:
        """Load and validate settings; missing keys take their defaults at every depth.

        ``kinds``: the host's registry (default: the built-ins); ``extra_webhook_hosts``: exact
        host names the host app allows besides Slack's.  Raises
        :class:`~notifpolicy.ValidationError` listing every problem.
        """
        return _load(data, kinds=kinds or KindRegistry.default(), extra_hosts=extra_webhook_hosts)

    @classmethod
    def from_json(
        cls,
        text: str | bytes,
        *,
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
    ) -> WorkspaceSettings:
        """Like :meth:`from_dict` from JSON text; a key given twice is an error."""
        return cls.from_dict(parse_json(text), kinds=kinds, extra_webhook_hosts=extra_webhook_hosts)

    @classmethod
    def from_toml(
        cls,
        text: str,
        *,
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
    ) -> WorkspaceSettings:
        """Like :meth:`from_dict` from TOML text; native TOML times are refused with a hint."""
        return cls.from_dict(parse_toml(text), kinds=kinds, extra_webhook_hosts=extra_webhook_hosts)

    def to_dict(self) -> dict[str, Any]:
        """The canonical storage form, webhook URL included: ``from_dict(s.to_dict()) == s``."""
        url = self.slack.webhook_url
        return self._dump(None if url is None else url.reveal())

    def redacted(self) -> dict[str, Any]:
        """The view for non-admins: like :meth:`to_dict` with the webhook URL redacted."""
        return self._dump(None if self.slack.webhook_url is None else REDACTED)

    def view_for(self, role: Role) -> dict[str, Any]:
        """What a member with ``role`` may see: the full form for admins, else redacted."""
        return self.to_dict() if role.is_admin else self.redacted()

    def _dump(self, url: str | None) -> dict[str, Any]:
        d, w, qh = self.digests.daily, self.digests.weekly, self.quiet_hours
        return {
            "timezone": self.timezone,
            "defaults": dict(self.defaults),
            "digests": {
                "daily": {"enabled": d.enabled, "send_time": format_hhmm(d.send_time)},
                "weekly": {
                    "enabled": w.enabled,
                    "weekday": WEEKDAY_NAMES[w.weekday],
                    "send_time": format_hhmm(w.send_time),
                },
            },
            "escalation": {
                name: {"enabled": rule.enabled, "after_minutes": rule.after_minutes}
                for name, rule in (
                    ("unassigned", self.escalation.unassigned),
                    ("first_response", self.escalation.first_response),
                )
            },
            "slack": {
                "webhook_url": url,
                "events": [e.value for e in SlackEvent if e in self.slack.events],
            },
            "quiet_hours": {
                "enabled": qh.enabled,
                "start": format_hhmm(qh.start),
                "end": format_hhmm(qh.end),
                "mode": qh.mode.value,
            },
            "business_hours": None
            if self.business_hours is None
            else self.business_hours.to_dict(),
            "version": self.version,
        }

    # -- questions the rest of the library asks -----------------------------------------------

    @property
    def zone(self) -> dt.tzinfo:
        """The workspace's ``ZoneInfo`` (cached per zone)."""
        return resolve_zone(self.timezone, path="timezone")

    def default_for(self, kind: str) -> bool:
        """The team default for an overridable kind (on when the kind has no entry)."""
        return self.defaults.get(kind, True)

    def switch(self, path: str) -> bool:
        """The workspace boolean at a dotted path such as ``escalation.unassigned.enabled``."""
        value: object = self
        for part in path.split("."):
            value = getattr(value, part)
        return value is True

    def warnings(self) -> tuple[SettingsWarning, ...]:
        """Non-fatal remarks: a digest send time inside quiet hours (both enabled).

        Judged on the wall clock, ``start`` inside and ``end`` outside.  Digests are exempt
        from quiet hours, so the digest still goes out; the warning says so.
        """
        qh = self.quiet_hours
        if not qh.enabled:
            return ()
        found = []
        for name, digest in (("daily", self.digests.daily), ("weekly", self.digests.weekly)):
            if digest.enabled and qh.covers(digest.send_time):
                found.append(
                    SettingsWarning(
                        f"digests.{name}.send_time",
                        "digest_in_quiet_hours",
                        f"{format_hhmm(digest.send_time)} is inside quiet hours "
                        f"{qh.describe()}; digests are not held by quiet hours, so it is sent then",
                    )
                )
        return tuple(found)


def _weekday(raw: object) -> Weekday | Invalid:
    if is_int(raw):
        return Weekday(raw) if 0 <= raw <= 6 else RANGE  # type: ignore[operator, arg-type]
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


# -- loading: the sections of the document, read with the loader's Reader ----------------------


def _load(data: object, *, kinds: KindRegistry, extra_hosts: Iterable[str]) -> WorkspaceSettings:
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
        read_timezone,
        "must be an IANA time zone name such as 'Europe/Amsterdam' (exact case)",
    )
    defaults = _defaults(r, top.get("defaults", MISSING), kinds)
    digests = _digests(r, top.get("digests", MISSING))
    escalation = _escalation(r, top.get("escalation", MISSING))
    slack = _slack(r, top.get("slack", MISSING), allowed_hosts(extra_hosts))
    quiet_hours = _quiet_hours(r, top.get("quiet_hours", MISSING))
    business_hours = None
    if "business_hours" in top:
        business_hours = read_business_hours(r, top["business_hours"])
    version = r.field(top, "version", "", 1, parse_version, VERSION_EXPECTED)
    r.raise_if_any()
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
    if data is MISSING:
        return FrozenMap(values)
    if data is None or not isinstance(data, Mapping):
        r.problem(
            "defaults",
            "type" if data is not None else "null",
            "must be a table of kind = true/false",
            data,
        )
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
            values[key] = r.field(data, key, "defaults", True, read_bool, BOOL_EXPECTED)
    return FrozenMap(values)


def _digests(r: Reader, data: object) -> DigestSettings:
    top = r.table(data, "digests", ("daily", "weekly"))
    daily = r.table(top.get("daily", MISSING), "digests.daily", ("enabled", "send_time"))
    weekly = r.table(
        top.get("weekly", MISSING), "digests.weekly", ("enabled", "weekday", "send_time")
    )
    dd, dw = DailyDigest(), WeeklyDigest()
    raw_weekday = weekly.get("weekday")
    weekday_expected = "must be a day name such as 'monday' or 0-6 (Monday = 0)"
    short = {name[:3]: name for name in WEEKDAY_NAMES}
    if isinstance(raw_weekday, str) and raw_weekday.isascii() and raw_weekday.lower() in short:
        weekday_expected += f"; write the full name '{short[raw_weekday.lower()]}'"
    daily_path, weekly_path = "digests.daily", "digests.weekly"
    return DigestSettings(
        daily=DailyDigest(
            enabled=r.field(daily, "enabled", daily_path, dd.enabled, read_bool, BOOL_EXPECTED),
            send_time=r.field(
                daily, "send_time", daily_path, dd.send_time, read_hhmm, TIME_EXPECTED
            ),
        ),
        weekly=WeeklyDigest(
            enabled=r.field(weekly, "enabled", weekly_path, dw.enabled, read_bool, BOOL_EXPECTED),
            weekday=r.field(weekly, "weekday", weekly_path, dw.weekday, _weekday, weekday_expected),
            send_time=r.field(
                weekly, "send_time", weekly_path, dw.send_time, read_hhmm, TIME_EXPECTED
            ),
        ),
    )


def _escalation(r: Reader, data: object) -> EscalationSettings:
    top = r.table(data, "escalation", ("unassigned", "first_response"))
    defaults = EscalationSettings()
    rules = {}
    for name in ("unassigned", "first_response"):
        path = f"escalation.{name}"
        table = r.table(top.get(name, MISSING), path, ("enabled", "after_minutes"))
        default: EscalationRule = getattr(defaults, name)
        rules[name] = EscalationRule(
            enabled=r.field(table, "enabled", path, default.enabled, read_bool, BOOL_EXPECTED),
            after_minutes=r.field(
                table, "after_minutes", path, default.after_minutes, read_minutes, MINUTES_EXPECTED
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
    enabled = r.field(top, "enabled", path, d.enabled, read_bool, BOOL_EXPECTED)
    start = r.field(top, "start", path, d.start, read_hhmm, TIME_EXPECTED)
    end = r.field(top, "end", path, d.end, read_hhmm, TIME_EXPECTED)
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
