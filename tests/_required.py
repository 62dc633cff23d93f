"""Skipping a suite whose real server or browser is missing, unless the run requires it.

Locally, ``make test`` skips the PostgreSQL and browser suites with the reason when the machine
lacks Debian's ``postgresql`` or ``chromium``.  CI installs them and sets
``NOTIFPOLICY_REQUIRE_PG=1`` / ``NOTIFPOLICY_REQUIRE_BROWSER=1``: there a missing part fails the
run instead of passing it quietly with the suite skipped.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

BROWSER = "NOTIFPOLICY_REQUIRE_BROWSER"


def skip_unless_required(reason: str, variable: str, *, module: bool = False) -> NoReturn:
    """Skip with ``reason``; fail instead when ``variable`` is ``1``."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason}, and this run requires it ({variable}=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)
