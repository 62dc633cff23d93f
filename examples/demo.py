"""A guided tour: load a workspace, resolve a member, save a change, then run one evening and
morning of helpdesk traffic through the service on a SQLite file.

Run with ``python examples/demo.py`` (``make demo`` runs ``notifpolicy simulate`` instead).  The
clock is a manual one and the transports print instead of sending, so the output is the same
every run; the store is a real SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

from notifpolicy import (
    Channel,
    ConflictError,
    ConversationCreated,
    ConversationRecord,
    ConversationState,
    Delivery,
    Member,
    MemberMentioned,
    MemberPreferences,
    PermissionDenied,
    Reply,
    Role,
    Roster,
    SendResult,
    WorkspaceSettings,
    preference_matrix,
    save_workspace_settings,
)
from notifpolicy.adapters.clock import ManualClock
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService

WORKSPACE_TOML = """
timezone = "Europe/Amsterdam"

[defaults]
new_conversation = true
mention = true

[digests.daily]
enabled = true
send_time = "07:30"

[escalation.unassigned]
after_minutes = 30

[slack]
webhook_url = "https://hooks.slack.com/services/T0DEMO/B0DEMO/demo-token"
events = ["unassigned", "escalation"]

[quiet_hours]
enabled = true
start = "22:00"
end = "08:00"
mode = "defer"
"""

NOW = dt.datetime(2026, 3, 28, 21, 30, tzinfo=dt.UTC)
OWNER = Member("olga", Role.OWNER, "Olga", email="olga@example.org")
AGENT = Member(
    "anna", Role.AGENT, "Anna", channels=[Channel.IN_APP, Channel.EMAIL], email="anna@example.org"
)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    settings = WorkspaceSettings.from_toml(WORKSPACE_TOML)
    save_flow(settings)
    with tempfile.TemporaryDirectory() as tmp:
        simulate(settings, Path(tmp))
    return 0


def save_flow(settings: WorkspaceSettings) -> None:
    """Load, show a member's settings page, save as the owner, refuse an agent and a stale draft."""
    print(f"Workspace settings, version {settings.version}, zone {settings.timezone}")
    print(f"  quiet hours {settings.quiet_hours.describe()} ({settings.quiet_hours.mode.value})")
    print(f"  Slack webhook: {settings.slack.webhook_url} (the URL is a secret)")
    for warning in settings.warnings():
        print(f"  warning: {warning}")

    prefs = MemberPreferences.from_dict({"overrides": {"mention": {"email": False}}})
    print(f"\n{AGENT.name}'s notification settings page:")
    for row in preference_matrix(prefs, settings=settings, channels=AGENT.channels):
        state = "on " if row.enabled else "off"
        note = "set by your workspace" if row.locked else row.source.value.replace("_", " ")
        print(f"  {row.kind:<26} {row.channel.value:<7} {state}  ({note})")

    # The digest form posts its own section and the version it was based on: a merge patch.
    draft = {"digests": {"daily": {"enabled": True, "send_time": "09:00"}}, "version": 1}
    result = save_workspace_settings(settings, draft, actor=OWNER, workspace_id="ws-demo", now=NOW)
    audit = result.audit
    if audit is None:
        raise SystemExit("the draft changed nothing")
    print(f"\n{OWNER.name} saves: version {audit.version_before} -> {audit.version_after}")
    for change in audit.changes:
        print(f"  {change.path}: {change.old!r} -> {change.new!r}")
    print(f"  warnings now: {len(result.value.warnings())}")

    try:
        save_workspace_settings(result.value, draft, actor=AGENT, workspace_id="ws-demo", now=NOW)
    except PermissionDenied as exc:
        print(f"\n{AGENT.name} tries to save: refused: {exc}")
    try:
        save_workspace_settings(result.value, draft, actor=OWNER, workspace_id="ws-demo", now=NOW)
    except ConflictError as exc:
        print(f"A stale draft is refused: {exc}")


class PrintingTransport:
    """Prints each delivery instead of sending it."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone

    def send(self, delivery: Delivery, *, now: dt.datetime) -> SendResult:
        item = delivery.item
        local = now.astimezone(self.zone).strftime("%a %H:%M")
        print(f"  {local}  {item.channel.value:<6} -> {item.recipient:<6} {item.subject}")
        return SendResult.sent()


class Helpdesk:
    """The host app's side: members, open conversations, digest records."""

    def __init__(self) -> None:
        start = dt.datetime(2026, 3, 28, 6, 0, tzinfo=dt.UTC)
        self.members = [OWNER, AGENT, Member("bo", Role.ADMIN, "Bo", email="bo@example.org")]
        self.states: list[ConversationState] = []
        self.records = [
            ConversationRecord(
                f"c{i}",
                start + dt.timedelta(hours=i),
                first_response_at=start + dt.timedelta(hours=i, minutes=6 + 4 * i),
                replies=[Reply("anna", start + dt.timedelta(hours=i, minutes=6 + 4 * i))],
            )
            for i in range(6)
        ]

    def roster(self, workspace_id: str) -> Roster:
        return Roster(self.members)

    def open_conversations(self, workspace_id: str) -> list[ConversationState]:
        return self.states

    def conversation_records(
        self, workspace_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[ConversationRecord]:
        return self.records


def simulate(settings: WorkspaceSettings, folder: Path) -> None:
    """Saturday evening to Sunday morning in Amsterdam, across the spring-forward night."""
    clock = ManualClock(dt.datetime(2026, 3, 28, 20, 50, tzinfo=dt.UTC))
    desk = Helpdesk()
    printer = PrintingTransport(settings.zone)
    with SqliteStore(folder / "demo.sqlite3") as store:
        service = NotificationService(
            workspace_id="ws-demo",
            store=store,
            roster=desk,
            clock=clock,
            transports=dict.fromkeys(Channel, printer),
            conversations=desk,
            digests=desk,
            jitter=lambda: 0.5,
        )
        draft = {**settings.to_dict(), "version": 1}
        service.save_settings(draft, actor=OWNER.id)  # the member id: the roster decides
        print("\nOne night of traffic (local times, Europe/Amsterdam):")
        service.handle(ConversationCreated(id="e1", conversation_id="c101", subject="Invoice <42>"))
        clock.set(dt.datetime(2026, 3, 28, 22, 15, tzinfo=dt.UTC))  # 23:15, quiet hours
        created = clock.now()
        service.handle(ConversationCreated(id="e2", conversation_id="c102", subject="Login broken"))
        desk.states.append(
            ConversationState(
                id="c102",
                created_at=created,
                status="open",
                assignee=None,
                unassigned_since=created,
            )
        )
        service.handle(
            MemberMentioned(id="e3", conversation_id="c101", author_id="bo", mentioned=["anna"])
        )
        print("  (held by quiet hours: deferred until 08:00)")
        while (wake := service.next_wake_at()) is not None and wake < dt.datetime(
            2026, 3, 29, 8, 0, tzinfo=dt.UTC
        ):
            clock.set(wake)
            report = service.tick()
            for escalation in report.escalations:
                print(f"  escalation {escalation.kind} for {escalation.conversation_id}")
            for period in report.digests:
                print(f"  digest {period.key}")
        outbox = store.items("ws-demo")
        states = ", ".join(sorted({i.status.value for i in outbox}))
        print(f"\nOutbox: {len(outbox)} items, all {states}")


if __name__ == "__main__":
    raise SystemExit(main())
