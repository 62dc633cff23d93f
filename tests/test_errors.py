"""The exception hierarchy (SPEC §11)."""

from __future__ import annotations

import pytest

from notifpolicy import (
    ConflictError,
    NotifPolicyError,
    PermissionDenied,
    Problem,
    StorageError,
    TransportError,
    ValidationError,
)


@pytest.mark.parametrize(
    "cls", [ValidationError, PermissionDenied, ConflictError, StorageError, TransportError]
)
def test_everything_is_a_notifpolicy_error(cls):
    assert issubclass(cls, NotifPolicyError)


def test_builtin_bases_where_they_fit():
    assert issubclass(ValidationError, ValueError)
    assert not issubclass(PermissionDenied, OSError)
    assert not issubclass(PermissionDenied, PermissionError)


def test_validation_error_renders_every_problem():
    err = ValidationError(
        [Problem("a.b", "type", "must be true or false, got 1"), Problem("", "json", "bad")]
    )
    assert str(err) == "2 problems:\n  a.b: must be true or false, got 1\n  bad"
    single = ValidationError.single("x", "range", "too big")
    assert str(single) == "x: too big"
    assert single.problems == (Problem("x", "range", "too big"),)


def test_conflict_error_carries_versions():
    err = ConflictError(expected=2, actual=3)
    assert (err.expected, err.actual) == (2, 3)
    assert "version 2" in str(err)
    assert "version 3" in str(err)
