"""The main job on the embedded defaults: load a workspace, resolve a member, save a change.

Run with ``make demo``.  Everything here is pure: no database, no network, no clock reading
(the instant is fixed so the output is the same every run).
"""

from __future__ import annotations

import datetime as dt

from notifpolicy import (
    Channel,
    ConflictError,
    Member,
    MemberPreferences,
    PermissionDenied,
    Role,
    WorkspaceSettings,
    preference_matrix,
    save_workspace_settings,
)

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
OWNER = Member("olga", Role.OWNER, "Olga")
AGENT = Member("anna", Role.AGENT, "Anna", channels=[Channel.IN_APP, Channel.EMAIL])


def main() -> None:
    settings = WorkspaceSettings.from_toml(WORKSPACE_TOML)
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

    draft = {**settings.to_dict(), "digests": {"daily": {"enabled": True, "send_time": "09:00"}}}
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


if __name__ == "__main__":
    main()
