"""Reading a template's tags: Word content controls, Excel defined names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

from docshelf.documents import ooxml
from docshelf.documents.model import (
    EXCEL_SUFFIXES,
    MAX_CONTROLS,
    WORD_SUFFIXES,
    DocumentError,
    Tag,
    parse_tag,
    suffix_of,
)
from docshelf.documents.ooxml import w
from docshelf.i18n import tr


@dataclass(frozen=True)
class Control:
    """A content control that carries one of our tags."""

    sdt: etree._Element
    raw: str  # the tag as written in the template
    tag: Tag


def controls(roots: Iterable[etree._Element], filename: str) -> Iterator[Control]:
    """Every content control with one of our tags, in document order; refuses a template
    with more than MAX_CONTROLS controls before anything is filled."""
    sdts = [sdt for root in roots for sdt in root.iter(w("sdt"))]
    if len(sdts) > MAX_CONTROLS:
        raise DocumentError(
            tr(
                "{filename} has {sdts_count} content controls; docshelf fills at most "
                "{limit}. Remove the controls the template doesn't need or "
                "split it.",
                filename=filename,
                sdts_count=len(sdts),
                limit=MAX_CONTROLS,
            )
        )
    for sdt in sdts:
        raw = sdt.find(f"{w('sdtPr')}/{w('tag')}")
        value = raw.get(w("val"), "") if raw is not None else ""
        tag = parse_tag(value)
        if tag is not None:
            yield Control(sdt, value.strip(), tag)


def distinct(tags: Iterable[Tag]) -> list[Tag]:
    return list(dict.fromkeys(tags))


def tags_of(data: bytes | IO[bytes], filename: str) -> list[Tag]:
    suffix = suffix_of(filename)
    if suffix in WORD_SUFFIXES:
        roots = ooxml.story_roots(data, filename)
        return distinct(control.tag for control in controls(roots, filename))
    if suffix in EXCEL_SUFFIXES:
        # openpyxl takes a third of a second to import: a sync that meets no Excel
        # template does without it.
        from docshelf.documents import excel

        book = excel.load(data if isinstance(data, bytes) else data.read(), filename)
        return distinct(tag for tag, _ in excel.named_cells(book))
    return []
