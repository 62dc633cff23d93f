"""What users read and copy uses the public names: docs, the README, examples, benchmarks and
the examples inside docstrings import from ``notifpolicy`` (or a public submodule such as
``notifpolicy.adapters.sqlite``), never from a private ``notifpolicy._module``.

A private import in something a user copies ties their code to a module we may move; this test
keeps every such place on the public API.  The library's own modules import privately, as they
must, outside their docstrings' examples.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `notifpolicy._x`, or a private module anywhere under the package (`notifpolicy.cli._time`).
PRIVATE = re.compile(r"\bnotifpolicy(?:\.[a-z]+)*\._[a-z][a-z_]*")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _user_files() -> list[Path]:
    files = [ROOT / "README.md"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    files += sorted(p for p in (ROOT / "examples").rglob("*.py"))
    files += sorted((ROOT / "benchmarks").glob("*.py"))
    return files


@pytest.mark.parametrize("path", _user_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_what_users_copy_names_no_private_module(path):
    text = _read(path)
    if path.parent.name == "docs" and path.name == "changelog.md":
        return  # the changelog quotes old names to say how to move
    found = sorted({m.group(0) for m in PRIVATE.finditer(text)})
    assert found == [], f"{path.relative_to(ROOT)} names private modules: {found}"


def _docstring_examples() -> list[tuple[Path, int, str]]:
    lines = []
    for path in sorted((ROOT / "src" / "notifpolicy").rglob("*.py")):
        for number, line in enumerate(_read(path).splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith((">>>", "...")) and PRIVATE.search(stripped):
                lines.append((path, number, stripped))
    return lines


def test_docstring_examples_import_public_names():
    found = [f"{p.relative_to(ROOT)}:{n}: {line}" for p, n, line in _docstring_examples()]
    assert found == []


def test_the_check_catches_a_private_import():
    """The pattern finds what it is for (so an empty result above means something)."""
    assert PRIVATE.search(">>> from notifpolicy._events import MemberMentioned")
    assert PRIVATE.search("from notifpolicy.cli._time import moment")
    assert not PRIVATE.search("from notifpolicy import MemberMentioned")
    assert not PRIVATE.search("from notifpolicy.adapters.sqlite import SqliteStore")
