"""The adapters import what ``notifpolicy/adapters/__init__.py`` says they do, and nothing else
of the library: the ports, the public core, the adapters' own shared modules, and the few
internal helpers of the core listed there (read from the source, so a new import is caught)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import notifpolicy.adapters

ADAPTERS = Path(notifpolicy.adapters.__file__).parent

# Whole modules an adapter may import from.
ALLOWED_MODULES = frozenset(
    {
        "notifpolicy",
        "notifpolicy.ports",
        "notifpolicy.adapters._rows",
        "notifpolicy.adapters._deadline",
    }
)
# The core's internal helpers the adapters share, name by name (the package docstring's list).
ALLOWED_NAMES = frozenset(
    {
        ("notifpolicy._timeutil", "require_aware"),
        ("notifpolicy._webhook", "allowed_hosts"),
        ("notifpolicy._webhook", "webhook_url_problem"),
        ("notifpolicy._errors", "quote"),
        ("notifpolicy.adapters", "_rows"),
        ("notifpolicy.adapters", "_deadline"),
    }
)


def refused_imports(source: str) -> list[str]:
    """The library imports in ``source`` that the adapters' rule does not allow."""
    refused = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            refused += [
                a.name
                for a in node.names
                if a.name.split(".")[0] == "notifpolicy" and a.name not in ALLOWED_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "notifpolicy" or node.module in ALLOWED_MODULES:
                continue
            refused += [
                f"{node.module}.{a.name}"
                for a in node.names
                if (node.module, a.name) not in ALLOWED_NAMES
            ]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            refused.append(f"relative import from {'.' * node.level}{node.module or ''}")
    return refused


@pytest.mark.parametrize("path", sorted(ADAPTERS.glob("*.py")), ids=lambda p: p.name)
def test_each_adapter_imports_only_what_the_package_docstring_allows(path):
    assert refused_imports(path.read_text(encoding="utf-8")) == []


def test_the_docstring_names_every_allowed_helper():
    doc = notifpolicy.adapters.__doc__ or ""
    for module, name in ALLOWED_NAMES:
        assert name in doc, (module, name)


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        ("from notifpolicy._outbox import OutboxItem", ["notifpolicy._outbox.OutboxItem"]),
        (
            "from notifpolicy.service import NotificationService",
            ["notifpolicy.service.NotificationService"],
        ),
        ("import notifpolicy.testing.fakes", ["notifpolicy.testing.fakes"]),
        (
            "from notifpolicy._webhook import MAX_WEBHOOK_URL_LENGTH, allowed_hosts",
            ["notifpolicy._webhook.MAX_WEBHOOK_URL_LENGTH"],
        ),
        ("from .._saving import AuditEntry", ["relative import from .._saving"]),
        (
            "def f():\n    from notifpolicy._errors import Problem\n",
            ["notifpolicy._errors.Problem"],
        ),
        (
            "from notifpolicy import OutboxItem\nfrom notifpolicy.ports import Store\n"
            "import sqlite3",
            [],
        ),
    ],
)
def test_the_check_refuses_private_service_and_testing_imports(source, refused):
    assert refused_imports(source) == refused
