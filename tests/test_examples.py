"""Every example under examples/ runs, and says what it claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_demo_runs_and_shows_the_save_flow():
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, check=True
    ).stdout
    assert "set by your workspace" in out
    assert "version 1 -> 2" in out
    assert "refused: only owners and admins" in out
    assert "hooks.slack.com" not in out
    # The night on SQLite: held until 08:00, escalations through quiet hours, digests once.
    assert "escalation escalation_unassigned for c102" in out
    assert out.count("digest ws-demo:daily_summary:2026-03-29") == 1
    assert "Sun 08:00  in_app -> anna   Mention" in out
    assert "Invoice &lt;42&gt;" in out
    assert out.rstrip().endswith("all sent")
