"""Test-suite configuration: Hypothesis profiles and a pinned time zone.

``HYPOTHESIS_PROFILE=quick`` (the default, for ``make test``) keeps a local run to a few minutes;
``.ci/run`` selects ``ci``, which runs many more examples per property.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, settings

# Tests never depend on the machine's local zone.
os.environ["TZ"] = "UTC"
time.tzset()

settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
