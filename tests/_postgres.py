"""A real PostgreSQL server for the tests that need one.

``NOTIFPOLICY_TEST_PG`` (a libpq conninfo) names a server to use.  Without it, the first test
that asks starts a throwaway server with ``scripts/pg-server.sh`` (Debian's server binaries,
run as the ``postgres`` user when the suite runs as root) and stops it when the session ends,
failed or not.  Where neither works the tests are skipped with the reason, unless
``NOTIFPOLICY_REQUIRE_PG=1`` (CI) turns that into a failure.

Every test gets its own schema (``PostgresStore(..., schema=...)``), dropped afterwards, so
tests never see each other's rows and the migrations run from scratch each time.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pg-server.sh"
_SCHEMAS = itertools.count()


def _unavailable(reason: str) -> None:
    if os.environ.get("NOTIFPOLICY_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL is required here (NOTIFPOLICY_REQUIRE_PG=1): {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def _parse(output: str) -> dict[str, str]:
    values = {}
    for line in output.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name] = shlex.split(value)[0]
    return values


def _stop(directory: str) -> None:
    subprocess.run([SCRIPT, "stop", directory], check=False, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_conninfo() -> Iterator[str]:
    """The conninfo of a running server with an empty database for the tests."""
    given = os.environ.get("NOTIFPOLICY_TEST_PG")
    if given:
        yield given
        return
    try:
        started = subprocess.run(
            [SCRIPT, "start"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"scripts/pg-server.sh could not run: {exc}")
    if started.returncode == 3:
        _unavailable(
            "no server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql), "
            "and NOTIFPOLICY_TEST_PG is not set"
        )
    values = _parse(started.stdout)
    if started.returncode != 0 or "NOTIFPOLICY_TEST_PG" not in values:
        _unavailable(f"scripts/pg-server.sh start failed: {started.stderr.strip()[-2000:]}")
    directory = values["NOTIFPOLICY_TEST_PG_DIR"]
    # The fixture's teardown stops it; atexit is for a session that never reaches teardown.
    atexit.register(_stop, directory)
    try:
        yield values["NOTIFPOLICY_TEST_PG"]
    finally:
        _stop(directory)
        atexit.unregister(_stop)


def fresh_schema() -> str:
    """A schema name no other test of this run uses (pytest-xdist workers included)."""
    return f"t{os.getpid()}_{next(_SCHEMAS)}"


def drop_schema(conninfo: str, schema: str) -> None:
    import psycopg  # noqa: PLC0415 -- only where a server is

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
