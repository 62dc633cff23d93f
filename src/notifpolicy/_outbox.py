"""The outbox: the values that cross the ports, and the pure rules that make and retry items.

The values (outbox items, deliveries, send results) are pure data, so the core, the service, the
stores and the transports can share them without any of them importing another's I/O.  The
rules are pure functions the service calls and a host or a test can call without a store:

- :func:`outbox_items`: an event's decisions as outbox items, their ids and rendered texts
  (:func:`catchup_items` and :func:`digest_items` do the same for a catch-up and a digest);
- :func:`retry_at`: when a failed send is tried again (capped exponential backoff with equal
  jitter, or the other side's ``Retry-After``).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from notifpolicy import _unsubscribe as unsubscribe
from notifpolicy._catalog import MessageCatalog
from notifpolicy._catchup import CATCHUP_KIND, CatchUp, catchup_text, is_summarized
from notifpolicy._decision import Decision, Outcome
from notifpolicy._digest_render import RenderedDigest, render_digest
from notifpolicy._digest_report import DigestReport
from notifpolicy._errors import NotifPolicyError, Problem, ValidationError, quote
from notifpolicy._events import Event
from notifpolicy._keys import check_workspace_id, key_part
from notifpolicy._kinds import Channel
from notifpolicy._roster import Member, Roster
from notifpolicy._secret import Secret
from notifpolicy._settings import WorkspaceSettings
from notifpolicy._slack_payload import (
    check_conversation_url_template,
    conversation_url,
    slack_payload,
)
from notifpolicy._timeutil import require_aware

__all__ = [
    "SLACK_RECIPIENT",
    "Delivery",
    "OutboxItem",
    "OutboxMark",
    "OutboxStats",
    "OutboxStatus",
    "SendResult",
    "SendStatus",
    "WakeUp",
    "backoff",
    "catchup_items",
    "digest_items",
    "outbox_items",
    "retry_at",
]

SLACK_RECIPIENT = "slack"
"""The recipient of the workspace's Slack channel in outbox items: ``str(SLACK_CHANNEL)``, the
same name a decision's recipient has."""


class OutboxStatus(enum.Enum):
    """Where an outbox item is in its life."""

    PENDING = "pending"  # to be sent at or after due_at (first try, deferral or retry)
    HELD = "held"  # held by quiet hours in summarize mode: input to the catch-up, never sent
    SENT = "sent"
    FAILED = "failed"  # finally failed (permanent error or attempts exhausted); recorded


def _to_kinds(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class OutboxItem:
    """One delivery waiting in, or recorded by, the outbox.

    ``id`` starts with the workspace id.  The content is rendered when the item is made
    (``subject``/``text``/``html`` for people, ``body`` the JSON for Slack); the Slack webhook
    URL is never stored here: the service takes it from the current settings at send time.
    ``unsubscribe_url`` (digest emails, when the host gives a template) is where the
    recipient's mail provider turns the digest off in one click (``List-Unsubscribe``).

    ``leased_until`` is set only on the items that ``Outbox.lease_due`` returns: the lease they
    were taken under.  The outcome (``mark_sent``, ``mark_retry``, ``mark_failed``) is recorded
    only while the store still holds the item under that lease, so a worker whose lease lapsed
    cannot overwrite the outcome of the worker that holds the item now.
    """

    id: str
    workspace_id: str
    event_id: str
    conversation_id: str | None
    recipient: str
    channel: Channel
    kinds: tuple[str, ...] = attrs.field(converter=_to_kinds)
    due_at: dt.datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    subject: str = ""
    text: str = ""
    html: str | None = None
    body: str | None = None
    unsubscribe_url: str | None = None
    leased_until: dt.datetime | None = None


def _check_mark(mark: OutboxMark, attribute: object, status: OutboxStatus) -> None:
    if status is OutboxStatus.HELD:
        raise ValueError("status: must be sent, failed or pending (a retry), got held")
    if (status is OutboxStatus.PENDING) != (mark.retry_at is not None):
        raise ValueError("retry_at: must be given for a retry (status pending), and only then")


@attrs.frozen
class OutboxMark:
    """One outcome for ``Outbox.record``: ``item`` (as ``lease_due`` returned it) was sent,
    finally failed with ``error``, or is retried at ``retry_at`` (status ``PENDING``)."""

    item: OutboxItem
    status: OutboxStatus = attrs.field(validator=_check_mark)
    error: str | None = None
    retry_at: dt.datetime | None = None


@attrs.frozen
class Delivery:
    """What a transport sends: an outbox item and its destination, resolved at send time.

    ``destination`` is the Slack webhook URL (a :class:`Secret`) or an email address.
    """

    item: OutboxItem
    destination: Secret | str


class SendStatus(enum.Enum):
    """How one attempt ended."""

    SENT = "sent"
    RETRY = "retry"  # try again at or after retry_after (429, 5xx, network errors)
    PERMANENT = "permanent"  # do not try again (other 4xx, e.g. a revoked webhook)


@attrs.frozen
class SendResult:
    """The outcome of one ``Transport.send``; ``error`` never contains a secret."""

    status: SendStatus
    retry_after: dt.datetime | None = None
    error: str | None = None

    @classmethod
    def sent(cls) -> SendResult:
        return _SENT


_SENT = SendResult(SendStatus.SENT)


@attrs.frozen
class WakeUp:
    """A workspace whose wake-up came, as ``WakeUps.due_workspaces`` takes it for one worker.

    ``wake_at`` is the wake-up it had; ``generation`` counts the changes to it, and the worker
    passes it back to ``WakeUps.set_wake_at`` after the tick, so that a wake-up lowered
    meanwhile (new work enqueued while the worker was busy) is kept instead of overwritten.
    """

    workspace_id: str
    wake_at: dt.datetime
    generation: int


@attrs.frozen
class OutboxStats:
    """What a metrics endpoint shows of an outbox (``OutboxAdmin.outbox_stats``).

    ``pending`` counts the items waiting to be sent (deferred, retried and leased ones
    included); ``failed`` those that finally failed.  ``oldest_pending_id`` and
    ``oldest_pending_due_at`` name the pending item with the earliest ``due_at``: when that
    instant is well in the past, nothing is sending.
    """

    pending: int = 0
    failed: int = 0
    oldest_pending_id: str | None = None
    oldest_pending_due_at: dt.datetime | None = None


# -- making items ---------------------------------------------------------------------------------

# The title of a delivery's kinds, by catalog (its id; the entry holds the catalog, so the id is
# not reused while it exists), language and kinds: an event carries one of a handful of kind
# tuples, and the catalog's list costs a few microseconds each time.
_TITLES: dict[tuple[int, str, tuple[str, ...]], tuple[MessageCatalog, str]] = {}
_TITLE_LIMIT = 256


def outbox_items(
    event: Event,
    decisions: Iterable[Decision],
    *,
    workspace_id: str,
    settings: WorkspaceSettings,
    now: dt.datetime,
    catalog: MessageCatalog | None = None,
    language: str = "en",
    conversation_url_template: str | None = None,
) -> tuple[OutboxItem, ...]:
    """The outbox items for ``event``'s ``decisions`` (``decide``'s result), in their order.

    - A delivery is due at ``now``; a deferral at its ``deliver_at``.
    - A decision held by quiet hours in ``summarize`` mode becomes a ``HELD`` item due at the
      end of the quiet period, its body the decision as JSON: the input of the member's
      catch-up, never sent.  Any other suppressed decision makes no item.
    - Ids are ``<workspace>:<event>:<recipient>:<channel>``, each host id escaped as every key
      is (``ws:1`` is written ``ws%3A1``): the same event decided again gives the same ids.
    - Member items carry a one-line ``subject`` (the kinds in ``language``, then the event's
      subject) and a plain ``text`` (the subject, the customer, the conversation link from
      ``conversation_url_template``, which is formatted with ``conversation_id``).  Slack items
      carry the webhook payload as JSON in ``body`` and its fallback text as ``subject``; the
      webhook URL is never in an item.

    >>> import datetime as dt
    >>> from notifpolicy import ConversationCreated, Member, Role, Roster, WorkspaceSettings, decide
    >>> now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    >>> event = ConversationCreated(id="e1", conversation_id="c1", subject="Refund")
    >>> roster = Roster([Member("ann", Role.AGENT)])
    >>> decisions = decide(event, settings=WorkspaceSettings(), roster=roster, preferences={},
    ...                    now=now)
    >>> for item in outbox_items(event, decisions, workspace_id="ws:1",
    ...                          settings=WorkspaceSettings(), now=now):
    ...     print(item.id, item.subject)
    ws%3A1:e1:ann:in_app New conversation, unassigned conversation: Refund
    ws%3A1:e1:ann:email New conversation, unassigned conversation: Refund
    ws%3A1:e1:ann:push New conversation, unassigned conversation: Refund
    """
    problems: list[Problem] = []
    catalog = _check_catalog(catalog, language, problems)
    _check_common(workspace_id, now, problems)
    decisions = tuple(decisions) if _is_a(problems, "decisions", decisions, Iterable) else ()
    _check_item_arguments(event, decisions, settings, conversation_url_template, problems)
    if problems:
        raise ValidationError(problems)
    texts = _EventTexts(settings, catalog, language, conversation_url_template)
    prefix = f"{key_part(workspace_id)}:{key_part(event.id)}:"
    items: list[OutboxItem] = []
    for d in decisions:
        item = _item(event, d, workspace_id, prefix, now, texts)
        if item is not None:
            items.append(item)
    return tuple(items)


@attrs.frozen
class _EventTexts:
    """What an event's item texts are made with (checked by :func:`outbox_items`)."""

    settings: WorkspaceSettings
    catalog: MessageCatalog
    language: str
    conversation_url_template: str | None


def _item(
    event: Event, d: Decision, workspace_id: str, prefix: str, now: dt.datetime, texts: _EventTexts
) -> OutboxItem | None:
    """The item for one decision; ``None`` for a suppressed one that is not kept for a catch-up."""
    recipient = str(d.recipient)
    fields: dict[str, Any] = {
        "id": f"{prefix}{key_part(recipient)}:{d.channel.value}",
        "workspace_id": workspace_id,
        "event_id": event.id,
        "conversation_id": d.conversation_id,
        "recipient": recipient,
        "channel": d.channel,
        "kinds": d.kinds,
    }
    if d.outcome is Outcome.SUPPRESS:
        if d.held_until is None or not is_summarized(d):
            return None
        # Input for the catch-up when the quiet period ends: kept, never sent.
        record = json.dumps(d.to_dict(), sort_keys=True)
        return OutboxItem(**fields, due_at=d.held_until, status=OutboxStatus.HELD, body=record)
    when = d.deliver_at if d.outcome is Outcome.DEFER and d.deliver_at else now
    if d.is_slack:
        payload = slack_payload(
            d,
            event,
            settings=texts.settings,
            conversation_url_template=texts.conversation_url_template,
            language=texts.language,
            catalog=texts.catalog,
        )
        text = str(payload.get("text", ""))
        return OutboxItem(**fields, due_at=when, subject=text, body=json.dumps(payload))
    subject, text = _member_text(
        event, d, texts.catalog, texts.language, texts.conversation_url_template
    )
    return OutboxItem(**fields, due_at=when, subject=subject, text=text)


def _check_catalog(catalog: object, language: object, problems: list[Problem]) -> MessageCatalog:
    """``catalog`` (the default for ``None``); a wrong type or unknown language is a problem."""
    if catalog is None:
        catalog = MessageCatalog.default()
    elif not isinstance(catalog, MessageCatalog):
        problems.append(
            Problem(
                "catalog", "type", f"must be a MessageCatalog or None, got {type(catalog).__name__}"
            )
        )
        return MessageCatalog.default()
    try:
        catalog.messages(language)  # type: ignore[arg-type]  # checked here
    except ValidationError as exc:
        problems.extend(exc.problems)
    return catalog


def _is_a(problems: list[Problem], path: str, value: object, cls: type) -> bool:
    """Whether ``value`` is a ``cls``; if not, a problem at ``path``."""
    if isinstance(value, cls):
        return True
    name = "an iterable" if cls is Iterable else f"a {cls.__name__}"
    problems.append(Problem(path, "type", f"must be {name}, got {type(value).__name__}"))
    return False


def _check_common(workspace_id: object, now: object, problems: list[Problem]) -> None:
    try:
        check_workspace_id(workspace_id)
    except ValidationError as exc:
        problems.extend(exc.problems)
    _check_now(now, problems)


def _check_now(now: object, problems: list[Problem]) -> None:
    try:
        require_aware(now, path="now")
    except ValidationError as exc:
        problems.extend(exc.problems)


def _check_item_arguments(
    event: object,
    decisions: Sequence[object],
    settings: object,
    template: object,
    problems: list[Problem],
) -> None:
    """The problems with ``outbox_items``' own arguments, added to ``problems``."""
    _is_a(problems, "event", event, Event)
    _is_a(problems, "settings", settings, WorkspaceSettings)
    try:  # the one rule for the link, the Slack message's and the email's alike
        check_conversation_url_template(template)
    except ValidationError as exc:
        problems.extend(exc.problems)
    event_id = event.id if isinstance(event, Event) else None
    for i, d in enumerate(decisions):
        if not isinstance(d, Decision):
            problems.append(
                Problem(f"decisions[{i}]", "type", f"must be a Decision, got {type(d).__name__}")
            )
        elif event_id is not None and d.event_id != event_id:
            problems.append(
                Problem(
                    f"decisions[{i}].event_id",
                    "inconsistent",
                    f"must be the event's id {quote(event_id)}, got {quote(d.event_id)}",
                )
            )


def _member_text(
    event: Event,
    d: Decision,
    catalog: MessageCatalog,
    language: str,
    template: str | None,
) -> tuple[str, str]:
    key = (id(catalog), language, d.kinds)
    found = _TITLES.get(key)
    if found is not None and found[0] is catalog:
        title = found[1]
    else:
        title = catalog.kind_list(language, d.kinds)
        title = title[:1].upper() + title[1:]
        if len(_TITLES) >= _TITLE_LIMIT:
            _TITLES.clear()  # a cache: what it held is computed again on demand
        _TITLES[key] = (catalog, title)
    # A subject is one line: a customer's line breaks would break the email header.
    subject = f"{title}: {' '.join(event.subject.split())}" if event.subject else title
    lines = [subject]
    if event.customer:
        lines.append(event.customer)
    if template is not None and d.conversation_id is not None:
        lines.append(conversation_url(template, d.conversation_id))
    return subject, "\n".join(lines) + "\n"


@attrs.frozen
class ItemTexts:
    """How a service renders the items it makes: its catalog and language, and the host's
    templates (the digest's one-click unsubscribe URL, checked by the service)."""

    catalog: MessageCatalog = attrs.field(factory=MessageCatalog.default)
    language: str = "en"
    unsubscribe_template: str | None = None


def catchup_items(
    catchup: CatchUp, *, workspace_id: str, now: dt.datetime, texts: ItemTexts = ItemTexts()
) -> tuple[OutboxItem, ...]:
    """One member's catch-up as outbox items, one per channel it goes to, due at ``now``.

    Ids are ``<catch-up key>:<channel>``; subject and text are :func:`catchup_text`.
    """
    problems: list[Problem] = []
    catalog = _check_catalog(texts.catalog, texts.language, problems)
    language = texts.language
    _check_common(workspace_id, now, problems)
    _is_a(problems, "catchup", catchup, CatchUp)
    if problems:
        raise ValidationError(problems)
    text = catchup_text(catchup, language=language, catalog=catalog)
    return tuple(
        OutboxItem(
            id=f"{catchup.key}:{channel.value}",
            workspace_id=workspace_id,
            event_id=catchup.key,
            conversation_id=None,
            recipient=catchup.member_id,
            channel=channel,
            kinds=(CATCHUP_KIND,),
            due_at=now,
            subject=text,
            text=text + "\n",
        )
        for channel in catchup.channels
    )


def digest_items(
    report: DigestReport,
    decisions: Iterable[Decision],
    roster: Roster,
    now: dt.datetime,
    texts: ItemTexts,
) -> tuple[tuple[OutboxItem, ...], tuple[NotifPolicyError, ...]]:
    """A digest's outbox items (one email per delivered email decision, due at ``now``) and
    the problems met making them.

    Each email is in its recipient's ``Member.language``, else ``texts.language``; a member
    language the catalog lacks is a problem (``roster.<id>.language``, code
    ``unknown_language``) and that member's email is in ``texts.language``.  Each language is
    rendered once.  The items belong to the report's period's workspace, due at ``now``.  Ids
    are ``<period key>:<member id>``; ``texts.unsubscribe_template`` gives each email its
    one-click unsubscribe URL.
    """
    checks: list[Problem] = []
    catalog = _check_catalog(texts.catalog, texts.language, checks)
    language, unsubscribe_template = texts.language, texts.unsubscribe_template
    _check_now(now, checks)
    _is_a(checks, "report", report, DigestReport)
    _is_a(checks, "roster", roster, Roster)
    if checks:
        raise ValidationError(checks)
    rendered: dict[str, RenderedDigest] = {}
    problems: list[NotifPolicyError] = []
    items = []
    for d in decisions:
        if d.outcome is not Outcome.DELIVER or d.channel is not Channel.EMAIL:
            continue
        member_id = str(d.recipient)
        reader = _reader_language(roster.get(member_id), catalog, language, problems)
        email = rendered.get(reader)
        if email is None:
            email = rendered[reader] = render_digest(
                report, roster=roster, language=reader, catalog=catalog
            )
        items.append(
            OutboxItem(
                id=f"{report.period.key}:{key_part(member_id)}",
                workspace_id=report.period.workspace_id,
                event_id=report.period.key,
                conversation_id=None,
                recipient=member_id,
                channel=d.channel,
                kinds=d.kinds,
                due_at=now,
                subject=email.subject,
                text=email.text,
                html=email.html,
                unsubscribe_url=None
                if unsubscribe_template is None
                else unsubscribe.fill(unsubscribe_template, member_id=member_id, kind=report.kind),
            )
        )
    return tuple(items), tuple(problems)


def _reader_language(
    member: Member | None,
    catalog: MessageCatalog,
    fallback: str,
    problems: list[NotifPolicyError],
) -> str:
    """The member's language, else ``fallback``; a language the catalog lacks is reported (the
    member still gets the email, in ``fallback``)."""
    language = None if member is None else member.language
    if language is None:
        return fallback
    if language not in catalog.languages:
        assert member is not None  # noqa: S101 -- a language comes from a member
        problems.append(
            ValidationError.single(
                f"roster.{member.id}.language",
                "unknown_language",
                f"must be one of {', '.join(catalog.codes)}, got {language!r}; "
                f"sent in {fallback!r}",
            )
        )
        return fallback
    return language


# -- retrying -------------------------------------------------------------------------------------

_ONE_US = dt.timedelta(microseconds=1)
_NO_TIME = dt.timedelta(0)
_HALF_MAX = dt.timedelta.max / 2


def backoff(attempts: int, *, base: dt.timedelta, cap: dt.timedelta, jitter: float) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts (see :func:`retry_at`)."""
    problems = _backoff_problems(attempts, base, cap, jitter)
    if problems:
        raise ValidationError(problems)
    return _wait(attempts, base, cap, jitter)


def _wait(attempts: int, base: dt.timedelta, cap: dt.timedelta, jitter: float) -> dt.timedelta:
    # base * 2**(attempts - 1), capped; doubled step by step, so that a long base with many
    # attempts stops at the cap instead of overflowing timedelta.
    ceiling = base
    for _ in range(min(attempts - 1, 30)):
        if ceiling >= cap:
            break
        ceiling = ceiling * 2 if ceiling <= _HALF_MAX else cap
    ceiling_us = min(cap, ceiling) // _ONE_US
    # Clamped before float(): an integer too large for a float is simply more than 1.
    share = 0.0 if jitter <= 0 else 1.0 if jitter >= 1 else float(jitter)
    # Between half the ceiling (share 0) and all of it (share 1), in whole microseconds: the
    # part left out is rounded down, so the wait never passes the ceiling nor falls below half
    # of it (timedelta division rounds half to even, which could do both by a microsecond).
    return (ceiling_us - math.floor(ceiling_us * (1.0 - share) / 2)) * _ONE_US


def _backoff_problems(attempts: object, base: object, cap: object, jitter: object) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        problems.append(
            Problem("attempts", "range", f"must be an integer of at least 1, got {quote(attempts)}")
        )
    for name, value in (("base", base), ("cap", cap)):
        if not isinstance(value, dt.timedelta) or value < _NO_TIME:
            problems.append(
                Problem(
                    name,
                    "range",
                    f"must be a datetime.timedelta of zero or more, got {quote(value)}",
                )
            )
    if (
        isinstance(jitter, bool)
        or not isinstance(jitter, int | float)
        or (isinstance(jitter, float) and math.isnan(jitter))
    ):
        problems.append(
            Problem("jitter", "type", f"must be a number in [0, 1], got {quote(jitter)}")
        )
    return problems


def retry_at(
    attempts: int,
    *,
    now: dt.datetime,
    jitter: float,
    base: dt.timedelta = dt.timedelta(seconds=30),
    cap: dt.timedelta = dt.timedelta(hours=1),
    retry_after: dt.datetime | None = None,
) -> dt.datetime:
    """When a delivery that failed for the ``attempts``-th time (1 for the first) is tried again.

    Capped exponential backoff with equal jitter: the ceiling is ``base * 2**(attempts-1)``
    (the exponent stops at 30), at most ``cap``; the wait is between half and all of it,
    ``ceiling/2 + ceiling/2 * jitter``, in whole microseconds (the part left out rounded
    down, so that the wait is never above the ceiling nor below half of it).  ``jitter`` is a
    number in ``[0, 1]`` (values outside are clamped to it); the caller draws it (the core
    reads no randomness).  When the other side said when (``retry_after``, an HTTP
    ``Retry-After``), that instant is used instead, but never later than ``now + cap``.
    Either way the result is in UTC, after ``now`` (by at least a microsecond) and at most
    ``now + cap`` (a microsecond after ``now`` when ``cap`` is zero).

    >>> import datetime as dt
    >>> now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    >>> [str(retry_at(n, now=now, jitter=1.0) - now) for n in (1, 2, 3, 8, 9)]
    ['0:00:30', '0:01:00', '0:02:00', '1:00:00', '1:00:00']
    >>> str(retry_at(3, now=now, jitter=0.0) - now)
    '0:01:00'
    >>> str(retry_at(1, now=now, jitter=0.5, retry_after=now + dt.timedelta(minutes=5)) - now)
    '0:05:00'
    """
    problems = _backoff_problems(attempts, base, cap, jitter)
    for path, value in (("now", now), ("retry_after", retry_after)):
        if value is not None or path == "now":
            try:
                require_aware(value, path=path)
            except ValidationError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    now = now.astimezone(dt.UTC)
    try:
        _ = now + cap  # a cap past the year 9999 is refused, whatever the wait
    except OverflowError:
        raise ValidationError.single(
            "cap", "range", f"must leave now + cap before the year 10000, got {cap}"
        ) from None
    if retry_after is not None:
        # The other side said when; honoured, within reason.  Measured from `now`: an aware
        # subtraction cannot overflow, where converting a far-off instant to UTC can.
        return now + max(min(retry_after - now, cap), _ONE_US)
    return max(now + _wait(attempts, base, cap, jitter), now + _ONE_US)
