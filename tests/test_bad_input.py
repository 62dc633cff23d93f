"""Bad input meets only the library's errors (SPEC §11): one example per crash found.

Each of these escaped as a bare TypeError, ValueError, RecursionError or UnicodeEncodeError
before; the adversarial suite (tests/test_adversarial_*.py) looks for more.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notifpolicy import (
    Channel,
    ConversationCreated,
    HostEvent,
    Member,
    MemberMentioned,
    MemberPreferences,
    NotifPolicyError,
    Problem,
    Role,
    Roster,
    ValidationError,
    WeeklyDigest,
    WorkspaceSettings,
    due,
)
from notifpolicy._errors import MAX_LISTED, MAX_QUOTED, quote
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.cli import main
from notifpolicy.cli._common import EXIT_INVALID
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import InMemoryStore, ManualClock, RecordingTransport

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def nested(depth: int) -> list[object]:
    """A list nested ``depth`` deep, built without recursion."""
    top: list[object] = []
    inner = top
    for _ in range(depth):
        deeper: list[object] = []
        inner.append(deeper)
        inner = deeper
    return top


def refused(call: Callable[[], object]) -> ValidationError:
    with pytest.raises(NotifPolicyError) as info:
        call()
    error = info.value
    assert isinstance(error, ValidationError)
    text = str(error)
    text.encode("utf-8")  # every message encodes
    assert len(text) <= 20_000
    return error


def codes(error: ValidationError) -> dict[str, str]:
    return {p.path: p.code for p in error.problems}


# -- unhashable values where a name belongs -------------------------------------------------------


def test_a_list_as_quiet_hours_mode_is_a_type_problem():
    error = refused(lambda: WorkspaceSettings.from_dict({"quiet_hours": {"mode": []}}))
    assert codes(error) == {"quiet_hours.mode": "type"}


def test_a_list_as_a_slack_event_is_a_type_problem():
    error = refused(lambda: WorkspaceSettings.from_dict({"slack": {"events": [[]]}}))
    assert codes(error) == {"slack.events[0]": "type"}


def test_a_list_as_an_event_kind_is_a_type_problem():
    error = refused(lambda: HostEvent(id="e", kinds=[[]]))  # type: ignore[list-item]
    assert codes(error) == {"event.kinds[0]": "type"}


# -- the CLI on such files, and on a lone surrogate -----------------------------------------------

BAD_DOCUMENTS = {
    "mode": '{"quiet_hours": {"mode": []}}',
    "events": '{"slack": {"events": [[]]}}',
    "surrogate": '{"\\ud800": 1}',
    "control": '{"a\\u0000\\u001b[31m": 1}',
    "huge_int": '{"version": ' + "9" * 5000 + "}",
    "version": '{"version": 9223372036854775808}',
}


def command_lines(path: str, good: str) -> list[list[str]]:
    return [
        ["check", path],
        ["diff", good, path],
        ["diff", path, good],
        ["explain", path, "--event", "new_conversation", "--at", "2026-03-02T10:00"],
        ["schedule", path, "--from", "2026-03-02"],
        ["simulate", path, "--day", "2026-03-02"],
    ]


@pytest.mark.parametrize("name", sorted(BAD_DOCUMENTS))
@pytest.mark.parametrize("as_json", [False, True])
def test_every_cli_command_reports_a_bad_file_as_invalid(monkeypatch, tmp_path, name, as_json):
    path = tmp_path / "bad.json"
    path.write_text(BAD_DOCUMENTS[name], encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text("{}", encoding="utf-8")
    for argv in command_lines(str(path), str(good)):
        # Strict UTF-8 streams, as a console's: a lone surrogate written raw would fail here.
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        code = main([*argv, "--json"] if as_json else argv)
        assert code == EXIT_INVALID, argv
        out.flush()
        err.flush()
        written = out.buffer.getvalue() + err.buffer.getvalue()
        assert b"Traceback" not in written
        assert len(written) < 100_000
        if as_json:
            json.loads(out.buffer.getvalue())


def test_a_lone_surrogate_key_is_quoted_escaped():
    error = refused(lambda: WorkspaceSettings.from_json('{"\\ud800": 1}'))
    assert error.problems == (Problem("\\ud800", "unknown_key", error.problems[0].message),)
    assert "\\ud800" in str(error)


# -- huge integers and bounded versions -----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"version": 10**5000},
        {"escalation": {"unassigned": {"after_minutes": 10**5000}}},
        {"digests": {"weekly": {"weekday": -(10**5000)}}},
        {"timezone": 10**5000},
        {"business_hours": {"weekly": {"mon": [[10**5000, "17:00"]]}}},
    ],
    ids=["version", "after_minutes", "weekday", "timezone", "business_hours"],
)
def test_huge_integers_are_described_not_converted(data):
    error = refused(lambda: WorkspaceSettings.from_dict(data))
    assert "an integer of 5001 digits" in str(error) or "a negative integer of" in str(error)


@pytest.mark.parametrize("version", [0, -1, 2**63, 10**5000], ids=["0", "-1", "2**63", "10**5000"])
def test_versions_are_bounded_everywhere(version):
    for call in (
        lambda: MemberPreferences.from_dict({"version": version}),
        lambda: MemberPreferences.from_stored({"version": version}),
        lambda: MemberPreferences(version=version),
        lambda: WorkspaceSettings.from_dict({"version": version}),
        lambda: WorkspaceSettings(version=version),
    ):
        error = refused(call)
        assert codes(error) == {"version": "range"}


def test_the_largest_version_a_store_column_holds_is_fine():
    assert MemberPreferences.from_dict({"version": 2**63 - 1}).version == 2**63 - 1
    assert WorkspaceSettings.from_dict({"version": 2**63 - 1}).version == 2**63 - 1


# -- deep nesting ---------------------------------------------------------------------------------


def test_deeply_nested_input_to_from_dict_is_a_problem_not_a_recursion_error():
    deep = nested(100_000)
    for data in (
        {"timezone": deep},
        {"quiet_hours": {"mode": deep}},
        {"slack": {"events": [deep]}},
        {"business_hours": {"weekly": {"mon": deep}}},
        {"defaults": {"mention": deep}},
        deep,
    ):
        refused(lambda data=data: WorkspaceSettings.from_dict(data))  # type: ignore[misc]
    refused(lambda: MemberPreferences.from_dict({"overrides": {"mention": deep}}))
    refused(lambda: MemberPreferences.from_dict(deep))  # type: ignore[arg-type]


def test_deeply_nested_input_to_event_constructors_is_a_problem():
    deep = nested(100_000)
    refused(lambda: HostEvent(id="e", kinds=[deep]))  # type: ignore[list-item]
    refused(lambda: HostEvent(id=deep, kinds=["k"]))  # type: ignore[arg-type]
    refused(lambda: ConversationCreated(id="e", conversation_id=deep))  # type: ignore[arg-type]
    refused(
        lambda: MemberMentioned(
            id="e",
            conversation_id="c",
            author_id="a",
            mentioned=[deep],  # type: ignore[list-item]
        )
    )


# -- None where a value belongs -------------------------------------------------------------------


def test_none_where_a_value_belongs(tmp_path):
    refused(lambda: WorkspaceSettings.from_json(None))  # type: ignore[arg-type]
    refused(lambda: WorkspaceSettings.from_toml(None))  # type: ignore[arg-type]
    refused(lambda: Roster(None))  # type: ignore[arg-type]
    refused(
        lambda: due(
            None,  # type: ignore[arg-type]
            settings=WorkspaceSettings(),
            now=T0,
            already_fired=set(),
            workspace_id="w",
        )
    )
    refused(lambda: SqliteStore(None))  # type: ignore[arg-type]


def test_a_sqlite_path_with_a_nul_is_a_storage_error(tmp_path):
    with pytest.raises(NotifPolicyError):
        SqliteStore(str(tmp_path / "a\0b"))


def test_already_fired_with_unhashable_items_is_not_a_crash():
    fired: Any = [[]]
    assert (
        due([], settings=WorkspaceSettings(), now=T0, already_fired=fired, workspace_id="w") == ()
    )


# -- bounded messages -----------------------------------------------------------------------------


def test_a_million_unknown_keys_give_a_short_message():
    text = json.dumps({f"k{i}": 1 for i in range(1_000_000)})
    error = refused(lambda: WorkspaceSettings.from_json(text))
    assert len(error.problems) == MAX_LISTED
    assert error.omitted == 1_000_000 - MAX_LISTED
    assert error.total == 1_000_000
    assert str(error).startswith("1000000 problems:\n")
    assert str(error).endswith(f"... and {1_000_000 - MAX_LISTED} more")


def test_a_million_duplicate_keys_in_json_text_give_a_short_message():
    text = "{" + ", ".join('"timezone": "UTC"' for _ in range(200_000)) + "}"
    error = refused(lambda: WorkspaceSettings.from_json(text))
    assert error.total == 200_000 - 1
    assert {p.code for p in error.problems} == {"duplicate_key"}


def test_a_ten_megabyte_key_is_not_echoed_whole():
    key = "k" * 10_000_000
    error = refused(lambda: WorkspaceSettings.from_dict({key: 1}))
    assert len(str(error)) < 1_000
    error = refused(lambda: WorkspaceSettings.from_dict({"timezone": key}))
    assert "(10000000 characters)" in str(error)
    error = refused(lambda: MemberPreferences.from_dict({"overrides": {key: True}}))
    assert len(str(error)) < 1_000


def test_many_problems_of_preferences_are_counted_past_the_listed_ones():
    error = refused(
        lambda: MemberPreferences.from_dict({"overrides": {f"k{i}": True for i in range(5000)}})
    )
    assert (len(error.problems), error.total) == (MAX_LISTED, 5000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("on", "'on'"),
        ("a\nb", "'a\\nb'"),
        ("\ud800", "'\\ud800'"),
        ("\u202e", "'\\u202e'"),
        (30, "30"),
        (None, "None"),
        ([1, "a"], "[1, 'a']"),
        (10**5000, "an integer of 5001 digits"),
        (-(10**400), "a negative integer of 401 digits"),
        (nested(50), "a list of 1 item"),
        ({"k": list(range(1000))}, "a dict of 1 item"),
    ],
    ids=lambda v: None if isinstance(v, str) else type(v).__name__,
)
def test_quote_is_short_safe_and_never_fails(value, expected):
    assert quote(value) == expected


def test_quote_shortens_long_text_and_escapes_what_it_keeps():
    text = quote("\x00" * 1000)
    assert text.endswith("... (1000 characters)")
    assert len(text) <= MAX_QUOTED + 30
    assert "\x00" not in text


def test_quote_survives_a_repr_that_fails():
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert quote(Broken()) == "a Broken"


def test_problem_paths_and_messages_are_printable_and_short():
    problem = Problem("a\x1b[31m" + "k" * 1000, "type", "got \ud800\n" + "x" * 5000)
    assert problem.path.startswith("a\\x1b[31m")
    assert len(problem.path) <= 210
    assert problem.message.startswith("got \\ud800\\n")
    assert len(problem.message) <= 610
    str(problem).encode("utf-8")


# -- lone surrogates in ids: one rule, when the event is built ------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: ConversationCreated(id="e\ud800", conversation_id="c"),
        lambda: ConversationCreated(id="e", conversation_id="c\udfff"),
        lambda: ConversationCreated(id="e", conversation_id="c", assignee="\ud800"),
        lambda: HostEvent(id="e", kinds=["k"], held_for=["\ud800"]),
        lambda: MemberMentioned(id="e", conversation_id="c", author_id="a", mentioned=["\ud800"]),
    ],
)
def test_an_id_with_a_lone_surrogate_is_refused_when_the_event_is_built(build):
    error = refused(build)
    assert {p.code for p in error.problems} == {"encoding"}


def test_a_member_id_with_a_lone_surrogate_is_refused():
    error = refused(lambda: Member("\ud800", Role.AGENT))
    assert codes(error) == {"member.id": "encoding"}


# -- problem codes: one per kind of problem -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        ({"escalation": {"unassigned": {"after_minutes": -5}}}, "", "range"),
        ({"escalation": {"unassigned": {"after_minutes": "5"}}}, "", "type"),
        ({"quiet_hours": None}, "quiet_hours", "null"),
        ({"timezone": None}, "timezone", "null"),
        ({"digests": {"daily": None}}, "digests.daily", "null"),
        ({"defaults": None}, "defaults", "null"),
        ({"quiet_hours": []}, "quiet_hours", "type"),
        ({"quiet_hours": {"mode": "loud"}}, "quiet_hours.mode", "choice"),
        ({"slack": {"events": ["nope"]}}, "slack.events[0]", "choice"),
        ({"digests": {"weekly": {"weekday": 9}}}, "digests.weekly.weekday", "range"),
        ({"digests": {"daily": {"send_time": "9:00"}}}, "digests.daily.send_time", "format"),
        ({"timezone": "Mars/Olympus"}, "timezone", "timezone"),
    ],
)
def test_one_code_per_kind_of_problem(data, path, code):
    error = refused(lambda: WorkspaceSettings.from_dict(data))
    (problem,) = error.problems
    assert problem.code == code
    if path:
        assert problem.path == path


def roster_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> list[dict[str, str]]:
    roster = tmp_path / "team.json"
    roster.write_text(text, encoding="utf-8")
    settings = tmp_path / "s.json"
    settings.write_text("{}", encoding="utf-8")
    argv = ["explain", str(settings), "--event", "new_conversation", "--at", "2026-03-02T10:00"]
    code = main([*argv, "--roster", str(roster), "--json"])
    assert code == EXIT_INVALID
    problems: list[dict[str, str]] = json.loads(capsys.readouterr().out)["problems"]
    return problems


def test_a_repeated_member_id_is_reported_whatever_else_is_wrong(tmp_path, capsys):
    problems = roster_problems(
        tmp_path, capsys, '{"members": [{"id": "a", "colour": 1}, {"id": "a"}]}'
    )
    assert [(p["path"], p["code"]) for p in problems] == [
        ("members[0].colour", "unknown_key"),
        ("members[1].id", "duplicate"),
    ]


def test_roster_codes_say_the_kind_of_problem(tmp_path, capsys):
    problems = roster_problems(
        tmp_path,
        capsys,
        '{"members": [{"id": "a", "role": "boss", "channels": ["sms", "email", "email", 1]}]}',
    )
    assert [(p["path"], p["code"]) for p in problems] == [
        ("members[0].role", "choice"),
        ("members[0].channels[0]", "choice"),
        ("members[0].channels[2]", "duplicate"),
        ("members[0].channels[3]", "type"),
    ]


# -- an event id handled again with other content -------------------------------------------------


class _Host:
    def roster(self, workspace_id: str) -> Roster:
        return Roster([Member("olga", Role.OWNER, "Olga", email="olga@example.org")])

    def open_conversations(self, workspace_id: str) -> list[object]:
        return []


@pytest.fixture(params=["memory", "sqlite"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NotificationService]:
    store: InMemoryStore | SqliteStore
    store = InMemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.sqlite3")
    host = _Host()
    yield NotificationService(
        workspace_id="w",
        store=store,
        roster=host,
        clock=ManualClock(T0),
        transports={c: RecordingTransport() for c in Channel},
        conversations=host,  # type: ignore[arg-type]
        jitter=lambda: 0.0,
    )
    if isinstance(store, SqliteStore):
        store.close()


def test_an_event_id_reused_with_other_content_is_reported(service):
    first = service.handle(ConversationCreated(id="e1", conversation_id="c1"))
    assert first.errors == ()
    assert first.decisions
    items = service._store.items("w")
    again = service.handle(ConversationCreated(id="e1", conversation_id="c1"))
    assert again.errors == ()  # the same event again: idempotent, nothing new
    assert service._store.items("w") == items
    changed = service.handle(ConversationCreated(id="e1", conversation_id="c2", assignee="olga"))
    (error,) = changed.errors
    assert isinstance(error, ValidationError)
    assert error.problems[0].code == "reused_id"
    assert "'e1'" in str(error)
    assert changed.decisions == ()
    assert service._store.items("w") == items  # nothing of the changed event was enqueued


# -- digest schedules at the ends of the calendar -------------------------------------------------


@pytest.mark.parametrize(
    ("at", "ask"),
    [
        # The previous Monday send is before 0001-01-01: OverflowError before.
        (dt.datetime(1, 1, 3, 0, 0, tzinfo=dt.UTC), "previous"),
        # The period ends on a local date in the year 10000: ValueError before.
        (dt.datetime(9999, 12, 27, 0, 0, tzinfo=dt.UTC), "period"),
    ],
)
def test_weekly_digest_near_the_ends_of_the_calendar_is_a_range_problem(at, ask):
    weekly = WeeklyDigest(enabled=True, weekday=0, send_time=dt.time(0, 0))
    east = dt.timezone(dt.timedelta(hours=14))
    call = (
        (lambda: weekly.previous_at_or_before(at, east))
        if ask == "previous"
        else (lambda: weekly.period_containing(at, east, workspace_id="w"))
    )
    with pytest.raises(NotifPolicyError) as info:
        call()
    assert isinstance(info.value, ValidationError)
    assert info.value.problems[0].code == "range"
