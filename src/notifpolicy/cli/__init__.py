"""The ``notifpolicy`` command: check, explain, schedule, simulate and diff workspace settings;
``outbox`` operates a SQLite store's outbox.

Each command lives in its own module and registers itself with :func:`build_parser` (through
``_common.add_command``, which adds the flags every command shares); every one takes ``--json``
for machine-readable output.  ``simulate`` only parses and prints: the simulation itself is the
engine in ``notifpolicy._simulation``.  Exit codes are in :mod:`notifpolicy.cli._common`:
0 done, 1 the input broke the rules, 2 the command line was wrong or a file could not be read
(``diff --exit-code`` adds 3: there are changes).  ``docs/cli.md`` documents every command.
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
from collections.abc import Sequence
from typing import IO, NoReturn

from notifpolicy._version import __version__
from notifpolicy.cli import _check, _diff, _explain, _outbox, _schedule, _simulate
from notifpolicy.cli._common import EXIT_USAGE, CommandError, Output, encodable

__all__ = ["build_parser", "main"]

_COMMANDS = (_check, _explain, _schedule, _simulate, _diff, _outbox)
_JSON_FLAG = "--json"


class _UsageError(Exception):
    """argparse found the command line wrong: raised instead of exiting, so ``main`` can report
    it as every other failure is reported (and as a JSON document under ``--json``)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors raise :class:`_UsageError` instead of exiting.

    The command parsers are made by ``add_subparsers``, which uses the parent's class, so they
    raise it too.  ``--help`` still exits (with 0), through ``exit``.
    """

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = _Parser(
        prog="notifpolicy",
        description="Check, explain and try out helpdesk workspace notification settings.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.register(sub)
    return parser


def _asks_for_json(argv: Sequence[str]) -> bool:
    """Whether ``--json`` is on a command line argparse refused (so it gave no namespace).

    argparse accepts a unique prefix of an option (``--js``), and every command's only option
    starting with ``--j`` is ``--json``; after ``--`` everything is an argument.
    """
    for arg in argv:
        if arg == "--":
            return False
        if arg.startswith("--j") and _JSON_FLAG.startswith(arg):
            return True
    return False


def _use_utf8(stream: IO[str]) -> None:
    """Write UTF-8 whatever the locale says: the output has arrows, dashes and names in any script.

    Only a text stream that can be reconfigured is (the console's; not a test's StringIO), and
    only when it is not UTF-8 already; its error handler is kept.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    if reconfigure is None or codecs.lookup(encoding).name == "utf-8":
        return
    reconfigure(encoding="utf-8", errors=getattr(stream, "errors", None) or "strict")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    _use_utf8(sys.stdout)
    _use_utf8(sys.stderr)
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except _UsageError as exc:
        # As argparse would say it (the usage, then the message), and with --json the error
        # document too, as for every other failure.
        exc.parser.print_usage(sys.stderr)
        sys.stderr.write(encodable(f"{exc.parser.prog}: error: {exc.message}\n"))
        out = Output(json=_asks_for_json(arguments), stream=sys.stdout, errors=sys.stderr)
        out.document({"error": exc.message, "exit_code": EXIT_USAGE})
        return EXIT_USAGE
    except SystemExit as exc:
        # argparse exits for --help (0): return the code instead, so that callers in-process
        # get an int like every other path.
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
