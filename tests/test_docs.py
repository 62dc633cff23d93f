"""Every code example in the documentation runs: the pages under ``docs/`` and ``README.md``.

One test per page (its id is the page's path), so a failure names the page.  What is checked,
block by block, in page order:

- ```` ```python ````: run in one fresh module namespace per page, so a block may use what an
  earlier block on the same page defined.  The working directory is a fresh temporary directory
  (an example may create ``notifications.sqlite3``).  Tracebacks point at the page's own lines.
- ```` ```python ```` preceded by ``<!-- docs-test: file NAME -->``: a file a reader saves as
  ``NAME`` (a test file, or a module a test file imports).  It is written to the page's
  temporary directory instead of being run in the namespace; see ``$ python -m pytest`` below.
  If no console block runs pytest, the page's ``test_*.py`` files are run with
  ``python -m pytest -q`` at the end, and must pass.
- ```` ```console ````: each ``$ notifpolicy ARGS`` (or ``$ python -m notifpolicy ARGS``) line
  runs ``notifpolicy.cli.main(ARGS)`` in this process, with the repository root as the working
  directory; what it writes to stdout and stderr (as a terminal shows both) must equal the lines
  that follow, up to the next ``$`` line or the end of the block, trailing whitespace ignored.
  ``$ python -m pytest ARGS`` runs pytest in a subprocess in the page's temporary directory (on
  the files written above, the plugin loading through its entry point as it does for a reader)
  and compares its output the same way, with the durations (``in 0.12s``) left out.
  ``$ pip …``, ``$ git …``, ``$ cd …`` and ``$ make …`` lines are shown, not run; any other
  command fails the test, so that no unchecked command creeps in.
- ```` ```json ```` and ```` ```toml ````: by default a whole workspace settings document, which
  must load (``WorkspaceSettings.from_json`` / ``from_toml``).  A preceding marker says otherwise:
  ``<!-- docs-test: settings-fragment KEY -->`` loads the block as the value of ``KEY`` in a
  settings document; ``<!-- docs-test: preferences -->`` loads a member preferences document
  (``MemberPreferences.from_dict``); ``<!-- docs-test: equals NAME -->`` compares the block with
  ``NAME`` in the page's namespace at that point (JSON parsed; other blocks with ``str(NAME)``).
- Other blocks (``text``, ``sh``, …) are not run, unless marked ``equals``.

Markers are HTML comments, invisible on GitHub and in the built site.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from notifpolicy import MemberPreferences, WorkspaceSettings
from notifpolicy.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(
    [p for p in DOCS.rglob("*.md") if "samples" not in p.relative_to(DOCS).parts]
    + [ROOT / "README.md"]
)
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<what>[\w-]+)(?:\s+(?P<arg>\S+))?\s*-->")
MARKERS = {"file", "equals", "settings-fragment", "preferences"}
SHOWN_ONLY = ("pip", "git", "cd", "make")
DURATION = re.compile(r" in \d+(\.\d+)?s\b")


@attrs.frozen
class Block:
    """One fenced code block of a page."""

    page: Path
    lang: str
    content: str
    line: int  # 1-based line of the opening fence
    marker: str | None = None
    marker_arg: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path, text: str | None = None) -> list[Block]:
    """The fenced blocks of a Markdown page, with the docs-test marker just before each."""
    source = page.read_text(encoding="utf-8") if text is None else text
    tokens = MarkdownIt("commonmark").parse(source)
    found = []
    previous: Token | None = None
    for token in tokens:
        if token.type == "fence" and token.map is not None:
            lang = token.info.split()[0] if token.info.strip() else ""
            if lang in {"{code-block}", "{code}"}:
                lang = token.info.split()[1]
            after_comment = previous is not None and previous.type == "html_block"
            match = MARKER.search(previous.content) if after_comment and previous else None
            found.append(
                Block(
                    page,
                    lang,
                    token.content,
                    token.map[0] + 1,
                    match["what"] if match else None,
                    match["arg"] if match else None,
                )
            )
        previous = token
    return found


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def console_steps(block: Block) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` for every ``$`` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.content.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:].strip(), []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            pytest.fail(f"{block.where}: a console block must start with a `$ ` line")
    return steps


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_cli(argv: list[str]) -> str:
    """Run the command line in this process; stdout and stderr, as a terminal shows them."""
    out = io.StringIO()
    # argparse exits for --help and for usage errors, after writing what a terminal shows.
    with (
        working_directory(ROOT),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
        contextlib.suppress(SystemExit),
    ):
        cli_main(argv)
    return out.getvalue()


def run_pytest(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    }
    env["COLUMNS"] = "80"  # pytest pads its progress lines to the terminal width
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


class PageRun:
    """Runs one page's blocks in order, in one namespace."""

    def __init__(self, page: Path, tmp: Path) -> None:
        self.page = page
        self.tmp = tmp
        name = "docs_page_" + re.sub(r"\W", "_", str(page.relative_to(ROOT)))
        self.module = types.ModuleType(name)
        self.module.__file__ = str(page)
        self.test_files: list[str] = []
        self.pytest_ran = False
        self.executed = 0

    @property
    def namespace(self) -> dict[str, Any]:
        return self.module.__dict__

    def run(self, found: list[Block]) -> None:
        sys.modules[self.module.__name__] = self.module
        try:
            with working_directory(self.tmp):
                for block in found:
                    self.check(block)
                if self.test_files and not self.pytest_ran:
                    result = run_pytest(["-q", *self.test_files], self.tmp)
                    assert result.returncode == 0, result.stdout + result.stderr
        finally:
            del sys.modules[self.module.__name__]

    def check(self, block: Block) -> None:
        if block.marker is not None and block.marker not in MARKERS:
            pytest.fail(f"{block.where}: unknown docs-test marker {block.marker!r}")
        if block.marker == "file":
            assert block.lang == "python", f"{block.where}: a file is a python block"
            assert block.marker_arg, f"{block.where}: name the file: file NAME"
            (self.tmp / block.marker_arg).write_text(block.content, encoding="utf-8")
            if block.marker_arg.startswith("test_"):
                self.test_files.append(block.marker_arg)
        elif block.marker == "equals":
            assert block.marker_arg in self.namespace, f"{block.where}: no {block.marker_arg}"
            value = self.namespace[block.marker_arg]
            if block.lang == "json":
                assert json.loads(block.content) == value, block.where
            else:
                assert _lines(block.content) == _lines(str(value)), block.where
        elif block.lang == "python":
            code = compile("\n" * block.line + block.content, str(self.page), "exec")
            exec(code, self.namespace)  # noqa: S102 - running the documentation is the point
        elif block.lang == "console":
            for command, expected in console_steps(block):
                self.console(block, command, expected)
        elif block.lang in {"json", "toml"}:
            self.settings_document(block)
        elif block.marker is not None:
            pytest.fail(f"{block.where}: the marker {block.marker!r} does not fit a {block.lang}")
        else:
            return
        self.executed += 1

    def console(self, block: Block, command: str, expected: list[str]) -> None:
        argv = shlex.split(command)
        if argv[0] == "notifpolicy" or argv[:3] == ["python", "-m", "notifpolicy"]:
            rest = argv[1:] if argv[0] == "notifpolicy" else argv[3:]
            got = _lines(run_cli(rest))
            assert got == _lines("\n".join(expected)), f"{block.where}: $ {command}"
        elif argv[:3] == ["python", "-m", "pytest"]:
            result = run_pytest(argv[3:], self.tmp)
            self.pytest_ran = True
            got = [DURATION.sub(" in …", line) for line in _lines(result.stdout)]
            want = [DURATION.sub(" in …", line) for line in _lines("\n".join(expected))]
            assert got == want, f"{block.where}: $ {command}\n{result.stdout}{result.stderr}"
        elif argv[0] not in SHOWN_ONLY:
            pytest.fail(f"{block.where}: `$ {command}` is neither run nor allowed as shown-only")

    def settings_document(self, block: Block) -> None:
        if block.marker == "preferences":
            MemberPreferences.from_dict(json.loads(block.content))
        elif block.marker == "settings-fragment":
            assert block.marker_arg, f"{block.where}: name the key: settings-fragment KEY"
            text = block.content
            value = json.loads(text) if block.lang == "json" else tomllib.loads(text)
            WorkspaceSettings.from_dict({block.marker_arg: value})
        elif block.marker is not None:
            pytest.fail(f"{block.where}: the marker {block.marker!r} does not fit a {block.lang}")
        elif block.lang == "json":
            WorkspaceSettings.from_json(block.content)
        else:
            WorkspaceSettings.from_toml(block.content)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    run = PageRun(page, tmp_path)
    run.run(blocks(page))


# The checker itself: each of these must fail, or the tests above could pass without checking.


def _page(tmp_path: Path, text: str) -> tuple[PageRun, list[Block]]:
    page = ROOT / "docs" / "example.md"
    return PageRun(page, tmp_path), blocks(page, text)


def test_a_failing_python_block_fails(tmp_path: Path) -> None:
    run, found = _page(tmp_path, "```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(AssertionError):
        run.run(found)


def test_wrong_console_output_fails(tmp_path: Path) -> None:
    run, found = _page(tmp_path, "```console\n$ notifpolicy --help\nsomething else\n```\n")
    with pytest.raises(AssertionError, match=r"\$ notifpolicy --help"):
        run.run(found)


def test_console_output_is_compared_line_by_line(tmp_path: Path) -> None:
    expected = run_cli(["--help"])
    assert expected.startswith("usage: notifpolicy")
    run, found = _page(tmp_path, f"```console\n$ notifpolicy --help\n{expected}```\n")
    run.run(found)
    assert run.executed == 1


def test_an_unknown_command_fails(tmp_path: Path) -> None:
    run, found = _page(tmp_path, "```console\n$ rm -rf build\n```\n")
    with pytest.raises(pytest.fail.Exception, match="neither run nor allowed"):
        run.run(found)


def test_invalid_settings_fail(tmp_path: Path) -> None:
    run, found = _page(tmp_path, '```json\n{"timezone": "Mars/Olympus"}\n```\n')
    with pytest.raises(ValueError, match="timezone"):
        run.run(found)


def test_a_failing_pytest_file_fails(tmp_path: Path) -> None:
    text = "<!-- docs-test: file test_x.py -->\n```python\ndef test_x():\n    assert 0\n```\n"
    run, found = _page(tmp_path, text)
    assert [b.marker for b in found] == ["file"]
    with pytest.raises(AssertionError, match="1 failed"):
        run.run(found)


def test_equals_compares_with_the_namespace(tmp_path: Path) -> None:
    text = (
        '```python\nvalue = {"a": 1}\n```\n'
        '<!-- docs-test: equals value -->\n```json\n{"a": 2}\n```\n'
    )
    run, found = _page(tmp_path, text)
    with pytest.raises(AssertionError):
        run.run(found)


def test_an_unknown_marker_fails(tmp_path: Path) -> None:
    run, found = _page(tmp_path, "<!-- docs-test: fiel test_x.py -->\n```python\nx = 1\n```\n")
    with pytest.raises(pytest.fail.Exception, match="unknown docs-test marker 'fiel'"):
        run.run(found)
