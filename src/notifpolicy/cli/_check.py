"""The ``check``command (placeholder until it is written)."""

from __future__ import annotations

import argparse
from typing import Any

from notifpolicy.cli._common import CommandError, Output, add_json_flag


def register(sub: Any) -> None:
    """Add ``check`` to the command parser."""
    parser: argparse.ArgumentParser = sub.add_parser("check", help="(not written yet)")
    add_json_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: Output) -> int:
    raise CommandError("check is not written yet")
