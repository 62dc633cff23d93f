"""HTML forms to merge patches and back: the one place that knows the form's field names.

Every field is named by its path in the settings document (``quiet_hours.start``), which is
also the path the library's problems carry, so a problem lands beside its field by name.

Posting.  A browser with JavaScript posts only the fields that differ from the saved value
(``static/forms.js`` disables the others before submitting); without JavaScript the whole form
is posted.  Either way the server turns what arrived into a merge patch: a field that is not
in the request is left out of the patch and keeps its saved value.  Switches are a hidden
``false`` followed by the checkbox's ``true`` (an unchecked checkbox posts nothing), and the
last value wins.  The version comes from a hidden field.  Values are passed on as they came
when they are not what the field expects (``"3x"`` minutes), so that the library's own problem
("must be an integer from 1 to 10080, got '3x'") is what the user sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from notifpolicy import (
    ALL_CHANNELS,
    Channel,
    EffectivePreference,
    KindRegistry,
    MemberPreferences,
    Problem,
    SlackEvent,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MODES = ("suppress", "defer", "summarize")


class FormData(Protocol):
    """What Werkzeug's ``request.form`` offers (a multi-dict)."""

    def __contains__(self, key: object) -> bool: ...

    def getlist(self, key: str) -> list[str]: ...


@attrs.frozen
class Field:
    """One form field: its name (= document path), its widget and its label's text key."""

    name: str
    widget: str  # switch, time, minutes, weekday, secret, events, mode, text
    label: str


def settings_fields(kinds: KindRegistry | None = None) -> tuple[Field, ...]:
    """The workspace settings form, in the order of the page (the product's screen)."""
    registry = kinds or KindRegistry.default()
    defaults = tuple(
        Field(f"defaults.{k.name}", "switch", f"kind.{k.name}") for k in registry.overridable()
    )
    return (
        *defaults,
        Field("digests.daily.enabled", "switch", "digests.daily"),
        Field("digests.daily.send_time", "time", "digests.send_time"),
        Field("digests.weekly.enabled", "switch", "digests.weekly"),
        Field("digests.weekly.weekday", "weekday", "digests.weekday"),
        Field("digests.weekly.send_time", "time", "digests.send_time"),
        Field("escalation.unassigned.enabled", "switch", "escalation.unassigned"),
        Field("escalation.unassigned.after_minutes", "minutes", "escalation.after_minutes"),
        Field("escalation.first_response.enabled", "switch", "escalation.first_response"),
        Field("escalation.first_response.after_minutes", "minutes", "escalation.after_minutes"),
        Field("slack.webhook_url", "secret", "slack.webhook_url"),
        Field("slack.events", "events", "slack.events"),
        Field("quiet_hours.enabled", "switch", "quiet.enabled"),
        Field("quiet_hours.start", "time", "quiet.start"),
        Field("quiet_hours.end", "time", "quiet.end"),
        Field("quiet_hours.mode", "mode", "quiet.mode"),
        Field("timezone", "text", "timezone"),
    )


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value[part]
    return value


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def form_values(document: Mapping[str, Any], fields: Iterable[Field]) -> dict[str, Any]:
    """The saved document as the form shows it: switches ``"true"``/``"false"``, the events
    as a list, no webhook as ``""``."""
    values: dict[str, Any] = {}
    for f in fields:
        value = _get(document, f.name)
        if f.widget == "switch":
            values[f.name] = "true" if value else "false"
        elif f.widget == "events":
            values[f.name] = list(value)
        elif value is None:
            values[f.name] = ""
        else:
            values[f.name] = str(value)
    return values


def posted_values(
    saved: Mapping[str, Any], form: FormData, fields: Iterable[Field]
) -> dict[str, Any]:
    """What the form showed when it was posted: the posted values over the saved ones."""
    values = dict(saved)
    for f in fields:
        if f.name in form:
            got = [v for v in form.getlist(f.name) if f.widget != "events" or v]
            values[f.name] = got if f.widget == "events" else (got[-1] if got else "")
    return values


def _number(text: str) -> int | str:
    # ASCII digits only: int() would also take " 30", "3_0" and other scripts' digits.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else text


def settings_patch(form: FormData, fields: Iterable[Field]) -> dict[str, Any]:
    """The merge patch that a posted settings form means (see the module docstring)."""
    patch: dict[str, Any] = {}
    for f in fields:
        if f.name not in form:
            continue
        values = form.getlist(f.name)
        last = values[-1] if values else ""
        value: Any
        if f.widget == "switch":
            value = {"true": True, "false": False}.get(last, last)
        elif f.widget == "minutes":
            value = _number(last)
        elif f.widget == "secret":
            value = last or None  # an emptied field removes the webhook
        elif f.widget == "events":
            value = [v for v in values if v]  # "" is the marker that the list was posted
        else:
            value = last
        _put(patch, f.name, value)
    _version(form, patch)
    return patch


def _version(form: FormData, patch: dict[str, Any]) -> None:
    if "version" in form:
        values = form.getlist("version")
        patch["version"] = _number(values[-1] if values else "")


# -- member preferences ------------------------------------------------------------------------

CELL_VALUES: dict[str, object] = {"inherit": None, "on": True, "off": False}


def cell_name(kind: str, channel: str) -> str:
    return f"overrides.{kind}.{channel}"


def preference_cells(
    prefs: MemberPreferences, matrix: Sequence[EffectivePreference]
) -> dict[str, str]:
    """The member's own choice per cell, ``inherit`` / ``on`` / ``off``, by field name; the
    ``*`` column is the override for every channel."""
    cells: dict[str, str] = {}
    for row in matrix:
        if row.locked:
            continue
        chosen = prefs.overrides.get(row.kind)
        for channel in (ALL_CHANNELS, row.channel.value):
            own = None if chosen is None else chosen.get(channel)
            cells[cell_name(row.kind, channel)] = (
                "inherit" if own is None else ("on" if own else "off")
            )
    return cells


def preferences_patch(form: FormData, cells: Iterable[str]) -> dict[str, Any]:
    """``{"overrides": {kind: {channel: true | false | null}}, "version": n}`` from the cells
    that were posted; ``inherit`` is ``null``, which removes the override."""
    overrides: dict[str, dict[str, Any]] = {}
    for name in cells:
        if name not in form:
            continue
        values = form.getlist(name)
        raw = values[-1] if values else ""
        _, kind, channel = name.split(".", 2)
        # Anything else is passed on, for the library to refuse with its own problem.
        overrides.setdefault(kind, {})[channel] = CELL_VALUES.get(raw, raw)
    patch: dict[str, Any] = {"overrides": overrides}
    _version(form, patch)
    return patch


def member_channels() -> tuple[Channel, ...]:
    return (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)


def slack_events() -> tuple[str, ...]:
    return tuple(e.value for e in SlackEvent)


# -- problems ----------------------------------------------------------------------------------


def problems_by_field(
    problems: Iterable[Problem], names: Iterable[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Each problem's message beside the field its path names (``slack.events[1]`` belongs to
    ``slack.events``); the rest (the version, a path no field shows) for the top of the form."""
    known = sorted(names, key=len, reverse=True)
    beside: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    for p in problems:
        name = next(
            (n for n in known if p.path == n or p.path.startswith((f"{n}.", f"{n}["))), None
        )
        if name is None:
            elsewhere.append(str(p))
        else:
            beside.setdefault(name, []).append(p.message)
    return beside, elsewhere
