"""Parsing JSON that comes from outside, with a limit on how deeply it nests.

The standard parser recurses once per level of nesting: a hundred thousand ``[`` make it
raise RecursionError (and code that walks what it returned recurses as deep). So the
nesting is measured first, by a scan that never recurses, and JSON nested deeper than
:data:`MAX_DEPTH` is refused with :class:`NestedTooDeep` before any parser sees it.
Nothing docshelf writes nests more than a few levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import N_, tr

MAX_DEPTH = 64

# A string (its closing quote optional, so that an unterminated one runs to the end and
# the brackets in it aren't counted), an opening bracket, or a closing one.
_TOKEN = r'("[^"\\]*(?:\\.[^"\\]*)*"?)|([\[{])|([\]}])'
_TOKENS = re.compile(_TOKEN, re.DOTALL)
_TOKENS_BYTES = re.compile(_TOKEN.encode(), re.DOTALL)
_OPENING = 2


class NestedTooDeep(InvalidInput):
    """JSON nested deeper than the limit. Also a ValueError, as a JSONDecodeError is: code
    that treats unreadable JSON as damaged treats this alike."""

    default_title = N_("Nested too deeply")


def nesting_depth(text: str | bytes, limit: int = MAX_DEPTH) -> int:
    """How deeply ``text`` nests arrays and objects, counted up to ``limit + 1`` (the scan
    stops there). Brackets inside strings don't count; malformed JSON gives a number the
    parser's own error will then overrule."""
    tokens = _TOKENS_BYTES.finditer(text) if isinstance(text, bytes) else _TOKENS.finditer(text)
    depth = deepest = 0
    for token in tokens:
        kind = token.lastindex
        if kind == _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif kind == _OPENING + 1:
            depth = max(depth - 1, 0)
    return deepest


def check_depth(text: str | bytes, what: str, *, limit: int = MAX_DEPTH) -> None:
    """Raise NestedTooDeep if ``text`` nests deeper than ``limit``; ``what`` names it for a
    person ("manifest.json", "The request body")."""
    if isinstance(text, bytes):
        opening = text.count(b"[") + text.count(b"{")
    else:
        opening = text.count("[") + text.count("{")
    # Text with no more brackets than the limit cannot nest deeper: the common case,
    # counted at C speed without the scan.
    if opening > limit and nesting_depth(text, limit) > limit:
        raise NestedTooDeep(
            tr(
                "{what} is nested deeper than {limit} levels of arrays and objects, "
                "more than any docshelf data; it is damaged or was not made for "
                "docshelf.",
                what=what,
                limit=limit,
            )
        )


def parse_json(text: str | bytes, what: str, *, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` for text from outside: NestedTooDeep when it nests deeper than
    ``limit``; malformed JSON raises json.JSONDecodeError as ever (bytes that are no
    Unicode, UnicodeDecodeError)."""
    check_depth(text, what, limit=limit)
    return json.loads(text)
