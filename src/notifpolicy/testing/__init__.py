"""Tools for testing code that uses notifpolicy: fakes, Hypothesis strategies and a pytest plugin.

``notifpolicy.testing.fakes`` (re-exports the in-memory store, recording transport and manual
clock of ``notifpolicy.adapters``), ``notifpolicy.testing.strategies`` (Hypothesis strategies),
``notifpolicy.testing.workspace`` and the pytest plugin ``notifpolicy.testing.plugin`` (registered
through the ``pytest11`` entry point).  Importing this package needs neither pytest nor
Hypothesis; the strategies and the plugin do (``pip install notifpolicy[testing]``).
"""

from __future__ import annotations

__all__: list[str] = []
