"""``notifpolicy outbox failed|requeue|stats --db PATH``: operate a SQLite store's outbox.

``failed`` lists the deliveries that finally failed, with their errors; ``requeue ID...`` sends
failed ones again (pending, due at once or at ``--at``, a full round of retries); ``stats``
prints the pending and failed counts and the oldest pending delivery, as a metrics endpoint
would.  The only commands that open a store: they take an existing SQLite file (a missing one is
an error, never created) and print no secret (the outbox holds none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import Any

from notifpolicy._errors import NotifPolicyError
from notifpolicy._outbox import OutboxItem
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.cli._common import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    Output,
    add_command,
    add_json_flag,
)
from notifpolicy.cli._time import parse_instant

SUMMARY = "list, requeue and count a SQLite store's failed and pending deliveries"

DESCRIPTION = """\
Operate the outbox of a SQLite store (the file SqliteStore(path) uses; it must exist).

  failed          the deliveries that finally failed, oldest first, with their errors
  requeue ID...   send failed deliveries again: pending, due at once (or at --at), with a
                  full round of retries; the next worker sends them
  stats           pending and failed counts, and the oldest pending delivery

exit codes: 0 done, 1 an ID is not a failed delivery (the others are requeued),
2 the file cannot be opened or bad usage
"""


def register(sub: Any) -> None:
    """Add ``outbox`` and its three actions to the command parser."""
    # Each action takes --db and --json: the outbox itself takes no file and no flag.
    parser = add_command(
        sub, "outbox", SUMMARY, DESCRIPTION, run, settings=None, shared_flags=False
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    failed = actions.add_parser("failed", help="the deliveries that finally failed")
    requeue = actions.add_parser("requeue", help="send failed deliveries again")
    requeue.add_argument("ids", metavar="ID", nargs="+", help="an outbox item id (from `failed`)")
    requeue.add_argument(
        "--at",
        metavar="INSTANT",
        help="due at this instant (ISO 8601 with an offset, or UTC without one) instead of now",
    )
    stats = actions.add_parser("stats", help="pending and failed counts, the oldest pending")
    for action in (failed, requeue, stats):
        action.add_argument("--db", metavar="PATH", required=True, help="the SQLite store file")
        if action is not requeue:
            action.add_argument("--workspace", metavar="ID", help="one workspace's only")
        add_json_flag(action)
    failed.add_argument(
        "--limit", metavar="N", type=int, default=100, help="at most N (default 100)"
    )
    for action, command in ((failed, _failed), (requeue, _requeue), (stats, _stats)):
        action.set_defaults(run=command)


def run(args: argparse.Namespace, out: Output) -> int:  # pragma: no cover - argparse requires
    raise CommandError("outbox: give an action: failed, requeue or stats")


def _open(path: str) -> SqliteStore:
    if not os.path.isfile(path):
        raise CommandError(f"--db {path!r}: no such file (the outbox commands never create one)")
    try:
        return SqliteStore(path)
    except NotifPolicyError as exc:
        raise CommandError(f"--db {path!r}: {exc}") from None


def _instant(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _item(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "workspace_id": item.workspace_id,
        "channel": item.channel.value,
        "recipient": item.recipient,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "due_at": _instant(item.due_at),
    }


def _failed(args: argparse.Namespace, out: Output) -> int:
    if args.limit < 1:
        raise CommandError(f"--limit: must be at least 1, got {args.limit}")
    with _open(args.db) as store:
        items = store.failed_items(args.workspace, limit=args.limit)
    noun = "delivery" if len(items) == 1 else "deliveries"
    out.line(f"{args.db}: {len(items)} failed {noun}")
    for item in items:
        tries = f"{item.attempts} attempt{'' if item.attempts == 1 else 's'}"
        out.line(f"  {item.id}  {item.channel.value} to {item.recipient}, {tries}")
        out.line(f"    {item.last_error}")
    out.document({"db": args.db, "failed": [_item(i) for i in items]})
    return EXIT_OK


def _requeue(args: argparse.Namespace, out: Output) -> int:
    at = (
        dt.datetime.now(dt.UTC)
        if args.at is None
        else parse_instant(args.at, option="--at", zone=dt.UTC, zone_name="UTC")
    )
    done: list[str] = []
    missing: list[str] = []
    with _open(args.db) as store:
        failed = {i.id: i for i in store.failed_items(limit=2**62)}
        for item_id in dict.fromkeys(args.ids):
            item = failed.get(item_id)
            if item is not None and store.requeue(item.workspace_id, item_id, now=at):
                done.append(item_id)
                out.line(f"requeued {item_id}, due {_instant(at)}")
            else:
                missing.append(item_id)
                out.line(f"not requeued {item_id}: no failed delivery has this id")
    out.document({"db": args.db, "due_at": _instant(at), "requeued": done, "not_failed": missing})
    return EXIT_INVALID if missing else EXIT_OK


def _stats(args: argparse.Namespace, out: Output) -> int:
    with _open(args.db) as store:
        stats = store.outbox_stats(args.workspace)
    out.line(f"{args.db}: {stats.pending} pending, {stats.failed} failed")
    if stats.oldest_pending_id is not None:
        out.line(
            f"  oldest pending: {stats.oldest_pending_id}, "
            f"due {_instant(stats.oldest_pending_due_at)}"
        )
    out.document(
        {
            "db": args.db,
            "workspace": args.workspace,
            "pending": stats.pending,
            "failed": stats.failed,
            "oldest_pending": None
            if stats.oldest_pending_id is None
            else {
                "id": stats.oldest_pending_id,
                "due_at": _instant(stats.oldest_pending_due_at),
            },
        }
    )
    return EXIT_OK
