"""The adversarial suite, part 4: the command line on generated files and arguments.

Law: ``main()`` returns an exit code (0, 1, 2 or 3) and writes UTF-8 it can encode to strict
streams (as a console's): no traceback, whatever the file or the arguments.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from notifpolicy.cli import main

from ._adversarial import adversarial, json_texts, texts, toml_texts

GOOD = '{"timezone": "Europe/Amsterdam", "quiet_hours": {"enabled": true}}'
ARGS = st.one_of(
    texts,
    st.sampled_from(
        [
            "2026-03-02",
            "2026-03-29T02:30",
            "2026-03-02T10:00+14:00",
            "0001-01-01",
            "9999-12-31T23:59",
            "new_conversation",
            "mention",
            "daily_summary",
            "7",
            "-1",
            "9" * 5000,
            "anna:agent",
            "anna:mention=off",
            "x:owner:sms",
            "--json",
            "--",
        ]
    ),
)


def _command(name: str, path: str, good: str, extra: list[str]) -> list[str]:
    if name == "check":
        return ["check", path, *extra]
    if name == "diff":
        return ["diff", good, path, *extra]
    if name == "explain":
        return ["explain", path, "--event", *extra[:1], "--at", *extra[1:2], *extra[2:]]
    if name == "schedule":
        return ["schedule", path, "--from", *extra[:1], "--days", *extra[1:2], *extra[2:]]
    return ["simulate", path, "--day", *extra[:1], "--conversations", "1", "--agents", "1"]


@adversarial(ci_examples=800, quick_examples=20)
@given(
    text=json_texts | toml_texts,
    suffix=st.sampled_from([".json", ".toml", ".txt"]),
    command=st.sampled_from(["check", "diff", "explain", "schedule", "simulate"]),
    extra=st.lists(ARGS, max_size=4),
    as_json=st.booleans(),
)
def test_main_on_generated_files_and_arguments(text, suffix, command, extra, as_json):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"settings{suffix}"
        try:
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
        except UnicodeEncodeError:
            path.write_bytes(text.encode("utf-8", "backslashreplace"))
        good = Path(folder) / "good.json"
        good.write_text(GOOD, encoding="utf-8")
        argv = _command(command, str(path), str(good), extra)
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            code = main([*argv, "--json"] if as_json else argv)
            out.flush()
            err.flush()
        finally:
            sys.stdout, sys.stderr = saved
    assert code in (0, 1, 2, 3)
    written = out.buffer.getvalue() + err.buffer.getvalue()
    assert b"Traceback" not in written
