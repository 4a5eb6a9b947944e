"""The Word package a template is read from and written back to: its parts, their XML,
and the errors a damaged file gives."""

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
from docshelf.i18n import tr

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
DOCUMENT_MAIN = f"{_WML}.document.main+xml"
TEMPLATE_MAIN = f"{_WML}.template.main+xml"
MACRO_DOCUMENT_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
MACRO_TEMPLATE_MAIN = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
# The main part of a template becomes that of a document (macros kept).
AS_DOCUMENT = {TEMPLATE_MAIN: DOCUMENT_MAIN, MACRO_TEMPLATE_MAIN: MACRO_DOCUMENT_MAIN}
MAIN_TYPES = {DOCUMENT_MAIN, TEMPLATE_MAIN, MACRO_DOCUMENT_MAIN, MACRO_TEMPLATE_MAIN}
# Parts that hold text a content control can sit in, in the order they are read.
_STORY_TYPES = (
    f"{_WML}.header+xml",
    *sorted(MAIN_TYPES),
    f"{_WML}.footnotes+xml",
    f"{_WML}.endnotes+xml",
    f"{_WML}.footer+xml",
)

# No entities, no DTDs, no network: a template is someone else's file.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def parse(blob: bytes, what: str) -> etree._Element:
    try:
        return etree.fromstring(blob, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise damaged(what, exc) from exc


def damaged(what: str, exc: Exception) -> DocumentError:
    return DocumentError(
        tr(
            "{what} is damaged and can't be read ({exc}). Open it in Word, save it "
            "again and upload it anew.",
            what=what,
            exc=exc,
        )
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
        raise DocumentError(
            tr(
                "{filename} is not a Word file docshelf can read ({exc}). Open it in "
                "Word, save it as a Word document or template and upload it anew.",
                filename=filename,
                exc=exc,
            )
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise damaged(filename, exc) from exc


def open_package(data: bytes, filename: str) -> tuple[Package, Part]:
    with reading(filename):
        try:
            package = Package.open(io.BytesIO(data))
        except (AttributeError, TypeError, ValueError) as exc:
            # python-docx's answer to a [Content_Types].xml or relationships part that is
            # not what OPC says (only around opening: elsewhere these would be our bugs).
            raise DocumentError(
                tr(
                    "{filename} is not a Word file docshelf can read ({exc}). Open it in "
                    "Word, save it as a Word document or template and upload it anew.",
                    filename=filename,
                    exc=exc,
                )
            ) from exc
        main = package.main_document_part
    if main.content_type not in MAIN_TYPES:
        raise DocumentError(
            tr(
                "{filename} is not a Word document or template (its main part is "
                "{content_type}). Check the file's name and kind.",
                filename=filename,
                content_type=main.content_type,
            )
        )
    return package, main


def stories(package: Package, filename: str) -> list[Story]:
    parts = [p for p in package.iter_parts() if p.content_type in _STORY_TYPES]
    parts.sort(key=lambda p: (_STORY_TYPES.index(p.content_type), str(p.partname)))
    return [Story(p, parse(p.blob, f"{filename} ({p.partname})")) for p in parts]


def save(package: Package) -> bytes:
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()
