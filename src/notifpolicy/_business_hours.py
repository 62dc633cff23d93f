"""Business hours: weekly opening hours plus dated closures, in the workspace zone.

The value and its rules live here; the SLA clock that counts inside them lives in
``_business_clock.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping

import attrs

from notifpolicy._errors import Problem, ValidationError, key_path, quote
from notifpolicy._frozen import FrozenMap
from notifpolicy._loader import Reader, is_int
from notifpolicy._timeutil import format_hhmm, parse_hhmm

__all__ = ["DAY_KEYS", "MINUTES_PER_DAY", "BusinessHours", "OpeningRange", "read_business_hours"]

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@attrs.frozen(order=True)
class OpeningRange:
    """Open from ``start`` to ``end`` minutes after local midnight of its day.

    ``end`` may be 1440 (``24:00``); ``end < start`` crosses midnight into the next local date.
    """

    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        ok = (
            is_int(self.start)
            and is_int(self.end)
            and 0 <= self.start < MINUTES_PER_DAY
            and 0 <= self.end <= MINUTES_PER_DAY
            and self.start != self.end
        )
        if not ok:
            # Same start and end is the reader's "empty_range"; anything else is out of range.
            empty = is_int(self.start) and self.start == self.end
            raise ValidationError.single(
                "business_hours",
                "empty_range" if empty else "invalid_range",
                f"an opening range needs start 0-1439 and end 0-1440 minutes, start != end; "
                f"got {quote(self.start)}-{quote(self.end)}",
            )

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    @property
    def minutes(self) -> int:
        """How long the range is on the wall clock."""
        return (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY

    def to_list(self) -> list[str]:
        end = "24:00" if self.end == MINUTES_PER_DAY else format_hhmm(_time(self.end))
        return [format_hhmm(_time(self.start)), end]


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _to_weekly(
    value: Mapping[int, Iterable[OpeningRange]],
) -> FrozenMap[int, tuple[OpeningRange, ...]]:
    # Canonical: days 0-6 in order, ranges sorted, closed days left out.
    return FrozenMap((day, tuple(sorted(value[day]))) for day in sorted(value) if tuple(value[day]))


def _to_dates(value: Iterable[dt.date]) -> frozenset[dt.date]:
    return frozenset(value)


@attrs.frozen
class BusinessHours:
    """Weekly opening hours (Monday = 0) and closed dates (holidays).

    The after-midnight part of an overnight range belongs to its own local date for closures:
    a holiday on the 25th closes 00:00-02:00 of a range opened on the 24th.
    """

    weekly: FrozenMap[int, tuple[OpeningRange, ...]] = attrs.field(converter=_to_weekly)
    closed_dates: frozenset[dt.date] = attrs.field(default=frozenset(), converter=_to_dates)

    def __attrs_post_init__(self) -> None:
        problems = _weekly_problems(self.weekly)
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """The canonical storage form (days in order, ranges and dates sorted)."""
        return {
            "weekly": {
                DAY_KEYS[day]: [r.to_list() for r in ranges] for day, ranges in self.weekly.items()
            },
            "closed_dates": [d.isoformat() for d in sorted(self.closed_dates)],
        }


def _weekly_problems(weekly: Mapping[int, tuple[OpeningRange, ...]]) -> list[Problem]:
    problems: list[Problem] = []
    spans: list[tuple[int, int, int]] = []  # (week minute start, end, day) on a 2-week line
    for day, ranges in weekly.items():
        if not (is_int(day) and 0 <= day <= 6):
            problems.append(
                Problem(
                    "business_hours.weekly", "invalid_day", f"days must be 0-6, got {quote(day)}"
                )
            )
            continue
        for r in ranges:
            begin = day * MINUTES_PER_DAY + r.start
            spans.append((begin, begin + r.minutes, day))
    if not spans and not problems:
        problems.append(
            Problem(
                "business_hours.weekly",
                "never_open",
                "must have some open time "
                "(use null for 'no business hours, the clock always runs')",
            )
        )
    # Overlap on the weekly circle: each range against the next one by start, and the last
    # (perhaps a Sunday-night range running into Monday) against the first, a week later.
    spans.sort()
    pairs = list(itertools.pairwise(spans))
    if len(spans) > 1:
        first_begin, first_end, first_day = spans[0]
        pairs.append((spans[-1], (first_begin + MINUTES_PER_WEEK, first_end, first_day)))
    for (begin, end, day), (next_begin, _next_end, next_day) in pairs:
        if next_begin < end:
            problems.append(
                Problem(
                    f"business_hours.weekly.{DAY_KEYS[next_day]}",
                    "overlap",
                    f"ranges must not overlap: {DAY_KEYS[day]} from "
                    f"{format_hhmm(_time(begin % MINUTES_PER_DAY))} runs past "
                    f"{DAY_KEYS[next_day]} {format_hhmm(_time(next_begin % MINUTES_PER_DAY))}",
                )
            )
    return problems


def read_business_hours(r: Reader, data: object) -> BusinessHours | None:
    """Read the ``business_hours`` document with ``r``: the value, or ``None`` (``null``, which
    means "no business hours": the SLA clock always runs, or problems recorded in ``r``)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        r.problem(_PATH, "type", f"must be a table or null, got {quote(data)}")
        return None
    before = r.problems.total
    r.unknown_keys(
        data, _PATH, ("weekly", "closed_dates"), "unknown key; expected weekly, closed_dates"
    )
    weekly = _to_weekly(_read_weekly(r, data.get("weekly", {})))
    closed = _read_closed_dates(r, data.get("closed_dates", []))
    shape_problems = _weekly_problems(weekly)
    if r.problems.total > before:
        # "Never open" is only news when every range parsed.
        shape_problems = [p for p in shape_problems if p.code != "never_open"]
    r.add(shape_problems)
    if r.problems.total > before:
        return None
    return BusinessHours(weekly, frozenset(closed))


_PATH = "business_hours"


def _read_weekly(r: Reader, raw_weekly: object) -> dict[int, list[OpeningRange]]:
    """``weekly``: day key -> list of ``["HH:MM", "HH:MM"]`` pairs."""
    weekly: dict[int, list[OpeningRange]] = {}
    if not isinstance(raw_weekly, Mapping):
        r.problem(
            f"{_PATH}.weekly", "type", f"must be a table of mon..sun, got {quote(raw_weekly)}"
        )
        return weekly
    for key, raw_ranges in raw_weekly.items():
        day_path = key_path(f"{_PATH}.weekly", key)
        if key not in DAY_KEYS:
            r.problem(
                day_path,
                "unknown_key",
                f"day keys are exactly {', '.join(DAY_KEYS)}, got {quote(key)}",
            )
            continue
        if not isinstance(raw_ranges, list):
            r.problem(
                day_path, "type", f"must be a list of [start, end] pairs, got {quote(raw_ranges)}"
            )
            continue
        day_ranges = weekly.setdefault(DAY_KEYS.index(key), [])
        for i, raw in enumerate(raw_ranges):
            parsed = _read_range(r, raw, f"{day_path}[{i}]")
            if parsed is not None:
                day_ranges.append(parsed)
    return weekly


def _read_closed_dates(r: Reader, raw_closed: object) -> list[dt.date]:
    """``closed_dates``: a list of distinct ``YYYY-MM-DD`` strings."""
    closed: list[dt.date] = []
    if not isinstance(raw_closed, list):
        r.problem(
            f"{_PATH}.closed_dates",
            "type",
            f"must be a list of YYYY-MM-DD dates, got {quote(raw_closed)}",
        )
        return closed
    for i, raw in enumerate(raw_closed):
        item_path = f"{_PATH}.closed_dates[{i}]"
        date = _parse_date(raw)
        if date is None:
            hint = (
                f'; write it as a quoted string "{raw.isoformat()}" (TOML dates are not strings)'
                if isinstance(raw, dt.date)
                else ""
            )
            r.problem(
                item_path,
                _time_code(raw),
                f"must be a date string YYYY-MM-DD, got {quote(raw)}{hint}",
            )
        elif date in closed:
            r.problem(item_path, "duplicate", f"{raw} is listed twice")
        else:
            closed.append(date)
    return closed


def _read_range(r: Reader, raw: object, path: str) -> OpeningRange | None:
    if not (isinstance(raw, list) and len(raw) == 2):
        r.problem(path, "type", f'must be a pair ["HH:MM", "HH:MM"], got {quote(raw)}')
        return None
    start_raw, end_raw = raw
    start = _parse_minutes(start_raw, allow_24=False)
    end = _parse_minutes(end_raw, allow_24=True)
    if start is None:
        hint = " (24:00 is only an end)" if start_raw == "24:00" else _native_hint(start_raw)
        r.problem(
            f"{path}[0]",
            _time_code(start_raw),
            f'must be a time "HH:MM" from 00:00 to 23:59{hint}, got {quote(start_raw)}',
        )
    if end is None:
        r.problem(
            f"{path}[1]",
            _time_code(end_raw),
            f'must be a time "HH:MM" from 00:00 to 24:00{_native_hint(end_raw)}, '
            f"got {quote(end_raw)}",
        )
    if start is None or end is None:
        return None
    if start == end:
        r.problem(path, "empty_range", f"start and end must differ, got {start_raw}-{end_raw}")
        return None
    return OpeningRange(start, end)


def _parse_minutes(raw: object, *, allow_24: bool) -> int | None:
    if not isinstance(raw, str):
        return None
    if allow_24 and raw == "24:00":
        return MINUTES_PER_DAY
    t = parse_hhmm(raw)
    return None if t is None else t.hour * 60 + t.minute


def _parse_date(raw: object) -> dt.date | None:
    # Exactly YYYY-MM-DD: fromisoformat also takes "20261225" and other ISO spellings.
    if not (isinstance(raw, str) and len(raw) == 10 and raw.isascii() and raw[4] == raw[7] == "-"):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _native_hint(raw: object) -> str:
    if isinstance(raw, dt.time):
        return f' (write it as a quoted string such as "{raw.strftime("%H:%M")}")'
    return ""


def _time_code(raw: object) -> str:
    """The problem code for a bad time or date: a TOML native one, a malformed string, or
    not a string at all."""
    if isinstance(raw, dt.time | dt.date):
        return "time"
    return "format" if isinstance(raw, str) else "type"
