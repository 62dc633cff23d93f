"""The service with the real Slack transport against a real HTTPS server on 127.0.0.1:
retries, Retry-After, pacing, a revoked webhook reported, and the URL never leaking."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from notifpolicy import Channel, ConversationCreated, Member, Role, Roster
from notifpolicy.adapters.slack import SlackWebhookTransport
from notifpolicy.adapters.sqlite import SqliteStore
from notifpolicy.service import NotificationService
from notifpolicy.testing.fakes import ManualClock

from ._servers import SlackStub, slack_stub

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
# The roster's only member saves the settings; offered no channels, so the only deliveries are
# Slack's.
OWNER = Member("olga", Role.OWNER, channels=[])
SECRET = "ZZTOPSECRETZZ"


class Host:
    def roster(self, workspace_id: str) -> Roster:
        return Roster([OWNER])


@pytest.fixture
def stub() -> Iterator[tuple[SlackStub, SlackWebhookTransport]]:
    with slack_stub() as (server, context):
        yield (
            server,
            SlackWebhookTransport(
                timeout=0.5,
                ssl_context=context,
                resolve={"hooks.slack.com": ("127.0.0.1", server.port)},
                allow_private_addresses=True,
            ),
        )


def service_for(
    behaviour: str, transport: SlackWebhookTransport, store: SqliteStore, clock: ManualClock
) -> NotificationService:
    service = NotificationService(
        workspace_id="ws",
        store=store,
        roster=Host(),
        clock=clock,
        transports={Channel.SLACK: transport},
        jitter=lambda: 0.0,
        max_attempts=3,
    )
    url = f"https://hooks.slack.com/services/T0/{SECRET}/{behaviour}"
    service.save_settings({"slack": {"webhook_url": url}, "version": 1}, actor=OWNER.id)
    return service


def event(n: int) -> ConversationCreated:
    return ConversationCreated(id=f"e{n}", conversation_id=f"c{n}", subject="Hello <!channel>")


def test_delivered_and_paced(stub, tmp_path):
    server, transport = stub
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("ok", transport, store, clock)
        service.handle(event(1))
        service.handle(event(2))
        assert len(server.bodies) == 1  # paced: the second waits a second
        assert b"&lt;!channel&gt;" in server.bodies[0]
        assert b"<!channel>" not in server.bodies[0]
        clock.set(service.next_wake_at() or T0)
        assert clock.now() == T0 + dt.timedelta(seconds=1)
        service.tick()
        assert len(server.bodies) == 2


def test_rate_limited_then_retried_at_retry_after(stub, tmp_path):
    _server, transport = stub
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("ratelimit", transport, store, clock)
        report = service.handle(event(1))
        assert len(report.retried) == 1
        assert service.next_wake_at() == T0 + dt.timedelta(seconds=7)
        (item,) = store.items("ws")
        assert item.last_error == "HTTP 429 (rate_limited): rate limited"


def test_server_errors_give_up_after_max_attempts_and_are_reported(stub, tmp_path, caplog):
    server, transport = stub
    caplog.set_level(logging.DEBUG)
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("error", transport, store, clock)
        reports = [service.handle(event(1))]
        while (wake := service.next_wake_at()) is not None:
            clock.set(wake)
            reports.append(service.tick())
        assert len(server.bodies) == 3
        (item,) = store.items("ws")
        assert item.status.value == "failed"
        assert item.last_error == "gave up after 3 attempts: HTTP 500 (internal_error)"
        failed = [f for r in reports for f in r.failed]
        assert failed == [(item.id, item.last_error)]
        everything = [repr(r) for r in reports] + [repr(i) for i in store.items("ws")]
        everything += [repr(e) for e in store.audit_entries("ws")] + [
            r.getMessage() for r in caplog.records
        ]
        assert not any(SECRET in text for text in everything)


def test_revoked_webhook_is_a_permanent_failure_for_the_admin(stub, tmp_path):
    _server, transport = stub
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("gone", transport, store, clock)
        report = service.handle(event(1))
        ((_item_id, error),) = report.failed
        assert "no_service" in error
        assert "check its URL" in error
        assert SECRET not in error
        assert service.next_wake_at() is None


def test_deselecting_an_event_stops_its_retries_too(stub, tmp_path):
    # Only the events selected in slack.events go to Slack: a message waiting for its retry
    # when the admin deselects its event is dropped, not sent late.
    server, transport = stub
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("ratelimit", transport, store, clock)
        assert len(service.handle(event(1)).retried) == 1
        # A form that posts only the Slack events: the webhook stays.
        service.save_settings(
            {"slack": {"events": ["escalation"]}, "version": service.settings().version},
            actor=OWNER.id,
        )
        assert service.settings().slack.configured
        clock.set(service.next_wake_at() or T0)
        report = service.tick()
        (item,) = store.items("ws")
        assert report.dropped == ((item.id, "not sent: its Slack event is no longer selected"),)
        assert item.status.value == "failed"
        assert len(server.bodies) == 1  # only the first, rate-limited attempt reached the server
        assert service.next_wake_at() is None


def test_every_send_retry_failure_and_drop_is_logged_without_the_url(stub, tmp_path, caplog):
    _server, transport = stub
    caplog.set_level(logging.DEBUG, logger="notifpolicy")
    clock = ManualClock(T0)
    with SqliteStore(tmp_path / "s.sqlite3") as store:
        service = service_for("ok", transport, store, clock)
        for n, behaviour in enumerate(("ok", "ratelimit", "gone")):
            url = f"https://hooks.slack.com/services/T0/{SECRET}/{behaviour}"
            version = service.settings().version
            service.save_settings({"slack": {"webhook_url": url}, "version": version}, actor="olga")
            service.handle(event(n))
            clock.advance(dt.timedelta(seconds=2))
        # The rate-limited message waits for its retry; its event is deselected meanwhile.
        service.save_settings(
            {"slack": {"events": ["escalation"]}, "version": service.settings().version},
            actor=OWNER.id,
        )
        clock.advance(dt.timedelta(seconds=10))
        service.tick()
    records = [r for r in caplog.records if r.name == "notifpolicy.service"]
    by_outcome = {getattr(r, "outcome", None): r for r in records}
    assert {"sent", "retried", "failed", "dropped"} <= set(by_outcome)
    assert by_outcome["sent"].levelno == logging.INFO
    assert by_outcome["retried"].levelno == logging.WARNING
    assert "rate limited" in by_outcome["retried"].getMessage()
    assert by_outcome["failed"].levelno == logging.ERROR
    assert "no_service" in by_outcome["failed"].getMessage()
    assert by_outcome["dropped"].getMessage().endswith("its Slack event is no longer selected")
    for record in records:
        assert record.workspace_id == "ws"
        assert record.outbox_id.startswith("ws:")
    # No record, message or field, holds the webhook URL or any part of its secret path.
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(vars(record))
        assert "hooks.slack.com/services" not in str(vars(record))
