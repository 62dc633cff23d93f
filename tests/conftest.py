"""Test-suite configuration: Hypothesis profiles and a pinned time zone.

``HYPOTHESIS_PROFILE=quick`` (the default, for ``make test``) keeps a local run to a few minutes;
``.ci/run`` selects ``ci``, which runs many more examples per property.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, settings

# The session's PostgreSQL server, started on first use (see tests/_postgres.py).
from tests._postgres import postgres_conninfo  # noqa: F401 -- a fixture, found by its name

# Tests never depend on the machine's local zone.
os.environ["TZ"] = "UTC"
time.tzset()

settings.register_profile("quick", max_examples=60, deadline=None)
# CI is derandomized: a landing must not depend on luck, and a failure there reproduces
# exactly.  The quick profile stays random, so local runs keep exploring new examples.
settings.register_profile(
    "ci",
    max_examples=600,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
