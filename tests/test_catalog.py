"""The message catalog: complete per language, checked templates, no global state."""

from __future__ import annotations

import string

import pytest

from notifpolicy import BUILTIN_KINDS, Channel, SlackEvent, ValidationError
from notifpolicy._catalog import REFERENCE_LANGUAGE, MessageCatalog
from notifpolicy._kinds import KIND_SWITCHES
from notifpolicy._reasons import ReasonCode

CATALOG = MessageCatalog.default()


def fields_of(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def test_english_and_dutch_are_shipped_with_the_same_keys():
    assert CATALOG.codes == ("en", "nl")
    assert set(CATALOG.messages("en")) == set(CATALOG.messages("nl"))


def test_dutch_is_a_translation_not_a_copy():
    en, nl = CATALOG.messages("en"), CATALOG.messages("nl")
    # The digest texts have their own tests (test_digest_*).
    same = {key for key in en if en[key] == nl[key] and not key.startswith("digest.")}
    # Only language-neutral entries may be equal: separators, bare placeholders, "in Slack".
    assert same <= {
        "kind._unnamed",
        "count._unnamed.one",
        "count._unnamed.other",
        "slack.title._unnamed",
        "slack.title.joiner",
        "slack.fallback",
        "slack.fallback.subject",
        "list.separator",
        "reasons.separator",
        "channel.slack.via",
        # Dates: the order of day, month and year, from parts that are translated.
        "date.day",
        "date.day_month",
        "date.day_month_year",
        "date.range",
    }


def test_a_translation_uses_only_fields_its_english_text_has():
    en, nl = CATALOG.messages("en"), CATALOG.messages("nl")
    for key in en:
        assert fields_of(nl[key]) <= fields_of(en[key]), key


def test_everything_the_library_renders_has_an_entry():
    for language in CATALOG.codes:
        messages = CATALOG.messages(language)
        for code in ReasonCode:
            assert f"reason.{code.value}" in messages
        for kind in BUILTIN_KINDS:
            assert f"kind.{kind.name}" in messages
            assert f"count.{kind.name}.one" in messages
            assert f"count.{kind.name}.other" in messages
            if kind.slack_event is not None:
                assert f"slack.title.{kind.name}" in messages
        for switch in KIND_SWITCHES:
            assert f"rule.{switch}" in messages
        for event in SlackEvent:
            assert f"slack_event.{event.value}" in messages
        for channel in Channel:
            for form in ("noun", "none", "via"):
                assert f"channel.{channel.value}.{form}" in messages


def test_text_fills_in_fields():
    assert CATALOG.text("en", "catchup.text", items="3 mentions") == (
        "While quiet hours were on: 3 mentions."
    )
    assert CATALOG.kind_count("nl", "new_conversation", 1) == "1 nieuw gesprek"
    assert CATALOG.kind_count("nl", "new_conversation", 12) == "12 nieuwe gesprekken"
    assert CATALOG.kind_count("en", "mention", 0) == "0 mentions"
    assert CATALOG.kind_list("en", ("mention", "sla_breach")) == "mention, SLA breach"


def test_a_kind_without_entries_falls_back_to_its_name():
    assert CATALOG.kind_label("en", "refund_requested") == "refund_requested"
    assert CATALOG.kind_count("nl", "refund_requested", 2) == "refund_requested: 2"


def test_an_unknown_language_or_key_is_a_validation_error():
    with pytest.raises(ValidationError) as info:
        CATALOG.text("fr", "explain.nobody")
    assert info.value.problems[0].path == "language"
    assert info.value.problems[0].code == "unknown_language"
    with pytest.raises(ValidationError) as info:
        CATALOG.text("en", "explain.somebody")
    assert info.value.problems[0].code == "unknown_message"
    with pytest.raises(ValidationError):
        CATALOG.messages(3)  # type: ignore[arg-type]


def test_a_host_adds_a_language():
    de = CATALOG.with_language("de", {**CATALOG.messages("en"), "explain.nobody": "Niemand."})
    assert de.codes == ("en", "nl", "de")
    assert de.text("de", "explain.nobody") == "Niemand."
    # No global state: the default catalog is unchanged.
    assert MessageCatalog.default().codes == ("en", "nl")
    assert MessageCatalog.default() == CATALOG


def test_a_new_language_needs_every_key():
    with pytest.raises(ValidationError) as info:
        CATALOG.with_language("de", {"explain.nobody": "Niemand."})
    [problem] = info.value.problems
    assert (problem.path, problem.code) == ("catalog.de", "missing_message")
    assert problem.message.startswith(f"lacks {len(CATALOG.messages('en')) - 1} key(s): kind.")


def test_with_language_refuses_a_language_that_is_there():
    with pytest.raises(ValidationError) as info:
        CATALOG.with_language("nl", CATALOG.messages("nl"))
    assert info.value.problems[0].code == "duplicate"


def test_a_host_key_is_added_to_every_language_at_once():
    both = CATALOG.with_messages(
        {"en": {"kind.refund_requested": "refund request"}, "nl": {"kind.refund_requested": "x"}}
    )
    assert both.kind_label("en", "refund_requested") == "refund request"
    with pytest.raises(ValidationError) as info:
        CATALOG.with_messages({"en": {"kind.refund_requested": "refund request"}})
    assert info.value.problems[0].path == "catalog.nl"
    with pytest.raises(ValidationError) as info:
        CATALOG.with_messages({"nl": {"kind.refund_requested": "terugbetaling"}})
    assert info.value.problems[0].code == "unknown_message"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{name} krijgt {bogus}", "template"),  # a field the library does not pass
        ("{0} krijgt", "template"),  # positional
        ("{name.upper}", "template"),  # attribute access
        ("{name!r}", "template"),  # conversion
        ("{name:>10}", "template"),  # format spec
        ("{name", "template"),  # unbalanced
        (3, "type"),
    ],
)
def test_templates_are_checked(text, code):
    with pytest.raises(ValidationError) as info:
        CATALOG.with_messages({"nl": {"explain.deliver": text}})
    assert info.value.problems[0].code == code
    assert info.value.problems[0].path == "catalog.nl.explain.deliver"


def test_the_fields_of_shipped_keys_are_fixed_even_in_english():
    with pytest.raises(ValidationError) as info:
        CATALOG.with_messages({"en": {"explain.nobody": "Nobody, {name}."}})
    assert info.value.problems[0].path == "catalog.en.explain.nobody"


def test_a_host_key_uses_the_fields_of_its_english_text():
    extended = CATALOG.with_messages(
        {"en": {"host.greeting": "Hi {name}"}, "nl": {"host.greeting": "Hoi {name}"}}
    )
    assert extended.text("nl", "host.greeting", name="Bo") == "Hoi Bo"
    with pytest.raises(ValidationError) as info:
        extended.text("nl", "host.greeting")  # the caller forgot the field
    assert info.value.problems[0].code == "template"


def test_the_catalog_itself_is_checked():
    with pytest.raises(ValidationError) as info:
        MessageCatalog({"nl": dict(CATALOG.messages("nl"))})
    assert info.value.problems[0].code == "missing_language"
    with pytest.raises(ValidationError) as info:
        MessageCatalog({"en": {"explain.nobody": "Nobody."}})
    assert info.value.problems[0].code == "missing_message"
    with pytest.raises(ValidationError) as info:
        MessageCatalog({**CATALOG.languages, "Deutsch": CATALOG.messages("en")})
    assert info.value.problems[0].code == "language_code"
    with pytest.raises(ValidationError):
        MessageCatalog([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        MessageCatalog({"en": "text"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        CATALOG.with_messages([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CATALOG.with_messages({"nl": "text"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError) as info:
        CATALOG.with_messages({"nl": {3: "x"}})  # type: ignore[dict-item]
    assert info.value.problems[0].code == "type"


def test_a_region_code_is_a_language():
    pt = CATALOG.with_language("pt-BR", dict(CATALOG.messages("en")))
    assert "pt-BR" in pt.codes
    assert REFERENCE_LANGUAGE == "en"
