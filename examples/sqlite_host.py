"""A host on a SQLite file that really sends: Slack through its webhook, email through SMTP.

On the first run the owner saves the bundled workspace settings (``workspace.toml`` beside this
file) into the database; later runs use what is stored.  Then three things happen in the
helpdesk (a new unassigned conversation, a mention, a new assigned conversation), and the host
keeps ticking until the outbox is drained or ``--drain`` seconds have passed.  The outbox rows stay
in the file, each marked ``sent``, ``failed`` (with its error) or ``pending`` (a retry for later).

Run it against real services::

    SMTP_PASSWORD=... python examples/sqlite_host.py --db desk.sqlite3 \\
        --slack-webhook https://hooks.slack.com/services/T.../B.../... \\
        --smtp-host smtp.example.org --smtp-user desk

or against local test servers, as ``tests/test_examples.py`` does: ``--slack-resolve
127.0.0.1:PORT`` connects the webhook's host name to a local HTTPS server (the name is still used
for the certificate check) and ``--slack-ca`` / ``--smtp-ca`` trust a local CA.  ``--now`` starts
the clock at a given instant (it runs in real time from there), so that a run at night is not
held by the workspace's quiet hours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import ssl
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from notifpolicy import (
    Channel,
    ConversationCreated,
    Event,
    Member,
    MemberMentioned,
    OutboxStatus,
    Role,
    Roster,
    Secret,
    ValidationError,
    WorkspaceSettings,
)
from notifpolicy.adapters.slack import SlackWebhookTransport
from notifpolicy.adapters.smtp import SmtpTransport
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.ports import Transport
from notifpolicy.service import NotificationService

WORKSPACE = "ws-desk"
SETTINGS_FILE = Path(__file__).with_name("workspace.toml")
SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
OLGA = Member("olga", Role.OWNER, "Olga", channels=[Channel.EMAIL], email="olga@example.org")
ANNA = Member("anna", Role.AGENT, "Anna", channels=[Channel.EMAIL], email="anna@example.org")


class Helpdesk:
    """The host app's roster (a real app reads it from its own database)."""

    def roster(self, workspace_id: str) -> Roster:
        return Roster([OLGA, ANNA])


class Clock:
    """The real clock; with a start instant, real time shifted to begin there."""

    def __init__(self, start: dt.datetime | None) -> None:
        self._offset = start - dt.datetime.now(dt.UTC) if start else dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"needs a UTC offset, like 2026-03-02T10:00+01:00: {text}")
    return value


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected ADDRESS:PORT, got {text!r}")
    return host, int(port)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="the SQLite file (created)")
    parser.add_argument("--settings", type=Path, default=SETTINGS_FILE, help="saved on first run")
    parser.add_argument("--slack-webhook", help="the webhook URL (default: the settings')")
    parser.add_argument(
        "--slack-resolve", type=_address, metavar="ADDRESS:PORT", help="connect Slack here"
    )
    parser.add_argument("--slack-ca", type=Path, metavar="PEM", help="trust only this CA")
    parser.add_argument("--smtp-host", default="localhost")
    parser.add_argument("--smtp-port", type=int, default=587)
    parser.add_argument("--smtp-sender", default="desk@example.org")
    parser.add_argument("--smtp-user", help="log in as this user (password: $SMTP_PASSWORD)")
    parser.add_argument("--smtp-ca", type=Path, metavar="PEM", help="trust only this CA")
    parser.add_argument("--smtp-no-starttls", action="store_true", help="plain SMTP (local)")
    parser.add_argument("--now", type=_instant, help="start the clock here (ISO 8601, zoned)")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to keep sending")
    return parser.parse_args(argv)


def transports(args: argparse.Namespace) -> dict[Channel, Transport]:
    # Tests connect Slack's host names to a local server; the names still pick the certificate.
    resolve = dict.fromkeys(SLACK_HOSTS, args.slack_resolve) if args.slack_resolve else None
    slack = SlackWebhookTransport(
        ssl_context=ssl.create_default_context(cafile=args.slack_ca),
        resolve=resolve,
        # Only a public address is connected to, unless a test points Slack at a local server.
        allow_private_addresses=resolve is not None,
    )
    password = os.environ.get("SMTP_PASSWORD")
    smtp = SmtpTransport(
        host=args.smtp_host,
        port=args.smtp_port,
        sender=args.smtp_sender,
        starttls=not args.smtp_no_starttls,
        username=args.smtp_user,
        password=Secret(password) if password is not None else None,
        ssl_context=ssl.create_default_context(cafile=args.smtp_ca),
    )
    return {Channel.SLACK: slack, Channel.EMAIL: smtp}


def settings_draft(args: argparse.Namespace) -> dict[str, Any]:
    """The settings file, with the webhook URL given on the command line, checked."""
    draft = WorkspaceSettings.from_toml(args.settings.read_text(encoding="utf-8")).to_dict()
    if args.slack_webhook:
        draft["slack"] = {**draft["slack"], "webhook_url": args.slack_webhook}
    WorkspaceSettings.from_dict(draft)  # the URL check, before anything is written
    return draft


def ensure_settings(
    service: NotificationService, args: argparse.Namespace, draft: dict[str, Any]
) -> WorkspaceSettings:
    """First run: the owner saves the settings file (with the webhook URL given, if any)."""
    current = service.settings()
    if current.version > 1:
        print(f"Settings: version {current.version}, saved before")
        return current
    saved = service.save_settings(draft, actor=OLGA)
    print(f"Settings: Olga saved {args.settings.name}, version 1 -> {saved.value.version}")
    return saved.value


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = uuid.uuid4().hex[:8]  # event ids are unique: the outbox ignores an id it already has
    events: list[Event] = [
        ConversationCreated(
            id=f"{run}-1", conversation_id="c-1042", subject="Refund <!channel>", customer="Ada"
        ),
        MemberMentioned(
            id=f"{run}-2", conversation_id="c-1042", author_id="olga", mentioned=["anna"]
        ),
        ConversationCreated(
            id=f"{run}-3", conversation_id="c-1043", assignee="anna", subject="Invoice question"
        ),
    ]
    try:
        draft = settings_draft(args)
    except (OSError, ValidationError) as exc:
        # Bad input is reported before the database file is created; the message never
        # echoes the webhook URL (a secret).
        print(f"sqlite_host: {args.settings.name}: {exc}", file=sys.stderr)
        return 2
    clock = Clock(args.now)
    with SqliteStore(args.db) as store:
        service = NotificationService(
            workspace_id=WORKSPACE,
            store=store,
            roster=Helpdesk(),
            clock=clock,
            transports=transports(args),
            conversation_url_template="https://desk.example.org/c/{conversation_id}",
        )
        settings = ensure_settings(service, args, draft)
        print(f"Now: {clock.now().astimezone(settings.zone):%a %Y-%m-%d %H:%M %Z}")

        # In request handlers: each event is decided, written to the outbox, then sent.
        for event in events:
            report = service.handle(event)
            print(f"{event.id}: {len(report.sent)} sent, {len(report.retried)} to retry")

        # In the worker: tick until the outbox is drained (Slack is paced to 1 message/second).
        deadline = time.monotonic() + args.drain
        while (wake := service.next_wake_at()) is not None:
            pause = (wake - clock.now()).total_seconds()
            if time.monotonic() + pause > deadline:
                break
            time.sleep(max(pause, 0.0))
            report = service.tick()
            print(f"tick: {len(report.sent)} sent, {len(report.retried)} to retry")

        mine = [i for i in store.items(WORKSPACE) if i.event_id.startswith(run)]
        print(f"Outbox in {args.db.name}, this run:")
        for item in mine:
            error = f" ({item.last_error})" if item.last_error else ""
            line = f"{item.status.value:<7} {item.channel.value:<5} {item.recipient:<5} "
            print(f"  {line}{item.subject}{error}")
        counts = {s: sum(i.status is s for i in mine) for s in OutboxStatus}
        print(", ".join(f"{n} {s.value}" for s, n in counts.items() if n))
        return 0 if counts[OutboxStatus.FAILED] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
