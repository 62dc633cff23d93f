"""The command line: check, explain, schedule and diff (``notifpolicy.cli``).

Commands run in-process through ``main([...])`` with ``capsys``; one test runs the installed
console script and ``python -m notifpolicy`` in subprocesses.  Fixture files are written into
``tmp_path``; ``examples/workspace.toml`` is read from the repository root.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

import notifpolicy
from notifpolicy.cli import _schedule, main
from notifpolicy.cli._common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from notifpolicy.cli._diff import EXIT_CHANGED
from notifpolicy.cli._time import local_text, moment, utc_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "workspace.toml")
SECRET_TOKEN = "s3cr3t-T0KEN"
WEBHOOK = f"https://hooks.slack.com/services/T000/B000/{SECRET_TOKEN}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def settings_toml(
    tmp_path: Path,
    *,
    name: str = "ws.toml",
    timezone: str = "Europe/Amsterdam",
    quiet: str | None = '["22:00", "08:00", "suppress"]',
    daily: str | None = None,
    weekly: str | None = None,
    extra: str = "",
) -> str:
    lines = [f'timezone = "{timezone}"']
    if quiet is not None:
        start, end, mode = json.loads(quiet)
        lines += [
            "[quiet_hours]",
            "enabled = true",
            f'start = "{start}"',
            f'end = "{end}"',
            f'mode = "{mode}"',
        ]
    if daily is not None:
        lines += ["[digests.daily]", "enabled = true", f'send_time = "{daily}"']
    if weekly is not None:
        day, time = weekly.split()
        lines += [
            "[digests.weekly]",
            "enabled = true",
            f'weekday = "{day}"',
            f'send_time = "{time}"',
        ]
    lines.append(extra)
    return write(tmp_path, name, "\n".join(lines) + "\n")


# -- the program ----------------------------------------------------------------------------------


def test_help_returns_zero_and_lists_the_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == EXIT_OK
    assert out.startswith("usage: notifpolicy")
    for command in ("check", "explain", "schedule", "simulate", "diff"):
        assert command in out


def test_version_prints_the_package_version(capsys):
    code, out, err = run(capsys, "--version")
    assert (code, out, err) == (EXIT_OK, f"notifpolicy {notifpolicy.__version__}\n", "")


@pytest.mark.parametrize("command", ["check", "explain", "schedule", "simulate", "diff"])
def test_every_command_has_help_with_its_exit_codes(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == EXIT_OK
    assert f"usage: notifpolicy {command}" in out
    assert "exit codes:" in out
    assert "--json" in out


def test_usage_errors_exit_2(capsys):
    code, out, err = run(capsys)
    assert (code, out) == (EXIT_USAGE, "")
    assert "the following arguments are required: COMMAND" in err
    code, _, err = run(capsys, "check")
    assert code == EXIT_USAGE
    assert "the following arguments are required: SETTINGS" in err
    code, _, err = run(capsys, "check", EXAMPLE, "--bogus")
    assert code == EXIT_USAGE
    assert "unrecognized arguments: --bogus" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", EXAMPLE, "--json", "--event", "mention"], "required: --at"),
        (["check", EXAMPLE, "--bogus", "--json"], "unrecognized arguments: --bogus"),
        (["schedule", "--json"], "the following arguments are required: SETTINGS, --from"),
        (["check", EXAMPLE, "--js", "--bogus"], "unrecognized arguments: --bogus"),  # a prefix
        (["simulate", "--json", "--day"], "argument --day: expected one argument"),
        (["--json"], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_with_json_print_the_error_document(capsys, argv, message):
    # Every command prints exactly one JSON document with --json, argparse's errors included;
    # the usage and the message still go to stderr, and the exit code is still 2.
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    doc = json.loads(out)
    assert list(doc) == ["error", "exit_code"]
    assert message in doc["error"]
    assert doc["exit_code"] == EXIT_USAGE
    assert err.startswith("usage: notifpolicy")
    assert err.endswith(f": error: {doc['error']}\n")


def test_usage_errors_without_json_print_nothing_on_stdout(capsys):
    # `--json` after `--` or as an option's value is not the flag.
    for argv in (
        ["explain", EXAMPLE, "--event", "mention"],
        ["check", "--", "--json", "extra"],
        ["explain", EXAMPLE, "--event=--json"],
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (EXIT_USAGE, ""), argv
        assert err.startswith("usage: notifpolicy")


def test_output_is_utf8_whatever_the_locale_says(tmp_path):
    # PYTHONIOENCODING=ascii (or cp1252) would crash on "→" and write the JSON in another
    # encoding: the command writes UTF-8 anyway, as docs/cli.md promises.
    old = write(tmp_path, "old.toml", 'timezone = "UTC"\n')
    new = write(tmp_path, "new.toml", 'timezone = "America/São_Paulo"\n')
    new_ok = write(tmp_path, "new-ok.toml", 'timezone = "America/Sao_Paulo"\n')
    missing = str(tmp_path / "ünknown.toml")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}

    def notifpolicy(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "notifpolicy", *argv],
            env=env,
            capture_output=True,
            check=False,
        )

    done = notifpolicy("diff", old, new_ok)
    assert (done.returncode, done.stderr) == (EXIT_OK, b"")
    assert done.stdout.decode("utf-8").splitlines() == [
        "1 change:",
        '  timezone: "UTC" → "America/Sao_Paulo"',
    ]
    done = notifpolicy("diff", old, new, "--json")
    assert done.returncode == EXIT_INVALID
    assert "São_Paulo" in json.loads(done.stdout.decode("utf-8"))["error"]
    assert "São_Paulo" in done.stderr.decode("utf-8")
    done = notifpolicy("check", missing)
    assert done.returncode == EXIT_USAGE
    assert "ünknown.toml" in done.stderr.decode("utf-8")


def test_the_console_script_and_python_m_run(tmp_path):
    script = Path(sys.executable).parent / "notifpolicy"
    for argv in ([str(script)], [sys.executable, "-m", "notifpolicy"]):
        done = subprocess.run(
            [*argv, "check", "examples/workspace.toml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == EXIT_OK, done.stderr
        assert done.stdout == "examples/workspace.toml: valid, 0 warnings\n"
        missing = subprocess.run(
            [*argv, "check", str(tmp_path / "missing.toml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert missing.returncode == EXIT_USAGE
        assert "Traceback" not in missing.stderr
        assert "cannot read the file" in missing.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    argv = [sys.executable, "-m", "notifpolicy", "schedule", "examples/workspace.toml"]
    with subprocess.Popen(
        [*argv, "--from", "2026-01-01", "--days", "366"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith("examples/workspace.toml: Europe/Amsterdam")
        process.stdout.close()
        errors = process.stderr.read()
        assert process.wait(timeout=60) == 141
    assert errors == ""


# -- check ----------------------------------------------------------------------------------------


def test_check_valid_example(capsys):
    code, out, err = run(capsys, "check", EXAMPLE)
    assert (code, out, err) == (EXIT_OK, f"{EXAMPLE}: valid, 0 warnings\n", "")
    code, doc = run_json(capsys, "check", EXAMPLE)
    assert code == EXIT_OK
    assert doc == {"file": EXAMPLE, "valid": True, "problems": [], "warnings": []}


def with_webhook(tmp_path: Path, url: str) -> str:
    return write(tmp_path, "hook.toml", f'[slack]\nwebhook_url = "{url}"\n')


def test_check_never_prints_the_webhook_url(capsys, tmp_path):
    code, out, err = run(capsys, "check", EXAMPLE)
    assert "example-token" not in out + err  # the example's (valid) URL
    # An invalid URL is reported by its path, never echoed.
    bad = with_webhook(tmp_path, WEBHOOK.replace("https", "http"))
    code, out, err = run(capsys, "check", bad)
    assert code == EXIT_INVALID
    assert "slack.webhook_url [webhook_url]" in out
    assert SECRET_TOKEN not in out + err
    code, doc = run_json(capsys, "check", bad)
    assert doc["problems"][0]["path"] == "slack.webhook_url"
    assert SECRET_TOKEN not in json.dumps(doc)


def test_check_warnings_are_allowed(capsys, tmp_path):
    path = settings_toml(tmp_path, daily="23:00")
    code, out, _ = run(capsys, "check", path)
    assert code == EXIT_OK
    assert out.splitlines() == [
        f"{path}: valid, 1 warning",
        "  warning: digests.daily.send_time [digest_in_quiet_hours]: 23:00 is inside quiet "
        "hours 22:00\u201308:00; digests are not held by quiet hours, so it is sent then",
    ]
    code, doc = run_json(capsys, "check", path)
    assert code == EXIT_OK
    assert doc["valid"] is True
    assert [w["code"] for w in doc["warnings"]] == ["digest_in_quiet_hours"]
    assert doc["warnings"][0]["path"] == "digests.daily.send_time"


def test_check_lists_every_problem(capsys, tmp_path):
    path = write(
        tmp_path,
        "bad.toml",
        'timezone = "Mars/Olympus"\n'
        "[escalation.unassigned]\nafter_minutes = -5\n"
        '[digests.weekly]\nweekday = "mon"\n',
    )
    code, out, err = run(capsys, "check", path)
    assert code == EXIT_INVALID
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{path}: invalid, 3 problems"
    assert lines[1:] == [
        "  timezone [timezone]: must be an IANA time zone name such as 'Europe/Amsterdam' (exact "
        "case), got 'Mars/Olympus'",
        "  digests.weekly.weekday [choice]: must be a day name such as 'monday' or 0-6 "
        "(Monday = 0); write the full name 'monday', got 'mon'",
        "  escalation.unassigned.after_minutes [range]: must be an integer from 1 to 10080, got -5",
    ]
    code, doc = run_json(capsys, "check", path)
    assert code == EXIT_INVALID
    assert doc["valid"] is False
    assert {p["path"] for p in doc["problems"]} == {
        "timezone",
        "escalation.unassigned.after_minutes",
        "digests.weekly.weekday",
    }
    assert doc["warnings"] == []


def test_check_one_problem_and_unparsable_text(capsys, tmp_path):
    path = write(tmp_path, "broken.toml", "timezone = \n")
    code, out, _ = run(capsys, "check", path)
    assert code == EXIT_INVALID
    assert out.splitlines()[0] == f"{path}: invalid, 1 problem"
    assert out.splitlines()[1].startswith("  (file) [toml]: is not valid TOML")
    path = write(tmp_path, "broken.json", '{"timezone": "UTC", "timezone": "UTC"}')
    code, out, _ = run(capsys, "check", path)
    assert code == EXIT_INVALID
    assert "  timezone [duplicate_key]: the key is given twice" in out.splitlines()


def test_check_json_settings_and_any_case_suffix(capsys, tmp_path):
    path = write(tmp_path, "ws.JSON", '{"timezone": "Europe/Amsterdam"}')
    assert run(capsys, "check", path)[:2] == (EXIT_OK, f"{path}: valid, 0 warnings\n")
    path = write(tmp_path, "ws.Toml", 'timezone = "UTC"\n')
    assert run(capsys, "check", path)[0] == EXIT_OK


def test_check_unreadable_files_exit_2(capsys, tmp_path):
    missing = str(tmp_path / "missing.toml")
    code, out, err = run(capsys, "check", missing)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"notifpolicy: error: SETTINGS {missing!r}: cannot read the file: "
        "No such file or directory\n"
    )
    code, doc = run_json(capsys, "check", missing)
    assert doc == {"error": err.removeprefix("notifpolicy: error: ").rstrip("\n"), "exit_code": 2}

    folder = tmp_path / "dir.toml"
    folder.mkdir()
    code, _, err = run(capsys, "check", str(folder))
    assert code == EXIT_USAGE
    assert "cannot read the file: Is a directory" in err

    latin = tmp_path / "latin.toml"
    latin.write_bytes('timezone = "Europe/Zürich"\n'.encode("latin-1"))
    code, _, err = run(capsys, "check", str(latin))
    assert code == EXIT_USAGE
    assert "cannot read the file: not UTF-8 text" in err

    code, _, err = run(capsys, "check", write(tmp_path, "ws.yaml", "timezone: UTC\n"))
    assert code == EXIT_USAGE
    assert (
        "cannot tell the file's format from its name; expected a name ending in .toml or .json"
        in err
    )


def test_a_byte_order_mark_is_accepted(capsys, tmp_path):
    # Some Windows editors start a UTF-8 file with a BOM; TOML would call it an invalid
    # statement at line 1, column 1.
    bom = "\ufeff"
    toml = write(tmp_path, "bom.toml", f'{bom}timezone = "UTC"\n')
    assert run(capsys, "check", toml) == (EXIT_OK, f"{toml}: valid, 0 warnings\n", "")
    as_json = write(tmp_path, "bom.json", f'{bom}{{"timezone": "UTC"}}')
    assert run(capsys, "check", as_json)[0] == EXIT_OK
    roster = write(tmp_path, "team.toml", f'{bom}[[members]]\nid = "carl"\n')
    argv = ["explain", toml, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code, doc = run_json(capsys, *argv, "--roster", roster)
    assert code == EXIT_OK
    assert {d["recipient"] for d in doc["decisions"] if d["channel"] != "slack"} == {"carl"}


def test_check_webhook_host_widens_the_allowed_hosts(capsys, tmp_path):
    url = f"https://hooks.example.org/services/T0/B0/{SECRET_TOKEN}"
    path = with_webhook(tmp_path, url)
    assert run(capsys, "check", path)[0] == EXIT_INVALID
    code, out, _ = run(capsys, "check", path, "--webhook-host", "hooks.example.org")
    assert code == EXIT_OK
    assert SECRET_TOKEN not in out


# -- explain --------------------------------------------------------------------------------------


def test_explain_at_night_in_summarize_mode(capsys):
    code, out, err = run(
        capsys, "explain", EXAMPLE, "--event", "new_conversation", "--at", "2026-03-02T23:00"
    )
    assert (code, err) == (EXIT_OK, "")
    lines = out.splitlines()
    assert lines[:5] == [
        f"{EXAMPLE}: Europe/Amsterdam",
        "event  new_conversation (id evt-1, conversation conv-1, no assignee)",
        "kinds  new_conversation, unassigned_conversation",
        "at     2026-03-02 23:00 CET (+01:00) = 2026-03-02 22:00 UTC",
        "quiet  yes (22:00\u201308:00, mode summarize) until "
        "2026-03-03 08:00 CET (+01:00) = 2026-03-03 07:00 UTC",
    ]
    assert "anna (agent), in_app: suppress [quiet_hours_summarize]" in lines
    assert "bo (admin), email: suppress [quiet_hours_summarize]" in lines
    assert "Slack: suppress [quiet_hours_summarize]" in lines
    assert (
        "  Slack: not sent (new conversation, unassigned conversation): held by quiet hours "
        "22:00\u201308:00 Europe/Amsterdam, mode summarize: dropped (the catch-up summary goes "
        "to members, not to Slack)."
    ) in lines
    assert lines[-1] == "7 decisions: 7 suppress"
    assert "example-token" not in out


def test_explain_json(capsys):
    code, doc = run_json(
        capsys, "explain", EXAMPLE, "--event", "new_conversation", "--at", "2026-03-02T23:00"
    )
    assert code == EXIT_OK
    assert doc["at"] == {"local": "2026-03-02T23:00:00+01:00", "utc": "2026-03-02T22:00:00+00:00"}
    assert doc["event"] == {
        "type": "new_conversation",
        "id": "evt-1",
        "conversation_id": "conv-1",
        "assignee": None,
        "author_id": None,
        "mentioned": [],
        "kinds": ["new_conversation", "unassigned_conversation"],
    }
    assert doc["quiet_hours"]["quiet"] is True
    assert doc["quiet_hours"]["until"]["utc"] == "2026-03-03T07:00:00+00:00"
    assert doc["counts"] == {"deliver": 0, "suppress": 7, "defer": 0}
    first = doc["decisions"][0]
    assert first == {
        "recipient": "anna",
        "channel": "in_app",
        "kinds": ["new_conversation", "unassigned_conversation"],
        "outcome": "suppress",
        "reasons": [{"code": "quiet_hours_summarize", "kind": None}],
        "deliver_at": None,
        "held_until": {"local": "2026-03-03T08:00:00+01:00", "utc": "2026-03-03T07:00:00+00:00"},
        "explanation": first["explanation"],
    }
    assert first["explanation"].startswith("Anna does not get an in-app notification")
    assert doc["decisions"][-1]["recipient"] is None
    assert doc["decisions"][-1]["channel"] == "slack"


def test_explain_defer_shows_when_it_is_sent_across_the_dst_night(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet='["22:00", "08:00", "defer"]')
    code, out, _ = run(
        capsys, "explain", path, "--event", "unassigned_conversation", "--at", "2026-03-28T23:00"
    )
    assert code == EXIT_OK
    # 08:00 local on the spring-forward morning is CEST: 06:00 UTC, nine hours later.
    assert (
        "anna (agent), email: defer at 2026-03-29 08:00 CEST (+02:00) = 2026-03-29 06:00 UTC "
        "[quiet_hours_defer]"
    ) in out.splitlines()
    assert "mode defer: sent at 2026-03-29 08:00." in out
    assert "Slack: suppress [slack_not_configured]" in out.splitlines()
    assert out.splitlines()[-1] == "7 decisions: 1 suppress, 6 defer"
    code, doc = run_json(
        capsys, "explain", path, "--event", "unassigned_conversation", "--at", "2026-03-28T23:00"
    )
    assert doc["decisions"][0]["deliver_at"] == {
        "local": "2026-03-29T08:00:00+02:00",
        "utc": "2026-03-29T06:00:00+00:00",
    }


def test_explain_critical_bypass_and_dutch(capsys):
    code, out, _ = run(
        capsys,
        "explain",
        EXAMPLE,
        "--event",
        "escalation_unassigned",
        "--at",
        "2026-03-02T23:00",
        "--lang",
        "nl",
    )
    assert code == EXIT_OK
    lines = out.splitlines()
    assert not any(line.startswith("anna") for line in lines)  # agents get no escalations
    assert "bo (admin), email: deliver [critical_bypasses_quiet_hours]" in lines
    assert (
        "  Bo krijgt een e-mail (escalatie: te lang niet toegewezen): kritieke melding: wordt ook "
        "tijdens de stille uren 22:00\u201308:00 Europe/Amsterdam verstuurd."
    ) in lines
    assert lines[-1] == "4 decisions: 4 deliver"


def test_explain_mention_with_an_override(capsys):
    argv = ["explain", EXAMPLE, "--event", "mention", "--at", "2026-03-02T12:00"]
    argv += ["--author", "bo", "--mention", "anna", "--override", "anna:mention.email=off"]
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[1] == "event  mention (id evt-1, conversation conv-1, author bo, mentioned anna)"
    assert lines[4] == "quiet  no (22:00\u201308:00, mode summarize)"
    assert lines[6:12] == [
        "anna (agent), in_app: deliver",
        "  Anna gets an in-app notification (mention).",
        "anna (agent), email: suppress [disabled_by_member (mention)]",
        "  Anna does not get an email (mention): they turned off mention notifications by email "
        "in their personal settings.",
        "anna (agent), push: deliver",
        "  Anna gets a push notification (mention).",
    ]
    assert lines[-1] == "3 decisions: 2 deliver, 1 suppress"
    code, doc = run_json(capsys, *argv)
    assert doc["decisions"][1]["reasons"] == [{"code": "disabled_by_member", "kind": "mention"}]
    assert doc["event"]["mentioned"] == ["anna"]
    assert doc["event"]["author_id"] == "bo"


def test_explain_other_events(capsys, tmp_path):
    plain = settings_toml(tmp_path, quiet=None)
    at = ["--at", "2026-03-02T12:00Z"]
    code, out, _ = run(capsys, "explain", plain, "--event", "sla_breach", "--assignee", "anna", *at)
    assert code == EXIT_OK
    assert "event  sla_breach (id evt-1, conversation conv-1, assignee anna)" in out
    assert "quiet  off" in out
    assert out.splitlines()[-1] == "3 decisions: 3 deliver"  # anna's channels; no Slack event
    code, out, _ = run(
        capsys, "explain", plain, "--event", "new_conversation", "--assignee", "bo", *at
    )
    assert "kinds  new_conversation\n" in out
    assert "Slack: suppress [slack_not_configured]" in out
    code, out, _ = run(capsys, "explain", plain, "--event", "daily_summary", *at)
    assert "event  daily_summary (id evt-1)" in out
    assert "anna (agent), email: suppress [rule_disabled (daily_summary)]" in out
    assert out.splitlines()[-1] == "3 decisions: 3 suppress"
    code, out, _ = run(capsys, "explain", EXAMPLE, "--event", "weekly_report", *at)
    assert out.splitlines()[-1] == "3 decisions: 3 deliver"
    code, out, _ = run(
        capsys,
        "explain",
        EXAMPLE,
        "--event",
        "escalation_first_response",
        "--conversation",
        "c9",
        *at,
    )
    assert "(id evt-1, conversation c9)" in out
    code, out, _ = run(
        capsys, "explain", EXAMPLE, "--event", "unassigned_conversation", "--event-id", "e42", *at
    )
    assert "(id e42, conversation conv-1)" in out
    assert "at     2026-03-02 13:00 CET (+01:00) = 2026-03-02 12:00 UTC" in out


def test_explain_at_forms(capsys):
    base = ["explain", EXAMPLE, "--event", "new_conversation", "--at"]
    code, doc = run_json(capsys, *base, "2026-03-02T23:00:00.123456Z")  # six digits: exact
    assert doc["at"]["utc"] == "2026-03-02T23:00:00.123456+00:00"
    code, doc = run_json(capsys, *base, "2026-03-02T23:00:00.250+01:00")
    assert doc["at"]["utc"] == "2026-03-02T22:00:00.250000+00:00"
    code, out, _ = run(capsys, *base, "2026-03-02T23:00:00.250+01:00")
    assert "at     2026-03-02 23:00:00.250000 CET (+01:00) = 2026-03-02 22:00:00.250000 UTC" in out
    code, out, _ = run(capsys, *base, "2026-03-02T23:00:05Z")
    assert "at     2026-03-03 00:00:05 CET (+01:00) = 2026-03-02 23:00:05 UTC" in out
    # A date alone is the start of that local date.
    code, doc = run_json(capsys, *base, "2026-03-02")
    assert doc["at"]["local"] == "2026-03-02T00:00:00+01:00"
    # With an offset the instant is exact, even inside a fold.
    code, doc = run_json(capsys, *base, "2026-10-25T02:30+01:00")
    assert code == EXIT_OK
    assert doc["at"]["utc"] == "2026-10-25T01:30:00+00:00"


def test_explain_refuses_a_wall_time_in_a_gap_or_a_fold(capsys):
    base = ["explain", EXAMPLE, "--event", "new_conversation", "--at"]
    code, out, err = run(capsys, *base, "2026-03-29T02:30")
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        "notifpolicy: error: --at: 2026-03-29T02:30 does not exist in Europe/Amsterdam: the "
        "clocks jump from +01:00 (CET) to +02:00 (CEST) and skip it; give another time or an "
        "explicit offset\n"
    )
    code, out, err = run(capsys, *base, "2026-10-25T02:30")
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        "notifpolicy: error: --at: 2026-10-25T02:30 is ambiguous in Europe/Amsterdam: the clocks "
        "show it twice, at +02:00 (CEST) and again at +01:00 (CET); add the offset you mean: "
        "2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00\n"
    )
    code, doc = run_json(capsys, *base, "2026-10-25T02:30:15")
    assert code == EXIT_USAGE
    assert "2026-10-25T02:30:15+02:00 or 2026-10-25T02:30:15+01:00" in doc["error"]


def test_explain_refuses_a_date_the_clocks_skip(capsys, tmp_path):
    # Pacific/Apia skipped 2011-12-30 (it crossed the date line): the date has no first instant
    # to start at; the next date's is not the one asked for.
    path = settings_toml(tmp_path, timezone="Pacific/Apia")
    base = ["explain", path, "--event", "new_conversation", "--at"]
    code, out, err = run(capsys, *base, "2011-12-30")
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        "notifpolicy: error: --at: 2011-12-30 does not exist in Pacific/Apia: the clocks jump "
        "from -10:00 to +14:00 and skip the whole date; give another date\n"
    )
    code, doc = run_json(capsys, *base, "2011-12-31")
    assert code == EXIT_OK
    assert doc["at"] == {"local": "2011-12-31T00:00:00+14:00", "utc": "2011-12-30T10:00:00+00:00"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2026-03-02T23:00:00.123456789",
            "--at: expected at most 6 digits after the decimal point (microseconds); "
            "got '2026-03-02T23:00:00.123456789'",
        ),
        ("2026-03-02T23:00:00,1234567+01:00", "got '2026-03-02T23:00:00,1234567+01:00'"),
        ("tomorrow", "--at: expected an ISO 8601 date-time such as 2026-03-02T23:00"),
        ("", "got ''"),
        ("1899-12-31T23:00Z", "--at: expected a date in the years 1900 to 9997; got"),
        ("9998-01-01", "--at: expected a date in the years 1900 to 9997; got '9998-01-01'"),
    ],
)
def test_explain_bad_at(capsys, value, message):
    code, out, err = run(
        capsys,
        "explain",
        EXAMPLE,
        "--event",
        "mention",
        "--author",
        "bo",
        "--mention",
        "anna",
        "--at",
        value,
    )
    assert (code, out) == (EXIT_USAGE, "")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--event", "birthday"],
            "--event: expected one of new_conversation, unassigned_conversation, mention",
        ),
        (
            ["--event", "daily_summary", "--assignee", "x"],
            "--assignee: does not apply to --event daily_summary",
        ),
        (["--event", "daily_summary", "--conversation", "c"], "--conversation: does not apply"),
        (
            ["--event", "new_conversation", "--author", "bo"],
            "--author: does not apply to --event new_conversation",
        ),
        (["--event", "sla_breach", "--mention", "bo"], "--mention: does not apply"),
        (
            ["--event", "mention", "--mention", "anna"],
            "--event mention: expected --author ID and at least one --mention ID",
        ),
        (["--event", "mention", "--author", "bo"], "--event mention: expected --author ID"),
        (
            ["--event", "mention", "--author", "bo", "--mention", "zed"],
            "--mention: expected the id of a member (anna, bo, olga); got 'zed'",
        ),
        (
            ["--event", "mention", "--author", "", "--mention", "anna"],
            "--author: expected the id of a member (anna, bo, olga); got ''",
        ),
        (
            ["--event", "mention", "--author", "zed", "--mention", "anna"],
            "--author: expected the id of a member (anna, bo, olga); got 'zed'",
        ),
        (
            ["--event", "sla_breach", "--assignee", "zed"],
            "--assignee: expected the id of a member (anna, bo, olga); got 'zed'",
        ),
        (
            ["--event", "new_conversation", "--assignee", "zed"],
            "--assignee: expected the id of a member (anna, bo, olga); got 'zed'",
        ),
        (
            ["--event", "new_conversation", "--event-id", ""],
            "--event-id: must be a non-empty string, got ''",
        ),
        (
            ["--event", "new_conversation", "--lang", "fr"],
            "--lang: expected one of en, nl; got 'fr'",
        ),
        (
            ["--event", "new_conversation", "--member", "carl"],
            "--member: expected ID:ROLE or ID:ROLE:CHANNELS",
        ),
        (["--event", "new_conversation", "--member", "carl:boss"], "--member: expected ID:ROLE"),
        (["--event", "new_conversation", "--member", "carl:agent:sms"], "got 'carl:agent:sms'"),
        (
            ["--event", "new_conversation", "--override", "anna:mention"],
            "--override: expected ID:KIND=on|off",
        ),
        (
            ["--event", "new_conversation", "--override", "zed:mention=off"],
            "--override: expected the id of a member (anna, bo, olga); got 'zed'",
        ),
        (
            ["--event", "new_conversation", "--override", "anna:escalation_unassigned=off"],
            "--override: overrides.escalation_unassigned",
        ),
        (
            ["--event", "new_conversation", "--override", "anna:daily_summary.push=off"],
            "got 'anna:daily_summary.push=off'",
        ),
    ],
)
def test_explain_bad_options(capsys, argv, message):
    code, out, err = run(capsys, "explain", EXAMPLE, "--at", "2026-03-02T12:00", *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert message in err
    assert len(err.splitlines()) == 1


def test_explain_assignee_and_author_are_members_of_the_team(capsys):
    # Checked like --mention: an unknown assignee would give everyone the SLA breach, as if
    # the conversation had none.  A member added with --member is in the team.
    base = ["explain", EXAMPLE, "--at", "2026-03-02T12:00", "--json"]
    code, doc = run_json(capsys, *base[:-1], "--event", "sla_breach", "--assignee", "anna")
    assert code == EXIT_OK
    assert {d["recipient"] for d in doc["decisions"]} == {"anna"}
    argv = ["--event", "sla_breach", "--assignee", "carl", "--member", "carl:agent:email"]
    code, doc = run_json(capsys, *base[:-1], *argv)
    assert code == EXIT_OK
    assert [(d["recipient"], d["channel"]) for d in doc["decisions"]] == [("carl", "email")]
    code, out, _ = run(capsys, *base, "--event", "sla_breach", "--assignee", "zed")
    assert code == EXIT_USAGE
    assert json.loads(out) == {
        "error": "--assignee: expected the id of a member (anna, bo, olga); got 'zed'",
        "exit_code": EXIT_USAGE,
    }


def test_explain_invalid_settings_exit_1(capsys, tmp_path):
    path = write(tmp_path, "bad.toml", "[escalation.unassigned]\nafter_minutes = 0\n")
    argv = ["explain", path, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_INVALID, "")
    assert err.splitlines() == [
        f"notifpolicy: error: {path} is not valid: 1 problem",
        "  escalation.unassigned.after_minutes [range]: must be an integer from 1 to 10080, got 0",
    ]
    code, doc = run_json(capsys, *argv)
    assert code == EXIT_INVALID
    assert doc["exit_code"] == EXIT_INVALID
    assert doc["file"] == path
    assert doc["problems"] == [
        {
            "path": "escalation.unassigned.after_minutes",
            "code": "range",
            "message": "must be an integer from 1 to 10080, got 0",
        }
    ]


ROSTER_TOML = """
[[members]]
id = "ann"
name = "Ann"
role = "owner"
channels = ["email"]

[[members]]
id = "cy"
role = "agent"
active = false

[[members]]
id = "dee"
[members.overrides]
new_conversation = false
unassigned_conversation = { push = false }
"""


def test_explain_with_a_roster_file(capsys, tmp_path):
    roster = write(tmp_path, "team.toml", ROSTER_TOML)
    plain = settings_toml(tmp_path, quiet=None)
    argv = ["explain", plain, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code, out, _ = run(capsys, *argv, "--roster", roster)
    assert code == EXIT_OK
    heads = [
        line
        for line in out.splitlines()
        if line and not line.startswith(("  ", "event", "kinds", "at ", "quiet", plain))
    ]
    assert heads == [
        "ann (owner), email: deliver",
        # Delivered for unassigned_conversation; the reason says why new_conversation is not.
        "dee (agent), in_app: deliver [disabled_by_member (new_conversation)]",
        "dee (agent), email: deliver [disabled_by_member (new_conversation)]",
        "dee (agent), push: suppress [disabled_by_member (new_conversation); "
        "disabled_by_member (unassigned_conversation)]",
        "Slack: suppress [slack_not_configured]",
        "5 decisions: 3 deliver, 2 suppress",
    ]
    # cy is deactivated: no decision at all.  The same team as JSON, with edits on top.
    team = {
        "members": [
            {"id": "ann", "name": "Ann", "role": "owner", "channels": ["email"]},
            {"id": "cy", "role": "agent", "active": False},
        ]
    }
    roster_json = write(tmp_path, "team.json", json.dumps(team))
    code, doc = run_json(
        capsys,
        *argv,
        "--roster",
        roster_json,
        "--member",
        "cy:admin:push",
        "--member",
        "eve:agent",
        "--override",
        "eve:new_conversation=off",
        "--override",
        "eve:new_conversation.email=on",
        "--override",
        "ann:unassigned_conversation=off",
        "--override",
        "ann:unassigned_conversation.email=off",
    )
    assert code == EXIT_OK
    rows = [(d["recipient"], d["channel"], d["outcome"]) for d in doc["decisions"]]
    assert rows == [
        ("ann", "email", "deliver"),
        ("cy", "push", "deliver"),
        ("eve", "in_app", "deliver"),  # unassigned_conversation is still on
        ("eve", "email", "deliver"),
        ("eve", "push", "deliver"),
        (None, "slack", "suppress"),
    ]
    assert doc["decisions"][0]["kinds"] == ["new_conversation"]


def test_explain_nobody_notified(capsys, tmp_path):
    roster = write(tmp_path, "team.toml", ROSTER_TOML)
    argv = ["explain", EXAMPLE, "--event", "mention", "--author", "ann", "--mention", "cy"]
    code, out, _ = run(capsys, *argv, "--at", "2026-03-02T12:00", "--roster", roster)
    assert code == EXIT_OK
    assert out.splitlines()[-3:] == ["Nobody is notified.", "", "0 decisions"]
    code, doc = run_json(capsys, *argv, "--at", "2026-03-02T12:00", "--roster", roster)
    assert doc["decisions"] == []


@pytest.mark.parametrize(
    ("text", "name", "paths"),
    [
        ("members = []\nteam = 1\n", "t.toml", ["team", "members"]),
        (
            '[[members]]\nid = 3\nrole = "boss"\nname = 1\nactive = "yes"\n'
            'channels = ["sms"]\nemail = "x@y"\noverrides = { mention = 1 }\n',
            "t.toml",
            [
                "members[0].email",
                "members[0].id",
                "members[0].role",
                "members[0].name",
                "members[0].active",
                "members[0].channels[0]",
                "members[0].overrides.mention",
            ],
        ),
        ('{"members": [1, {"id": "a"}, {"id": "a"}]}', "t.json", ["members[0]", "members[2].id"]),
        ('{"members": [{"id": "a", "id": "b"}]}', "t.json", ["members[0].id"]),
        ("[1]", "t.json", [""]),
        ("{", "t.json", [""]),
        ("members = [", "t.toml", [""]),
        ('{"members": ' + "9" * 5000 + "}", "t.json", [""]),  # too long to convert
        ('{"members": ' + "[" * 100_000 + "}", "t.json", [""]),  # too deep to read
        ("members = " + "[" * 5000, "t.toml", [""]),
        ('[[members]]\nid = "a"\nrole = ["agent"]\n', "t.toml", ["members[0].role"]),
        (
            '[[members]]\nid = "a"\nchannels = ["email", "email"]\n',
            "t.toml",
            ["members[0].channels[1]"],
        ),
    ],
)
def test_explain_invalid_roster_files_exit_1(capsys, tmp_path, text, name, paths):
    roster = write(tmp_path, name, text)
    argv = ["explain", EXAMPLE, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code, doc = run_json(capsys, *argv, "--roster", roster)
    assert code == EXIT_INVALID
    assert doc["file"] == roster
    assert [p["path"] for p in doc["problems"]] == paths


def test_explain_unreadable_roster_exit_2(capsys, tmp_path):
    argv = ["explain", EXAMPLE, "--event", "new_conversation", "--at", "2026-03-02T12:00"]
    code, _, err = run(capsys, *argv, "--roster", str(tmp_path / "none.toml"))
    assert code == EXIT_USAGE
    assert "--roster" in err
    assert "cannot read the file" in err
    code, _, err = run(capsys, *argv, "--roster", write(tmp_path, "team.txt", ""))
    assert code == EXIT_USAGE
    assert "--roster" in err


# -- schedule -------------------------------------------------------------------------------------


def test_schedule_spring_forward_night(capsys):
    code, out, err = run(capsys, "schedule", EXAMPLE, "--from", "2026-03-28", "--days", "2")
    assert (code, err) == (EXIT_OK, "")
    assert out.splitlines() == [
        f"{EXAMPLE}: Europe/Amsterdam, workspace ws-1",
        "from 2026-03-28 00:00 CET (+01:00) = 2026-03-27 23:00 UTC",
        "to   2026-03-30 00:00 CEST (+02:00) = 2026-03-29 22:00 UTC (2 days)",
        "quiet hours 22:00\u201308:00 (mode summarize); daily summary at 08:30; "
        "weekly report on monday at 09:00",
        "",
        "2026-03-27 22:00 CET (+01:00)   2026-03-27 21:00 UTC  quiet hours start",
        "2026-03-28 08:00 CET (+01:00)   2026-03-28 07:00 UTC  quiet hours end (10h00m)",
        "2026-03-28 08:30 CET (+01:00)   2026-03-28 07:30 UTC  daily summary  "
        "ws-1:daily_summary:2026-03-28",
        "2026-03-28 22:00 CET (+01:00)   2026-03-28 21:00 UTC  quiet hours start",
        "2026-03-29 08:00 CEST (+02:00)  2026-03-29 06:00 UTC  quiet hours end (9h00m)",
        "2026-03-29 08:30 CEST (+02:00)  2026-03-29 06:30 UTC  daily summary  "
        "ws-1:daily_summary:2026-03-29",
        "2026-03-29 22:00 CEST (+02:00)  2026-03-29 20:00 UTC  quiet hours start",
        "2026-03-30 08:00 CEST (+02:00)  2026-03-30 06:00 UTC  quiet hours end (10h00m)",
    ]


def test_schedule_fall_back_night_json(capsys):
    code, doc = run_json(
        capsys,
        "schedule",
        EXAMPLE,
        "--from",
        "2026-10-24T12:00",
        "--days",
        "3",
        "--workspace-id",
        "acme",
    )
    assert code == EXIT_OK
    assert doc["from"] == {"local": "2026-10-24T12:00:00+02:00", "utc": "2026-10-24T10:00:00+00:00"}
    assert doc["to"] == {"local": "2026-10-27T12:00:00+01:00", "utc": "2026-10-27T11:00:00+00:00"}
    assert doc["quiet_periods"][0] == {
        "start": {"local": "2026-10-24T22:00:00+02:00", "utc": "2026-10-24T20:00:00+00:00"},
        "end": {"local": "2026-10-25T08:00:00+01:00", "utc": "2026-10-25T07:00:00+00:00"},
        "seconds": 11 * 3600,
    }
    assert [d["key"] for d in doc["digests"]] == [
        "acme:daily_summary:2026-10-25",
        "acme:daily_summary:2026-10-26",
        "acme:daily_summary:2026-10-27",
        "acme:weekly_report:2026-W44",
    ]
    # The daily period ending on the fall-back morning is 25 hours long.
    first = doc["digests"][0]
    assert first["send"]["utc"] == "2026-10-25T07:30:00+00:00"
    assert first["period_start"]["utc"] == "2026-10-24T06:30:00+00:00"
    events = [(row["at"]["utc"], row["event"]) for row in doc["timeline"]]
    assert events == sorted(events)
    assert events[:3] == [
        ("2026-10-24T20:00:00+00:00", "quiet_start"),
        ("2026-10-25T07:00:00+00:00", "quiet_end"),
        ("2026-10-25T07:30:00+00:00", "daily_summary"),
    ]
    assert doc["timeline"][2]["key"] == "acme:daily_summary:2026-10-25"
    assert doc["weekly_report"] == {"enabled": True, "weekday": "monday", "send_time": "09:00"}


def test_schedule_quiet_end_and_digest_in_the_spring_gap(capsys, tmp_path):
    # Quiet ends when the clock jumps to 03:00 (never showing 02:30); the 02:30 digest moves
    # forward by the gap, to 03:30 CEST.
    path = settings_toml(tmp_path, quiet='["22:00", "02:30", "defer"]', daily="02:30")
    code, out, _ = run(capsys, "schedule", path, "--from", "2026-03-28T12:00", "--days", "1")
    assert code == EXIT_OK
    assert out.splitlines()[5:] == [
        "2026-03-28 22:00 CET (+01:00)   2026-03-28 21:00 UTC  quiet hours start",
        "2026-03-29 03:00 CEST (+02:00)  2026-03-29 01:00 UTC  quiet hours end (4h00m)",
        "2026-03-29 03:30 CEST (+02:00)  2026-03-29 01:30 UTC  daily summary  "
        "ws-1:daily_summary:2026-03-29",
    ]


def test_schedule_fold_splits_a_quiet_period(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet='["02:30", "06:00", "summarize"]', daily="02:30")
    code, out, _ = run(capsys, "schedule", path, "--from", "2026-10-24T12:00", "--days", "1")
    assert code == EXIT_OK
    assert out.splitlines()[5:] == [
        "2026-10-25 02:30 CEST (+02:00)  2026-10-25 00:30 UTC  quiet hours start",
        "2026-10-25 02:30 CEST (+02:00)  2026-10-25 00:30 UTC  daily summary  "
        "ws-1:daily_summary:2026-10-25",
        "2026-10-25 02:00 CET (+01:00)   2026-10-25 01:00 UTC  quiet hours end (0h30m)",
        "2026-10-25 02:30 CET (+01:00)   2026-10-25 01:30 UTC  quiet hours start",
        "2026-10-25 06:00 CET (+01:00)   2026-10-25 05:00 UTC  quiet hours end (3h30m)",
    ]


def test_schedule_a_period_already_on_at_from_keeps_its_start(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet='["22:00", "08:00", "suppress"]')
    code, doc = run_json(capsys, "schedule", path, "--from", "2026-03-03T03:00", "--days", "1")
    assert code == EXIT_OK
    assert doc["quiet_periods"][0]["start"]["local"] == "2026-03-02T22:00:00+01:00"
    assert doc["quiet_periods"][0]["end"]["local"] == "2026-03-03T08:00:00+01:00"
    # The whole period at the end of the span is listed, past the end.
    assert doc["quiet_periods"][-1]["end"]["local"] == "2026-03-04T08:00:00+01:00"
    assert doc["digests"] == []


def test_schedule_period_begun_before_the_walk(capsys, tmp_path, monkeypatch):
    # Were a period longer than the look-back, its start would be unknown: shown as an end only.
    monkeypatch.setattr(_schedule, "LOOKBACK", dt.timedelta(hours=1))
    path = settings_toml(tmp_path, quiet='["22:00", "08:00", "suppress"]')
    code, out, _ = run(capsys, "schedule", path, "--from", "2026-03-03T03:00", "--days", "1")
    assert out.splitlines()[5] == (
        "2026-03-03 08:00 CET (+01:00)  2026-03-03 07:00 UTC  quiet hours end"
    )
    code, doc = run_json(capsys, "schedule", path, "--from", "2026-03-03T03:00", "--days", "1")
    assert code == EXIT_OK
    assert doc["quiet_periods"][0]["start"] is None
    assert doc["quiet_periods"][0]["seconds"] is None


def test_schedule_nothing_enabled(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet=None, timezone="UTC")
    code, out, _ = run(capsys, "schedule", path, "--from", "2026-03-02T00:00Z")
    assert code == EXIT_OK
    assert out.splitlines() == [
        f"{path}: UTC, workspace ws-1",
        "from 2026-03-02 00:00 UTC (+00:00) = 2026-03-02 00:00 UTC",
        "to   2026-03-09 00:00 UTC (+00:00) = 2026-03-09 00:00 UTC (7 days)",
        "quiet hours off; daily summary off; weekly report off",
        "",
        "Nothing scheduled.",
    ]


def test_schedule_weekly_sends_over_a_year_and_a_send_at_from(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet=None, weekly="friday 17:00", timezone="America/New_York")
    code, doc = run_json(capsys, "schedule", path, "--from", "2026-01-02T17:00", "--days", "366")
    assert code == EXIT_OK
    keys = [d["key"] for d in doc["digests"]]
    assert keys[0] == "ws-1:weekly_report:2026-W01"  # a send exactly at --from is listed
    assert len(keys) == 53
    assert len(set(keys)) == 53
    summer = next(d for d in doc["digests"] if d["key"] == "ws-1:weekly_report:2026-W27")
    assert summer["send"] == {
        "local": "2026-07-03T17:00:00-04:00",
        "utc": "2026-07-03T21:00:00+00:00",
    }


def test_schedule_span_end_is_resolved_like_a_send(capsys):
    # 02:30 does not exist on 2026-03-29: the span ends after the gap, 03:30 CEST.
    code, doc = run_json(capsys, "schedule", EXAMPLE, "--from", "2026-03-28T02:30", "--days", "1")
    assert doc["to"] == {"local": "2026-03-29T03:30:00+02:00", "utc": "2026-03-29T01:30:00+00:00"}
    # A start in the second pass of a fold does not carry its fold to the end.
    argv = ["schedule", EXAMPLE, "--from", "2026-10-25T02:30+01:00", "--days", "154"]
    code, doc = run_json(capsys, *argv)
    assert code == EXIT_OK
    assert doc["from"]["utc"] == "2026-10-25T01:30:00+00:00"
    assert doc["to"] == {"local": "2027-03-28T03:30:00+02:00", "utc": "2027-03-28T01:30:00+00:00"}


def test_schedule_at_the_edges_of_the_accepted_years(capsys):
    code, doc = run_json(capsys, "schedule", EXAMPLE, "--from", "9997-12-31", "--days", "366")
    assert code == EXIT_OK
    assert doc["to"]["local"] == "9999-01-01T00:00:00+01:00"
    assert doc["timeline"][-1]["at"]["local"] == "9999-01-01T08:00:00+01:00"
    code, doc = run_json(capsys, "schedule", EXAMPLE, "--from", "1900-01-01", "--days", "1")
    assert code == EXIT_OK
    assert doc["from"] == {
        "local": "1900-01-01T00:00:00+00:19:32",
        "utc": "1899-12-31T23:40:28+00:00",
    }


def test_schedule_date_whose_midnight_is_skipped_starts_when_the_clock_jumps(capsys, tmp_path):
    path = settings_toml(tmp_path, quiet=None, timezone="America/Sao_Paulo")
    code, out, _ = run(capsys, "schedule", path, "--from", "2018-11-04", "--days", "1")
    assert code == EXIT_OK
    # Sao Paulo's zone has no letter abbreviations: only the offset is shown.
    assert out.splitlines()[1] == "from 2018-11-04 01:00 (-02:00) = 2018-11-04 03:00 UTC"


def test_schedule_from_a_date_ends_at_the_start_of_a_later_date(capsys, tmp_path):
    # The span is counted in local dates: from a date, it ends where the local date --days later
    # starts.  São Paulo's 2018-11-04 starts at 01:00 (the clocks skip midnight), its 11-05 at
    # 00:00: one day is 23 hours, and the 00:30 send on 11-05 is the next day's.
    path = settings_toml(tmp_path, quiet=None, timezone="America/Sao_Paulo", daily="00:30")
    code, doc = run_json(capsys, "schedule", path, "--from", "2018-11-04", "--days", "1")
    assert code == EXIT_OK
    assert doc["from"]["local"] == "2018-11-04T01:00:00-02:00"
    assert doc["to"] == {"local": "2018-11-05T00:00:00-02:00", "utc": "2018-11-05T02:00:00+00:00"}
    assert [d["key"] for d in doc["digests"]] == ["ws-1:daily_summary:2018-11-04"]
    # Up to a date whose midnight is skipped: it ends when that date starts, at the jump.
    code, doc = run_json(capsys, "schedule", path, "--from", "2018-11-03", "--days", "1")
    assert doc["to"]["local"] == "2018-11-04T01:00:00-02:00"
    assert [d["key"] for d in doc["digests"]] == ["ws-1:daily_summary:2018-11-03"]
    # Up to a date skipped whole: it ends where the date before it ends.
    apia = settings_toml(tmp_path, name="apia.toml", quiet=None, timezone="Pacific/Apia")
    code, doc = run_json(capsys, "schedule", apia, "--from", "2011-12-29", "--days", "1")
    assert doc["to"] == {"local": "2011-12-31T00:00:00+14:00", "utc": "2011-12-30T10:00:00+00:00"}
    # From a time, the same wall time: on this date that is 23 hours too.
    code, doc = run_json(capsys, "schedule", path, "--from", "2018-11-04T01:00", "--days", "1")
    assert doc["to"]["local"] == "2018-11-05T01:00:00-02:00"


def test_schedule_refuses_a_date_the_clocks_skip(capsys, tmp_path):
    path = settings_toml(tmp_path, timezone="Pacific/Apia")
    code, out, err = run(capsys, "schedule", path, "--from", "2011-12-30", "--days", "1")
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        "notifpolicy: error: --from: 2011-12-30 does not exist in Pacific/Apia: the clocks jump "
        "from -10:00 to +14:00 and skip the whole date; give another date\n"
    )


@pytest.mark.parametrize("days", ["0", "367", "-1", "seven", "", "٣"])
def test_schedule_days_out_of_range(capsys, days):
    code, out, err = run(capsys, "schedule", EXAMPLE, "--from", "2026-03-28", "--days", days)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"notifpolicy: error: --days: expected a whole number of days from 1 to 366; got {days!r}\n"
    )


def test_schedule_bad_from_and_workspace_id(capsys):
    base = ["schedule", EXAMPLE, "--from"]
    code, _, err = run(capsys, *base, "2026-03-29T02:30")
    assert code == EXIT_USAGE
    assert err.startswith("notifpolicy: error: --from: 2026-03-29T02:30 does not exist")
    code, _, err = run(capsys, *base, "2026-10-25T02:30")
    assert "--from: 2026-10-25T02:30 is ambiguous in Europe/Amsterdam" in err
    code, _, err = run(capsys, *base, "next week")
    assert "--from: expected an ISO 8601 date-time" in err
    code, doc = run_json(capsys, *base, "2026-03-28", "--workspace-id", "")
    assert code == EXIT_USAGE
    assert doc["error"] == "--workspace-id: expected a non-empty id; got ''"
    code, _, err = run(capsys, "schedule", EXAMPLE)
    assert code == EXIT_USAGE
    assert "the following arguments are required: --from" in err


def test_schedule_invalid_settings(capsys, tmp_path):
    path = write(tmp_path, "bad.json", '{"quiet_hours": {"start": "22:00", "end": "22:00"}}')
    code, out, err = run(capsys, "schedule", path, "--from", "2026-03-28")
    assert (code, out) == (EXIT_INVALID, "")
    assert "quiet_hours.end [empty_window]" in err


# -- diff -----------------------------------------------------------------------------------------


def test_diff_no_changes(capsys):
    assert run(capsys, "diff", EXAMPLE, EXAMPLE) == (EXIT_OK, "No changes.\n", "")
    assert run(capsys, "diff", EXAMPLE, EXAMPLE, "--exit-code")[0] == EXIT_OK
    code, doc = run_json(capsys, "diff", EXAMPLE, EXAMPLE)
    assert code == EXIT_OK
    assert doc == {"old": EXAMPLE, "new": EXAMPLE, "changes": []}


def test_diff_changes_with_secrets_redacted(capsys, tmp_path):
    old = write(tmp_path, "old.toml", 'timezone = "Europe/Amsterdam"\n')
    new = write(
        tmp_path,
        "new.json",
        json.dumps(
            {
                "timezone": "Europe/Amsterdam",
                "escalation": {"unassigned": {"after_minutes": 45}},
                "slack": {"webhook_url": WEBHOOK, "events": ["escalation"]},
                "business_hours": {"weekly": {"mon": [["09:00", "17:00"]]}},
                "version": 7,
            }
        ),
    )
    code, out, err = run(capsys, "diff", old, new)
    assert (code, err) == (EXIT_OK, "")
    assert out.splitlines() == [
        "4 changes:",
        "  escalation.unassigned.after_minutes: 30 → 45",
        '  slack.webhook_url: null → "<redacted>"',
        '  slack.events: ["new_conversation", "unassigned", "escalation"] → ["escalation"]',
        '  business_hours: null → {"weekly": {"mon": [["09:00", "17:00"]]}, "closed_dates": []}',
    ]
    assert SECRET_TOKEN not in out
    assert run(capsys, "diff", old, new, "--exit-code")[0] == EXIT_CHANGED
    code, doc = run_json(capsys, "diff", old, new, "--exit-code")
    assert code == EXIT_CHANGED
    assert doc["changes"][0] == {
        "path": "escalation.unassigned.after_minutes",
        "old": 30,
        "new": 45,
    }
    assert doc["changes"][1] == {"path": "slack.webhook_url", "old": None, "new": "<redacted>"}
    assert SECRET_TOKEN not in json.dumps(doc)
    code, out, _ = run(capsys, "diff", new, old)
    assert "  escalation.unassigned.after_minutes: 45 → 30" in out.splitlines()
    assert out.splitlines()[0] == "4 changes:"
    one = write(tmp_path, "one.toml", 'timezone = "UTC"\n')
    assert run(capsys, "diff", old, one)[1].splitlines()[0] == "1 change:"


def test_diff_invalid_files_are_an_error_on_stderr(capsys, tmp_path):
    # As for every command but check: an invalid file is an error (stderr; the JSON error
    # document with every problem), not a result on stdout.
    good = write(tmp_path, "good.toml", "")
    bad = write(tmp_path, "bad.toml", '[quiet_hours]\nmode = "loud"\n')
    code, out, err = run(capsys, "diff", good, bad)
    assert (code, out) == (EXIT_INVALID, "")
    assert err.splitlines() == [
        f"notifpolicy: error: {bad} is not valid: 1 problem",
        "  quiet_hours.mode [choice]: must be one of suppress, defer, summarize, got 'loud'",
    ]
    worse = write(tmp_path, "worse.toml", "version = 0\nfoo = 1\n")
    code, out, err = run(capsys, "diff", worse, bad, "--exit-code", "--json")
    assert code == EXIT_INVALID
    doc = json.loads(out)
    assert list(doc) == ["error", "exit_code", "files", "problems"]
    assert doc["error"] == err.removeprefix("notifpolicy: error: ").removesuffix("\n")
    assert doc["exit_code"] == EXIT_INVALID
    assert doc["files"] == [worse, bad]
    assert [(p["file"], p["path"]) for p in doc["problems"]] == [
        (worse, "foo"),
        (worse, "version"),
        (bad, "quiet_hours.mode"),
    ]
    assert set(doc["problems"][0]) == {"file", "path", "code", "message"}
    code, out, err = run(capsys, "diff", worse, bad)
    assert (code, out) == (EXIT_INVALID, "")
    assert err.splitlines()[0] == f"notifpolicy: error: {worse} is not valid: 2 problems"
    assert f"{bad} is not valid: 1 problem" in err.splitlines()


def test_diff_unreadable_files_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "diff", EXAMPLE, str(tmp_path / "gone.toml"))
    assert code == EXIT_USAGE
    assert err.startswith("notifpolicy: error: NEW ")
    code, _, err = run(capsys, "diff", str(tmp_path / "gone.json"), EXAMPLE)
    assert err.startswith("notifpolicy: error: OLD ")


# -- showing instants -----------------------------------------------------------------------------


def test_instants_with_second_offsets_and_numeric_zone_names():
    monrovia = zoneinfo.ZoneInfo("Africa/Monrovia")
    at = dt.datetime(1960, 1, 1, tzinfo=dt.UTC)
    assert local_text(at, monrovia) == "1959-12-31 23:15:30 MMT (-00:44:30)"
    assert utc_text(at) == "1960-01-01 00:00 UTC"
    assert moment(at, monrovia) == {
        "local": "1959-12-31T23:15:30-00:44:30",
        "utc": "1960-01-01T00:00:00+00:00",
    }
    assert moment(None, monrovia) is None
