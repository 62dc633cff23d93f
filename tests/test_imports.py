"""Architecture guards: the core stays sans-I/O, and ``__all__`` is the public surface."""

from __future__ import annotations

import json
import subprocess
import sys

import notifpolicy

FORBIDDEN = ("socket", "ssl", "sqlite3", "smtplib", "urllib.request", "http.client", "asyncio")


def test_import_loads_no_io_modules():
    code = (
        "import sys, json, notifpolicy\n"
        f"print(json.dumps(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_import_loads_no_adapters_or_testing():
    code = (
        "import sys, json, notifpolicy\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('notifpolicy.adapters', "
        "'notifpolicy.testing', 'hypothesis', 'pytest')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_all_matches_the_public_names():
    public = {n for n in vars(notifpolicy) if not n.startswith("_")}
    # Submodules become attributes once imported; they are not re-exported names.
    modules = {n for n in public if type(getattr(notifpolicy, n)).__name__ == "module"}
    assert set(notifpolicy.__all__) == public - modules - {"annotations"}
    assert len(notifpolicy.__all__) == len(set(notifpolicy.__all__))


def test_testing_package_imports_without_hypothesis():
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "sys.modules['pytest'] = None\n"
        "import notifpolicy.testing\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_version_is_static():
    assert notifpolicy.__version__ == "0.1.0.dev0"
