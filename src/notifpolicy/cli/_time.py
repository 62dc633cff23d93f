"""Instants on the command line: reading ``--at`` / ``--from``, and showing an instant.

Reading (``parse_instant``):

- with an offset (``2026-03-02T23:00+01:00``, ``...Z``) the text names one instant, exactly;
- without one (``2026-03-02T23:00``) it is a reading of the workspace's wall clock.  A reading
  the clock skips (a DST gap) or shows twice (a fold) names no single instant, so it is refused
  with a message naming the offsets involved; the user adds the offset they mean;
- a date alone (``2026-03-02``) is the start of that local date: its first instant, so a date
  whose midnight falls in a gap starts when the clock jumps (PEP 495 ``fold=0``).  A date the
  clocks skip altogether (Pacific/Apia skipped 2011-12-30 when it crossed the date line) has no
  first instant and is refused, like a skipped wall time;
- a second has at most six fractional digits (microseconds, what ``datetime`` keeps): more would
  be cut silently, so they are refused.

Showing: ``2026-03-02 23:00 CET (+01:00)`` and ``2026-03-02 22:00 UTC``; JSON gets ISO 8601 for
both.  Deciding anything about an instant is the library's job; this only converts.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dateutil import tz as dateutil_tz

from notifpolicy._errors import quote
from notifpolicy.cli._common import CommandError

__all__ = [
    "date_only",
    "day_start",
    "local_text",
    "moment",
    "parse_instant",
    "utc_text",
    "when_text",
]

UTC = dt.UTC
# Generous for a helpdesk and far from the library's own limits (0001-01-03 to 9999-12-29 UTC),
# so that converting never overflows, even a year after the last allowed start.
FIRST_YEAR = 1900
LAST_YEAR = 9997

_EXPECTED = (
    "expected an ISO 8601 date-time such as 2026-03-02T23:00 (workspace local time) or "
    "2026-03-02T23:00+01:00, or a date such as 2026-03-02"
)
# More than six digits after a decimal point (fromisoformat would cut them to microseconds).
_TOO_FINE = re.compile(r"[.,][0-9]{7}", re.ASCII)


def date_only(text: str) -> dt.date | None:
    """The date ``text`` names when it is a date alone (no time of day), else ``None``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def day_start(
    day: dt.date, zone: dt.tzinfo, *, option: str, text: str, zone_name: str
) -> dt.datetime:
    """The first instant of the local date ``day``, in UTC; a usage error if the zone skips it.

    A midnight in a gap resolves to the jump (``fold=0``): São Paulo's 2018-11-04 starts at 01:00.
    When the jump lands on a later date, no instant of ``day`` exists at all.
    """
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    start = midnight.astimezone(UTC)
    if start.astimezone(zone).date() != day:
        raise CommandError(
            f"{option}: {text} does not exist in {zone_name}: the clocks jump from "
            f"{_offset_and_name(midnight)} to {_offset_and_name(midnight.replace(fold=1))} and "
            "skip the whole date; give another date"
        )
    return start


def parse_instant(text: str, *, option: str, zone: dt.tzinfo, zone_name: str) -> dt.datetime:
    """The instant ``text`` names (see the module docstring), in UTC; else a usage error."""
    day = date_only(text)
    if day is not None:
        _check_year(day.year, text, option)
        return day_start(day, zone, option=option, text=text, zone_name=zone_name)
    if _TOO_FINE.search(text):
        raise CommandError(
            f"{option}: expected at most 6 digits after the decimal point (microseconds); "
            f"got {quote(text)}"
        )
    try:
        given = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {_EXPECTED}; got {quote(text)}") from None
    _check_year(given.year, text, option)
    if given.tzinfo is not None:
        return given.astimezone(UTC)
    first = given.replace(tzinfo=zone, fold=0)
    second = given.replace(tzinfo=zone, fold=1)
    if not dateutil_tz.datetime_exists(given, zone):
        raise CommandError(
            f"{option}: {text} does not exist in {zone_name}: the clocks jump from "
            f"{_offset_and_name(first)} to {_offset_and_name(second)} and skip it; "
            "give another time or an explicit offset"
        )
    if dateutil_tz.datetime_ambiguous(given, zone):
        raise CommandError(
            f"{option}: {text} is ambiguous in {zone_name}: the clocks show it twice, at "
            f"{_offset_and_name(first)} and again at {_offset_and_name(second)}; add the offset "
            f"you mean: {_example(first)} or {_example(second)}"
        )
    return first.astimezone(UTC)


def _check_year(year: int, text: str, option: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CommandError(
            f"{option}: expected a date in the years {FIRST_YEAR} to {LAST_YEAR}; got {quote(text)}"
        )


def _example(value: dt.datetime) -> str:
    plain = value.second == 0 and value.microsecond == 0
    return value.isoformat(timespec="minutes") if plain else value.isoformat()


def offset_text(value: dt.datetime) -> str:
    """The UTC offset of an aware datetime: ``+01:00`` (``+00:19:32`` when it has seconds)."""
    offset = value.utcoffset() or dt.timedelta(0)  # every caller passes an aware datetime
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


def _abbreviation(value: dt.datetime) -> str:
    # Zones without a letter abbreviation name their offset (`-03`); the offset is shown anyway.
    name = value.tzname() or ""
    return "" if not name or name[0] in "+-" or name[0].isdigit() else name


def _offset_and_name(value: dt.datetime) -> str:
    name = _abbreviation(value)
    return f"{offset_text(value)} ({name})" if name else offset_text(value)


def _clock(value: dt.datetime) -> str:
    text = f"{value:%Y-%m-%d %H:%M}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def local_text(instant: dt.datetime, zone: dt.tzinfo) -> str:
    """``2026-03-02 23:00 CET (+01:00)``: the workspace's wall clock at ``instant``."""
    local = instant.astimezone(zone)
    name = _abbreviation(local)
    named = f" {name}" if name else ""
    return f"{_clock(local)}{named} ({offset_text(local)})"


def utc_text(instant: dt.datetime) -> str:
    """``2026-03-02 22:00 UTC``."""
    return f"{_clock(instant.astimezone(UTC))} UTC"


def when_text(instant: dt.datetime, zone: dt.tzinfo) -> str:
    """Local time and UTC: ``2026-03-02 23:00 CET (+01:00) = 2026-03-02 22:00 UTC``."""
    return f"{local_text(instant, zone)} = {utc_text(instant)}"


def moment(instant: dt.datetime | None, zone: dt.tzinfo) -> dict[str, Any] | None:
    """An instant as JSON: ``{"local": ISO 8601 with the local offset, "utc": ...}``."""
    if instant is None:
        return None
    return {
        "local": instant.astimezone(zone).isoformat(),
        "utc": instant.astimezone(UTC).isoformat(),
    }
