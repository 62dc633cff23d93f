"""Nasty inputs and the one law the adversarial suite checks (SPEC §11).

The law: a public entry point given outside data returns a valid result or raises a
:class:`~notifpolicy.NotifPolicyError`; nothing else escapes (no bare ``TypeError``,
``KeyError``, ``ValueError``, ``RecursionError``, ``UnicodeError``), and the error's message is
bounded and encodes as UTF-8.

The strategies here are deliberately nasty: wrong types, integers far past what ``str()``
converts, lists nested 100,000 deep, lone surrogates and control characters, megabyte strings,
TOML's native dates and times, odd ``tzinfo`` objects and the ends of ``datetime``'s range.
Documents are drawn from the real shape (the settings keys, the preferences keys) with each
leaf either valid or nasty, so the loaders get past their first check often.

``HYPOTHESIS_PROFILE=ci`` runs each test with its own, much larger ``max_examples`` (see
:func:`adversarial`): the suite tries well over 100,000 inputs there; the quick profile keeps a
local run to seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zoneinfo
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from notifpolicy import NotifPolicyError, ValidationError

__all__ = [
    "DEEP_DICT",
    "DEEP_LIST",
    "MAX_MESSAGE",
    "adversarial",
    "datetimes",
    "deep",
    "documents",
    "huge_ints",
    "json_texts",
    "keys",
    "obeys_law",
    "preference_documents",
    "settings_documents",
    "texts",
    "toml_text",
    "toml_texts",
    "values",
]

T = TypeVar("T")

MAX_MESSAGE = 20_000
"""The longest ``str(error)`` the law allows (SPEC §11: 100 problems, each quoted short)."""

_CI = os.environ.get("HYPOTHESIS_PROFILE", "quick") == "ci"
# For measuring: ADVERSARIAL_EXAMPLES=500 runs every adversarial test with 500 examples.
_FIXED = os.environ.get("ADVERSARIAL_EXAMPLES")


def adversarial(
    ci_examples: int, quick_examples: int = 30, *, shrink: bool = True
) -> Callable[[T], T]:
    """The settings of an adversarial test: ``ci_examples`` under the ci profile, else a few.

    ``shrink=False`` for a test that is expected to fail today (an xfail): shrinking its
    failure would only cost time.
    """
    count = ci_examples if _CI else quick_examples
    phases = list(Phase) if shrink else [p for p in Phase if p not in (Phase.shrink, Phase.explain)]
    return settings(
        phases=phases,
        max_examples=int(_FIXED) if _FIXED else count,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def obeys_law(call: Callable[[], T]) -> T | None:
    """Run ``call``: its result, or ``None`` when it raised a well-formed NotifPolicyError."""
    try:
        return call()
    except NotifPolicyError as exc:
        check_error(exc)
        return None


def check_error(exc: NotifPolicyError) -> None:
    """A NotifPolicyError's message is bounded and encodes as UTF-8; so is every problem's."""
    text = str(exc)
    assert len(text) <= MAX_MESSAGE, len(text)
    text.encode("utf-8")
    if isinstance(exc, ValidationError):
        assert exc.problems
        assert len(exc.problems) <= 100
        for problem in exc.problems:
            str(problem).encode("utf-8")
            problem.code.encode("ascii")


def _nested(depth: int, make: Callable[[object], object]) -> object:
    value: object = 1
    for _ in range(depth):
        value = make(value)
    return value


DEEP_LIST = _nested(100_000, lambda v: [v])
DEEP_DICT = _nested(100_000, lambda v: {"a": v})

_HUGE_INTS = (10**5000, -(10**5000), 10**4301, 2**63, 2**63 - 1, -(2**63), 2**64, 0, -1)
# Drawn by index: Hypothesis describes its strategies with repr(), which these values refuse.
huge_ints = st.integers(0, len(_HUGE_INTS) - 1).map(_HUGE_INTS.__getitem__)
deep = st.booleans().map(lambda as_list: DEEP_LIST if as_list else DEEP_DICT)

# Every character, lone surrogates and controls included, with the awkward ones over-sampled.
_ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())
_AWKWARD = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\x1b", "\n", "\r", "\u2028", "\u202e", "\ufeff", "\x7f", "é"]
)
texts = st.one_of(
    st.text(_ANY_CHAR, max_size=20),
    st.text(st.one_of(_AWKWARD, _ANY_CHAR), max_size=12),
    st.sampled_from(["", " ", "UTC", "09:00", "24:00", "monday", "defer", "mention", "*"]),
    st.builds(lambda n, c: c * n, st.sampled_from([101, 5000, 100_000]), _AWKWARD | st.just("k")),
)
"""Strings: any code point, lone surrogates and control characters, near-valid words, and
strings of a hundred to a hundred thousand characters (tests/test_bad_input.py has the 10 MB
key)."""

keys = st.one_of(texts, st.integers(), huge_ints, st.none(), st.booleans())
"""Mapping keys, as a host's Python dict may have them (JSON and TOML keys are strings)."""


class _OddZone(dt.tzinfo):
    """A tzinfo whose answers are wrong in the ways a host's own class might be."""

    def __init__(self, offset: object) -> None:
        self._offset = offset

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        return self._offset  # type: ignore[return-value]

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, when: dt.datetime | None) -> str:
        return "odd"

    def __repr__(self) -> str:
        return f"_OddZone({self._offset!r})"


_ZONES = st.one_of(
    st.just(dt.UTC),
    st.sampled_from(
        ["Europe/Amsterdam", "America/St_Johns", "Pacific/Kiritimati", "Asia/Kolkata"]
    ).map(zoneinfo.ZoneInfo),
    st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
    st.sampled_from(
        [None, dt.timedelta(0), dt.timedelta(seconds=30), dt.timedelta(hours=23, minutes=59)]
    ).map(_OddZone),
)

datetimes = st.one_of(
    st.datetimes(timezones=_ZONES),
    st.datetimes(),  # naive
    # The ends of the range, naive on purpose and then placed in zones at both extremes.
    st.sampled_from([dt.datetime.min, dt.datetime.max]).flatmap(  # noqa: DTZ901
        lambda d: st.sampled_from(
            [d, d.replace(tzinfo=dt.UTC), d.replace(tzinfo=dt.timezone(dt.timedelta(hours=-14)))]
        )
    ),
    st.datetimes(
        min_value=dt.datetime(9990, 1, 1), timezones=_ZONES
    ),  # far future, near the end of the range
    st.datetimes(max_value=dt.datetime(1, 1, 10), timezones=_ZONES),
)
"""Datetimes: aware in real, fixed and odd zones, naive, far past and future, min and max."""

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.binary(max_size=8),
    st.times(),
    st.dates(),
    datetimes,
    deep,
)

values = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(st.integers() | texts, max_size=3),
    ),
    max_leaves=6,
)
"""Any value a host could pass: scalars, containers, deep nesting, huge and odd leaves."""


def _leaf(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # Valid half the time, so the loader's later checks run too.
    return st.one_of(valid, valid, values)


def _table(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    doc = st.fixed_dictionaries({}, optional=fields)
    with_extra = st.tuples(doc, st.dictionaries(keys, values, max_size=2)).map(
        lambda pair: {**pair[1], **pair[0]}
    )
    return st.one_of(doc, doc, doc, with_extra, values)


_HHMM = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 24), st.integers(0, 60))
_KIND_NAMES = st.sampled_from(
    [
        "new_conversation",
        "unassigned_conversation",
        "mention",
        "sla_breach",
        "daily_summary",
        "weekly_report",
        "escalation_unassigned",
        "refund",
    ]
)
_CHANNEL_NAMES = st.sampled_from(["*", "in_app", "email", "push", "slack", "sms"])

settings_documents = _table(
    {
        "timezone": _leaf(st.sampled_from(["UTC", "Europe/Amsterdam", "utc", "Mars/Olympus"])),
        "defaults": _leaf(st.dictionaries(_KIND_NAMES, _leaf(st.booleans()), max_size=3)),
        "digests": _table(
            {
                "daily": _table({"enabled": _leaf(st.booleans()), "send_time": _leaf(_HHMM)}),
                "weekly": _table(
                    {
                        "enabled": _leaf(st.booleans()),
                        "weekday": _leaf(st.sampled_from(["monday", "Sun", "mon", 0, 6, 7])),
                        "send_time": _leaf(_HHMM),
                    }
                ),
            }
        ),
        "escalation": _table(
            {
                name: _table(
                    {
                        "enabled": _leaf(st.booleans()),
                        "after_minutes": _leaf(st.integers(-5, 10_090)),
                    }
                )
                for name in ("unassigned", "first_response")
            }
        ),
        "slack": _table(
            {
                "webhook_url": _leaf(
                    st.sampled_from(
                        [
                            None,
                            "https://hooks.slack.com/services/T0/B0/x",
                            "http://hooks.slack.com/services/T0/B0/x",
                            "https://hooks.slack.com:443/services/T0/B0/x",
                            "https://hooks.slack.com./services/x",
                        ]
                    )
                ),
                "events": _leaf(
                    st.lists(
                        st.sampled_from(["new_conversation", "unassigned", "escalation", "x"]),
                        max_size=4,
                    )
                ),
            }
        ),
        "quiet_hours": _table(
            {
                "enabled": _leaf(st.booleans()),
                "start": _leaf(_HHMM),
                "end": _leaf(_HHMM),
                "mode": _leaf(st.sampled_from(["suppress", "defer", "summarize", "loud"])),
            }
        ),
        "business_hours": _leaf(
            st.one_of(
                st.none(),
                _table(
                    {
                        "weekly": _leaf(
                            st.dictionaries(
                                st.sampled_from(["mon", "tue", "sun", "monday"]),
                                _leaf(st.lists(_leaf(st.lists(_leaf(_HHMM), max_size=3)))),
                                max_size=3,
                            )
                        ),
                        "closed_dates": _leaf(
                            st.lists(_leaf(st.dates().map(dt.date.isoformat)), max_size=3)
                        ),
                    }
                ),
            )
        ),
        "version": _leaf(st.integers(-1, 3)),
    }
)
"""Settings documents: the real keys, each leaf valid or nasty, sometimes extra keys."""

preference_documents = _table(
    {
        "overrides": _leaf(
            st.dictionaries(
                _KIND_NAMES,
                _leaf(st.booleans() | st.dictionaries(_CHANNEL_NAMES, _leaf(st.booleans()))),
                max_size=4,
            )
        ),
        "version": _leaf(st.integers(-1, 3)),
    }
)
"""Preferences documents: the real shape, each leaf valid or nasty."""

documents = st.one_of(settings_documents, preference_documents, values)


def _json_safe(value: object) -> object:
    """``value`` with what JSON cannot hold (dates, bytes, non-string keys) made text."""
    if value is DEEP_LIST or value is DEEP_DICT:
        return value  # json.dumps refuses it: the caller writes deep text by hand
    if isinstance(value, dict):
        return {
            str(k) if not isinstance(k, int) else "int": _json_safe(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.time | bytes):
        return str(value)
    return value


def _json_text(doc: object) -> str:
    if doc is DEEP_LIST or doc is DEEP_DICT:
        return "[" * 100_000 + "]" * 100_000
    try:
        return json.dumps(_json_safe(doc), ensure_ascii=False, allow_nan=True)
    except (ValueError, RecursionError):  # a huge int, or deep nesting: written by hand
        return '{"version": ' + "9" * 5000 + "}"


@st.composite
def _mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few edits: characters dropped, inserted, a key given twice."""
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["drop", "insert", "duplicate"]))
        if edit == "drop":
            text = text[:where] + text[where + 1 :]
        elif edit == "insert":
            text = text[:where] + draw(st.text(_ANY_CHAR, max_size=3)) + text[where:]
        elif text.startswith("{") and len(text) > 2:
            text = '{"timezone": "UTC", "timezone": "UTC", ' + text[1:]
    return text


json_texts = st.one_of(
    documents.map(_json_text),
    documents.map(_json_text).flatmap(_mutated),
    st.text(st.sampled_from('{}[]":,0123456789.eE-+ tfnrul\\u') | _ANY_CHAR, max_size=30),
)
"""JSON text: real documents, documents with edits (duplicate keys among them), and noise."""


def _toml_key(key: object) -> str:
    return json.dumps(key if isinstance(key, str) else type(key).__name__)


def _toml_value(value: object, depth: int = 0) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**100 else "9" * 5000
    if isinstance(value, float):
        return repr(value)  # inf and nan are TOML too
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)[:200]
    if isinstance(value, dict) and depth < 6:
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v, depth + 1)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple) and depth < 6:
        return "[" + ", ".join(_toml_value(v, depth + 1) for v in value) + "]"
    return '"?"'


def toml_text(doc: object) -> str:
    """A TOML document for ``doc`` (a table: one line per key, inline tables below)."""
    if not isinstance(doc, dict):
        return f"value = {_toml_value(doc)}\n"
    lines = []
    for key, value in doc.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


toml_texts = st.one_of(
    documents.map(toml_text),
    documents.map(toml_text).flatmap(_mutated),
    st.sampled_from(
        [
            "[digests.daily]\nsend_time = 09:00:00\n",
            "[business_hours]\nclosed_dates = [2026-12-25]\n",
            "version = 1979-05-27T07:32:00Z\n",
            "timezone = " + "[" * 5000,
            "version = " + "9" * 5000,
            'a = "\\ud800"',
        ]
    ),
)
"""TOML text: real documents (TOML native dates and times included), edits, and known traps."""
