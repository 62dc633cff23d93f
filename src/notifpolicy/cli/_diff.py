"""``notifpolicy diff OLD NEW``: what saving NEW over OLD would change, field by field.

The changes are the library's ``diff`` (the ones an audit entry records): dotted paths with old
and new values, ``business_hours`` as one field, the version not a field, and the webhook URL
shown as ``<redacted>`` (one replaced by another as ``<redacted, changed>``).  Both files must
be valid; an invalid one is an error, as for every command but ``check``: its problems go to
standard error (and into the ``--json`` error document), and the exit code is 1.

Exit codes: 0 compared (with or without changes), 1 a file is invalid, 2 unreadable file or bad
usage.  With ``--exit-code``, a comparison that finds changes exits 3 instead of 0, so a script
can tell "changed" from "invalid" (diff(1) and ``git diff --exit-code`` use 1 for "changed",
but here 1 already means invalid, as for every command).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from notifpolicy import FieldChange, WorkspaceSettings, diff
from notifpolicy.cli._common import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    InvalidFileError,
    Output,
    add_command,
    load_settings,
    problem_dict,
)

#: ``--exit-code`` and the files differ.
EXIT_CHANGED = 3

SUMMARY = "what a save would change, field by field"

DESCRIPTION = """\
Show what saving NEW over OLD would change: each changed field's dotted path with its old and
new value, as the audit log records it. The Slack webhook URL is shown as <redacted> (one
replaced by another as <redacted, changed>). Both files must be valid settings (TOML or JSON,
by suffix).

exit codes: 0 compared (changes or not), 1 a file is invalid, 2 unreadable file or bad usage,
3 changes found (only with --exit-code)
"""


def register(sub: Any) -> None:
    """Add ``diff`` to the command parser."""
    add_command(sub, "diff", SUMMARY, DESCRIPTION, run, settings=None, arguments=_arguments)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD", help="the saved settings (.toml or .json)")
    parser.add_argument("new", metavar="NEW", help="the draft to save (.toml or .json)")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help=f"exit {EXIT_CHANGED} when there are changes (0 when there are none)",
    )


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _change_dict(change: FieldChange) -> dict[str, Any]:
    return {"path": change.path, "old": change.old, "new": change.new}


def _invalid(errors: list[InvalidFileError]) -> CommandError:
    """One error for the invalid files (one or both), every problem of each: on standard error,
    like every command but ``check``, and under ``--json`` the error document
    ``{"error", "exit_code": 1, "files": [...], "problems": [{"file", "path", "code",
    "message"}, ...]}`` (two files can be invalid, so each problem names its own)."""
    return CommandError(
        "\n".join(str(e) for e in errors),
        exit_code=EXIT_INVALID,
        details={
            "files": [e.source for e in errors],
            "problems": [{"file": e.source, **problem_dict(p)} for e in errors for p in e.problems],
        },
    )


def run(args: argparse.Namespace, out: Output) -> int:
    loaded: dict[str, WorkspaceSettings] = {}
    invalid: list[InvalidFileError] = []
    for option, path in (("OLD", args.old), ("NEW", args.new)):
        try:
            loaded[option] = load_settings(
                path, option=option, extra_webhook_hosts=args.webhook_host
            )
        except InvalidFileError as error:
            invalid.append(error)
    if invalid:
        raise _invalid(invalid)
    changes = diff(loaded["OLD"], loaded["NEW"])
    if changes:
        out.line(f"{len(changes)} change{'' if len(changes) == 1 else 's'}:")
        for change in changes:
            out.line(f"  {change.path}: {_value(change.old)} → {_value(change.new)}")
    else:
        out.line("No changes.")
    out.document({"old": args.old, "new": args.new, "changes": [_change_dict(c) for c in changes]})
    return EXIT_CHANGED if changes and args.exit_code else EXIT_OK
