"""Field definitions and the inheritance of field values.

A profile shows the user's fields and the unit's fields. Unit fields are
inherited down the unit tree (a child may override its parent), and a profile
may override any field. Each resolved value remembers where it came from so a
client can show inherited values grey and overridden ones black.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import NamedTuple

from docshelf.domain.errors import InvalidInput
from docshelf.domain.text import check_text
from docshelf.i18n import tr

FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_KEY_RE = re.compile(FIELD_KEY_PATTERN)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^[+0-9 ()/.-]{3,40}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


class FieldScope(StrEnum):
    USER = "user"
    UNIT = "unit"


class FieldType(StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    IMAGE = "image"  # value: SHA-256 of a stored file


class FieldDef(NamedTuple):
    key: str
    scope: FieldScope
    type: FieldType = FieldType.TEXT
    labels: Mapping[str, str] | None = None
    order: int = 0


def check_field_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise InvalidInput(
            tr(
                "{key!r} is not a field key: start with a letter, then up to 39 "
                "lower-case letters, digits or '_'.",
                key=key,
            )
        )
    return key


def check_field_value(definition: FieldDef, value: str) -> str:
    what = tr("Field {key!r}", key=definition.key)
    if definition.type is FieldType.MULTILINE:
        return check_text(value, what, max_length=2000, multiline=True)
    check_text(value, what, max_length=500)
    if value == "":
        return value
    checks = {
        FieldType.EMAIL: (_EMAIL_RE, tr("an e-mail address such as name@example.com")),
        FieldType.PHONE: (_PHONE_RE, tr("a phone number such as +41 44 123 45 67")),
        FieldType.IMAGE: (_SHA256_RE, tr("the SHA-256 of an uploaded image (64 hex digits)")),
    }
    if definition.type in checks:
        pattern, expected = checks[definition.type]
        if not pattern.match(value):
            raise InvalidInput(
                tr(
                    "{what} must be {expected}, not {value!r}.",
                    what=what,
                    expected=expected,
                    value=value,
                )
            )
    if definition.type is FieldType.URL and not _URL_RE.match(value):
        raise InvalidInput(
            tr("{what} must be a web address such as https://www.example.com.", what=what)
        )
    return value


def check_field_values(
    values: Mapping[str, str], definitions: Mapping[str, FieldDef], scope: FieldScope | None
) -> dict[str, str]:
    """Validate a mapping of field values against the definitions of ``scope`` (or any)."""
    checked: dict[str, str] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None or (scope is not None and definition.scope is not scope):
            if scope is FieldScope.UNIT:
                message = tr("There is no unit field {key!r}; define it first.", key=key)
            elif scope is FieldScope.USER:
                message = tr("There is no user field {key!r}; define it first.", key=key)
            else:
                message = tr("There is no field {key!r}; define it first.", key=key)
            raise InvalidInput(message)
        checked[key] = check_field_value(definition, value)
    return checked


class ResolvedField(NamedTuple):
    key: str
    value: str | None
    # "profile", "user", "unit:<id>" or "unset"
    source: str

    @property
    def inherited(self) -> bool:
        return self.source != "profile"


def resolve_chain(
    chain: Iterable[tuple[str, Mapping[str, str]]],
) -> dict[str, ResolvedField]:
    """Resolve unit fields along ``chain`` (root first): the nearest unit that sets a field wins."""
    resolved: dict[str, ResolvedField] = {}
    for unit_id, fields in chain:
        for key, value in fields.items():
            resolved[key] = ResolvedField(key, value, f"unit:{unit_id}")
    return resolved


def resolve_profile_fields(
    definitions: Iterable[FieldDef],
    user_fields: Mapping[str, str],
    unit_fields: Mapping[str, ResolvedField],
    overrides: Mapping[str, str],
) -> list[ResolvedField]:
    """The fields of a profile in definition order: overrides over user or unit values."""
    result: list[ResolvedField] = []
    for d in sorted(definitions, key=lambda d: (d.order, d.key)):
        if d.key in overrides:
            result.append(ResolvedField(d.key, overrides[d.key], "profile"))
        elif d.scope is FieldScope.USER and d.key in user_fields:
            result.append(ResolvedField(d.key, user_fields[d.key], "user"))
        elif d.scope is FieldScope.UNIT and d.key in unit_fields:
            result.append(unit_fields[d.key])
        else:
            result.append(ResolvedField(d.key, None, "unset"))
    return result
