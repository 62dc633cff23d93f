"""Seed a workspace (when there is none, or with ``--reset``) and serve the web app.

``PYTHONPATH=examples python -m webapp --data build/webapp --reset`` from the repository root;
``make web`` runs exactly that.  ``--seed-only`` seeds and exits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path

from . import create_app, seed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("build/webapp"), help="the data folder")
    parser.add_argument("--reset", action="store_true", help="start from a fresh seed")
    parser.add_argument("--seed-only", action="store_true", help="seed, then exit")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    data: Path = args.data
    if args.reset and data.exists():
        shutil.rmtree(data)
    if not (data / "helpdesk.json").exists():
        helpdesk = seed(data, now=dt.datetime.now(dt.UTC))
        print(
            f"Seeded {data}: {len(helpdesk.people())} members, "
            f"{len(helpdesk.events)} events over the last week"
        )
    if args.seed_only:
        return 0
    app = create_app(data)
    print(f"Serving on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
