"""Every example under examples/ runs, as a user would run it, and does what it says."""

from __future__ import annotations

import ast
import datetime as dt
import email
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from ._servers import slack_stub_for_subprocess, smtp_server_for_subprocess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example_command(name: str, *args: str | Path) -> list[str]:
    # -u: the signal test reads the output line by line while the example runs.
    return [sys.executable, "-u", str(EXAMPLES / name), *map(str, args)]


def run_example(
    name: str, *args: str | Path, env: dict[str, str] | None = None, timeout: float = 60
) -> str:
    result = subprocess.run(
        example_command(name, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# -- the list of examples ---------------------------------------------------------------------


def _example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.py"))


def test_every_example_is_run_by_a_test_and_listed_in_the_readme():
    """A new example without a test here (or a line in examples/README.md) fails."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    run = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"run_example", "example_command"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    names = {p.name for p in _example_files()}
    assert {"demo.py", "minimal_host.py", "sqlite_host.py", "scheduler_loop.py"} <= names
    assert names - run == set(), "examples that no test runs"
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert {n for n in names if f"`{n}`" not in readme} == set(), "missing from README.md"


def test_every_example_package_is_tested_and_listed_in_the_readme():
    """An example that is a package (``webapp/``) has its README, its tests and a README line."""
    packages = sorted(p.parent for p in EXAMPLES.glob("*/__main__.py"))
    assert [p.name for p in packages] == ["webapp"]
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    tests = Path(__file__).resolve().parent
    for package in packages:
        assert f"`{package.name}/`" in readme
        assert (package / "README.md").exists()
        assert (tests / f"test_{package.name}.py").exists()


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.name)
def test_example_shape_and_public_imports_only(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), "a module docstring says what it shows and how to run it"
    assert "python examples/" in (ast.get_docstring(tree) or "")
    private = {
        m
        for m in _imports(tree)
        if m.split(".")[0] == "notifpolicy" and any(p.startswith("_") for p in m.split("."))
    }
    assert private == set()
    main = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    assert len(main) == 1
    assert [a.arg for a in main[0].args.args] == ["argv"]
    last = tree.body[-1]
    assert isinstance(last, ast.If)
    assert ast.unparse(last) == "if __name__ == '__main__':\n    raise SystemExit(main())"


# -- demo.py ----------------------------------------------------------------------------------


def test_demo_runs_and_shows_the_save_flow():
    out = run_example("demo.py")
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


# -- minimal_host.py --------------------------------------------------------------------------


def test_minimal_host_sends_defers_explains_and_refuses():
    out = run_example("minimal_host.py")
    afternoon, night, morning = (
        out.split("16:00  a customer")[1].split("23:30  Olga")[0],
        out.split("23:30  Olga")[1].split("08:00  tick")[0],
        out.split("08:00  tick")[1],
    )
    assert out.startswith("Olga saves the settings: now version 2\n")
    # In the afternoon: sent at once, to everyone on each of their channels, and why.
    subject = "New conversation, unassigned conversation: Refund"
    assert re.findall(r"-> (.*)", afternoon) == [
        f"in_app to olga: {subject}",
        f"email to olga@example.org: {subject}",
        f"in_app to anna: {subject}",
    ]
    assert "why: Olga gets an email (new conversation, unassigned conversation)." in afternoon
    assert "why: Slack: not sent (new conversation, unassigned conversation): no Slack" in afternoon
    assert "sent now: 3" in afternoon
    # During quiet hours: nothing sent, and the reason names the rule and the delivery time.
    assert "->" not in night
    assert "sent now: 0" in night
    assert (
        "why: Anna gets an in-app notification later (mention): held by quiet hours "
        "22:00–08:00 Europe/Amsterdam, mode defer: sent at 2026-03-03 08:00." in night
    )
    # The tick at the end of quiet hours sends exactly the deferred mention.
    assert morning.splitlines()[1:3] == [
        "  -> in_app to anna: Mention",
        "  sent by tick: ws-1:e2:anna:in_app",
    ]
    assert out.rstrip().endswith(
        "Anna tries to save the settings: refused: "
        "only owners and admins can change workspace settings; anna is agent"
    )


# -- sqlite_host.py ---------------------------------------------------------------------------


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_sqlite_host_sends_through_real_slack_and_smtp_servers(tmp_path):
    db = tmp_path / "desk.sqlite3"
    webhook = "https://hooks.slack.com/services/T0/B0SECRET/ok"  # the stub answers 200 to /ok
    with (
        slack_stub_for_subprocess(tmp_path / "slack-ca.pem") as slack,
        smtp_server_for_subprocess(tmp_path / "smtp-ca.pem") as (mail, smtp_port),
    ):
        common = [
            "--db",
            db,
            "--now",
            "2026-03-02T10:00:00+01:00",  # a Monday morning: no quiet hours
            "--slack-resolve",
            f"127.0.0.1:{slack.port}",
            "--slack-ca",
            tmp_path / "slack-ca.pem",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(smtp_port),
            "--smtp-ca",
            tmp_path / "smtp-ca.pem",
            "--smtp-user",
            "desk",
        ]
        password = {"SMTP_PASSWORD": "s3cret"}
        first = run_example("sqlite_host.py", *common, "--slack-webhook", webhook, env=password)
        # A second run reads the saved settings (and the webhook URL in them) from the file.
        second = run_example("sqlite_host.py", *common, env=password)

    assert "Settings: Olga saved workspace.toml, version 1 -> 2" in first
    assert "Settings: version 2, saved before" in second
    for out in (first, second):
        assert "Now: Mon 2026-03-02 10:00 CET" in out
        assert out.rstrip().endswith("\n7 sent")
        assert "B0SECRET" not in out

    # Slack: two messages per run, user text escaped, one second apart (Slack's pace).
    payloads = [json.loads(body) for body in slack.bodies]
    assert [p["text"] for p in payloads] == 2 * [
        "New conversation · Unassigned conversation: Refund &lt;!channel&gt;",
        "New conversation: Invoice question",
    ]
    assert "<https://desk.example.org/c/c-1042|Open conversation>" in slack.bodies[0].decode()
    assert slack.arrived[1] - slack.arrived[0] >= 0.5  # sent back to back: ~0.01
    assert {h["Content-Type"] for h in slack.headers_seen} == {"application/json; charset=utf-8"}

    # Email: over STARTTLS with a login (the server requires both), to each member.
    received = [(rcpts, _parse(raw)) for _, rcpts, raw in mail.messages]
    assert len(received) == 10
    subjects = sorted((rcpts[0], str(msg["Subject"])) for rcpts, msg in received[:5])
    assert subjects == [
        ("anna@example.org", "Mention"),
        ("anna@example.org", "New conversation, unassigned conversation: Refund <!channel>"),
        ("anna@example.org", "New conversation: Invoice question"),
        ("olga@example.org", "New conversation, unassigned conversation: Refund <!channel>"),
        ("olga@example.org", "New conversation: Invoice question"),
    ]
    body = received[0][1].get_body(("plain",))
    assert body is not None
    assert body.get_content().splitlines() == [
        "New conversation, unassigned conversation: Refund <!channel>",
        "Ada",
        "https://desk.example.org/c/c-1042",
    ]

    # The SQLite file: every delivery of both runs is an outbox row marked sent, once each.
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT id, channel, status, attempts FROM outbox").fetchall()
    assert len(rows) == 14
    assert {(channel, status, attempts) for _, channel, status, attempts in rows} == {
        ("slack", "sent", 1),
        ("email", "sent", 1),
    }
    email_ids = {row[0] for row in rows if row[1] == "email"}
    assert {str(msg["X-Notifpolicy-Id"]) for _, msg in received} == email_ids


# -- scheduler_loop.py ------------------------------------------------------------------------

ITEM = "ws-1:e1:anna:in_app"


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_scheduler_loop_sleeps_until_the_retry_and_sends_it_on_the_real_clock():
    started = time.monotonic()
    out = run_example("scheduler_loop.py", "--run-for", "3", timeout=20)
    elapsed = time.monotonic() - started

    handled = re.search(rf"^(\S+) handled e1: {ITEM} will be retried$", out, re.M)
    first_sleep = re.search(r"^(\S+) sleeping until (\S+), next wake (\S+)$", out, re.M)
    tick = re.search(rf"^(\S+) tick \(wake was (\S+)\): sent \['{ITEM}'\]", out, re.M)
    assert handled
    assert first_sleep
    assert tick
    # The first attempt failed; the retry was scheduled 1 to 2 s ahead (base 2 s, jitter)...
    wake = _at(first_sleep[3])
    assert first_sleep[2] == first_sleep[3]
    assert dt.timedelta(seconds=0.5) <= wake - _at(handled[1]) <= dt.timedelta(seconds=2)
    # ... and the loop slept until then, ticked at (not before) the wake time and sent it.
    ticked_at, wake_was = _at(tick[1]), _at(tick[2])
    assert wake_was == wake
    assert wake <= ticked_at < wake + dt.timedelta(seconds=1)
    assert re.search(r"delivered to anna: New conversation, unassigned conversation: Hi", out)
    assert out.rstrip().endswith(f"stopped (--run-for elapsed); sent: ['{ITEM}']")
    assert 3 <= elapsed < 10


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_scheduler_loop_stops_at_once_on_a_signal_while_asleep(sig):
    # A 60 s backoff: the loop is in a long sleep when the signal comes.
    command = example_command("scheduler_loop.py", "--retry-base", "60", "--max-nap", "60")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            assert "will be retried" in proc.stdout.readline()
            assert "sleeping until" in proc.stdout.readline()
            signalled = time.monotonic()
            proc.send_signal(sig)
            rest, _ = proc.communicate(timeout=10)
        finally:
            proc.kill()
    assert time.monotonic() - signalled < 3
    assert proc.returncode == 0
    assert rest.splitlines() == [f"stopped ({sig.name}); sent: []"]


def test_sqlite_host_refuses_a_foreign_webhook_before_creating_the_database(tmp_path):
    db = tmp_path / "desk.sqlite3"
    url = "https://evil.example.com/services/T/B/SECRETTOKEN"
    result = subprocess.run(
        example_command("sqlite_host.py", "--db", db, "--slack-webhook", url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "slack.webhook_url: must point at an allowed webhook host" in result.stderr
    assert "Traceback" not in result.stderr
    assert "SECRETTOKEN" not in result.stdout + result.stderr
    assert not db.exists()


@pytest.mark.parametrize(
    "args", [["--run-for", "nan"], ["--run-for", "inf"], ["--max-nap", "0"], ["--retry-base", "-1"]]
)
def test_scheduler_loop_refuses_seconds_that_would_spin_or_never_end(args):
    result = subprocess.run(
        example_command("scheduler_loop.py", *args),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"argument {args[0]}: expected seconds from 0.01 to 86400, got {args[1]!r}" in (
        result.stderr
    )
