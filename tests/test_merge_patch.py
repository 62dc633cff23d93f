"""merge_patch: RFC 7396 JSON merge patch, its laws, and the RFC's own examples."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifpolicy import ValidationError, merge_patch
from notifpolicy._merge_patch import MAX_DEPTH

# Few keys, so that a patch and a document often name the same ones.
keys = st.sampled_from(["a", "b", "c", "d"])
scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
documents = st.dictionaries(keys, json_values, max_size=4)
patches = st.dictionaries(keys, json_values, max_size=4)


def _without_nulls(value: Any) -> Any:
    """What the RFC makes of a patch applied to nothing: its objects, minus null members."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


# Appendix A of RFC 7396, every example whose target and patch are objects.
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("document", "patch", "expected"), RFC_EXAMPLES)
def test_the_rfc_examples(document, patch, expected):
    assert merge_patch(document, patch) == expected


def test_the_rfc_worked_example():
    document = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert merge_patch(document, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


@given(documents, patches)
def test_nothing_given_is_changed_and_the_result_shares_nothing_mutable(document, patch):
    before = (copy.deepcopy(document), copy.deepcopy(patch))
    result = merge_patch(document, patch)
    assert (document, patch) == before
    # Changing the result changes neither input.
    snapshot = json.dumps([document, patch], sort_keys=True)
    _scribble(result)
    assert json.dumps([document, patch], sort_keys=True) == snapshot


def _scribble(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


@given(documents, patches)
def test_applying_a_patch_twice_is_applying_it_once(document, patch):
    once = merge_patch(document, patch)
    assert merge_patch(once, patch) == once


@given(documents, patches)
def test_a_patch_changes_nothing_outside_the_paths_it_names(document, patch):
    _assert_untouched(document, patch, merge_patch(document, patch))


def _assert_untouched(document: dict[str, Any], patch: dict[str, Any], result: dict[str, Any]):
    for key, value in document.items():
        if key not in patch:
            assert result[key] == value
        elif isinstance(patch[key], dict) and isinstance(value, dict):
            _assert_untouched(value, patch[key], result[key])


@given(documents, patches)
def test_what_the_patch_names_it_decides(document, patch):
    result = merge_patch(document, patch)
    for key, value in patch.items():
        if value is None:
            assert key not in result
        elif not isinstance(value, dict):
            assert result[key] == value
        elif not isinstance(document.get(key), dict):
            # An object patched onto a non-object: the RFC starts from {}.
            assert result[key] == _without_nulls(value)


@given(documents)
def test_the_empty_patch_is_the_identity(document):
    assert merge_patch(document, {}) == document


@given(patches)
def test_a_patch_onto_nothing_is_the_patch_without_its_nulls(patch):
    assert merge_patch({}, patch) == _without_nulls(patch)


@pytest.mark.parametrize(
    ("document", "patch", "message"),
    [
        ([], {}, "the document must be a mapping (a JSON object), got list"),
        ({}, None, "the patch must be a mapping (a JSON object), got NoneType"),
        ({}, "x", "the patch must be a mapping (a JSON object), got str"),
    ],
)
def test_not_mappings_are_validation_errors(document, patch, message):
    with pytest.raises(ValidationError) as info:
        merge_patch(document, patch)
    assert info.value.problems[0].message == message
    assert info.value.problems[0].code == "type"


def test_both_not_mappings_are_both_reported():
    with pytest.raises(ValidationError) as info:
        merge_patch(None, [])  # type: ignore[arg-type]
    assert len(info.value.problems) == 2


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("which", ["document", "patch", "list"])
def test_deep_nesting_is_a_validation_error_not_a_recursion_error(which):
    deep = _nested(100_000, 1)
    args: tuple[Any, Any]
    if which == "document":
        args = (deep, {"b": 1})
    elif which == "patch":
        args = ({}, deep)
    else:
        args = ({}, {"a": _nested_list(100_000)})
    with pytest.raises(ValidationError) as info:
        merge_patch(*args)
    (problem,) = info.value.problems
    assert problem.code == "depth"
    assert len(str(info.value)) < 200


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_up_to_the_limit_is_fine_and_one_more_level_is_not():
    deep = _nested(MAX_DEPTH, 1)  # MAX_DEPTH mappings, one inside the other
    assert merge_patch({}, deep) == deep
    assert merge_patch(deep, {}) == deep
    assert merge_patch(deep, deep) == deep
    too_deep: list[tuple[Any, Any]] = [
        ({}, _nested(MAX_DEPTH + 1, 1)),
        (_nested(MAX_DEPTH + 1, 1), {}),
    ]
    for args in too_deep:
        with pytest.raises(ValidationError, match="nested more than 64 levels"):
            merge_patch(*args)
