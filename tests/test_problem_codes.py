"""Every problem code the library emits is in PROBLEM_CODES, and the docs' table is that table.

The codes are found in the sources: the second argument of every ``Problem(...)``,
``ValidationError.single(...)``, ``raise_if(...)``, ``SettingsWarning(...)``, reader
``problem(...)`` call and every ``Invalid("...")`` of the loader, when it is a string literal
(or a conditional between literals); a code computed any other way fails this test, so that it
gets a literal or a registry entry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from notifpolicy import PROBLEM_CODES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "src" / "notifpolicy").rglob("*.py"))
CALLS = {"Problem", "problem", "single", "raise_if", "SettingsWarning"}
# Calls whose code is a parameter passed through (the helpers themselves).
PASS_THROUGH = {
    ("_errors.py", "code"),
    ("_values.py", "code"),
    ("_loader.py", "code"),
    ("_loader.py", "problem.code"),  # Invalid(...) of a check_version problem, checked there
}


def _returned(tree: ast.Module) -> dict[str, list[str]]:
    """The module's functions that return only string literals (``_time_code``), by name."""
    out: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            returns = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
            found = [_literals(r, {}) for r in returns]
            if returns and all(f is not None for f in found):
                out[node.name] = [code for f in found for code in f or ()]
    return out


def _literals(node: ast.expr, functions: dict[str, list[str]]) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return functions.get(node.func.id)
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body, functions), _literals(node.orelse, functions)
        return None if body is None or orelse is None else body + orelse
    return None


def emitted_codes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = _returned(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "Invalid" and node.args:
                code_arg = node.args[0]
            elif name in CALLS and len(node.args) >= 2:
                code_arg = node.args[1]
            else:
                continue
            codes = _literals(code_arg, functions)
            if codes is None and (path.name, ast.unparse(code_arg)) in PASS_THROUGH:
                continue
            if codes is None:
                unknown.append(f"{where}: {ast.unparse(node)[:80]}")
                continue
            for code in codes:
                found.setdefault(code, []).append(where)
    assert not unknown, f"codes that are not literals: {unknown}"
    return found


def test_every_emitted_code_is_registered():
    found = emitted_codes()
    missing = {code: where for code, where in found.items() if code not in PROBLEM_CODES}
    assert not missing


def test_every_registered_code_is_emitted_somewhere():
    # A registry entry nobody emits is a stale row in the docs.
    assert set(PROBLEM_CODES) <= set(emitted_codes())


def test_the_docs_table_is_the_registry():
    page = (ROOT / "docs" / "concepts" / "errors.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", page, re.MULTILINE)
    assert dict(rows) == dict(PROBLEM_CODES)
    assert [code for code, _ in rows] == list(PROBLEM_CODES)


@pytest.mark.parametrize("code", sorted(PROBLEM_CODES))
def test_codes_are_stable_words(code):
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
