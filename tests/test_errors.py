"""The exception hierarchy (SPEC §11)."""

from __future__ import annotations

import pickle
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import (
    ConflictError,
    NotifPolicyError,
    PermissionDenied,
    Problem,
    StorageError,
    TransportError,
    UnreadableRowsError,
    ValidationError,
)

_E = TypeVar("_E", bound=BaseException)


def _round_trip(error: _E) -> _E:
    copy: _E = pickle.loads(pickle.dumps(error))  # noqa: S301 -- our own bytes, just written
    return copy


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


_problems = st.lists(
    st.builds(
        Problem,
        path=st.text(max_size=8),
        code=st.sampled_from(["type", "range", "missing"]),
        message=st.text(min_size=1, max_size=20),
    ),
    min_size=1,
    max_size=105,  # more than a ValidationError keeps (100)
)


@given(problems=_problems, omitted=st.integers(0, 3))
def test_a_validation_error_survives_pickling_whole(problems, omitted):
    # A worker process sends its errors to the parent by pickle: the copy is the same error.
    error = ValidationError(problems, omitted=omitted)
    copy = _round_trip(error)
    assert type(copy) is ValidationError
    assert (copy.problems, copy.omitted, str(copy)) == (error.problems, error.omitted, str(error))


def test_conflict_and_unreadable_rows_errors_survive_pickling():
    conflict = _round_trip(ConflictError(expected=2, actual=5, what="preferences"))
    assert (conflict.expected, conflict.actual, conflict.what) == (2, 5, "preferences")
    assert str(conflict) == str(ConflictError(expected=2, actual=5, what="preferences"))
    unreadable = UnreadableRowsError([StorageError("outbox row 'k': bad json")], ["a", 1])
    copy = _round_trip(unreadable)
    assert type(copy) is UnreadableRowsError
    assert copy.readable == ("a", 1)
    assert [str(e) for e in copy.errors] == ["outbox row 'k': bad json"]
    assert str(copy) == str(unreadable)
