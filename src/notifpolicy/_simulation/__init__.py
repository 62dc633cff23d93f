"""The simulation engine: a helpdesk's day played through the real service, on the host's side.

Shared by the ``simulate`` command (which only parses its arguments and prints) and the testing
kit's :class:`~notifpolicy.testing.workspace.Workspace` (which uses the wake loop).  It sits
above the service and the adapters: it may import the core, the ports, the service and the
adapters (the in-memory transport and the manual clock come from ``notifpolicy.adapters``),
never the testing kit or the CLI.

- :mod:`.traffic`: a team and one local day of made-up traffic, drawn from a seed
  (:func:`plan_day`, :class:`DayPlan`);
- :mod:`.host`: the host app's side, conversations and the events they make (``Helpdesk``);
- :mod:`.wake`: the wake loop, ticking a service on a manual clock whenever it asks
  (:func:`run_until`);
- :mod:`.run`: a day played through a ``NotificationService`` and recorded as a timeline
  (:func:`simulate`, :class:`Simulation`);
- :mod:`.summary`: the day's figures (:func:`summary`).
"""

from __future__ import annotations

from notifpolicy._simulation.run import Simulation, simulate
from notifpolicy._simulation.summary import summary
from notifpolicy._simulation.traffic import DayPlan, plan_day
from notifpolicy._simulation.wake import run_until

__all__ = ["DayPlan", "Simulation", "plan_day", "run_until", "simulate", "summary"]
