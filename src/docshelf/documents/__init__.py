"""Documents from templates: the tags a template's content controls carry, and a new
document filled from a profile's data.

Pure transformations of a file's bytes (no disk, no network), used by the client (a new
document, offline) and by the server (the tags a layouter's template uses). A Word file's
tags are read from its story parts straight from the zip with lxml (documents/ooxml.py: a
sync reads hundreds of them); filling reads and writes the package with python-docx and
the XML with lxml; the filling of content controls, data-bound ones included, is our own
(no library does it): see docs/documents.md for the convention.

Errors are :class:`DocumentError` (an ``InvalidInput``) with a message a person can act on.
"""

from __future__ import annotations

from typing import IO

from docshelf.documents.model import (
    EXCEL_SUFFIXES,
    MAX_CONTROLS,
    WORD_SUFFIXES,
    DocumentError,
    FillData,
    Filled,
    SnippetBody,
    Tag,
    TagKind,
    parse_tag,
    suffix_of,
    unknown_tags,
)

__all__ = [
    "MAX_CONTROLS",
    "DocumentError",
    "FillData",
    "Filled",
    "SnippetBody",
    "Tag",
    "TagKind",
    "carries_tags",
    "fill",
    "parse_tag",
    "tags_of",
    "unknown_tags",
]


def tags_of(data: bytes | IO[bytes], filename: str) -> list[Tag]:
    """Every distinct tag the file's content controls (Word) or defined names (Excel)
    carry, in document order; PowerPoint and other files carry none. ``data``: the file's
    bytes, or the file open for reading (of a Word file only the parts that matter are
    read then).

    Raises :class:`DocumentError` for a file that can't be read as what its name says.
    """
    from docshelf.documents.scan import tags_of as scan

    return scan(data, filename)


def carries_tags(filename: str) -> bool:
    """Whether a file so named can carry tags (Word and Excel files): :func:`tags_of` of any
    other is empty, without reading it."""
    suffix = suffix_of(filename)
    return suffix in WORD_SUFFIXES or suffix in EXCEL_SUFFIXES


def fill(data: bytes, filename: str, values: FillData) -> Filled:
    """A new document from the template ``data`` (named ``filename``), filled from
    ``values``. From a .dotx/.dotm the result is a .docx/.docm document. Never a partial
    result: on any problem :class:`DocumentError` is raised."""
    from docshelf.documents.filling import fill as fill_file

    return fill_file(data, filename, values)
