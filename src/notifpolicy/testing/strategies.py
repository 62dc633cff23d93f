"""Hypothesis strategies for notifpolicy values (needs ``notifpolicy[testing]``).

Each strategy's docstring says what it shrinks toward; in short, toward the library's defaults:
the default settings, no overrides, a small roster of active agents, an event with no subject.
"""

from __future__ import annotations

from notifpolicy.testing._decision_strategies import (
    decision_settings,
    events,
    instants,
    member_ids,
    preferences_for,
    rosters,
    user_texts,
)
from notifpolicy.testing._settings_strategies import (
    business_hours,
    member_preferences,
    quiet_hours,
    wall_times,
    webhook_urls,
    workspace_settings,
)

__all__ = [
    "business_hours",
    "decision_settings",
    "events",
    "instants",
    "member_ids",
    "member_preferences",
    "preferences_for",
    "quiet_hours",
    "rosters",
    "user_texts",
    "wall_times",
    "webhook_urls",
    "workspace_settings",
]
