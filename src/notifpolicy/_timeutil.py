"""Small, strict time helpers shared by the settings model and the time primitives.

Reading the IANA zone data through ``zoneinfo`` is the one kind of "I/O" the core does: once per
zone, cached by ``zoneinfo`` itself, and the list of valid keys once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from notifpolicy._errors import ValidationError, quote

__all__ = [
    "EPOCH_WEEKDAY",
    "format_hhmm",
    "is_valid_zone_key",
    "parse_hhmm",
    "require_aware",
    "resolve_zone",
    "weekday_of_day",
]

# Exactly two ASCII digits, a colon, two ASCII digits.  `re.ASCII` keeps `\d` from matching
# other digit systems (Arabic-Indic, fullwidth, ...).
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})", re.ASCII)

# Keys zoneinfo lists that are not zones a workspace means: the local machine's zone, the
# placeholder "Factory", and the duplicated "posix/" and "right/" trees (leap-second aware).
_EXCLUDED_ZONE_KEYS = frozenset({"localtime", "Factory"})
_EXCLUDED_ZONE_PREFIXES = ("posix/", "right/")


def parse_hhmm(text: str) -> dt.time | None:
    """Parse ``HH:MM`` (00:00-23:59) strictly; ``None`` if it is not one.

    ``"24:00"`` is not a time of day; business hours accept it as an end and check for it first.
    """
    m = _HHMM.fullmatch(text)
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def format_hhmm(value: dt.time) -> str:
    """``time(9, 5)`` -> ``"09:05"``."""
    return f"{value.hour:02d}:{value.minute:02d}"


EPOCH_WEEKDAY = 3
"""The weekday of 1970-01-01 (a Thursday), day 0 of every day count here (UTC days and local
days alike).  Hot loops write ``(day + EPOCH_WEEKDAY) % 7`` inline; elsewhere,
:func:`weekday_of_day`."""


def weekday_of_day(day: int) -> int:
    """The weekday (Monday = 0, as ``date.weekday()``) of the date ``day`` days after 1970-01-01.

    >>> weekday_of_day(0)  # 1970-01-01, a Thursday
    3
    >>> weekday_of_day(-3)  # 1969-12-29, a Monday
    0
    """
    return (day + EPOCH_WEEKDAY) % 7


@functools.cache
def _available_zone_keys() -> frozenset[str]:
    keys = zoneinfo.available_timezones()
    return frozenset(
        k
        for k in keys
        if k not in _EXCLUDED_ZONE_KEYS and not k.startswith(_EXCLUDED_ZONE_PREFIXES)
    )


def is_valid_zone_key(key: str) -> bool:
    """Whether ``key`` is an exact, case-sensitive IANA key a workspace may use."""
    return key in _available_zone_keys()


@functools.cache
def _zone(key: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(key)


def resolve_zone(tz: str | dt.tzinfo, *, path: str = "tz") -> dt.tzinfo:
    """A zone name or tzinfo -> tzinfo; an unknown name is a :class:`ValidationError`."""
    if isinstance(tz, str):
        if not is_valid_zone_key(tz):
            raise ValidationError.single(
                path,
                "timezone",
                f"must be an IANA time zone name such as 'Europe/Amsterdam', got {quote(tz)}",
            )
        return _zone(tz)
    if isinstance(tz, dt.tzinfo):
        return tz
    raise ValidationError.single(
        path, "type", f"must be an IANA time zone name or a tzinfo, got {type(tz).__name__}"
    )


def require_aware(value: object, *, path: str) -> dt.datetime:
    """Return ``value`` if it is a timezone-aware datetime; otherwise a :class:`ValidationError`.

    A naive datetime is refused rather than guessed to be UTC: the guess is the classic bug.
    """
    if not isinstance(value, dt.datetime):
        raise ValidationError.single(
            path, "type", f"must be a timezone-aware datetime, got {type(value).__name__}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single(
            path, "naive_datetime", f"must be timezone-aware, got naive {value.isoformat()}"
        )
    return value
