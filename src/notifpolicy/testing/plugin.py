"""A pytest plugin for testing a host's notification rules (registered as ``notifpolicy``).

Installed with ``notifpolicy[testing]``, it gives every test these fixtures:

- ``notifpolicy_clock``: a :class:`~notifpolicy.adapters.clock.ManualClock` at Monday
  2026-03-02 09:00 UTC;
- ``notifpolicy_outbox``: an :class:`~notifpolicy.adapters.memory.InMemoryStore` (every store port);
- ``notifpolicy_workspace``: a :class:`Workspace`, a whole workspace wired to the two above, with
  recording transports, so a rule is tested in a few lines::

      def test_night_mentions_wait(notifpolicy_workspace):
          ws = notifpolicy_workspace
          ws.configure({"timezone": "Europe/Amsterdam",
                        "quiet_hours": {"enabled": True, "mode": "defer"}})
          anna = ws.add_member("anna", email="anna@example.org")
          ws.at("2026-03-02T23:30:00+01:00")
          ws.handle(MemberMentioned(id="e1", conversation_id="c1", author_id="olga",
                                    mentioned=[anna.id]))
          assert ws.sent_to("anna") == []
          ws.run_until("2026-03-03T08:00:00+01:00")
          assert ws.sent_to("anna", channel=Channel.EMAIL)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from notifpolicy.adapters.clock import ManualClock
    from notifpolicy.adapters.memory import InMemoryStore
    from notifpolicy.testing.workspace import Workspace

# The library is imported inside the fixtures, not here: pytest loads this plugin before
# coverage starts, and a module imported that early looks unexecuted to coverage.


@pytest.fixture
def notifpolicy_clock() -> ManualClock:
    """A manual clock at Monday 2026-03-02 09:00 UTC."""
    from notifpolicy.adapters.clock import ManualClock  # noqa: PLC0415
    from notifpolicy.testing.workspace import START  # noqa: PLC0415

    return ManualClock(START)


@pytest.fixture
def notifpolicy_outbox() -> InMemoryStore:
    """An in-memory store: settings, preferences, audit log, ledger and outbox."""
    from notifpolicy.adapters.memory import InMemoryStore  # noqa: PLC0415

    return InMemoryStore()


@pytest.fixture
def notifpolicy_workspace(
    notifpolicy_outbox: InMemoryStore, notifpolicy_clock: ManualClock
) -> Workspace:
    """A whole workspace under test; see ``notifpolicy.testing.workspace.Workspace``."""
    from notifpolicy.testing.workspace import Workspace  # noqa: PLC0415

    return Workspace(notifpolicy_outbox, notifpolicy_clock)
