"""Member preferences: sparse overrides of the workspace defaults, and their resolution.

For a member, a kind and a channel, the first rule that applies wins:

1. the kind is not overridable: the workspace decides (escalations: on while their rule is
   enabled), and the answer is ``locked`` ("set by your workspace");
2. the member's override for (kind, channel);
3. the member's override for (kind, every channel), written ``"*"``;
4. the workspace default for the kind.

Overrides are stored sparsely: an unset override means "inherit".  Copying the workspace
defaults into each member is the bug this avoids: a changed workspace default never rewrites a
member's explicit choice, and "reset to workspace default" removes the override.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from notifpolicy._errors import ValidationError, key_path, quote
from notifpolicy._frozen import FrozenMap
from notifpolicy._kinds import MEMBER_CHANNELS, Channel, Kind, KindRegistry
from notifpolicy._loader import Reader
from notifpolicy._settings import SettingsWarning, WorkspaceSettings
from notifpolicy._values import check_version

__all__ = [
    "ALL_CHANNELS",
    "EffectivePreference",
    "MemberPreferences",
    "PreferenceSource",
    "effective_preference",
    "preference_matrix",
]

ALL_CHANNELS = "*"
"""The override key that means "every channel of this kind"."""

Overrides = FrozenMap[str, FrozenMap[str, bool]]


class PreferenceSource(enum.Enum):
    """Which rule of the resolution decided (the numbers of the module docstring)."""

    WORKSPACE_RULE = "workspace_rule"  # 1: not overridable, the workspace decides
    MEMBER_CHANNEL = "member_channel"  # 2: the member's override for this channel
    MEMBER_ALL_CHANNELS = "member_all_channels"  # 3: the member's override for every channel
    WORKSPACE_DEFAULT = "workspace_default"  # 4: the team default


@attrs.frozen
class EffectivePreference:
    """The answer for (kind, channel): on or off, which rule said so, and whether it is locked."""

    kind: str
    channel: Channel
    enabled: bool
    source: PreferenceSource
    locked: bool


# What a member override may name: every channel ("*") or one member channel (never Slack, which
# is the workspace's).
_OVERRIDE_KEYS = (ALL_CHANNELS, *sorted(c.value for c in MEMBER_CHANNELS))


def _to_overrides(value: Mapping[str, Mapping[str, bool] | bool]) -> Overrides:
    # Canonical: a bare bool is {"*": bool}; a kind with no channel entries is a no-op, dropped.
    # The constructor checks shapes only (kind and channel names are checked when loading and
    # saving), so that what it holds hashes and dumps.
    if not isinstance(value, Mapping):
        raise ValidationError.single("overrides", "type", f"must be a mapping, got {quote(value)}")
    out: dict[str, FrozenMap[str, bool]] = {}
    for kind, given in value.items():
        chans = {ALL_CHANNELS: given} if isinstance(given, bool) else given
        path = f"overrides.{_key(kind)}"
        if not isinstance(kind, str) or not isinstance(chans, Mapping):
            raise ValidationError.single(
                path, "type", f"must be a kind name with a bool or a mapping, got {quote(chans)}"
            )
        for channel, enabled in chans.items():
            if not isinstance(channel, str) or channel not in _OVERRIDE_KEYS:
                raise ValidationError.single(
                    f"{path}.{_key(channel)}",
                    "choice" if isinstance(channel, str) else "type",
                    f"must be a member channel ({', '.join(_OVERRIDE_KEYS)}), got {quote(channel)}",
                )
            if not isinstance(enabled, bool):
                raise ValidationError.single(
                    f"{path}.{_key(channel)}",
                    "type",
                    f"must be true or false, got {quote(enabled)}",
                )
        if chans:
            out[kind] = FrozenMap(chans)
    return FrozenMap(out)


@attrs.frozen
class MemberPreferences:
    """A member's sparse overrides, ``{kind: {channel or "*": bool}}``, and their version.

    The document form is ``{"version": 3, "overrides": {"mention": false,
    "new_conversation": {"*": false, "push": true}}}``; a bare bool means ``{"*": bool}``.

    >>> p = MemberPreferences.from_dict({"overrides": {"mention": False}})
    >>> p.to_dict()
    {'version': 1, 'overrides': {'mention': {'*': False}}}
    """

    overrides: Overrides = attrs.field(factory=FrozenMap, converter=_to_overrides)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        problem = check_version(self.version)
        if problem is not None:
            raise ValidationError([problem])

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, kinds: KindRegistry | None = None
    ) -> MemberPreferences:
        """Load strictly (what a save accepts): every problem at once, in a ValidationError.

        An override for a kind that is not overridable is refused, naming the kind.
        """
        prefs, _ = _load(data, kinds or KindRegistry.default(), lenient=False)
        return prefs

    @classmethod
    def from_stored(
        cls, data: Mapping[str, Any], *, kinds: KindRegistry | None = None
    ) -> tuple[MemberPreferences, tuple[SettingsWarning, ...]]:
        """Load what a store kept: like :meth:`from_dict`, lenient in one respect only.

        An override for a kind that is not overridable, or no longer registered, is dropped
        with a warning rather than refused, so old data still loads.
        """
        return _load(data, kinds or KindRegistry.default(), lenient=True)

    def to_dict(self) -> dict[str, Any]:
        """The canonical storage form: ``from_dict(p.to_dict()) == p``."""
        return {
            "version": self.version,
            "overrides": {kind: dict(chans) for kind, chans in self.overrides.items()},
        }

    def with_override(self, kind: str, channel: Channel | str, enabled: bool) -> MemberPreferences:
        """A copy with one override set (``channel="*"`` for every channel).

        Validated again when saved; the version is the one this was based on.
        """
        key = channel.value if isinstance(channel, Channel) else channel
        chans: dict[str, bool] = dict(self.overrides.get(kind, {}))
        chans[key] = enabled
        return attrs.evolve(self, overrides={**self.overrides, kind: chans})

    def reset(self, kind: str, channel: Channel | str | None = None) -> MemberPreferences:
        """Reset to the workspace default: drop the override for one channel or the whole kind."""
        remaining: dict[str, Mapping[str, bool]] = dict(self.overrides)
        if channel is None:
            remaining.pop(kind, None)
        else:
            key = channel.value if isinstance(channel, Channel) else channel
            chans = dict(remaining.get(kind, {}))
            chans.pop(key, None)
            remaining[kind] = chans
        return attrs.evolve(self, overrides=remaining)

    def lookup(self, kind: str, channel: Channel) -> tuple[bool, PreferenceSource] | None:
        """The member's own answer for (kind, channel), or ``None`` to inherit."""
        chans = self.overrides.get(kind)
        if chans is None:
            return None
        value = chans.get(channel.value)
        if value is not None:
            return value, PreferenceSource.MEMBER_CHANNEL
        value = chans.get(ALL_CHANNELS)
        if value is not None:
            return value, PreferenceSource.MEMBER_ALL_CHANNELS
        return None


def effective_preference(
    kind: str | Kind,
    channel: Channel,
    *,
    settings: WorkspaceSettings,
    preferences: MemberPreferences | None = None,
    kinds: KindRegistry | None = None,
) -> EffectivePreference:
    """Resolve one (kind, channel) for a member; see the module docstring for the order.

    >>> s = WorkspaceSettings.from_dict({"defaults": {"mention": False}})
    >>> p = MemberPreferences.from_dict({"overrides": {"mention": {"push": True}}})
    >>> effective_preference("mention", Channel.PUSH, settings=s, preferences=p).source
    <PreferenceSource.MEMBER_CHANNEL: 'member_channel'>
    >>> effective_preference("mention", Channel.EMAIL, settings=s, preferences=p).enabled
    False
    """
    k = kind if isinstance(kind, Kind) else (kinds or KindRegistry.default()).get(kind)
    if channel not in k.channels:
        raise ValidationError.single(
            "channel",
            "channel_not_applicable",
            f"{_channel_name(channel)} does not apply to {k.name} "
            f"(its channels: {', '.join(sorted(c.value for c in k.channels))})",
        )
    if not k.overridable:
        # Escalation rules are workspace-wide: members cannot override them.
        enabled = True if k.switch is None else settings.switch(k.switch)
        return EffectivePreference(k.name, channel, enabled, PreferenceSource.WORKSPACE_RULE, True)
    own = preferences.lookup(k.name, channel) if preferences is not None else None
    if own is not None:
        return EffectivePreference(k.name, channel, own[0], own[1], False)
    return EffectivePreference(
        k.name, channel, settings.default_for(k.name), PreferenceSource.WORKSPACE_DEFAULT, False
    )


def preference_matrix(
    preferences: MemberPreferences | None,
    *,
    settings: WorkspaceSettings,
    kinds: KindRegistry | None = None,
    channels: Iterable[Channel] = MEMBER_CHANNELS,
) -> tuple[EffectivePreference, ...]:
    """Every (kind, channel) a personal-settings page shows, locked rows marked.

    Kinds in registration order; channels in ``in_app, email, push`` order, only those that
    apply to the kind and that the host offers (``channels``).
    """
    registry = kinds or KindRegistry.default()
    offered = [c for c in (Channel.IN_APP, Channel.EMAIL, Channel.PUSH) if c in set(channels)]
    return tuple(
        effective_preference(kind, channel, settings=settings, preferences=preferences)
        for kind in registry
        for channel in offered
        if channel in kind.channels
    )


def _names(kinds: Iterable[Kind]) -> str:
    return ", ".join(k.name for k in kinds)


def _channel_name(channel: object) -> str:
    return channel.value if isinstance(channel, Channel) else repr(channel)


def _key(key: object) -> str:
    """A key as a path shows it: a string as it is (Problem shortens it), anything else quoted."""
    return key_path("", key)


def _load(
    data: object, kinds: KindRegistry, *, lenient: bool
) -> tuple[MemberPreferences, tuple[SettingsWarning, ...]]:
    r = Reader()
    warnings: list[SettingsWarning] = []
    if not isinstance(data, Mapping):
        raise ValidationError.single(
            "", "type", f"must be a table with overrides and version, got {quote(data)}"[:120]
        )
    r.unknown_keys(
        data,
        "",
        ("overrides", "version"),
        "unknown key; expected overrides, version (kinds go under overrides)",
    )
    version = data.get("version", 1)
    version_problem = check_version(version)
    if version_problem is not None:
        r.add([version_problem])
        version = 1
    raw = data.get("overrides", {})
    overrides: dict[str, dict[str, bool]] = {}
    if not isinstance(raw, Mapping):
        r.problem(
            "overrides",
            "type",
            f"must be a table of kind = bool or {{channel = bool}}, got {quote(raw)}",
        )
        raw = {}
    for kind_name, value in raw.items():
        if r.full:
            r.problems.count_one()  # nothing more is listed: the rest are only counted
            continue
        path = f"overrides.{_key(kind_name)}"
        kind = kinds.kinds.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None or not kind.overridable:
            why = (
                f"{kind_name} is workspace-wide: members cannot override it"
                if kind is not None
                else f"unknown kind; expected one of {_names(kinds.overridable())}"
            )
            if lenient:
                warnings.append(
                    SettingsWarning(
                        path, "override_dropped", f"{why}; the stored override is ignored"
                    )
                )
            else:
                r.problem(path, "not_overridable" if kind else "unknown_kind", why)
            continue
        chans = _channels(r, value, kind, path)
        if chans is not None:
            overrides[kind_name] = chans
    r.raise_if_any()
    return MemberPreferences(overrides, version), tuple(warnings)


def _channels(r: Reader, value: object, kind: Kind, path: str) -> dict[str, bool] | None:
    if isinstance(value, bool):
        return {ALL_CHANNELS: value}
    if value is None:
        r.problem(
            path,
            "null",
            "must not be null; leave the kind out to inherit the workspace default",
        )
        return None
    if not isinstance(value, Mapping):
        r.problem(
            path,
            "type",
            f"must be true, false or a table of channel = bool, got {quote(value)}",
        )
        return None
    allowed = [ALL_CHANNELS, *sorted(c.value for c in kind.channels)]
    out: dict[str, bool] = {}
    for channel, enabled in value.items():
        where = f"{path}.{_key(channel)}"
        if channel not in allowed:
            why = (
                "slack is workspace-wide: members cannot override it"
                if channel == Channel.SLACK.value
                else f"does not apply to {kind.name}; expected one of {', '.join(allowed)}"
            )
            r.problem(where, "channel_not_applicable", why)
        elif enabled is None:
            r.problem(where, "null", "must not be null; leave the channel out to inherit")
        elif not isinstance(enabled, bool):
            r.problem(where, "type", f"must be true or false, got {quote(enabled)}")
        else:
            out[channel] = enabled
    return out
