"""The in-memory store, the recording transport and the manual clock, under their first address.

They live in :mod:`notifpolicy.adapters.memory` (:class:`InMemoryStore`,
:class:`RecordingTransport`) and :mod:`notifpolicy.adapters.clock` (:class:`ManualClock`), where
shipped code such as the ``simulate`` command takes them from; this module re-exports the same
objects, so ``from notifpolicy.testing.fakes import InMemoryStore`` keeps working.
"""

from __future__ import annotations

from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.memory import InMemoryStore, RecordingTransport

__all__ = ["InMemoryStore", "ManualClock", "RecordingTransport"]
