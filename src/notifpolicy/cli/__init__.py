"""The ``notifpolicy`` command: check, explain, schedule, simulate and diff workspace settings.

Each command lives in its own module and registers itself with :func:`build_parser`; every one
takes ``--json`` for machine-readable output.  Exit codes are in :mod:`notifpolicy.cli._common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from notifpolicy.cli import _check, _diff, _explain, _schedule, _simulate
from notifpolicy.cli._common import EXIT_USAGE, CommandError, Output

__all__ = ["build_parser", "main"]

_COMMANDS = (_check, _explain, _schedule, _simulate, _diff)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="notifpolicy",
        description="Check, explain and try out helpdesk workspace notification settings.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(json=args.json, stream=sys.stdout, errors=sys.stderr)
    try:
        code: int = args.run(args, out)
    except CommandError as exc:
        out.fail(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_USAGE + 128  # pragma: no cover - the shell's convention for SIGINT
    return code
