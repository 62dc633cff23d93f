"""The message catalog: every text meant for people, one mapping per language.

English (``en``, the reference) and Dutch (``nl``; the product page is Dutch) are shipped.  A
host adds its own language, or its own keys (texts for its own kinds), with
:meth:`MessageCatalog.with_messages`; the result is a new catalog, checked as a whole:

- every language has every key of the reference language (a missing key is a
  :class:`~notifpolicy.ValidationError` when the catalog is built, not when a text is needed);
- texts are ``str.format`` templates with named fields only (``{name}``, no ``{0}``, no
  ``{x.attr}``), and a translation uses only fields its reference text uses, so rendering
  cannot fail on a field the code does not pass.

There is no global registry: pass the catalog where texts are made (``explain``, catch-ups,
Slack payloads); ``None`` there means :meth:`MessageCatalog.default`.

Keys are dotted: ``kind.<kind>`` (a noun phrase), ``count.<kind>.one`` / ``.other`` (a counted
phrase, ``{count}``), ``reason.<code>``, ``explain.*``, ``catchup.*``, ``slack.*``.  A kind
without its own ``kind.`` / ``count.`` / ``slack.title.`` entries is rendered by the ``_unnamed``
entry with its name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

import attrs

from notifpolicy._digest_texts import DIGEST_EN, DIGEST_NL
from notifpolicy._errors import Problem, ValidationError, key_path, quote
from notifpolicy._frozen import FrozenMap

__all__ = ["LANGUAGE_CODE", "MessageCatalog"]

REFERENCE_LANGUAGE = "en"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", re.ASCII)
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)
_UNNAMED = "_unnamed"

_EN: dict[str, str] = {
    # -- kinds: noun phrases, and counted phrases for catch-up summaries ------------------------
    "kind.new_conversation": "new conversation",
    "kind.unassigned_conversation": "unassigned conversation",
    "kind.sla_breach": "SLA breach",
    "kind.mention": "mention",
    "kind.escalation_unassigned": "escalation: unassigned too long",
    "kind.escalation_first_response": "escalation: first response late",
    "kind.daily_summary": "daily summary",
    "kind.weekly_report": "weekly report",
    "kind.quiet_hours_summary": "quiet hours catch-up",
    "kind._unnamed": "{kind}",
    "count.new_conversation.one": "{count} new conversation",
    "count.new_conversation.other": "{count} new conversations",
    "count.unassigned_conversation.one": "{count} unassigned conversation",
    "count.unassigned_conversation.other": "{count} unassigned conversations",
    "count.sla_breach.one": "{count} SLA breach",
    "count.sla_breach.other": "{count} SLA breaches",
    "count.mention.one": "{count} mention",
    "count.mention.other": "{count} mentions",
    "count.escalation_unassigned.one": "{count} escalation for an unassigned conversation",
    "count.escalation_unassigned.other": "{count} escalations for unassigned conversations",
    "count.escalation_first_response.one": "{count} escalation for a late first response",
    "count.escalation_first_response.other": "{count} escalations for late first responses",
    "count.daily_summary.one": "{count} daily summary",
    "count.daily_summary.other": "{count} daily summaries",
    "count.weekly_report.one": "{count} weekly report",
    "count.weekly_report.other": "{count} weekly reports",
    "count.quiet_hours_summary.one": "{count} catch-up",
    "count.quiet_hours_summary.other": "{count} catch-ups",
    "count._unnamed.one": "{kind}: {count}",
    "count._unnamed.other": "{kind}: {count}",
    # -- channels -----------------------------------------------------------------------------
    "channel.in_app.noun": "an in-app notification",
    "channel.email.noun": "an email",
    "channel.push.noun": "a push notification",
    "channel.in_app.none": "an in-app notification",
    "channel.email.none": "an email",
    "channel.push.none": "a push notification",
    "channel.in_app.via": "in the app",
    "channel.email.via": "by email",
    "channel.push.via": "by push",
    "channel.slack.noun": "a Slack message",
    "channel.slack.none": "a Slack message",
    "channel.slack.via": "in Slack",
    # -- workspace rules and Slack events -------------------------------------------------------
    "rule.escalation.unassigned.enabled": "the escalation rule for unassigned conversations",
    "rule.escalation.first_response.enabled": "the escalation rule for late first responses",
    "rule.digests.daily.enabled": "the daily summary",
    "rule.digests.weekly.enabled": "the weekly report",
    "rule._unnamed": "the workspace rule for {kind}",
    "slack_event.new_conversation": "new conversations",
    "slack_event.unassigned": "unassigned alerts",
    "slack_event.escalation": "escalation alerts",
    # -- reasons ------------------------------------------------------------------------------
    "reason.disabled_by_member": (
        "they turned off {kind} notifications {channel_via} in their personal settings"
    ),
    "reason.disabled_by_workspace": "the workspace default for {kind} notifications is off",
    "reason.rule_disabled": "the workspace has turned off {rule}",
    "reason.slack_not_configured": "no Slack webhook URL is set",
    "reason.slack_event_not_selected": "{slack_event} are not among the events sent to Slack",
    "reason.quiet_hours_suppress": "held by quiet hours {window} {zone}, mode suppress",
    "reason.quiet_hours_defer": ("held by quiet hours {window} {zone}, mode defer: sent at {when}"),
    "reason.quiet_hours_summarize": (
        "held by quiet hours {window} {zone}, mode summarize: counted in the catch-up summary"
    ),
    "reason.quiet_hours_summarize.slack": (
        "held by quiet hours {window} {zone}, mode summarize: dropped "
        "(the catch-up summary goes to members, not to Slack)"
    ),
    "reason.critical_bypasses_quiet_hours": "critical: bypasses quiet hours {window} {zone}",
    "reason.quiet_hours_exempt": "not held by quiet hours {window} {zone}: exempt",
    # -- explain ------------------------------------------------------------------------------
    "explain.deliver": "{name} gets {channel} ({kinds}).",
    "explain.deliver.because": "{name} gets {channel} ({kinds}): {reasons}.",
    "explain.suppress": "{name} does not get {channel} ({kinds}): {reasons}.",
    "explain.defer": "{name} gets {channel} later ({kinds}): {reasons}.",
    "explain.slack.deliver": "Slack: sent ({kinds}).",
    "explain.slack.deliver.because": "Slack: sent ({kinds}): {reasons}.",
    "explain.slack.suppress": "Slack: not sent ({kinds}): {reasons}.",
    "explain.slack.defer": "Slack: sent later ({kinds}): {reasons}.",
    "explain.nobody": "Nobody is notified.",
    "explain.dropped": "Not for {kinds}: {reasons}.",
    "list.separator": ", ",
    "reasons.separator": "; ",
    # -- quiet-hours catch-up -----------------------------------------------------------------
    "catchup.text": "While quiet hours were on: {items}.",
    # -- Slack --------------------------------------------------------------------------------
    "slack.title.new_conversation": "New conversation",
    "slack.title.unassigned_conversation": "Unassigned conversation",
    "slack.title.escalation_unassigned": "Escalation: unassigned for {unassigned_minutes} minutes",
    "slack.title.escalation_first_response": (
        "Escalation: no first response within {first_response_minutes} minutes"
    ),
    "slack.title._unnamed": "{kind}",
    "slack.title.joiner": " · ",
    "slack.subject": "*Subject:* {subject}",
    "slack.customer": "*Customer:* {customer}",
    "slack.conversation": "Conversation {conversation_id}",
    "slack.open": "Open conversation",
    "slack.fallback": "{title}",
    "slack.fallback.subject": "{title}: {subject}",
}

_NL: dict[str, str] = {
    "kind.new_conversation": "nieuw gesprek",
    "kind.unassigned_conversation": "niet-toegewezen gesprek",
    "kind.sla_breach": "SLA-overtreding",
    "kind.mention": "vermelding",
    "kind.escalation_unassigned": "escalatie: te lang niet toegewezen",
    "kind.escalation_first_response": "escalatie: eerste reactie te laat",
    "kind.daily_summary": "dagelijkse samenvatting",
    "kind.weekly_report": "wekelijks rapport",
    "kind.quiet_hours_summary": "overzicht na de stille uren",
    "kind._unnamed": "{kind}",
    "count.new_conversation.one": "{count} nieuw gesprek",
    "count.new_conversation.other": "{count} nieuwe gesprekken",
    "count.unassigned_conversation.one": "{count} niet-toegewezen gesprek",
    "count.unassigned_conversation.other": "{count} niet-toegewezen gesprekken",
    "count.sla_breach.one": "{count} SLA-overtreding",
    "count.sla_breach.other": "{count} SLA-overtredingen",
    "count.mention.one": "{count} vermelding",
    "count.mention.other": "{count} vermeldingen",
    "count.escalation_unassigned.one": "{count} escalatie voor een niet-toegewezen gesprek",
    "count.escalation_unassigned.other": "{count} escalaties voor niet-toegewezen gesprekken",
    "count.escalation_first_response.one": "{count} escalatie voor een late eerste reactie",
    "count.escalation_first_response.other": "{count} escalaties voor late eerste reacties",
    "count.daily_summary.one": "{count} dagelijkse samenvatting",
    "count.daily_summary.other": "{count} dagelijkse samenvattingen",
    "count.weekly_report.one": "{count} wekelijks rapport",
    "count.weekly_report.other": "{count} wekelijkse rapporten",
    "count.quiet_hours_summary.one": "{count} overzicht",
    "count.quiet_hours_summary.other": "{count} overzichten",
    "count._unnamed.one": "{kind}: {count}",
    "count._unnamed.other": "{kind}: {count}",
    "channel.in_app.noun": "een melding in de app",
    "channel.email.noun": "een e-mail",
    "channel.push.noun": "een pushmelding",
    "channel.in_app.none": "geen melding in de app",
    "channel.email.none": "geen e-mail",
    "channel.push.none": "geen pushmelding",
    "channel.in_app.via": "in de app",
    "channel.email.via": "per e-mail",
    "channel.push.via": "via push",
    "channel.slack.noun": "een Slack-bericht",
    "channel.slack.none": "geen Slack-bericht",
    "channel.slack.via": "in Slack",
    "rule.escalation.unassigned.enabled": "de escalatieregel voor niet-toegewezen gesprekken",
    "rule.escalation.first_response.enabled": "de escalatieregel voor de SLA-reactietijd",
    "rule.digests.daily.enabled": "de dagelijkse samenvatting",
    "rule.digests.weekly.enabled": "het wekelijkse rapport",
    "rule._unnamed": "de werkruimteregel voor {kind}",
    "slack_event.new_conversation": "nieuwe gesprekken",
    "slack_event.unassigned": "niet-toegewezen meldingen",
    "slack_event.escalation": "escalatiemeldingen",
    "reason.disabled_by_member": (
        "meldingen voor ‘{kind}’ staan {channel_via} uit in de persoonlijke instellingen"  # noqa: RUF001 -- Dutch quotes
    ),
    "reason.disabled_by_workspace": (
        "de standaardinstelling van de werkruimte voor ‘{kind}’ staat uit"  # noqa: RUF001 -- Dutch quotes
    ),
    "reason.rule_disabled": "de werkruimte heeft {rule} uitgeschakeld",
    "reason.slack_not_configured": "er is geen Slack-webhook-URL ingesteld",
    "reason.slack_event_not_selected": "{slack_event} worden niet naar Slack gestuurd",
    "reason.quiet_hours_suppress": (
        "tegengehouden door de stille uren {window} {zone}, modus onderdrukken"
    ),
    "reason.quiet_hours_defer": (
        "uitgesteld door de stille uren {window} {zone}, modus uitstellen: verstuurd om {when}"
    ),
    "reason.quiet_hours_summarize": (
        "tegengehouden door de stille uren {window} {zone}, modus samenvatten: "
        "komt in het overzicht na de stille uren"
    ),
    "reason.quiet_hours_summarize.slack": (
        "tegengehouden door de stille uren {window} {zone}, modus samenvatten: vervalt "
        "(het overzicht na de stille uren gaat naar de teamleden, niet naar Slack)"
    ),
    "reason.critical_bypasses_quiet_hours": (
        "kritieke melding: wordt ook tijdens de stille uren {window} {zone} verstuurd"
    ),
    "reason.quiet_hours_exempt": "valt niet onder de stille uren {window} {zone}",
    "explain.deliver": "{name} krijgt {channel} ({kinds}).",
    "explain.deliver.because": "{name} krijgt {channel} ({kinds}): {reasons}.",
    "explain.suppress": "{name} krijgt {channel} ({kinds}): {reasons}.",
    "explain.defer": "{name} krijgt later {channel} ({kinds}): {reasons}.",
    "explain.slack.deliver": "Slack: verstuurd ({kinds}).",
    "explain.slack.deliver.because": "Slack: verstuurd ({kinds}): {reasons}.",
    "explain.slack.suppress": "Slack: niet verstuurd ({kinds}): {reasons}.",
    "explain.slack.defer": "Slack: later verstuurd ({kinds}): {reasons}.",
    "explain.nobody": "Niemand krijgt een melding.",
    "explain.dropped": "Niet voor {kinds}: {reasons}.",
    "list.separator": ", ",
    "reasons.separator": "; ",
    "catchup.text": "Tijdens de stille uren: {items}.",
    "slack.title.new_conversation": "Nieuw gesprek",
    "slack.title.unassigned_conversation": "Niet-toegewezen gesprek",
    "slack.title.escalation_unassigned": (
        "Escalatie: al {unassigned_minutes} minuten niet toegewezen"
    ),
    "slack.title.escalation_first_response": (
        "Escalatie: geen eerste reactie binnen {first_response_minutes} minuten"
    ),
    "slack.title._unnamed": "{kind}",
    "slack.title.joiner": " · ",
    "slack.subject": "*Onderwerp:* {subject}",
    "slack.customer": "*Klant:* {customer}",
    "slack.conversation": "Gesprek {conversation_id}",
    "slack.open": "Gesprek openen",
    "slack.fallback": "{title}",
    "slack.fallback.subject": "{title}: {subject}",
}


def _fields(template: str) -> frozenset[str] | str:
    """The named fields of a template, or a message saying why it is not a valid one."""
    names = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        return f"is not a valid template ({e})"
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _FIELD_NAME.fullmatch(field):
            return f"may only use named fields such as {{name}}, got {{{field}}}"
        if spec or conversion:
            return f"may not format or convert fields, got {{{field}...}}"
        names.add(field)
    return frozenset(names)


Messages = FrozenMap[str, FrozenMap[str, str]]

# The fields the library passes for each shipped key: a translation may leave one out, but not
# use another.
_SHIPPED_EN = {**_EN, **DIGEST_EN}
_SHIPPED_FIELDS: dict[str, frozenset[str]] = {
    key: fields
    for key, fields in ((k, _fields(v)) for k, v in _SHIPPED_EN.items())
    if isinstance(fields, frozenset)
}


def _language_items(value: object) -> list[tuple[str, Mapping[str, str]]]:
    """``value`` checked as a mapping of language code to a mapping of key to text; its items.

    The keys and texts themselves are checked with the whole catalog (:func:`_check`)."""
    if not isinstance(value, Mapping):
        raise ValidationError.single(
            "catalog", "type", f"must be a mapping of language to messages, got {quote(value)}"
        )
    items = []
    for code, messages in value.items():
        if not isinstance(messages, Mapping):
            raise ValidationError.single(
                key_path("catalog", code),
                "type",
                f"must be a mapping of key to text, got {quote(messages)}",
            )
        items.append((code, messages))
    return items


def _to_languages(value: Mapping[str, Mapping[str, str]]) -> Messages:
    return FrozenMap(
        {
            code: messages if isinstance(messages, FrozenMap) else FrozenMap(messages)
            for code, messages in _language_items(value)
        }
    )


@attrs.frozen
class MessageCatalog:
    """Texts for people, per language; immutable and complete (see the module docstring).

    >>> catalog = MessageCatalog.default()
    >>> catalog.text("nl", "catchup.text", items="3 vermeldingen")
    'Tijdens de stille uren: 3 vermeldingen.'
    >>> de = catalog.with_messages({"de": {**catalog.messages("en"), "explain.nobody": "Niemand."}})
    >>> de.text("de", "explain.nobody")
    'Niemand.'
    """

    languages: Messages = attrs.field(converter=_to_languages)

    def __attrs_post_init__(self) -> None:
        problems = _check(self.languages)
        if problems:
            raise ValidationError(problems)

    @classmethod
    def default(cls) -> MessageCatalog:
        """English and Dutch, as shipped."""
        return _DEFAULT

    def with_messages(self, languages: Mapping[str, Mapping[str, str]]) -> MessageCatalog:
        """A catalog with ``languages`` merged in: new languages added, given keys replaced.

        Adding a key (say ``kind.refund_requested`` for a host kind) means adding it to every
        language in the same call.  The result is checked as a whole.
        """
        merged: dict[str, dict[str, str]] = {
            code: dict(messages) for code, messages in self.languages.items()
        }
        for code, messages in _language_items(languages):
            merged.setdefault(code, {}).update(messages)
        return MessageCatalog(merged)

    def with_language(self, code: str, messages: Mapping[str, str]) -> MessageCatalog:
        """A catalog with a new language, which must have every key (start from another one)."""
        if code in self.languages:
            raise ValidationError.single(
                "language",
                "duplicate",
                f"{quote(code)} is already in the catalog; use with_messages to change its texts",
            )
        return self.with_messages({code: messages})

    @property
    def codes(self) -> tuple[str, ...]:
        """The language codes, reference language first."""
        return tuple(self.languages)

    def messages(self, language: str) -> FrozenMap[str, str]:
        """Every text of ``language`` (a start for a translation)."""
        found = self.languages.get(language) if isinstance(language, str) else None
        if found is None:
            raise ValidationError.single(
                "language",
                "unknown_language",
                f"must be one of {', '.join(self.languages)}, got {quote(language)}",
            )
        return found

    def has(self, language: str, key: str) -> bool:
        """Whether ``language`` has a text for ``key``."""
        return key in self.messages(language)

    def text(self, language: str, key: str, /, **fields: Any) -> str:
        """The text for ``key`` in ``language`` with ``fields`` filled in.

        An unknown language or key is a :class:`~notifpolicy.ValidationError`.
        """
        messages = self.messages(language)
        template = messages.get(key) if isinstance(key, str) else None
        if template is None:
            raise ValidationError.single(
                "key", "unknown_message", f"{quote(key)} is not in the {quote(language)} messages"
            )
        try:
            return template.format(**fields)
        except (KeyError, IndexError, ValueError, AttributeError) as e:
            # A host's own key with fields the caller did not pass.
            raise ValidationError.single(
                f"catalog.{language}.{key}", "template", f"cannot be filled in: {quote(e)}"
            ) from None

    # -- phrases the renderers share ----------------------------------------------------------

    def kind_label(self, language: str, kind: str) -> str:
        """The noun phrase for a kind (``kind.<kind>``, else the ``_unnamed`` entry)."""
        key = f"kind.{kind}"
        if self.has(language, key):
            return self.text(language, key)
        return self.text(language, f"kind.{_UNNAMED}", kind=kind)

    def kind_count(self, language: str, kind: str, count: int) -> str:
        """``"3 mentions"``: the counted phrase for a kind (one/other forms)."""
        form = "one" if count == 1 else "other"
        key = f"count.{kind}.{form}"
        if self.has(language, key):
            return self.text(language, key, count=count)
        return self.text(
            language,
            f"count.{_UNNAMED}.{form}",
            count=count,
            kind=self.kind_label(language, kind),
        )

    def kind_list(self, language: str, kinds: tuple[str, ...]) -> str:
        """``"new conversation, unassigned conversation"``."""
        separator = self.text(language, "list.separator")
        return separator.join(self.kind_label(language, kind) for kind in kinds)


def _check(languages: Messages) -> list[Problem]:
    problems: list[Problem] = []
    # Typed as strings, but hosts pass their own data: check each entry, then work on the
    # well-formed ones.
    given: dict[object, Mapping[object, object]] = dict(languages.items())  # type: ignore[arg-type]
    clean: dict[str, dict[str, frozenset[str]]] = {}  # language -> key -> fields
    for code, messages in given.items():
        if not isinstance(code, str) or not LANGUAGE_CODE.fullmatch(code):
            problems.append(
                Problem(
                    "catalog",
                    "language_code",
                    f"language codes look like 'en' or 'pt-BR', got {quote(code)}",
                )
            )
            continue
        fields_by_key = clean[code] = {}
        for key, template in messages.items():
            path = f"catalog.{code}.{key}"
            if not isinstance(key, str) or not key:
                problems.append(Problem(path, "type", f"keys must be strings, got {quote(key)}"))
            elif not isinstance(template, str):
                problems.append(Problem(path, "type", f"must be a string, got {quote(template)}"))
            else:
                fields = _fields(template)
                if isinstance(fields, str):
                    problems.append(Problem(path, "template", fields))
                else:
                    fields_by_key[key] = fields
    reference = clean.get(REFERENCE_LANGUAGE)
    if reference is None:
        problems.append(
            Problem(
                "catalog",
                "missing_language",
                f"must include the reference language {quote(REFERENCE_LANGUAGE)}",
            )
        )
        return problems
    # The library fills in the shipped keys, so their fields are fixed; a host's own key may
    # use what its reference text uses.  A translation may leave a field out, not add one.
    allowed = {key: _SHIPPED_FIELDS.get(key, fields) for key, fields in reference.items()}
    for code, fields_by_key in clean.items():
        # The reference language needs every shipped key (the library uses them all); every
        # other language needs every key of the reference language.
        expected = _SHIPPED_FIELDS if code == REFERENCE_LANGUAGE else reference
        missing = [key for key in expected if key not in given[code]]
        if missing:
            problems.append(
                Problem(
                    key_path("catalog", code),
                    "missing_message",
                    f"lacks {len(missing)} key(s): "
                    + ", ".join(missing[:10])
                    + (" ..." if len(missing) > 10 else ""),
                )
            )
        for key, fields in fields_by_key.items():
            path = f"catalog.{code}.{key}"
            if key not in allowed:
                problems.append(
                    Problem(
                        path,
                        "unknown_message",
                        f"is not a key of {quote(REFERENCE_LANGUAGE)}; add it there as well",
                    )
                )
            elif not fields <= allowed[key]:
                extra = ", ".join(sorted(fields - allowed[key]))
                available = ", ".join(sorted(allowed[key])) or "none"
                problems.append(
                    Problem(
                        path,
                        "template",
                        f"uses fields that are not filled in: {extra} (available: {available})",
                    )
                )
    return problems


# The digest emails' texts live beside their renderer (``_digest_texts.py``).
_DEFAULT = MessageCatalog({REFERENCE_LANGUAGE: _SHIPPED_EN, "nl": {**_NL, **DIGEST_NL}})
