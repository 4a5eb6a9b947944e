"""The shapes documents are described and filled with (no file handling here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import N_

# A template with more controls than this is refused rather than filled slowly.
MAX_CONTROLS = 5_000

# The files that can carry tags, by their name's suffix (lower case).
WORD_SUFFIXES = frozenset({".docx", ".docm", ".dotx", ".dotm"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})


def suffix_of(filename: str) -> str:
    return PurePath(filename).suffix.lower()


class DocumentError(InvalidInput):
    code = "document"
    default_title = N_("Document cannot be made")


class TagKind(StrEnum):
    FIELD = "field"  # field:<key>: the profile's value, as the profile shows it
    IMAGE = "image"  # image:<key>: an image field's picture (a unit's logo)
    SNIPPET = "snippet"  # snippet:<id or title>: a snippet's body


@dataclass(frozen=True)
class Tag:
    kind: TagKind
    name: str  # the field key, image field key, or snippet id or title

    @property
    def text(self) -> str:
        return f"{self.kind.value}:{self.name}"


def parse_tag(raw: str) -> Tag | None:
    """``field:phone`` → Tag(FIELD, "phone"); anything not in the convention → None."""
    kind, sep, name = raw.strip().partition(":")
    if not sep or not name.strip():
        return None
    try:
        return Tag(TagKind(kind.strip().lower()), name.strip())
    except ValueError:
        return None


def unknown_tags(
    tags: Iterable[Tag],
    *,
    field_keys: Iterable[str],
    image_keys: Iterable[str],
    snippets: Iterable[tuple[str, str]],
) -> list[Tag]:
    """The tags that name no field, image field or snippet (``snippets``: (id, title))."""
    fields, images = set(field_keys), set(image_keys)
    named = {name for pair in snippets for name in pair}
    known = {TagKind.FIELD: fields, TagKind.IMAGE: images, TagKind.SNIPPET: named}
    return [tag for tag in tags if tag.name not in known[tag.kind]]


@dataclass(frozen=True)
class SnippetBody:
    format: str  # "text", "html" or "docx" (a Word snippet's file)
    data: bytes


@dataclass(frozen=True)
class FillData:
    """What a document is filled from, resolved by the caller for one profile."""

    # field key -> value as the profile shows it (override, else user's, else unit's)
    values: Mapping[str, str] = field(default_factory=dict)
    # field key -> its label in the user's language, for "fields without a value"
    labels: Mapping[str, str] = field(default_factory=dict)
    # image field key -> the picture's bytes (PNG, JPEG or GIF)
    images: Mapping[str, bytes] = field(default_factory=dict)
    # snippet id AND title -> its body
    snippets: Mapping[str, SnippetBody] = field(default_factory=dict)


@dataclass(frozen=True)
class Filled:
    data: bytes
    suffix: str  # of the result: ".docx" also from a ".dotx", ".docm" from ".dotm"
    filled: list[str]  # tags filled, as written in the template ("field:phone")
    missing: list[str]  # labels of fields without a value (placeholders left)
    unknown: list[str]  # tags that name nothing
    # False when the file kind has nothing to fill (PowerPoint) or no tags: a plain copy
    fillable: bool = True
