"""The tags a template's files use and which of them name nothing, for layouters.

A tag names nothing when no field (``field:``), image field (``image:``) or snippet
(``snippet:``, by id or title) of that name exists on the server; filling would leave its
control untouched. Shown on the dashboard's template page and in a package's preview.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.documents import DocumentError, Tag, tags_of, unknown_tags
from docshelf.domain.fields import FieldType
from docshelf.i18n import ntr
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.models import Snippet, Template
from docshelf.server.services.fields import definitions


@dataclass(frozen=True)
class Known:
    """What a tag may name: the field keys, the image field keys, the snippets' ids and titles."""

    field_keys: frozenset[str]
    image_keys: frozenset[str]
    snippets: tuple[tuple[str, str], ...]

    def adding(
        self, fields: Iterable[tuple[str, bool]], snippets: Iterable[tuple[str, str]]
    ) -> Known:
        """Also these (key, is an image field) and snippets: what a package brings along."""
        pairs = list(fields)
        return Known(
            field_keys=self.field_keys | {key for key, image in pairs if not image},
            image_keys=self.image_keys | {key for key, image in pairs if image},
            snippets=(*self.snippets, *snippets),
        )

    def unknown(self, tags: Iterable[Tag]) -> list[Tag]:
        return unknown_tags(
            tags, field_keys=self.field_keys, image_keys=self.image_keys, snippets=self.snippets
        )


@dataclass(frozen=True)
class FileTags:
    lang: str
    filename: str
    tags: list[Tag]
    unknown: list[Tag]
    error: str | None = None  # why the file's tags could not be read


def unknown_text(unknown: list[Tag]) -> str:
    """``1 unknown tag: field:telefon``, in the context's language (a preview's warning)."""
    tags = ", ".join(tag.text for tag in unknown)
    return ntr("{n} unknown tag: {tags}", "{n} unknown tags: {tags}", len(unknown), tags=tags)


def known_names(session: Session) -> Known:
    defs = definitions(session).values()
    snippets = (
        (ident, title) for ident, title in session.execute(select(Snippet.id, Snippet.title))
    )
    return Known(
        field_keys=frozenset(d.key for d in defs if d.type is not FieldType.IMAGE),
        image_keys=frozenset(d.key for d in defs if d.type is FieldType.IMAGE),
        snippets=tuple(snippets),
    )


def file_tags(data: bytes, lang: str, filename: str, known: Known) -> FileTags:
    """The tags of one file; a file that can't be read gets the reason instead, so that one
    broken upload does not hide the others' tags."""
    try:
        tags = tags_of(data, filename)
    except DocumentError as exc:
        return FileTags(lang, filename, [], [], error=exc.message)
    return FileTags(lang, filename, tags, known.unknown(tags))


def template_tags(session: Session, blobs: BlobStore, row: Template) -> list[FileTags]:
    """The tags of each of the template's files whose content is stored, by language."""
    known = known_names(session)
    found = []
    for f in row.files:
        if not blobs.has(f.sha256):
            continue  # still being uploaded: nothing to read yet
        with blobs.open(f.sha256) as stored:
            data = stored.read()
        found.append(file_tags(data, f.lang, f.filename, known))
    return found
