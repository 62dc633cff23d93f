"""The example web app: the workspace notification settings page, carried by notifpolicy.

Run it with ``make web`` (or ``PYTHONPATH=examples python -m webapp --data build/webapp
--reset`` from the repository root) and open http://127.0.0.1:8000/.  See README.md beside
this file for what it shows and what it leaves to the host.
"""

from __future__ import annotations

from .app import create_app
from .seed import seed

__all__ = ["create_app", "seed"]
