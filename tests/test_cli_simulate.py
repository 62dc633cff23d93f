"""``notifpolicy simulate``: one simulated day through the real service, on SQLite."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any, cast

import pytest

from notifpolicy import Problem, ValidationError, WorkspaceSettings
from notifpolicy._simulation.run import ProblemEntry, Simulation, _Run
from notifpolicy._simulation.traffic import plan_day
from notifpolicy.cli import _sim_progress, _sim_report, main
from notifpolicy.cli._common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from notifpolicy.cli._sim_progress import ProgressBar
from notifpolicy.service import TickReport
from notifpolicy.testing.fakes import ManualClock, RecordingTransport

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "workspace.toml")
DATES = "a date as YYYY-MM-DD from 1900-01-01 to 9998-12-31"
AMSTERDAM_DEFER = """
timezone = "Europe/Amsterdam"
[slack]
webhook_url = "https://hooks.slack.com/services/T0/B0/x"
[quiet_hours]
enabled = true
start = "22:00"
end = "08:00"
mode = "defer"
[digests.daily]
enabled = true
send_time = "07:00"
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, *args, "--json")
    assert code == EXIT_OK, err
    assert err == ""
    doc: dict[str, Any] = json.loads(out)
    return doc


def at(entry: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["at"])


def of_type(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in doc["timeline"] if e["type"] == kind]


@pytest.fixture
def defer_settings(tmp_path: Path) -> str:
    path = tmp_path / "defer.toml"
    path.write_text(AMSTERDAM_DEFER, encoding="utf-8")
    return str(path)


# -- the text report ----------------------------------------------------------------------------


def test_text_report_shows_holds_escalations_catchups_digests_and_summary(capsys):
    code, out, err = run(capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "12")
    assert code == EXIT_OK
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "Simulated Monday 2026-03-30 in Europe/Amsterdam with seed 1."
    assert "Monday 2026-03-30, UTC+02:00" in lines
    verbs = Counter(
        line[11:23].strip() for line in lines if line.startswith("  ") and line[2:4].isdigit()
    )
    for verb in ("created", "summarized", "catch-up", "escalation", "digest", "sent"):
        assert verbs[verb] > 0, verb
    assert "  08:30    digest      daily_summary:2026-03-30 to 6 members" in lines
    assert "  09:00    digest      weekly_report:2026-W14 to 6 members" in lines
    assert any(line.startswith("  08:00    catch-up    Olga: ") for line in lines), (
        "the catch-up is sent when quiet hours end, and names the member"
    )
    summary = lines[lines.index("Summary") :]
    assert summary[1].startswith("  traffic      12 conversations created")
    assert any(
        line.startswith("  digests      2: daily_summary:2026-03-30 to 6") for line in summary
    )
    # No wall time, no temporary path: nothing that changes between runs.
    assert "sqlite3" not in out
    assert tempfile.gettempdir() not in out


def test_the_demo_starts_with_a_key_and_shows_an_override_at_work(capsys):
    # `make demo`: the example workspace with the default sizes and seed.
    code, out, _ = run(capsys, EXAMPLE, "--day", "2026-03-30")
    assert code == EXIT_OK
    lines = out.splitlines()
    key = lines.index(_sim_report.KEY[0])
    assert lines[key : key + len(_sim_report.KEY)] == list(_sim_report.KEY)
    assert key < lines.index("Monday 2026-03-30, UTC+02:00"), "the key comes before the timeline"
    for verb in ("created", "sent", "deferred", "summarized", "suppressed", "catch-up", "digest"):
        assert verb in " ".join(_sim_report.KEY)
    assert "  anna overrides unassigned_conversation off everywhere." in lines
    overridden = [x for x in lines if "[disabled_by_member (unassigned_conversation)]" in x]
    # Suppressed where it was the event's only kind; where the event was also a new
    # conversation, sent for that kind, with the reason the other did not count.
    assert any(" suppressed  " in x for x in overridden)
    assert all(" suppressed  " in x or " sent  " in x for x in overridden)
    # Catch-up lines name members and count in words; the detail line keeps the ids.
    catchups = [x for x in lines if x[11:23].strip() == "catch-up"]
    assert catchups
    assert catchups[0].startswith("  08:00    catch-up    Olga: 4 new conversations, ")
    assert not any("_conversation" in x for x in catchups)


@pytest.mark.parametrize("seed", range(12))
def test_every_plan_has_at_least_one_override(seed):
    settings = WorkspaceSettings.from_toml(Path(EXAMPLE).read_text(encoding="utf-8"))
    plan = plan_day(settings, dt.date(2026, 3, 30), seed=seed, agents=2, conversations=0)
    assert plan.overrides
    agents = [m.id for m in plan.members if m.role.value == "agent"]
    assert {member_id for member_id, _ in plan.overrides} <= set(agents)


def test_member_overrides_show_as_suppressed(capsys):
    # Seed 8 gives anna {"mention": {"email": false}}.
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30", "--seed", "8")
    assert doc["overrides"] == {"anna": {"mention": {"email": False}}}
    suppressed = [
        e
        for e in of_type(doc, "held")
        if e["outcome"] == "suppressed" and e["reasons"] != ["quiet_hours_summarize"]
    ]  # (the others are Slack's copies at night: see the next test)
    assert suppressed
    for e in suppressed:
        assert e["reasons"] == ["disabled_by_member (mention)"]
        assert e["deliveries"] == [{"channel": "email", "recipient": "anna"}]
    sent = [e for e in of_type(doc, "sent") if e["kinds"] == ["mention"]]
    assert not any(
        d == {"channel": "email", "recipient": "anna"} for e in sent for d in e["deliveries"]
    )


def test_slack_held_in_summarize_mode_is_suppressed_not_summarized(capsys):
    # The catch-up is per member: a Slack message held in summarize mode is in none, it is
    # dropped; explain calls that decision suppress, and so does simulate, in the timeline and
    # in the counts.
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "12")
    held = of_type(doc, "held")
    summarized = [e for e in held if e["outcome"] == "summarized"]
    dropped = [e for e in held if e["reasons"] == ["quiet_hours_summarize"] and e not in summarized]
    assert summarized
    assert dropped
    assert {e["event_id"] for e in dropped} == {e["event_id"] for e in summarized}
    for e in summarized:
        assert all(d["channel"] != "slack" for d in e["deliveries"])
        assert e["until"] is not None
    for e in dropped:
        assert e["outcome"] == "suppressed"
        assert e["deliveries"] == [{"channel": "slack", "recipient": "slack"}]
        assert e["until"] is None  # it never comes back
    decisions = doc["summary"]["decisions"]
    assert decisions["summarized"] == sum(len(e["deliveries"]) for e in summarized)
    assert decisions["suppressed"] == sum(
        len(e["deliveries"]) for e in held if e["outcome"] == "suppressed"
    )
    code, out, _ = run(capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "12")
    assert code == EXIT_OK
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line[11:22] == "summarized ":
            assert "slack" not in lines[i + 1]
        if "[quiet_hours_summarize]" in line and line[11:22] == "suppressed ":
            assert "dropped (no catch-up for Slack)" in line
            assert "catch-up at" not in line
            assert lines[i + 1].strip() == "slack"
    assert sum("dropped (no catch-up for Slack)" in line for line in lines) == len(dropped)


def test_suppress_mode_shows_no_catch_up(capsys, tmp_path):
    # In suppress mode nothing comes back when quiet hours end: no "catch-up at" on the line.
    path = tmp_path / "suppress.toml"
    path.write_text(
        AMSTERDAM_DEFER.replace('mode = "defer"', 'mode = "suppress"'), encoding="utf-8"
    )
    doc = run_json(capsys, str(path), "--day", "2026-03-30", "--conversations", "12")
    held = [e for e in of_type(doc, "held") if e["reasons"] == ["quiet_hours_suppress"]]
    assert held
    assert all(e["outcome"] == "suppressed" and e["until"] is None for e in held)
    assert of_type(doc, "catch_up") == []
    code, out, _ = run(capsys, str(path), "--day", "2026-03-30", "--conversations", "12")
    assert code == EXIT_OK
    assert "catch-up at" not in out


# -- what the service did -----------------------------------------------------------------------


def test_escalations_fire_once_each_at_their_due_instant(capsys, tmp_path):
    db = tmp_path / "sim.sqlite3"
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30", "--db", str(db))
    escalations = of_type(doc, "escalation")
    keys = [e["key"] for e in escalations]
    assert len(keys) > 3
    assert len(set(keys)) == len(keys)
    kinds = Counter(e["kind"] for e in escalations)
    assert kinds["escalation_unassigned"]
    assert kinds["escalation_first_response"]
    assert kinds["escalation_first_response"] == kinds["sla_breach"]
    for e in escalations:
        assert at(e) == dt.datetime.fromisoformat(e["due_at"])  # woken exactly then, never late
    with closing(sqlite3.connect(db)) as conn:
        ledger = {row[0] for row in conn.execute("SELECT key FROM ledger")}
    assert set(keys) <= ledger
    assert sum(doc["summary"]["escalations"].values()) == len(keys)


def test_escalation_during_quiet_hours_bypasses_them(capsys):
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30")
    night = [
        e
        for e in of_type(doc, "sent")
        if e["kinds"] == ["escalation_unassigned"] and at(e).hour >= 22
    ]
    assert night
    assert all(e["reasons"] == ["critical_bypasses_quiet_hours"] for e in night)


def test_deferred_deliveries_land_when_quiet_hours_end(capsys, defer_settings):
    doc = run_json(capsys, defer_settings, "--day", "2026-03-29", "--conversations", "15")
    deferred = [e for e in of_type(doc, "held") if e["outcome"] == "deferred"]
    assert deferred
    sent = of_type(doc, "sent")
    # One event's deferrals may be on several lines (a member with an override of one of its
    # kinds has other reasons): compare per event.
    by_event: dict[str, list[tuple[str, str]]] = {}
    for held in deferred:
        by_event.setdefault(held["event_id"], []).extend(
            (d["channel"], d["recipient"]) for d in held["deliveries"]
        )
    for held in deferred:
        until = dt.datetime.fromisoformat(held["until"])
        assert (until.hour, until.minute) == (8, 0)
        assert at(held).hour < 8 or at(held).hour >= 22
        landed = [
            (d["channel"], d["recipient"])
            for e in sent
            if e["event_id"] == held["event_id"] and "quiet_hours_defer" in e["reasons"]
            for d in e["deliveries"]
        ]
        # Each deferred delivery is sent once, at the end of quiet hours (Slack paced after).
        assert sorted(landed) == sorted(by_event[held["event_id"]])
        for e in sent:
            if e["event_id"] == held["event_id"]:
                assert until <= at(e) < until + dt.timedelta(minutes=1)
    # The evening's deferrals are sent too: the window runs on to 08:00 the next morning.
    assert doc["window"]["stop"] == "2026-03-30T08:00:00+02:00"
    assert doc["summary"]["outbox"]["pending"] == 0


def test_digests_sent_once_with_real_figures(capsys, tmp_path):
    db = tmp_path / "sim.sqlite3"
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30", "--db", str(db))
    digests = of_type(doc, "digest")
    assert [d["key"] for d in digests] == [
        "sim:daily_summary:2026-03-30",
        "sim:weekly_report:2026-W14",
    ]
    assert [d["at"] for d in digests] == ["2026-03-30T08:30:00+02:00", "2026-03-30T09:00:00+02:00"]
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT event_id, recipient, status, text FROM outbox "
            "WHERE kinds LIKE '%daily_summary%'"
        ).fetchall()
    assert len(rows) == len(digests[0]["recipients"]) == 6
    assert {r[2] for r in rows} == {"sent"}
    assert len({r[1] for r in rows}) == len(rows)  # once per recipient
    text = rows[0][3]
    assert "new" in text.lower()
    assert "0 new" not in text  # the night's conversations are in it


def test_catchups_once_per_member_per_quiet_period(capsys):
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30")
    catchups = of_type(doc, "catch_up")
    keys = [c["key"] for c in catchups]
    assert len(keys) == len(set(keys))
    periods = Counter(at(c) for c in catchups)
    assert sorted(periods) == [
        dt.datetime.fromisoformat("2026-03-30T08:00:00+02:00"),
        dt.datetime.fromisoformat("2026-03-31T08:00:00+02:00"),
    ]
    assert set(periods.values()) == {6}  # every member had something held both nights


def test_db_file_is_kept_with_the_outbox(capsys, tmp_path):
    db = tmp_path / "kept.sqlite3"
    code, out, _ = run(
        capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "6", "--db", str(db)
    )
    assert code == EXIT_OK
    assert f"Store: {db} (kept)." in out.splitlines()
    assert db.exists()
    with closing(sqlite3.connect(db)) as conn:
        statuses = dict(
            conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        )
        settings_rows = conn.execute("SELECT COUNT(*) FROM settings").fetchone()[0]
    assert statuses["sent"] > 0
    assert statuses["held"] > 0
    assert settings_rows == 1
    outbox_line = next(line for line in out.splitlines() if line.startswith("  outbox"))
    assert outbox_line.startswith(f"  outbox       {sum(statuses.values())} rows")


def test_default_store_is_temporary_and_removed(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, _, _ = run(capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "4")
    assert code == EXIT_OK
    assert list(tmp_path.iterdir()) == []


def test_no_quiet_hours_runs_the_day_only(capsys, tmp_path):
    path = tmp_path / "plain.json"
    path.write_text('{"timezone": "America/New_York"}', encoding="utf-8")
    doc = run_json(capsys, str(path), "--day", "2026-11-01", "--conversations", "10")
    assert doc["window"]["hours"] == 25
    assert doc["window"]["start"] == "2026-11-01T00:00:00-04:00"
    assert doc["window"]["end"] == "2026-11-02T00:00:00-05:00"
    assert all(at(e) < dt.datetime.fromisoformat(doc["window"]["end"]) for e in doc["timeline"])
    assert doc["window"]["stop"] == "2026-11-01T23:59:59.999999-05:00"  # just before midnight
    # Nothing is held by quiet hours (there are none): the only decisions not delivered are
    # the Slack messages of a workspace without Slack, and those of the one agent's override.
    assert doc["overrides"] == {"anna": {"unassigned_conversation": False}}
    held = of_type(doc, "held")
    slack = [e for e in held if e["reasons"] == ["slack_not_configured"]]
    overridden = [e for e in held if e not in slack]
    assert slack
    assert overridden
    for e in held:
        assert e["outcome"] == "suppressed"
        assert e["until"] is None
    for e in slack:
        assert e["deliveries"] == [{"channel": "slack", "recipient": "slack"}]
    for e in overridden:
        assert e["reasons"] == ["disabled_by_member (unassigned_conversation)"]
        assert {d["recipient"] for d in e["deliveries"]} == {"anna"}
    decisions = doc["summary"]["decisions"]
    assert (decisions["deferred"], decisions["summarized"]) == (0, 0)
    assert decisions["suppressed"] == sum(len(e["deliveries"]) for e in held)
    # Reasons are counted over every decision: the held ones, and the deliveries that name a
    # kind of their event that did not count (anna's unassigned_conversation beside a new one).
    sent_reasons = [r for e in of_type(doc, "sent") for r in e["reasons"]]
    assert set(sent_reasons) <= {"disabled_by_member (unassigned_conversation)"}
    assert doc["summary"]["reasons"]["slack_not_configured"] == len(slack)
    assert doc["summary"]["reasons"]["disabled_by_member"] >= sum(
        len(e["deliveries"]) for e in overridden
    )
    assert set(doc["summary"]["reasons"]) == {"slack_not_configured", "disabled_by_member"}
    assert of_type(doc, "catch_up") == []
    assert doc["summary"]["outbox"]["held"] == 0


# -- DST days -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours", "before", "after"),
    [("2026-03-29", 23, "+01:00", "+02:00"), ("2026-10-25", 25, "+02:00", "+01:00")],
)
def test_dst_days(capsys, day, hours, before, after):
    doc = run_json(capsys, EXAMPLE, "--day", day, "--conversations", "30")
    window = doc["window"]
    assert window["hours"] == hours
    assert window["start"] == f"{day}T00:00:00{before}"
    start, end = (dt.datetime.fromisoformat(window[k]) for k in ("start", "end"))
    assert end - start == dt.timedelta(hours=hours)
    traffic = of_type(doc, "traffic")
    assert all(start <= at(e) < end for e in traffic)
    offsets = {e["at"][-6:] for e in traffic}
    assert offsets == {before, after}
    instants = [at(e) for e in doc["timeline"]]
    assert instants == sorted(instants)  # in real time, across the change
    # The catch-up comes when the local clock reads 08:00, whatever the offset.
    first = min(at(e) for e in of_type(doc, "catch_up"))
    assert first.isoformat() == f"{day}T08:00:00{after}"
    code, out, _ = run(capsys, EXAMPLE, "--day", day, "--conversations", "30")
    assert code == EXIT_OK
    weekday = dt.date.fromisoformat(day).strftime("%A")
    assert f"{weekday} {day}, UTC{after} (the clocks changed)" in out.splitlines()


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump(capsys, tmp_path):
    # São Paulo's 2018-11-04 began at 01:00 (DST began at midnight): the window is that date,
    # 23 hours, up to the start of 11-05, and the 00:30 summary of 11-05 is not in it.
    path = tmp_path / "sp.toml"
    path.write_text(
        'timezone = "America/Sao_Paulo"\n[digests.daily]\nenabled = true\nsend_time = "00:30"\n',
        encoding="utf-8",
    )
    doc = run_json(capsys, str(path), "--day", "2018-11-04", "--conversations", "5")
    assert doc["day"] == "2018-11-04"
    assert doc["window"]["start"] == "2018-11-04T01:00:00-02:00"
    assert doc["window"]["end"] == "2018-11-05T00:00:00-02:00"
    assert doc["window"]["hours"] == 23
    assert [d["key"] for d in of_type(doc, "digest")] == ["sim:daily_summary:2018-11-04"]


@pytest.mark.parametrize("conversations", ["0", "5"])
def test_a_day_the_clocks_skip_is_refused(capsys, tmp_path, conversations):
    # Pacific/Apia skipped 2011-12-30: no minute of it exists to simulate (this used to be a
    # traceback from the traffic's RNG, or, without traffic, a report on 12-31).
    path = tmp_path / "apia.toml"
    path.write_text('timezone = "Pacific/Apia"\n', encoding="utf-8")
    argv = [str(path), "--day", "2011-12-30", "--conversations", conversations, "--agents", "2"]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        "notifpolicy: error: --day: 2011-12-30 does not exist in Pacific/Apia: the clocks jump "
        "from -10:00 to +14:00 and skip the whole date; give another date\n"
    )
    code, out, _ = run(capsys, *argv, "--json")
    assert code == EXIT_USAGE
    assert json.loads(out)["error"].startswith("--day: 2011-12-30 does not exist")
    # The date before it is a whole day: it ends where 12-31 starts, 24 hours later.
    doc = run_json(capsys, str(path), "--day", "2011-12-29", "--conversations", conversations)
    assert doc["window"]["end"] == "2011-12-31T00:00:00+14:00"
    assert doc["window"]["hours"] == 24


# -- determinism and the process boundary ------------------------------------------------------


def test_same_seed_same_bytes_across_processes(tmp_path):
    def once(hash_seed: str, *extra: str) -> bytes:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "notifpolicy",
                "simulate",
                EXAMPLE,
                "--day",
                "2026-10-25",
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            check=False,
        )
        assert result.returncode == EXIT_OK, result.stderr
        assert result.stderr == b""  # not a terminal: no progress bar
        return result.stdout

    first = once("1")
    assert first == once("2")
    assert first != once("1", "--seed", "2")


def test_json_document_shape(capsys):
    doc = run_json(capsys, EXAMPLE, "--day", "2026-03-30", "--conversations", "8", "--seed", "4")
    assert list(doc) == [
        "command", "day", "timezone", "seed", "window", "team", "overrides", "store",
        "timeline", "summary",
    ]  # fmt: skip
    assert (doc["command"], doc["day"], doc["timezone"], doc["seed"]) == (
        "simulate", "2026-03-30", "Europe/Amsterdam", 4,
    )  # fmt: skip
    assert [m["role"] for m in doc["team"]] == [
        "owner",
        "admin",
        "agent",
        "agent",
        "agent",
        "agent",
    ]
    assert all(m["email"].endswith("@example.org") for m in doc["team"])
    types = {e["type"] for e in doc["timeline"]}
    assert types <= {
        "traffic",
        "sent",
        "held",
        "escalation",
        "catch_up",
        "digest",
        "failed",
        "dropped",
        "error",
    }
    assert {"traffic", "sent", "held", "escalation", "catch_up", "digest"} <= types
    for e in doc["timeline"]:
        assert at(e).utcoffset() is not None
        if "deliveries" in e:
            assert e["deliveries"]
            assert all(set(d) == {"channel", "recipient"} for d in e["deliveries"])
    summary = doc["summary"]
    assert set(summary) == {
        "traffic", "decisions", "reasons", "sent", "escalations", "catch_ups", "digests",
        "problems", "outbox",
    }  # fmt: skip
    assert list(summary["decisions"]) == ["delivered", "deferred", "summarized", "suppressed"]
    sent = sum(len(e["deliveries"]) for e in of_type(doc, "sent"))
    assert sum(summary["sent"].values()) == sent == summary["outbox"]["sent"]
    assert summary["traffic"]["created"] == 8
    assert summary["problems"] == 0


# -- the progress bar ---------------------------------------------------------------------------


class Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Ticking:
    """A time source that moves one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_progress_bar_waits_a_moment_then_draws_and_erases():
    stream = Terminal(tty=True)
    readings = iter([0.0, 0.1, 0.7, 0.8, 0.9])
    bar = ProgressBar(stream, enabled=True, clock=lambda: next(readings), width=10)
    bar.update(0.05)  # 0.1 s in: too early
    assert stream.getvalue() == ""
    bar.update(0.5)
    assert stream.getvalue() == "\rsimulating [#####.....]  50%"
    bar.update(0.501)  # same percentage: not redrawn
    bar.update(1.0)
    assert stream.getvalue().endswith("\rsimulating [##########] 100%")
    bar.close()
    assert stream.getvalue().endswith("\r" + " " * 28 + "\r")
    assert not bar.shown


def test_progress_bar_disabled_writes_nothing():
    stream = Terminal(tty=True)
    bar = ProgressBar(stream, enabled=False, clock=Ticking())
    bar.update(0.5)
    bar.close()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("tty", "as_json", "shown"), [(True, False, True), (False, False, False), (True, True, False)]
)
def test_progress_bar_only_on_a_terminal_without_json(capsys, monkeypatch, tty, as_json, shown):
    stderr = Terminal(tty=tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(_sim_progress, "monotonic", Ticking())
    args = ["simulate", EXAMPLE, "--day", "2026-03-30", "--conversations", "6"]
    assert main([*args, "--json"] if as_json else args) == EXIT_OK
    written = stderr.getvalue()
    assert ("simulating [" in written) is shown
    if shown:
        assert "100%" in written
        assert written.endswith(" \r")  # erased: the report stands alone
    assert "simulating" not in capsys.readouterr().out


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--day", "2026-02-30"], f"--day: expected {DATES}; got '2026-02-30'"),
        (["--day", "tomorrow"], "--day: expected a date as YYYY-MM-DD"),
        (["--day", "2026-3-1"], "got '2026-3-1'"),
        (["--day", "20260301"], "got '20260301'"),
        (["--day", "9999-12-31"], "got '9999-12-31'"),
        (["--day", "2026-03-30", "--agents", "0"], "--agents: expected a whole number from 1"),
        (["--day", "2026-03-30", "--agents", "101"], "to 100; got '101'"),
        (["--day", "2026-03-30", "--agents", "three"], "got 'three'"),
        (["--day", "2026-03-30", "--conversations", "-1"], "--conversations: expected a whole"),
        (["--day", "2026-03-30", "--conversations", "1e3"], "number from 0 to 2000; got '1e3'"),
        (["--day", "2026-03-30", "--conversations", "2001"], "got '2001'"),
        (["--day", "2026-03-30", "--seed", "1.5"], "--seed: expected a whole number from 0 to"),
    ],
)  # fmt: skip
def test_bad_options_are_usage_errors(capsys, args, needle):
    code, out, err = run(capsys, EXAMPLE, *args)
    assert code == EXIT_USAGE
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("notifpolicy: error: ")
    assert needle in err


def test_bad_option_in_json_mode_is_a_json_error(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--day", "soon", "--json")
    assert code == EXIT_USAGE
    assert json.loads(out) == {
        "error": f"--day: expected {DATES}; got 'soon'",
        "exit_code": EXIT_USAGE,
    }


def test_settings_that_cannot_be_read(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    code, _, err = run(capsys, str(missing), "--day", "2026-03-30")
    assert code == EXIT_USAGE
    reason = "cannot read the file: No such file or directory"
    assert err == f"notifpolicy: error: SETTINGS {str(missing)!r}: {reason}\n"
    yaml = tmp_path / "workspace.yaml"
    yaml.write_text("timezone: UTC\n", encoding="utf-8")
    code, _, err = run(capsys, str(yaml), "--day", "2026-03-30")
    assert code == EXIT_USAGE
    assert "expected a name ending in .toml or .json" in err
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    code, _, err = run(capsys, str(binary), "--day", "2026-03-30")
    assert code == EXIT_USAGE
    assert (
        err
        == f"notifpolicy: error: SETTINGS {str(binary)!r}: cannot read the file: not UTF-8 text\n"
    )


@pytest.mark.parametrize(
    ("name", "text", "problems"),
    [
        ("bad.toml", "timezone = \n", ["(file) [toml]: is not valid TOML"]),
        ("bad.json", '{"timezone": "UTC", "timezone": "UTC"}', ["timezone [duplicate_key]"]),
        (
            "bad.toml",
            'timezone = "Mars/Olympus"\n[escalation.unassigned]\nafter_minutes = -5\n',
            [
                "timezone [",
                "escalation.unassigned.after_minutes [range]: must be an integer from 1 to 10080",
            ],
        ),
    ],
)
def test_invalid_settings_list_every_problem(capsys, tmp_path, name, text, problems):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, str(path), "--day", "2026-03-30")
    assert code == EXIT_INVALID
    assert out == ""
    lines = err.splitlines()
    count = len(problems)
    assert (
        lines[0] == f"notifpolicy: error: {path} is not valid: {count} problem{'s' * (count > 1)}"
    )
    assert len(lines) == 1 + count
    for line, needle in zip(lines[1:], problems, strict=True):
        assert line.startswith(f"  {needle}")
    assert "Traceback" not in err
    code, out, _ = run(capsys, str(path), "--day", "2026-03-30", "--json")
    assert code == EXIT_INVALID
    doc = json.loads(out)
    assert doc["file"] == str(path)
    assert len(doc["problems"]) == count


def test_db_that_exists_is_refused(capsys, tmp_path):
    db = tmp_path / "old.sqlite3"
    db.write_bytes(b"")
    code, _, err = run(capsys, EXAMPLE, "--day", "2026-03-30", "--db", str(db))
    assert code == EXIT_USAGE
    assert f"--db: expected a path to a new file; got {str(db)!r}, which exists" in err
    assert db.read_bytes() == b""


def test_db_that_cannot_be_created(capsys, tmp_path):
    db = tmp_path / "no-such-folder" / "sim.sqlite3"
    code, _, err = run(capsys, EXAMPLE, "--day", "2026-03-30", "--db", str(db))
    assert code == EXIT_USAGE
    assert err.startswith("notifpolicy: error: --db: cannot open the SQLite store")
    assert err.count("\n") == 1


def test_paced_slack_messages_after_quiet_hours_are_all_sent(capsys, defer_settings):
    doc = run_json(capsys, defer_settings, "--day", "2026-03-29", "--conversations", "40")
    stop = dt.datetime.fromisoformat(doc["window"]["stop"])
    at_stop = [
        e
        for e in of_type(doc, "sent")
        if at(e) == stop and e["deliveries"][0]["channel"] == "slack"
    ]
    later = [e for e in doc["timeline"] if at(e) > stop]
    assert at_stop
    assert later  # the outbox drain: one Slack message a second, after the window's last instant
    assert [at(e) - stop for e in later] == [dt.timedelta(seconds=n + 1) for n in range(len(later))]
    for e in later:
        assert e["type"] == "sent"
        assert e["deliveries"] == [{"channel": "slack", "recipient": "slack"}]
        assert e["reasons"] == ["quiet_hours_defer"]
    assert doc["summary"]["outbox"]["pending"] == 0


def test_failures_drops_and_errors_are_reported():
    zone = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
    runner = _Run(
        cast(Any, None), ManualClock(now), cast(Any, None), RecordingTransport(), cast(Any, None)
    )
    runner._record(
        TickReport(
            failed=(("sim:e1:bram:email", "the member has no email address"),),
            dropped=(
                ("sim:e2:anna:push", "not sent: the recipient is no longer an active member"),
            ),
            errors=(
                ValidationError(
                    [Problem("c1", "type", "must be a string"), Problem("c2", "null", "no")]
                ),
            ),
        )
    )
    assert runner.entries == [
        ProblemEntry(now, "failed", "sim:e1:bram:email", "the member has no email address"),
        ProblemEntry(
            now,
            "dropped",
            "sim:e2:anna:push",
            "not sent: the recipient is no longer an active member",
        ),
        ProblemEntry(now, "error", None, "2 problems: c1: must be a string c2: no"),
    ]
    assert _sim_report._entry_text(runner.entries[0], zone, {}) == (
        "failed",
        "sim:e1:bram:email the member has no email address",
        [],
    )
    assert _sim_report._entry_text(runner.entries[2], zone, {}) == (
        "error",
        "2 problems: c1: must be a string c2: no",
        [],
    )
    assert _sim_report._entry_json(runner.entries[1], zone) == {
        "at": "2026-03-30T08:00:00+01:00",
        "type": "dropped",
        "item_id": "sim:e2:anna:push",
        "message": "not sent: the recipient is no longer an active member",
    }
    plan = plan_day(WorkspaceSettings(), dt.date(2026, 3, 30), seed=1, agents=1, conversations=0)
    sim = Simulation(plan, WorkspaceSettings(), now, tuple(runner.entries), (), (), ())
    assert _sim_report.json_document(sim, store=None)["summary"]["problems"] == 3
    assert "  problems     3" in _sim_report.text_lines(sim, store=None)


def test_webhook_host_is_passed_to_the_loader_and_the_store(capsys, tmp_path):
    path = tmp_path / "own-host.toml"
    path.write_text(
        'timezone = "UTC"\n[slack]\nwebhook_url = "https://chat.example.org/services/T0/B0/x"\n',
        encoding="utf-8",
    )
    code, _, _ = run(capsys, str(path), "--day", "2026-03-30", "--conversations", "3")
    assert code == EXIT_INVALID
    doc = run_json(
        capsys, str(path), "--day", "2026-03-30", "--conversations", "3",
        "--webhook-host", "chat.example.org",
    )  # fmt: skip
    assert doc["summary"]["sent"]["slack"] > 0
    assert "chat.example.org" not in json.dumps(doc)  # the URL is a secret, never printed
