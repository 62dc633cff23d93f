"""The package version, in one place: hatchling reads it from here when it builds the wheel and
the sdist (``[tool.hatch.version]``), ``notifpolicy.__version__`` re-exports it, and
``notifpolicy --version`` prints it.

A plain constant on purpose: reading it back through ``importlib.metadata`` at import time
would pull in ``socket`` (through ``email``), which the sans-I/O core must not load.
"""

__version__ = "0.1.0.dev0"
