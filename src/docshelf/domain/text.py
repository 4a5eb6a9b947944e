"""Checks for the free text people type: titles, names, field values."""

from __future__ import annotations

import re

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr

LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"
_LANGUAGE_RE = re.compile(LANGUAGE_PATTERN)
# Control characters break terminals, CSV exports and (NUL) PostgreSQL text columns.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def check_text(value: str, what: str, *, max_length: int = 200, multiline: bool = False) -> str:
    """``what`` names the value for the reader, in the context's language: tr("Description")."""
    if _CONTROL_RE.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise InvalidInput(
            tr("{what} contains control characters; remove them and try again.", what=what)
        )
    if len(value) > max_length:
        raise InvalidInput(
            tr(
                "{what} is {length} characters long; at most {max_length} fit.",
                what=what,
                length=len(value),
                max_length=max_length,
            )
        )
    return value


def check_title(value: str, what: str | None = None, *, max_length: int = 200) -> str:
    what = what or tr("Title")
    stripped = value.strip()
    if not stripped:
        raise InvalidInput(tr("{what} must not be empty.", what=what))
    return check_text(stripped, what, max_length=max_length)


def check_language(code: str) -> str:
    if not _LANGUAGE_RE.match(code):
        raise InvalidInput(
            tr(
                "{code!r} is not a language code; use two lower-case letters such as 'de' or 'en'.",
                code=code,
            )
        )
    return code
