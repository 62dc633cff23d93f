"""Tools for testing code that uses notifpolicy: strategies now; fakes and a pytest plugin next.

Importing this package needs neither pytest nor Hypothesis; ``notifpolicy.testing.strategies``
needs Hypothesis (``pip install notifpolicy[testing]``).
"""

from __future__ import annotations

__all__: list[str] = []
