"""The Word package a document is filled in, through python-docx: opened, its text parts
parsed once and written back. The XML names, the parser and the refusals are
documents/ooxml.py's (reading tags needs those without python-docx)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import Part, XmlPart
from docx.package import Package
from lxml import etree

from docshelf.documents.model import DocumentError
from docshelf.documents.ooxml import (
    MAIN_TYPES,
    STORY_TYPES,
    check_unpacked,
    damaged,
    not_word,
    parse,
    unreadable,
)


@dataclass
class Story:
    """One part with text, its XML parsed once and written back on save."""

    part: Part
    root: etree._Element

    def store(self) -> None:
        if isinstance(self.part, XmlPart):
            self.part._element = self.root
        else:
            self.part._blob = etree.tostring(
                self.root, xml_declaration=True, encoding="UTF-8", standalone=True
            )


@contextmanager
def reading(filename: str) -> Iterator[None]:
    """Turns what a damaged package raises into a :class:`DocumentError`."""
    try:
        yield
    except DocumentError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError) as exc:
        raise unreadable(filename, exc) from exc
    except etree.XMLSyntaxError as exc:
        raise damaged(filename, exc) from exc


def open_package(data: bytes, filename: str) -> tuple[Package, Part]:
    check_unpacked(data, filename)  # python-docx reads every part into memory
    with reading(filename):
        try:
            package = Package.open(io.BytesIO(data))
        except (AttributeError, TypeError, ValueError) as exc:
            # python-docx's answer to a [Content_Types].xml or relationships part that is
            # not what OPC says (only around opening: elsewhere these would be our bugs).
            raise unreadable(filename, exc) from exc
        main = package.main_document_part
    if main.content_type not in MAIN_TYPES:
        raise not_word(filename, main.content_type)
    return package, main


def stories(package: Package, filename: str) -> list[Story]:
    parts = [p for p in package.iter_parts() if p.content_type in STORY_TYPES]
    parts.sort(key=lambda p: (STORY_TYPES.index(p.content_type), str(p.partname)))
    return [Story(p, parse(p.blob, f"{filename} ({p.partname})")) for p in parts]


def save(package: Package) -> bytes:
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()
