"""The webhook URL stays a secret through attrs' exports, copies and pickling."""

from __future__ import annotations

import copy
import json
import pickle

import attr
import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import Secret, WorkspaceSettings

URL = "https://hooks.slack.com/services/T0/B0/TOPSECRETPART"


@pytest.fixture
def settings() -> WorkspaceSettings:
    return WorkspaceSettings.from_dict({"slack": {"webhook_url": URL}})


def test_asdict_keeps_the_secret_redacted(settings):
    exported = attrs.asdict(settings)
    assert "TOPSECRETPART" not in repr(exported)
    assert "TOPSECRETPART" not in str(exported)
    assert exported["slack"]["webhook_url"] == Secret(URL)
    assert exported["slack"]["webhook_url"].reveal() == URL
    # Serializing the export refuses the secret instead of writing it out.
    with pytest.raises(TypeError, match="Secret"):
        json.dumps(exported["slack"], default=None)


def test_astuple_keeps_the_secret_redacted(settings):
    exported = attrs.astuple(settings)
    assert "TOPSECRETPART" not in repr(exported)
    assert Secret(URL) in attrs.astuple(settings.slack)


def test_the_older_attr_namespace_too(settings):
    for exported in (
        attr.asdict(settings, retain_collection_types=False),
        attr.astuple(settings, retain_collection_types=False),
    ):
        assert "TOPSECRETPART" not in repr(exported)


def test_deepcopy_copy_and_pickle_keep_it_a_secret(settings):
    for value in (copy.deepcopy(settings), copy.copy(settings)):
        assert value == settings
        assert isinstance(value.slack.webhook_url, Secret)
        assert "TOPSECRETPART" not in repr(value)
    restored = pickle.loads(pickle.dumps(settings))  # noqa: S301 -- our own bytes
    assert restored == settings
    assert restored.slack.webhook_url is not None
    assert restored.slack.webhook_url.reveal() == URL
    assert "TOPSECRETPART" not in repr(restored)


def test_a_secret_is_immutable_and_redacted_in_every_format():
    secret = Secret(URL)
    with pytest.raises(AttributeError):
        secret._value = "other"
    with pytest.raises(AttributeError):
        del secret._value
    assert f"{secret}" == "<redacted>"
    assert f"{secret:>12}" == "  <redacted>"
    assert "%s %r" % (secret, secret) == "<redacted> Secret('<redacted>')"  # noqa: UP031
    assert not attrs.has(Secret)  # so that attrs never recurses into it


@given(st.text(), st.text())
def test_equality_and_hash_follow_the_value(a, b):
    assert (Secret(a) == Secret(b)) == (a == b)
    if a == b:
        assert hash(Secret(a)) == hash(Secret(b))
    assert Secret(a) != a  # never equal to the clear text
