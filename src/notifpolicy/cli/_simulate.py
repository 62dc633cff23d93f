"""The ``simulate`` command: one day of made-up helpdesk traffic through the real service.

``notifpolicy simulate SETTINGS --day YYYY-MM-DD`` draws a team and a day of conversations from
``--seed``, plays them through :class:`~notifpolicy.service.NotificationService` on a SQLite
store with a manual clock and recording transports (the engine, :mod:`notifpolicy._simulation`),
and prints the timeline and a summary (:mod:`._sim_report`).  This module parses the arguments
and opens the store; the engine does the rest.  Same seed, same bytes.  ``docs/simulate.md`` says
which window runs and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import IO, Any

from notifpolicy import StorageError
from notifpolicy._errors import quote
from notifpolicy._simulation import Simulation, plan_day, simulate
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.cli._common import (
    EXIT_OK,
    CommandError,
    Output,
    add_command,
    load_settings,
)
from notifpolicy.cli._sim_progress import ProgressBar
from notifpolicy.cli._sim_report import json_document, text_lines
from notifpolicy.cli._time import day_start

__all__ = ["register", "run"]

AGENTS = (1, 100)
CONVERSATIONS = (0, 2000)
SEEDS = (0, 2**63 - 1)
# The zone data and the business-hours clock are reliable well inside these years.
DAYS = (dt.date(1900, 1, 1), dt.date(9998, 12, 31))
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_INT = re.compile(r"[0-9]{1,20}", re.ASCII)

SUMMARY = "play one day of made-up helpdesk traffic through the notification service"

DESCRIPTION = f"""\
Play one local day of made-up helpdesk traffic (drawn from --seed) through the notification
service on a SQLite store, with recording transports, and print the timeline and a summary.
The same command prints the same output every time.

--day is a date in the settings' time zone, {DAYS[0]} to {DAYS[1]}; a date the clocks skip
altogether is refused. Traffic arrives from its first instant (00:00) to the next date's; when
quiet hours are on at that midnight, the service runs on until they end.

exit codes: 0 simulated, 1 invalid settings, 2 unreadable file, bad usage, or a --db that exists
or cannot be created
"""


def register(sub: Any) -> None:
    """Add ``simulate`` to the command parser."""
    add_command(
        sub,
        "simulate",
        SUMMARY,
        DESCRIPTION,
        run,
        settings="workspace settings (.toml or .json)",
        arguments=_arguments,
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--day", required=True, metavar="YYYY-MM-DD", help="the local date to simulate"
    )
    parser.add_argument(
        "--db", metavar="PATH", help="keep the SQLite store in this new file (default: temporary)"
    )
    parser.add_argument("--seed", default="1", metavar="N", help="random seed (default: 1)")
    parser.add_argument(
        "--agents",
        default="4",
        metavar="N",
        help=f"agents besides the owner and the admin ({AGENTS[0]}-{AGENTS[1]}; default: 4)",
    )
    parser.add_argument(
        "--conversations",
        default="40",
        metavar="N",
        help=f"conversations during the day ({CONVERSATIONS[0]}-{CONVERSATIONS[1]}; default: 40)",
    )


def _whole(option: str, raw: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    value = int(raw) if _INT.fullmatch(raw) else None
    if value is None or not low <= value <= high:
        raise CommandError(
            f"{option}: expected a whole number from {low} to {high}; got {quote(raw)}"
        )
    return value


def _day(raw: str) -> dt.date:
    expected = f"a date as YYYY-MM-DD from {DAYS[0]} to {DAYS[1]}"
    try:
        day = dt.date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not DAYS[0] <= day <= DAYS[1]:
        raise CommandError(f"--day: expected {expected}; got {quote(raw)}")
    return day


def _open_store(raw: str | None, folder: str, hosts: list[str]) -> SqliteStore:
    if raw is None:
        return SqliteStore(Path(folder) / "simulate.sqlite3", extra_webhook_hosts=hosts)
    if Path(raw).exists():
        # Escalations, digests and catch-ups are claimed once per store: an old file would
        # silently hide them.
        raise CommandError(
            f"--db: expected a path to a new file; got {quote(raw)}, which exists "
            "(remove it or choose another)"
        )
    try:
        return SqliteStore(raw, extra_webhook_hosts=hosts)
    except StorageError as exc:
        raise CommandError(f"--db: {exc} ({quote(raw)})") from None


def _is_tty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run(args: argparse.Namespace, out: Output) -> int:
    day = _day(args.day)
    seed = _whole("--seed", args.seed, SEEDS)
    agents = _whole("--agents", args.agents, AGENTS)
    conversations = _whole("--conversations", args.conversations, CONVERSATIONS)
    hosts: list[str] = args.webhook_host
    settings = load_settings(args.settings, extra_webhook_hosts=hosts)
    # A date the zone skips has no traffic to draw (no minute of it exists): refuse it.
    day_start(day, settings.zone, option="--day", text=args.day, zone_name=settings.timezone)
    plan = plan_day(settings, day, seed=seed, agents=agents, conversations=conversations)
    bar = ProgressBar(out.errors, enabled=not out.json and _is_tty(out.errors))
    with tempfile.TemporaryDirectory(prefix="notifpolicy-simulate-") as folder:
        store = _open_store(args.db, folder, hosts)
        try:
            result: Simulation = simulate(
                settings, plan, store, progress=bar.update, extra_webhook_hosts=hosts
            )
        finally:
            store.close()
            bar.close()
    out.document(json_document(result, store=args.db))
    for line in text_lines(result, store=args.db):
        out.line(line)
    return EXIT_OK
