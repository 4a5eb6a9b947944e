"""Constrained string types for request bodies.

Everything a client sends is checked at the edge: control characters (NUL
breaks PostgreSQL text columns), lengths, ids and keys. A violation becomes a
422 problem response, never a database error.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from docshelf.domain.accounts import LOGIN_PATTERN
from docshelf.domain.fields import FIELD_KEY_PATTERN
from docshelf.domain.ids import ID_PATTERN
from docshelf.domain.principals import check_principal
from docshelf.domain.text import LANGUAGE_PATTERN, check_text
from docshelf.i18n import tr


def _single_line(value: str) -> str:
    return check_text(value, tr("Text"), max_length=10_000)


def _multi_line(value: str) -> str:
    return check_text(value, tr("Text"), max_length=100_000, multiline=True)


def _principal(value: str) -> str:
    return check_principal(value)


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Login = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=LOGIN_PATTERN)]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_single_line),
]
# Group names are stored in a VARCHAR(100) column (PostgreSQL refuses longer values).
GroupName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_single_line),
]
# What people type to sign in: a login (or id), checked leniently but never with control
# characters, which PostgreSQL text columns refuse (NUL) and logs should not carry.
SignInName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_single_line)
]
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_single_line)]
LongText = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_multi_line)]
FieldValue = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_multi_line)]
FieldKey = Annotated[str, StringConstraints(pattern=FIELD_KEY_PATTERN)]
Lang = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Principal = Annotated[str, StringConstraints(max_length=80), AfterValidator(_principal)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Order = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
