"""What every command shares: exit codes, loading a settings file, and text or JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import attrs

from notifpolicy import Problem, ValidationError, WorkspaceSettings
from notifpolicy._errors import ProblemList, quote
from notifpolicy._loader import parse_json, parse_toml

__all__ = [
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "InvalidFileError",
    "Output",
    "add_command",
    "add_json_flag",
    "add_webhook_host_flag",
    "encodable",
    "format_problem",
    "load_settings",
    "problem_dict",
    "read_data_file",
]

#: Everything went as asked.
EXIT_OK = 0
#: The input was read but broke the rules (``check`` found problems, for example).
EXIT_INVALID = 1
#: The command line itself was wrong, or a file could not be read (argparse uses 2 too).
EXIT_USAGE = 2

#: The ``SETTINGS`` argument's help, where a command reads one settings file.
SETTINGS_HELP = "a .toml or .json settings file"

# The formats a settings (or roster) file may have, by its name's suffix, in any case.
_FORMATS = {".toml": "toml", ".json": "json"}


class CommandError(Exception):
    """A command cannot go on; ``main`` prints the message and exits with ``exit_code``.

    ``details`` are extra members of the ``--json`` error document (``{"error": ...,
    "exit_code": ..., **details}``).
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_USAGE,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.details: dict[str, Any] = dict(details or {})


class InvalidFileError(CommandError):
    """A file was read but its content broke the rules: exit 1, with every problem.

    ``source`` names the file; ``problems`` are the library's :class:`~notifpolicy.Problem`
    values (path, code, message).  Under ``--json`` the error document carries them as
    ``{"file": ..., "problems": [{"path", "code", "message"}, ...]}``.
    """

    def __init__(self, source: str, problems: Iterable[Problem], *, omitted: int = 0) -> None:
        # As the library's ValidationError: at most MAX_LISTED problems listed, the rest counted.
        kept = ProblemList(problems)
        self.source = source
        self.problems = tuple(kept)
        self.omitted = omitted + kept.omitted
        count = self.total
        lines = [f"{source} is not valid: {count} problem{'' if count == 1 else 's'}"]
        lines.extend(f"  {format_problem(p)}" for p in self.problems)
        details: dict[str, Any] = {
            "file": source,
            "problems": [problem_dict(p) for p in self.problems],
        }
        if self.omitted:
            lines.append(f"  ... and {self.omitted} more")
            details["omitted"] = self.omitted
        super().__init__("\n".join(lines), exit_code=EXIT_INVALID, details=details)

    @property
    def total(self) -> int:
        """How many problems the file has, listed or not."""
        return len(self.problems) + self.omitted


@attrs.define
class Output:
    """Where a command writes: text for people, or one JSON document with ``--json``."""

    json: bool
    stream: IO[str]
    errors: IO[str]

    def line(self, text: str = "") -> None:
        """One line of human-readable output (not written in ``--json`` mode)."""
        if not self.json:
            print(encodable(text), file=self.stream)

    def document(self, value: Any) -> None:
        """The JSON document (written only in ``--json`` mode)."""
        if self.json:
            text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)
            if encodable(text) is not text:
                # A lone surrogate (a file name the OS gave as bytes, say) cannot be written as
                # UTF-8: JSON's own escapes carry it.
                text = json.dumps(value, indent=2, sort_keys=False)
            self.stream.write(text + "\n")

    def fail(self, error: CommandError) -> None:
        """Report an error that ends the command: on stderr, and as JSON on stdout with --json."""
        print(encodable(f"notifpolicy: error: {error}"), file=self.errors)
        self.document({"error": str(error), "exit_code": error.exit_code, **error.details})


class Command(Protocol):
    """What ``args.run`` is: each command module sets it with ``set_defaults(run=...)``."""

    def __call__(self, args: argparse.Namespace, out: Output) -> int: ...


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command with no arguments of its own."""


def add_command(
    sub: Any,
    name: str,
    summary: str,
    description: str,
    run: Command,
    *,
    settings: str | None = SETTINGS_HELP,
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments,
    shared_flags: bool = True,
) -> argparse.ArgumentParser:
    """Register one command with the ``add_subparsers`` object ``sub``; its parser is returned.

    ``summary`` is the line in ``notifpolicy --help``; ``description`` the command's own help,
    printed as written.  The command reads a ``SETTINGS`` file (``settings`` is that argument's
    help) unless ``settings`` is ``None``; ``arguments`` adds its own arguments; then, unless
    ``shared_flags`` is false (a command whose actions take them), come the flags every command
    takes, ``--webhook-host`` and ``--json``, last in ``--help``; ``run`` runs it.
    """
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if settings is not None:
        parser.add_argument("settings", metavar="SETTINGS", help=settings)
    arguments(parser)
    if shared_flags:
        add_webhook_host_flag(parser)
        add_json_flag(parser)
    parser.set_defaults(run=run)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Every command takes ``--json``."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )


def add_webhook_host_flag(parser: argparse.ArgumentParser) -> None:
    """``--webhook-host HOST``: a host the app allows for Slack webhooks besides Slack's own."""
    parser.add_argument(
        "--webhook-host",
        metavar="HOST",
        action="append",
        default=[],
        help="also accept Slack webhook URLs on this exact host name (repeatable), as a host "
        "app that widens the allowed hosts does",
    )


def encodable(text: str) -> str:
    """``text`` as it can be written as UTF-8: lone surrogates (from a file name or an argument
    the OS gave as undecodable bytes) become backslash escapes; usually ``text`` itself."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def format_problem(problem: Problem) -> str:
    """``path [code]: message``; a problem with the whole file has the path ``(file)``."""
    return f"{problem.path or '(file)'} [{problem.code}]: {problem.message}"


def problem_dict(problem: Problem) -> dict[str, str]:
    """A problem (or a settings warning) as JSON: ``{"path", "code", "message"}``."""
    return {"path": problem.path, "code": problem.code, "message": problem.message}


def _format_of(path: str, option: str) -> str:
    kind = _FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise CommandError(
            f"{option} {quote(path)}: cannot tell the file's format from its name; "
            "expected a name ending in .toml or .json"
        )
    return kind


def _read_text(path: str, option: str) -> str:
    try:
        # utf-8-sig: a byte order mark at the start (some Windows editors write one) is skipped,
        # not handed to the parser as text.
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(
            f"{option} {quote(path)}: cannot read the file: not UTF-8 text"
        ) from None
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise CommandError(f"{option} {quote(path)}: cannot read the file: {why}") from None


def load_settings(
    path: str, *, option: str = "SETTINGS", extra_webhook_hosts: Iterable[str] = ()
) -> WorkspaceSettings:
    """Read and validate a workspace settings file, TOML or JSON by its suffix.

    An unreadable file, or a name that ends in neither ``.toml`` nor ``.json``, is a
    :class:`CommandError` (exit 2) naming ``option`` and the path.  Content that does not parse
    or breaks the rules is an :class:`InvalidFileError` (exit 1) listing every problem; like the
    library's loader, it never echoes a value under ``slack`` (the webhook URL is a secret).
    """
    kind = _format_of(path, option)
    text = _read_text(path, option)
    try:
        if kind == "toml":
            return WorkspaceSettings.from_toml(text, extra_webhook_hosts=extra_webhook_hosts)
        return WorkspaceSettings.from_json(text, extra_webhook_hosts=extra_webhook_hosts)
    except ValidationError as exc:
        raise InvalidFileError(path, exc.problems, omitted=exc.omitted) from None


def read_data_file(path: str, *, option: str) -> dict[str, Any]:
    """A TOML or JSON file (by suffix) whose top level is a table, as plain data.

    Errors as :func:`load_settings`: unreadable or unknown suffix -> :class:`CommandError`
    (exit 2); not parsable, a key given twice (JSON), or not a table at the top ->
    :class:`InvalidFileError` (exit 1).
    """
    kind = _format_of(path, option)
    text = _read_text(path, option)
    # The library's own readers: the same duplicate-key, huge-number and nesting rules as for
    # settings text.
    try:
        data = parse_toml(text) if kind == "toml" else parse_json(text)
    except ValidationError as exc:
        raise InvalidFileError(path, exc.problems, omitted=exc.omitted) from None
    if not isinstance(data, dict):
        raise InvalidFileError(
            path, [Problem("", "type", f"must be a JSON object, got {type(data).__name__}")]
        )
    return data
