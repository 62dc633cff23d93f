"""The ``notifpolicy`` command: check, explain, schedule, simulate and diff workspace settings.

Each command lives in its own module and registers itself with :func:`build_parser`; every one
takes ``--json`` for machine-readable output.  Exit codes are in :mod:`notifpolicy.cli._common`:
0 done, 1 the input broke the rules, 2 the command line was wrong or a file could not be read
(``diff --exit-code`` adds 3: there are changes).  ``docs/cli.md`` documents every command.
"""

from __future__ import annotations

import argparse
import os
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # argparse exits for --help (0) and for usage errors (2, after printing the usage):
        # return the code instead, so that callers in-process get an int like every other path.
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out = Output(json=args.json, stream=sys.stdout, errors=sys.stderr)
    try:
        code: int = args.run(args, out)
    except CommandError as exc:
        out.fail(exc)
        return exc.exit_code
    except KeyboardInterrupt:  # pragma: no cover - interrupted by hand
        return EXIT_USAGE + 128  # the shell's convention for SIGINT
    except BrokenPipeError:  # pragma: no cover - runs only on a real pipe (tests: subprocess)
        # The reader (`| head`) stopped reading: not an error worth a traceback.  Point stdout
        # at devnull so that the interpreter's flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # the shell's convention for SIGPIPE
    return code
