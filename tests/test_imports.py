"""Architecture guards: the core stays sans-I/O, and ``__all__`` is the public surface."""

from __future__ import annotations

import inspect
import json
import pickle
import pkgutil
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


def _all_modules() -> list[str]:
    found = pkgutil.walk_packages(notifpolicy.__path__, prefix="notifpolicy.")
    return sorted(m.name for m in found if m.name != "notifpolicy.__main__")


def test_every_module_imports_on_its_own():
    # A circular import shows only when a module is the first one imported, so each module is
    # imported first in a fresh interpreter; the list is discovered, so a new module is included.
    modules = _all_modules()
    assert {"notifpolicy._decide", "notifpolicy.cli", "notifpolicy.adapters.sqlite"} <= set(modules)
    runs = {
        m: subprocess.Popen([sys.executable, "-c", f"import {m}"], stderr=subprocess.PIPE)
        for m in modules
    }
    failed = {m: run.communicate()[1].decode()[-300:] for m, run in runs.items()}
    assert {m: err for m, err in failed.items() if runs[m].returncode} == {}


def test_strategies_all_is_complete():
    from notifpolicy.testing import strategies  # noqa: PLC0415 -- checked on its own above

    public = {
        n for n in vars(strategies) if not n.startswith("_") and callable(getattr(strategies, n))
    }
    assert set(strategies.__all__) == public


def test_public_exceptions_are_named_after_the_package():
    """A traceback says ``notifpolicy.ValidationError``, not the private module it lives in."""
    exceptions = [
        value
        for value in map(vars(notifpolicy).get, notifpolicy.__all__)
        if inspect.isclass(value) and issubclass(value, BaseException)
    ]
    assert notifpolicy.ValidationError in exceptions
    assert notifpolicy.PermissionDenied in exceptions
    for exception in exceptions:
        assert f"{exception.__module__}.{exception.__qualname__}" == (
            f"notifpolicy.{exception.__name__}"
        )
    error = notifpolicy.ValidationError.single("x", "type", "must be a bool, got int")
    # Pickle finds a class by its module and name: the error survives a round trip.
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 -- our own value
    assert type(copy) is notifpolicy.ValidationError
