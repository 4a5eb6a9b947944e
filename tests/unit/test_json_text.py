"""Untrusted JSON: nesting is measured without recursion and refused beyond the limit."""

from __future__ import annotations

import json

import pytest

from docshelf.domain.errors import InvalidInput
from docshelf.domain.json_text import MAX_DEPTH, NestedTooDeep, nesting_depth, parse_json

DEEP = 100_000


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("42", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ("[[], [[]], []]", 3),
        # Brackets in strings, also after escaped quotes and backslashes, don't count.
        ('["[[[[", "\\"[[[", "\\\\", "]]]{{{"]', 1),
    ],
)
def test_nesting_depth_counts_arrays_and_objects_not_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth
    assert nesting_depth(text.encode()) == depth


def test_brackets_in_strings_do_not_count_even_past_the_fast_path() -> None:
    text = json.dumps(["[" * 500, {"x": "{" * 500}, "\\" * 7 + '"' + "]" * 100])
    assert nesting_depth(text) == 2
    assert nesting_depth(text.encode()) == 2


def test_the_scan_stops_beyond_the_limit() -> None:
    assert nesting_depth("[" * DEEP, limit=10) == 11
    assert nesting_depth(b"{" + b'"a":{' * DEEP, limit=10) == 11


def test_json_at_the_limit_is_parsed() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(text, "test") == json.loads(text)
    assert parse_json(text.encode(), "test") == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * DEEP,
        "[" * DEEP + "]" * DEEP,
        '{"a": ' * DEEP,
        '"unterminated" ' + "[" * DEEP,
    ],
)
def test_deeper_json_is_refused_with_its_reason(text: str) -> None:
    for given in (text, text.encode()):
        with pytest.raises(NestedTooDeep) as refused:
            parse_json(given, "manifest.json")
        assert refused.value.message.startswith(
            f"manifest.json is nested deeper than {MAX_DEPTH} levels"
        )
        # Typed as bad input (422), and a ValueError as malformed JSON is.
        assert isinstance(refused.value, InvalidInput) and isinstance(refused.value, ValueError)


def test_an_unterminated_string_hides_its_brackets() -> None:
    assert nesting_depth('["' + "[" * DEEP) == 1
    with pytest.raises(json.JSONDecodeError):
        parse_json('["' + "[" * DEEP, "test")


def test_malformed_json_still_raises_the_parsers_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_json("{not json", "test")
