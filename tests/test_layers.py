"""The layers of ``src/notifpolicy``, checked from the source, and the module map that names them.

Every module is parsed with :mod:`ast` (never imported, so an import that only runs inside a
function or under ``if TYPE_CHECKING`` counts as much as one at the top), placed in a layer by its
path, and each ``notifpolicy`` module it imports is checked against the table below.  A module no
layer claims fails, so a new module has to be placed (here and in the map) before it can land.

The layers (``docs/concepts/modules.md`` draws the same table for readers):

- core: ``notifpolicy/__init__.py`` and the private ``notifpolicy/_*.py`` modules; imports no
  other layer.
- ports: ``notifpolicy/ports.py``; imports the core.
- service: ``notifpolicy/service.py``; the core and the ports.
- adapters: ``notifpolicy/adapters/``; the core and the ports, never the service.
- runners: the loops a host runs around the service, with real or manual adapters:
  ``notifpolicy/worker.py`` (the long-running worker, on the system clock by default) and
  ``notifpolicy/_simulation/`` (the engine the CLI and the testing kit share); the core, ports,
  service and adapters.
- cli: ``notifpolicy/cli/`` and ``notifpolicy/__main__.py`` (``python -m notifpolicy`` is the
  command line); anything but the testing kit.
- testing: ``notifpolicy/testing/``; anything but the CLI.  Nothing outside it imports it: only
  tests (and the kit itself) do.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import notifpolicy

PACKAGE = Path(notifpolicy.__file__).resolve().parent
DOCS_MAP = Path(__file__).resolve().parent.parent / "docs" / "concepts" / "modules.md"

LAYERS = ("core", "ports", "service", "adapters", "runners", "cli", "testing")

# Which layers each layer may import (its own always included).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "ports": frozenset({"core", "ports"}),
    "service": frozenset({"core", "ports", "service"}),
    "adapters": frozenset({"core", "ports", "adapters"}),
    "runners": frozenset({"core", "ports", "service", "adapters", "runners"}),
    "cli": frozenset({"core", "ports", "service", "adapters", "runners", "cli"}),
    "testing": frozenset({"core", "ports", "service", "adapters", "runners", "testing"}),
}

# Imports let through by name while a move is under way (none today).  Each entry is
# (importer, imported); test_every_allowance_is_still_needed fails once one is no longer used.
ALLOWANCES: frozenset[tuple[str, str]] = frozenset()


def layer_of(module: str) -> str | None:
    """The layer of a ``notifpolicy`` module by its dotted name, ``None`` when none claims it."""
    parts = module.split(".")
    if parts[0] != "notifpolicy":
        return None
    if len(parts) == 1:
        return "core"  # notifpolicy/__init__.py, the public surface of the core
    top, nested = parts[1], len(parts) > 2
    if top == "_simulation":  # before the private-module rule: a package, not a core module
        return "runners"
    if top in ("adapters", "cli", "testing"):
        return top
    if nested:
        return None  # a package nobody placed yet
    if top == "__main__":
        return "cli"
    if top.startswith("_"):
        return "core"
    return {"ports": "ports", "service": "service", "worker": "runners"}.get(top)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``adapters/sqlite.py`` -> ``notifpolicy.adapters.sqlite``; a package's ``__init__.py``
    is the package."""
    parts = ["notifpolicy", *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_files(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@attrs.frozen
class Import:
    importer: str
    imported: str
    line: int


def imports_of(
    source: str, importer: str, *, is_package: bool, known: frozenset[str]
) -> Iterator[Import]:
    """Every ``notifpolicy`` module ``source`` imports, wherever the import statement stands.

    ``from notifpolicy.x import y`` imports ``notifpolicy.x.y`` when that is a module (in
    ``known``), else ``notifpolicy.x``; relative imports are resolved against ``importer``;
    ``importlib.import_module("notifpolicy...")`` with a literal name counts too.
    """
    package = importer if is_package else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                yield Import(importer, child if child in known else base, node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(importer, node.args[0].value, node.lineno)


def violations(
    sources: dict[str, tuple[str, bool]], *, allowances: frozenset[tuple[str, str]] = frozenset()
) -> list[str]:
    """Every broken rule in ``sources`` (module name -> (source, is it a package)), as lines a
    reader can act on; ``allowances`` are (importer, imported) pairs let through by name."""
    known = frozenset(sources)
    found: list[str] = []
    for importer, (source, is_package) in sorted(sources.items()):
        layer = layer_of(importer)
        if layer is None:
            found.append(f"{importer}: in no layer; place it in tests/test_layers.py::layer_of")
            continue
        for imp in imports_of(source, importer, is_package=is_package, known=known):
            target = layer_of(imp.imported)
            if target is None or (imp.importer, imp.imported) in allowances:
                continue  # not ours (the standard library, attrs), or let through by name
            if target not in ALLOWED[layer]:
                found.append(
                    f"{importer} (line {imp.line}, {layer}) imports {imp.imported} ({target})"
                )
    return list(dict.fromkeys(found))  # `from x import a, b` is one import, reported once


def package_sources(root: Path = PACKAGE) -> dict[str, tuple[str, bool]]:
    return {
        module_name(p, root): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
        for p in module_files(root)
    }


# -- the layers --------------------------------------------------------------------------------


def test_every_module_is_in_a_layer_and_imports_only_what_its_layer_may():
    assert violations(package_sources(), allowances=ALLOWANCES) == []


def test_every_allowance_is_still_needed():
    sources = package_sources()
    known = frozenset(sources)
    real = {
        (imp.importer, imp.imported)
        for name, (source, is_package) in sources.items()
        for imp in imports_of(source, name, is_package=is_package, known=known)
    }
    stale = ALLOWANCES - real
    assert not stale, f"fixed: delete the allowance for {sorted(stale)}"


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("notifpolicy", "core"),
        ("notifpolicy._digest_report", "core"),
        ("notifpolicy.__main__", "cli"),
        ("notifpolicy.ports", "ports"),
        ("notifpolicy.service", "service"),
        ("notifpolicy.worker", "runners"),
        ("notifpolicy.adapters", "adapters"),
        ("notifpolicy.adapters.memory", "adapters"),
        ("notifpolicy._simulation", "runners"),
        ("notifpolicy._simulation.engine", "runners"),
        ("notifpolicy.cli._sim_run", "cli"),
        ("notifpolicy.testing.fakes", "testing"),
        ("notifpolicy.helpers", None),  # a public top-level module nobody placed
        ("notifpolicy._extras.tool", None),  # a new private package nobody placed
        ("attrs", None),
    ],
)
def test_layer_of(module, layer):
    assert layer_of(module) == layer


def fake(**modules: str) -> dict[str, tuple[str, bool]]:
    """A made-up tree: ``notifpolicy__ports="..."`` is ``notifpolicy.ports``."""
    return {name.replace("__", "."): (source, False) for name, source in modules.items()}


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        # The core reaches a port, in a function: found all the same.
        (
            fake(
                notifpolicy___core="def f():\n    from notifpolicy.ports import Store\n",
                notifpolicy__ports="",
            ),
            ["notifpolicy._core (line 2, core) imports notifpolicy.ports (ports)"],
        ),
        # An adapter imports the service, only for type checking: still a violation.
        (
            fake(
                notifpolicy__adapters__x=(
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n"
                    "    import notifpolicy.service\n"
                ),
                notifpolicy__service="",
            ),
            ["notifpolicy.adapters.x (line 3, adapters) imports notifpolicy.service (service)"],
        ),
        # The CLI takes a fake from the testing kit, by a relative import (two names, one line).
        (
            fake(
                notifpolicy__cli__run="from ..testing import fakes, fakes as again\n",
                notifpolicy__testing__fakes="",
            ),
            ["notifpolicy.cli.run (line 1, cli) imports notifpolicy.testing.fakes (testing)"],
        ),
        # The service imports an adapter by name, with importlib.
        (
            fake(
                notifpolicy__service=(
                    "import importlib\nimportlib.import_module('notifpolicy.adapters.sqlite')\n"
                ),
            ),
            [
                "notifpolicy.service (line 2, service) imports "
                "notifpolicy.adapters.sqlite (adapters)"
            ],
        ),
        # The ports import the service through the package: `from notifpolicy import service`.
        (
            fake(notifpolicy__ports="from notifpolicy import service\n", notifpolicy__service=""),
            ["notifpolicy.ports (line 1, ports) imports notifpolicy.service (service)"],
        ),
        # A module no layer claims.
        (
            fake(notifpolicy__helpers="import attrs\n"),
            ["notifpolicy.helpers: in no layer; place it in tests/test_layers.py::layer_of"],
        ),
        # What is allowed passes: the CLI on everything but testing, the core on itself.
        (
            fake(
                notifpolicy__cli__x=(
                    "from notifpolicy import decide\nimport notifpolicy.service\n"
                    "from notifpolicy.adapters.sqlite import SqliteStore\n"
                    "from notifpolicy._simulation import engine\n"
                ),
                notifpolicy___decide="from notifpolicy._kinds import Kind\nimport attrs\n",
            ),
            [],
        ),
    ],
)
def test_the_check_reports_a_forbidden_import(modules, expected):
    assert violations(modules) == expected


def test_an_allowance_lets_through_only_the_pair_it_names():
    modules = fake(
        notifpolicy__cli__run=(
            "from notifpolicy.testing.fakes import ManualClock\nimport notifpolicy.testing\n"
        ),
        notifpolicy__testing__fakes="",
        notifpolicy__testing="",
    )
    allowance = frozenset({("notifpolicy.cli.run", "notifpolicy.testing.fakes")})
    assert violations(modules, allowances=allowance) == [
        "notifpolicy.cli.run (line 2, cli) imports notifpolicy.testing (testing)"
    ]


def test_the_real_tree_breaks_a_rule_when_a_forbidden_import_is_added():
    sources = package_sources()
    source, is_package = sources["notifpolicy._keys"]
    sources["notifpolicy._keys"] = (
        source + "\n\ndef _late():\n    from notifpolicy.adapters.sqlite import SqliteStore\n",
        is_package,
    )
    found = violations(sources, allowances=ALLOWANCES)
    assert len(found) == 1
    assert found[0].startswith("notifpolicy._keys (line ")
    assert found[0].endswith(", core) imports notifpolicy.adapters.sqlite (adapters)")


# -- the module map ----------------------------------------------------------------------------

_DOC_HEADING = re.compile(r"^ {4}(\w+):")  # a layer, in the package docstring's map
_DOC_ENTRY = re.compile(r"^ {6}(\S+\.py)\s")  # a module under it
_MD_HEADING = re.compile(r"^## (\w+)")  # a layer, in docs/concepts/modules.md
_MD_ENTRY = re.compile(r"^\| `([^`]+\.py)` \|")  # a module, one table row


def read_map(text: str, heading: re.Pattern[str], entry: re.Pattern[str]) -> dict[str, str]:
    """Module path (relative to the package) -> the layer it is listed under."""
    listed: dict[str, str] = {}
    layer = None
    for line in text.splitlines():
        if m := heading.match(line):
            layer = m.group(1).lower()
        elif (m := entry.match(line)) and layer is not None:
            assert m.group(1) not in listed, f"{m.group(1)} is listed twice"
            listed[m.group(1)] = layer
    return listed


def expected_map(root: Path = PACKAGE) -> dict[str, str]:
    found: dict[str, str] = {}
    for p in module_files(root):
        layer = layer_of(module_name(p, root))
        assert layer is not None, f"{p} is in no layer"
        found[p.relative_to(root).as_posix()] = layer
    return found


def map_problems(listed: dict[str, str], expected: dict[str, str]) -> list[str]:
    problems = [f"{path}: not in the map" for path in sorted(expected.keys() - listed.keys())]
    problems += [f"{path}: no such module" for path in sorted(listed.keys() - expected.keys())]
    problems += [
        f"{path}: listed under {listed[path]}, is in {expected[path]}"
        for path in sorted(listed.keys() & expected.keys())
        if listed[path] != expected[path]
    ]
    return problems


@pytest.mark.parametrize("where", ["docstring", "docs"])
def test_the_module_map_names_every_module_under_its_layer(where):
    if where == "docstring":
        listed = read_map(notifpolicy.__doc__ or "", _DOC_HEADING, _DOC_ENTRY)
    else:
        listed = read_map(DOCS_MAP.read_text(encoding="utf-8"), _MD_HEADING, _MD_ENTRY)
    assert map_problems(listed, expected_map()) == []


def test_both_maps_group_by_the_layers_in_this_test():
    docstring = read_map(notifpolicy.__doc__ or "", _DOC_HEADING, _DOC_ENTRY)
    docs = read_map(DOCS_MAP.read_text(encoding="utf-8"), _MD_HEADING, _MD_ENTRY)
    assert set(docstring.values()) <= set(LAYERS)
    assert set(docs.values()) <= set(LAYERS)


def test_the_map_check_reports_missing_extra_and_misplaced_modules():
    text = (
        "## Core\n\n| module | holds |\n| --- | --- |\n"
        "| `_keys.py` | keys |\n| `_gone.py` | removed since |\n"
        "## Ports\n\n| `service.py` | in the wrong group |\n"
    )
    listed = read_map(text, _MD_HEADING, _MD_ENTRY)
    expected = {"_keys.py": "core", "ports.py": "ports", "service.py": "service"}
    assert map_problems(listed, expected) == [
        "ports.py: not in the map",
        "_gone.py: no such module",
        "service.py: listed under ports, is in service",
    ]
    docstring = "Map::\n\n    core: pure\n      _keys.py     keys\n    ports: the ports\n"
    assert read_map(docstring, _DOC_HEADING, _DOC_ENTRY) == {"_keys.py": "core"}
