"""Stable identifiers.

Ids are short random strings rather than database sequence numbers because
clients create objects offline (profiles, snippets) and need an id before the
server has seen them; 64 random bits keep collisions out of reach at our sizes
and stay short enough to type on a command line.
"""

from __future__ import annotations

import re

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID_RE = re.compile(ID_PATTERN)


def new_id() -> str:
    import secrets  # here: it loads random, hmac and base64; checking ids needs none

    return secrets.token_hex(8)


def check_id(value: str, what: str | None = None) -> str:
    """``what`` names the id for the reader, in the context's language."""
    what = what or tr("Id")
    if not _ID_RE.match(value):
        raise InvalidInput(
            tr(
                "{what} {value!r} is not a valid id: use 1-64 letters, digits, '-' or '_'.",
                what=what,
                value=value,
            )
        )
    return value
