"""``notifpolicy check SETTINGS``: is this settings file valid, and is anything worth a warning?

Prints every problem (path, code, message) at once, as the loader reports them, and every
warning of a valid file.  Exit 0 when valid (warnings allowed), 1 when there are problems
(including text that does not parse), 2 when the file cannot be read or its name ends in neither
``.toml`` nor ``.json``.  Nothing under ``slack`` is ever echoed: the webhook URL is a secret.
"""

from __future__ import annotations

import argparse
from typing import Any

from notifpolicy.cli._common import (
    EXIT_INVALID,
    EXIT_OK,
    InvalidFileError,
    Output,
    add_command,
    format_problem,
    load_settings,
    problem_dict,
)

SUMMARY = "validate a settings file: every problem and warning"

DESCRIPTION = """\
Validate a workspace settings file (TOML or JSON, told apart by the file name's suffix).
Every problem is listed at once with its path, code and message; a valid file's warnings
(a digest sent inside quiet hours) are listed too. The Slack webhook URL is never printed.

exit codes: 0 valid (warnings allowed), 1 problems found, 2 unreadable file or bad usage
"""


def register(sub: Any) -> None:
    """Add ``check`` to the command parser."""
    add_command(sub, "check", SUMMARY, DESCRIPTION, run)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run(args: argparse.Namespace, out: Output) -> int:
    path: str = args.settings
    try:
        settings = load_settings(path, extra_webhook_hosts=args.webhook_host)
    except InvalidFileError as invalid:
        out.line(f"{path}: invalid, {_count(invalid.total, 'problem')}")
        for problem in invalid.problems:
            out.line(f"  {format_problem(problem)}")
        document = {
            "file": path,
            "valid": False,
            "problems": [problem_dict(p) for p in invalid.problems],
            "warnings": [],
        }
        if invalid.omitted:
            out.line(f"  ... and {invalid.omitted} more")
            document["omitted"] = invalid.omitted
        out.document(document)
        return EXIT_INVALID
    warnings = settings.warnings()
    out.line(f"{path}: valid, {_count(len(warnings), 'warning')}")
    for warning in warnings:
        out.line(f"  warning: {warning.path} [{warning.code}]: {warning.message}")
    out.document(
        {
            "file": path,
            "valid": True,
            "problems": [],
            "warnings": [{"path": w.path, "code": w.code, "message": w.message} for w in warnings],
        }
    )
    return EXIT_OK
