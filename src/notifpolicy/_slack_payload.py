"""The Slack message for a Slack decision: a pure function from facts to a JSON-ready dict.

The payload is what an incoming webhook takes: a fallback ``text`` (notifications, old clients)
plus Block Kit ``blocks``: a header with the kinds' titles, a section with the subject and the
customer when the host gave them, and a context line with the conversation and, when the host
gives a URL template, a link to it.

User-supplied text (``subject``, ``customer``, ids) is escaped for Slack: ``&`` -> ``&amp;``,
``<`` -> ``&lt;``, ``>`` -> ``&gt;``.  Slack's control sequences all start with ``<``
(``<!channel>``, ``<@U123>``, ``<https://...|label>``), so escaped text can neither ping
``@channel`` nor hide a link; the text objects are also ``verbatim``, so Slack does not turn
plain words into mentions or links.  Texts are clipped to Block Kit's limits.

The webhook URL is not part of the payload (the transport holds it) and is never read here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote as percent_encode

from notifpolicy._catalog import MessageCatalog
from notifpolicy._decision import Decision, Outcome
from notifpolicy._errors import ValidationError, quote
from notifpolicy._events import Event
from notifpolicy._settings import WorkspaceSettings

__all__ = ["check_conversation_url_template", "conversation_url", "escape_slack", "slack_payload"]

# Block Kit limits: a header's plain text, a section's or context element's mrkdwn text.
HEADER_LIMIT = 150
SUBJECT_LIMIT = 1000
CUSTOMER_LIMIT = 200
ELLIPSIS = "…"

_URL_FIELD = "{conversation_id}"
# Characters that would end or break a Slack link (`<url|label>`), and whitespace or controls.
_UNSAFE_IN_URL = re.compile(r"[<>|\s\x00-\x1f\x7f]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_slack(text: str) -> str:
    """Escape user-supplied text for Slack: ``&``, ``<``, ``>`` become entities.

    >>> escape_slack("Refund <!channel> & <https://evil.example|your bank>")
    'Refund &lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt;'
    """
    return text.translate(_ESCAPES)


def _clip(text: str, limit: int) -> str:
    """``text`` escaped and, if longer than ``limit``, cut whole characters (never inside an
    entity such as ``&amp;``) with an ellipsis so that it fits."""
    escaped = escape_slack(text)
    if len(escaped) <= limit:
        return escaped
    room = limit - len(ELLIPSIS)
    pieces = []
    for char in text:
        piece = escape_slack(char)
        room -= len(piece)
        if room < 0:
            break
        pieces.append(piece)
    return "".join(pieces) + ELLIPSIS


def conversation_url(template: str, conversation_id: str) -> str:
    """The conversation link: the template (checked) with the id percent-encoded in place."""
    url = template.replace(_URL_FIELD, percent_encode(conversation_id, safe=""))
    # The id is percent-encoded, so only the template can bring unsafe characters; checked
    # before use in any case.
    if _UNSAFE_IN_URL.search(url):
        raise ValidationError.single(
            "conversation_url_template",
            "unsafe_url",
            "must not contain <, >, |, whitespace or control characters",
        )
    return url


def check_conversation_url_template(template: object) -> str | None:
    """The template itself when it is ``None`` or a valid conversation URL template."""
    if template is None:
        return None
    if not isinstance(template, str):
        raise ValidationError.single(
            "conversation_url_template",
            "type",
            f"must be a string or None, got {type(template).__name__}",
        )
    lowered = template.lower()
    if (
        not lowered.startswith(("https://", "http://"))
        or template.count(_URL_FIELD) != 1
        or template.replace(_URL_FIELD, "").count("{")
        or template.replace(_URL_FIELD, "").count("}")
        or _UNSAFE_IN_URL.search(template)
    ):
        raise ValidationError.single(
            "conversation_url_template",
            "template",
            "must be an http(s) URL with {conversation_id} once and no other braces, "
            f"without <, >, |, whitespace or control characters, got {quote(template)}",
        )
    return template


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack does not turn plain words into mentions, channel names or links.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_payload(
    decision: Decision,
    event: Event,
    *,
    settings: WorkspaceSettings,
    conversation_url_template: str | None = None,
    language: str = "en",
    catalog: MessageCatalog | None = None,
) -> dict[str, Any]:
    """The webhook payload for a Slack ``decision`` about ``event``.

    ``decision`` must be the Slack decision for ``event`` and deliver now or later (a suppressed
    one has no message).  ``conversation_url_template`` such as
    ``"https://desk.example/c/{conversation_id}"`` adds a link (the id is percent-encoded).

    >>> from notifpolicy import Channel, WorkspaceSettings
    >>> from notifpolicy import SLACK_CHANNEL, Decision, Outcome
    >>> from notifpolicy import ConversationCreated
    >>> event = ConversationCreated(id="e1", conversation_id="c42", subject="Refund <!channel>")
    >>> d = Decision.of(SLACK_CHANNEL, Channel.SLACK, event.kinds, event_id="e1",
    ...                 conversation_id="c42", outcome=Outcome.DELIVER)
    >>> payload = slack_payload(d, event, settings=WorkspaceSettings())
    >>> payload["text"]
    'New conversation · Unassigned conversation: Refund &lt;!channel&gt;'
    """
    _check_arguments(decision, event, settings)
    template = check_conversation_url_template(conversation_url_template)
    words = _Words(catalog if catalog is not None else MessageCatalog.default(), language)
    title = _title(decision, settings, words)
    subject = _clip(event.subject, SUBJECT_LIMIT) if event.subject else None
    blocks = _blocks(title, subject, event, template, words)
    fallback = (
        words("slack.fallback.subject", title=title, subject=subject)
        if subject
        else words("slack.fallback", title=title)
    )
    return {
        "text": fallback,
        "blocks": blocks,
        # No previews of whatever a message links to.
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _check_arguments(decision: object, event: object, settings: object) -> None:
    """The checks on what the host passed, in the order they are reported."""
    if not isinstance(decision, Decision) or not decision.is_slack:
        raise ValidationError.single(
            "decision", "type", f"must be a Slack Decision, got {quote(decision)}"[:200]
        )
    if decision.outcome is Outcome.SUPPRESS:
        raise ValidationError.single(
            "decision.outcome",
            "not_delivered",
            "must deliver or defer: a suppressed Slack decision has no message",
        )
    if not isinstance(event, Event):
        raise ValidationError.single(
            "event", "type", f"must be an Event, got {type(event).__name__}"
        )
    if event.id != decision.event_id:
        raise ValidationError.single(
            "event.id",
            "mismatch",
            f"must be the decision's event {quote(decision.event_id)}, got {quote(event.id)}",
        )
    if not isinstance(settings, WorkspaceSettings):
        raise ValidationError.single(
            "settings", "type", f"must be a WorkspaceSettings, got {type(settings).__name__}"
        )


class _Words:
    """The catalog in one language."""

    def __init__(self, catalog: MessageCatalog, language: str) -> None:
        self.catalog = catalog
        self.language = language

    def __call__(self, key: str, /, **fields: object) -> str:
        return self.catalog.text(self.language, key, **fields)


def _title(decision: Decision, settings: WorkspaceSettings, words: _Words) -> str:
    """The kinds' titles, joined: a host kind without a title of its own is named by its label."""
    minutes = {
        "unassigned_minutes": settings.escalation.unassigned.after_minutes,
        "first_response_minutes": settings.escalation.first_response.after_minutes,
    }
    catalog, language = words.catalog, words.language
    titles = []
    for kind in decision.kinds:
        key = f"slack.title.{kind}"
        if catalog.has(language, key):
            titles.append(words(key, **minutes))
        else:
            titles.append(words("slack.title._unnamed", kind=catalog.kind_label(language, kind)))
    return words("slack.title.joiner").join(titles)


def _blocks(
    title: str, subject: str | None, event: Event, template: str | None, words: _Words
) -> list[dict[str, Any]]:
    """The header, the section with the subject and customer, and the context line."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_LIMIT)}}
    ]
    details = []
    if subject:
        details.append(words("slack.subject", subject=subject))
    if event.customer:
        details.append(words("slack.customer", customer=_clip(event.customer, CUSTOMER_LIMIT)))
    if details:
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(details))})
    conversation_id = event.conversation_id
    if conversation_id is not None:
        context = words("slack.conversation", conversation_id=_clip(conversation_id, 200))
        if template is not None:
            url = conversation_url(template, conversation_id)
            context += f" · <{url}|{escape_slack(words('slack.open'))}>"
        blocks.append({"type": "context", "elements": [_mrkdwn(context)]})
    return blocks


def _cut(text: str, limit: int) -> str:
    """Plain text (a catalog title, not user input) cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
