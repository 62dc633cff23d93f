"""What every command shares: exit codes, loading a settings file, and text or JSON output."""

from __future__ import annotations

import argparse
import json
from typing import IO, Any, Protocol

import attrs

__all__ = [
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "Output",
]

#: Everything went as asked.
EXIT_OK = 0
#: The input was read but broke the rules (``check`` found problems, for example).
EXIT_INVALID = 1
#: The command line itself was wrong, or a file could not be read (argparse uses 2 too).
EXIT_USAGE = 2


class CommandError(Exception):
    """A command cannot go on; ``main`` prints the message and exits with ``exit_code``."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@attrs.define
class Output:
    """Where a command writes: text for people, or one JSON document with ``--json``."""

    json: bool
    stream: IO[str]
    errors: IO[str]

    def line(self, text: str = "") -> None:
        """One line of human-readable output (not written in ``--json`` mode)."""
        if not self.json:
            print(text, file=self.stream)

    def document(self, value: Any) -> None:
        """The JSON document (written only in ``--json`` mode)."""
        if self.json:
            json.dump(value, self.stream, indent=2, sort_keys=False, ensure_ascii=False)
            self.stream.write("\n")

    def fail(self, error: CommandError) -> None:
        """Report an error that ends the command: on stderr, and as JSON on stdout with --json."""
        print(f"notifpolicy: error: {error}", file=self.errors)
        self.document({"error": str(error), "exit_code": error.exit_code})


class Command(Protocol):
    """What ``args.run`` is: each command module sets it with ``set_defaults(run=...)``."""

    def __call__(self, args: argparse.Namespace, out: Output) -> int: ...


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Every command takes ``--json``."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )
