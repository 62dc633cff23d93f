"""The public API, name by name, against the committed list in ``tests/public_api.txt``.

Renaming or removing a public name breaks hosts; adding one is a promise.  Either is a
deliberate act: this test fails until the list is regenerated and the change is in the
CHANGELOG.  Regenerate with::

    .venv/bin/python tests/test_public_api.py > tests/public_api.txt

Each line is ``module: name`` for every name in a public module's ``__all__`` (the modules
below: the package, the ports, the service, the worker loop, the adapters, the testing kit and
the CLI entry point; for the pytest plugin, which has no ``__all__``, the fixtures it
defines).  The test environment installs every extra's dependencies, so the optional adapters
import here.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

LISTED = Path(__file__).with_name("public_api.txt")
MODULES = (
    "notifpolicy",
    "notifpolicy.ports",
    "notifpolicy.service",
    "notifpolicy.worker",
    "notifpolicy.adapters.clock",
    "notifpolicy.adapters.memory",
    "notifpolicy.adapters.postgres",
    "notifpolicy.adapters.slack",
    "notifpolicy.adapters.smtp",
    "notifpolicy.adapters.sqlite",
    "notifpolicy.testing",
    "notifpolicy.testing.fakes",
    "notifpolicy.testing.plugin",
    "notifpolicy.testing.strategies",
    "notifpolicy.testing.workspace",
    "notifpolicy.cli",
)


def current() -> list[str]:
    lines: list[str] = []
    for name in MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            # The pytest plugin: its fixtures are its API, named by what the module defines.
            exported = [
                item
                for item, value in vars(module).items()
                if not item.startswith("_") and getattr(value, "__module__", None) == name
            ]
        lines.extend(f"{name}: {item}" for item in sorted(exported))
    return lines


def test_the_public_api_is_the_committed_list():
    listed = LISTED.read_text(encoding="utf-8").splitlines()
    now = current()
    added = sorted(set(now) - set(listed))
    removed = sorted(set(listed) - set(now))
    assert (added, removed) == ([], []), (
        "the public API changed; if that is meant, regenerate tests/public_api.txt "
        "(see this module's docstring) and say so in the CHANGELOG"
    )


def test_every_listed_name_exists():
    for line in current():
        module, name = line.split(": ")
        assert hasattr(importlib.import_module(module), name), line


if __name__ == "__main__":
    sys.stdout.write("\n".join(current()) + "\n")
