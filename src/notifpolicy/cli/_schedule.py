"""``notifpolicy schedule SETTINGS --from WHEN --days N``: quiet periods and digest sends ahead.

A timeline, in time order, in the workspace's local time and UTC: when quiet hours start and end,
and when the daily summary and weekly report are sent, with their period keys.  All the time
arithmetic is the library's (``QuietHours.quiet_until``, ``DailyDigest.next_after``,
``period_ending_at``), so DST nights come out exactly as the service will act on them.

Finding where quiet hours *start* uses the same primitive: an instant is outside the window
``[start, end)`` exactly when its wall-clock reading is inside ``[end, start)`` (the two windows
split the day), so "when does quiet begin after a non-quiet instant" is the complementary
window's ``quiet_until``.  Periods are walked forward from a little before ``--from``, so a
quiet period already on at ``--from`` is shown with its real start.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

import attrs

from notifpolicy import DailyDigest, QuietHours, WeeklyDigest, WorkspaceSettings
from notifpolicy._errors import quote
from notifpolicy._kinds import KIND_DAILY_SUMMARY, KIND_WEEKLY_REPORT
from notifpolicy.cli._common import (
    EXIT_OK,
    CommandError,
    Output,
    add_command,
    load_settings,
)
from notifpolicy.cli._time import (
    date_only,
    local_text,
    moment,
    parse_instant,
    utc_text,
    when_text,
)

UTC = dt.UTC
MIN_DAYS: Final = 1
MAX_DAYS: Final = 366
# How far before --from the walk over quiet periods starts.  One quiet period lasts less than a
# day of wall-clock time, so it began less than two days of real time before any instant inside
# it, whatever the clocks did meanwhile.
LOOKBACK: Final = dt.timedelta(days=2)
_TICK: Final = dt.timedelta(microseconds=1)

SUMMARY = "upcoming quiet periods and digest sends, local time and UTC"

DESCRIPTION = """\
List upcoming quiet periods (start and end) and digest sends (daily summary and weekly report,
with their period keys) in the workspace's local time and in UTC, in time order.

--from takes 2026-03-28 (the start of that local date), 2026-03-28T09:00 (workspace local time;
a time the clocks skip or show twice is refused) or 2026-03-28T09:00+01:00 (exact). The span
is counted in local dates: from a date it ends at the start of the local date N days later,
from a time at the same local time N dates later. Only what is enabled is listed.

exit codes: 0 listed, 1 invalid settings, 2 unreadable file or bad usage
"""


def register(sub: Any) -> None:
    """Add ``schedule`` to the command parser."""
    add_command(sub, "schedule", SUMMARY, DESCRIPTION, run, arguments=_arguments)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="start",
        metavar="WHEN",
        required=True,
        help="where the span starts: a date, a local date-time, or a date-time with an offset",
    )
    parser.add_argument(
        "--days",
        metavar="N",
        default="7",
        help=f"how many days to list, {MIN_DAYS} to {MAX_DAYS} (default 7)",
    )
    parser.add_argument(
        "--workspace-id",
        metavar="ID",
        default="ws-1",
        help="the workspace id that digest period keys start with (default ws-1)",
    )


@attrs.frozen
class _Quiet:
    """One quiet period; ``start`` is None when it began before the walk did."""

    start: dt.datetime | None
    end: dt.datetime


@attrs.frozen
class _Send:
    """One digest send: the instant, its kind, its period key and where its period starts."""

    kind: str
    at: dt.datetime
    key: str
    covers_from: dt.datetime


def _days(text: str) -> int:
    days = int(text) if text.isascii() and text.isdigit() else 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise CommandError(
            f"--days: expected a whole number of days from {MIN_DAYS} to {MAX_DAYS}; "
            f"got {quote(text)}"
        )
    return days


def _span_end(
    start: dt.datetime, days: int, zone: dt.tzinfo, *, day: dt.date | None
) -> dt.datetime:
    """Where the span of ``days`` local dates from ``start`` ends.

    From a date alone (``day``), the start of the local date ``days`` later: its first instant,
    00:00 or, when the clocks skip midnight, the jump (São Paulo's 2018-11-05 starts at 00:00
    but its 2018-11-04 at 01:00; the span from one to the other is 23 hours).  From a time, the
    same local wall time ``days`` dates later; a reading in a gap moves forward by the gap and
    one in a fold is its first occurrence (``fold=0``, as for digest sends).
    """
    if day is not None:
        # fold=0: a midnight in a gap resolves to the jump, that date's first instant (and a
        # date skipped whole to the first instant after it, where the previous date ends).
        later = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=zone)
        return later.astimezone(UTC)
    local = start.astimezone(zone)
    # `time()` keeps the fold of `start`; the end is resolved afresh, with fold=0.
    wall = local.time().replace(fold=0)
    later = dt.datetime.combine(local.date() + dt.timedelta(days=days), wall, tzinfo=zone)
    return later.astimezone(UTC)


def _quiet_periods(
    qh: QuietHours, zone: dt.tzinfo, start: dt.datetime, end: dt.datetime
) -> Iterator[_Quiet]:
    """The quiet periods that overlap ``[start, end)``, whole, in time order."""
    if not qh.enabled:
        return
    # Quiet under `qh` exactly when not quiet under this one (see the module docstring).
    outside = QuietHours(qh.end, qh.start)
    t = start - LOOKBACK
    begin: dt.datetime | None = None if qh.is_quiet(t, zone) else outside.quiet_until(t, zone)
    while begin is None or begin < end:
        # `begin` (or `t`, when None) is quiet under `qh`, and `until` is not.
        until = _known(qh.quiet_until(t if begin is None else begin, zone))
        if until > start:
            yield _Quiet(begin, until)
        begin = _known(outside.quiet_until(until, zone))


def _known(instant: dt.datetime | None) -> dt.datetime:
    if instant is None:  # pragma: no cover - quiet_until answers for every quiet instant
        raise AssertionError("quiet_until gave no end for a quiet instant")
    return instant


def _sends(
    digest: DailyDigest | WeeklyDigest,
    zone: dt.tzinfo,
    start: dt.datetime,
    end: dt.datetime,
    workspace_id: str,
) -> Iterator[_Send]:
    """The sends in ``[start, end)``; a send exactly at ``start`` is listed."""
    if not digest.enabled:
        return
    at = digest.next_after(start - _TICK, zone)
    while at < end:
        period = digest.period_ending_at(at, zone, workspace_id=workspace_id)
        yield _Send(period.kind, at, period.key, period.start)
        at = digest.next_after(at, zone)


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h{minutes:02d}m"
    return f"{text}{secs:02d}s" if secs else text


@attrs.frozen
class _Row:
    """One line of the timeline: an instant and what happens then."""

    at: dt.datetime
    order: int  # at one instant: quiet ends, quiet starts, then the digests
    event: str  # quiet_start, quiet_end, daily_summary, weekly_report
    text: str
    key: str | None = None


_LABELS = {KIND_DAILY_SUMMARY: "daily summary", KIND_WEEKLY_REPORT: "weekly report"}


def _timeline(quiet: list[_Quiet], sends: list[_Send]) -> list[_Row]:
    """Every quiet start and end and every send, in time order."""
    rows: list[_Row] = []
    for period in quiet:
        if period.start is None:
            rows.append(_Row(period.end, 0, "quiet_end", "quiet hours end"))
        else:
            rows.append(_Row(period.start, 1, "quiet_start", "quiet hours start"))
            length = _duration(period.end - period.start)
            rows.append(_Row(period.end, 0, "quiet_end", f"quiet hours end ({length})"))
    for send in sends:
        order = 2 if send.kind == KIND_DAILY_SUMMARY else 3
        text = f"{_LABELS[send.kind]}  {send.key}"
        rows.append(_Row(send.at, order, send.kind, text, send.key))
    rows.sort(key=lambda row: (row.at, row.order))
    return rows


def _settings_line(settings: WorkspaceSettings) -> str:
    qh, daily, weekly = settings.quiet_hours, settings.digests.daily, settings.digests.weekly
    parts = [
        f"quiet hours {qh.describe()} (mode {qh.mode.value})" if qh.enabled else "quiet hours off",
        f"daily summary at {daily.send_time:%H:%M}" if daily.enabled else "daily summary off",
        (
            f"weekly report on {weekly.weekday.name.lower()} at {weekly.send_time:%H:%M}"
            if weekly.enabled
            else "weekly report off"
        ),
    ]
    return "; ".join(parts)


def run(args: argparse.Namespace, out: Output) -> int:
    days = _days(args.days)
    settings = load_settings(args.settings, extra_webhook_hosts=args.webhook_host)
    if not args.workspace_id:
        raise CommandError("--workspace-id: expected a non-empty id; got ''")
    zone = settings.zone
    start = parse_instant(args.start, option="--from", zone=zone, zone_name=settings.timezone)
    end = _span_end(start, days, zone, day=date_only(args.start))
    quiet = list(_quiet_periods(settings.quiet_hours, zone, start, end))
    daily, weekly = settings.digests.daily, settings.digests.weekly
    sends = [
        *_sends(daily, zone, start, end, args.workspace_id),
        *_sends(weekly, zone, start, end, args.workspace_id),
    ]
    rows = _timeline(quiet, sends)

    out.line(f"{args.settings}: {settings.timezone}, workspace {args.workspace_id}")
    out.line(f"from {when_text(start, zone)}")
    out.line(f"to   {when_text(end, zone)} ({days} day{'' if days == 1 else 's'})")
    out.line(_settings_line(settings))
    out.line()
    if not rows:
        out.line("Nothing scheduled.")
    locals_ = [local_text(row.at, zone) for row in rows]
    utcs = [utc_text(row.at) for row in rows]
    width_local = max((len(x) for x in locals_), default=0)
    width_utc = max((len(x) for x in utcs), default=0)
    for local, utc, row in zip(locals_, utcs, rows, strict=True):
        out.line(f"{local:<{width_local}}  {utc:<{width_utc}}  {row.text}")

    qh = settings.quiet_hours
    out.document(
        {
            "settings": args.settings,
            "timezone": settings.timezone,
            "workspace_id": args.workspace_id,
            "from": moment(start, zone),
            "to": moment(end, zone),
            "days": days,
            "quiet_hours": {
                "enabled": qh.enabled,
                "start": f"{qh.start:%H:%M}",
                "end": f"{qh.end:%H:%M}",
                "mode": qh.mode.value,
            },
            "daily_summary": {"enabled": daily.enabled, "send_time": f"{daily.send_time:%H:%M}"},
            "weekly_report": {
                "enabled": weekly.enabled,
                "weekday": weekly.weekday.name.lower(),
                "send_time": f"{weekly.send_time:%H:%M}",
            },
            "quiet_periods": [
                {
                    "start": moment(p.start, zone),
                    "end": moment(p.end, zone),
                    "seconds": None if p.start is None else int((p.end - p.start).total_seconds()),
                }
                for p in quiet
            ],
            "digests": [
                {
                    "kind": s.kind,
                    "send": moment(s.at, zone),
                    "key": s.key,
                    "period_start": moment(s.covers_from, zone),
                }
                for s in sends
            ],
            "timeline": [
                {"at": moment(row.at, zone), "event": row.event, "key": row.key} for row in rows
            ],
        }
    )
    return EXIT_OK
