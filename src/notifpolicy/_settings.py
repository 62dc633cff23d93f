"""Workspace settings: one immutable value per saved version.

Build them with :meth:`WorkspaceSettings.from_dict` / ``from_json`` / ``from_toml`` (strict, every
problem at once; see ``_loader.py``) or by hand with the constructors; change them with
``attrs.evolve``.  ``to_dict`` is the canonical storage form, ``redacted`` the view for non-admins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from notifpolicy._business_hours import BusinessHours
from notifpolicy._digest_schedule import DailyDigest, WeeklyDigest
from notifpolicy._errors import ValidationError
from notifpolicy._frozen import FrozenMap
from notifpolicy._kinds import BUILTIN_KINDS, KindRegistry, Role, SlackEvent
from notifpolicy._quiet_hours import DEFAULT_QUIET_HOURS, QuietHours
from notifpolicy._secret import REDACTED, Secret
from notifpolicy._timeutil import format_hhmm, resolve_zone
from notifpolicy._values import check_bool, check_minutes, check_version, raise_if

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
        raise_if("escalation.enabled", "type", check_bool(self.enabled))
        raise_if("escalation.after_minutes", "range", check_minutes(self.after_minutes))

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
        # The loader builds these classes, so it is imported when first needed.
        from notifpolicy._loader import load_workspace_settings  # noqa: PLC0415

        return load_workspace_settings(
            data, kinds=kinds or KindRegistry.default(), extra_hosts=extra_webhook_hosts
        )

    @classmethod
    def from_json(
        cls,
        text: str | bytes,
        *,
        kinds: KindRegistry | None = None,
        extra_webhook_hosts: Iterable[str] = (),
    ) -> WorkspaceSettings:
        """Like :meth:`from_dict` from JSON text; a key given twice is an error."""
        # The loader builds these classes, so it is imported when first needed.
        from notifpolicy._loader import parse_json  # noqa: PLC0415

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
        # The loader builds these classes, so it is imported when first needed.
        from notifpolicy._loader import parse_toml  # noqa: PLC0415

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
