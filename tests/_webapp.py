"""The example web app for the tests: a seeded workspace, copied per test, and a live server."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from werkzeug.serving import make_server

from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.testing.fakes import ManualClock
from webapp import create_app, seed  # on sys.path through pytest's pythonpath
from webapp.app import Workspace
from webapp.seed import WORKSPACE_ID

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# A Monday morning after the week's weekly report (no DST change in that week).
NOW = dt.datetime(2026, 3, 16, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))

__all__ = [
    "EXAMPLES",
    "NOW",
    "WORKSPACE_ID",
    "copy_seed",
    "make_seed",
    "open_app",
    "running",
    "store_of",
]


def make_seed(folder: Path) -> Path:
    seed(folder, now=NOW)
    return folder


def copy_seed(seeded: Path, folder: Path) -> Path:
    shutil.copytree(seeded, folder)
    return folder


def open_app(folder: Path) -> Flask:
    return create_app(folder, clock=ManualClock(NOW))


def workspace_of(app: Flask) -> Workspace:
    found = app.extensions["notifpolicy"]
    assert isinstance(found, Workspace)
    return found


def store_of(app: Flask) -> SqliteStore:
    return workspace_of(app).store


@contextmanager
def running(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 on a free port, in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
