"""A Word package's XML without python-docx: the names, the safe parser, and the parts that
hold text, read straight from the zip.

Reading a template's tags needs only the parts a content control can sit in. python-docx
opens a package by parsing every XML part into its element classes (styles, numbering,
theme, settings, ...): about 9 ms for a small template and a seventh of a second to
import, for each of the hundreds of templates a first sync reads. Here the zip's
relationships are followed from the package's root as OPC says, and only the story parts
are parsed: the same parts in the same order as :func:`docshelf.documents.wordml.stories`,
which filling keeps (it writes the package back, and that python-docx does well).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import IO

from lxml import etree

from docshelf.documents.model import EXCEL_SUFFIXES, DocumentError
from docshelf.i18n import tr

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_DOCUMENT = f"{R}/officeDocument"

_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
DOCUMENT_MAIN = f"{_WML}.document.main+xml"
TEMPLATE_MAIN = f"{_WML}.template.main+xml"
MACRO_DOCUMENT_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
MACRO_TEMPLATE_MAIN = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
# The main part of a template becomes that of a document (macros kept).
AS_DOCUMENT = {TEMPLATE_MAIN: DOCUMENT_MAIN, MACRO_TEMPLATE_MAIN: MACRO_DOCUMENT_MAIN}
MAIN_TYPES = {DOCUMENT_MAIN, TEMPLATE_MAIN, MACRO_DOCUMENT_MAIN, MACRO_TEMPLATE_MAIN}
# Parts that hold text a content control can sit in, in the order they are read.
STORY_TYPES = (
    f"{_WML}.header+xml",
    *sorted(MAIN_TYPES),
    f"{_WML}.footnotes+xml",
    f"{_WML}.endnotes+xml",
    f"{_WML}.footer+xml",
)

# A part read for tags larger than this unpacked is refused: a template is read by every
# client's sync and by the server, and a small zip can unpack to gigabytes (the text of a
# thousand-page document is some 10 MB).
MAX_PART_BYTES = 32 * 1024 * 1024
# Making a document reads every part of the template into memory (python-docx, openpyxl)
# and writes it back: a template larger than this unpacked is refused first.
MAX_PACKAGE_BYTES = 256 * 1024 * 1024

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


def unreadable(filename: str, exc: Exception) -> DocumentError:
    return DocumentError(
        tr(
            "{filename} is not a Word file docshelf can read ({exc}). Open it in "
            "Word, save it as a Word document or template and upload it anew.",
            filename=filename,
            exc=exc,
        )
    )


def not_word(filename: str, content_type: str) -> DocumentError:
    return DocumentError(
        tr(
            "{filename} is not a Word document or template (its main part is "
            "{content_type}). Check the file's name and kind.",
            filename=filename,
            content_type=content_type,
        )
    )


def story_roots(data: bytes | IO[bytes], filename: str) -> list[etree._Element]:
    """The parsed XML of every story part of the Word file ``data`` (its bytes, or a file
    open for reading: then only the zip's directory and these parts are read), in the order
    :data:`STORY_TYPES` gives (headers, the main document, footnotes, endnotes, footers),
    each kind by part name. Raises :class:`DocumentError` for a file that is not a readable
    Word document or template."""
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        package = _Package(zipfile.ZipFile(source), filename)
        package.main_part()  # refuses a package that is not a Word document or template
        stories = [
            (STORY_TYPES.index(kind), name)
            for name in package.reachable()
            if (kind := package.content_type(name)) in STORY_TYPES
        ]
        stories.sort()
        # A damaged part is reported by the file's name, as filling reports it.
        return [parse(package.read(name), filename) for _, name in stories]
    except DocumentError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise unreadable(filename, exc) from exc


def check_unpacked(data: bytes, filename: str) -> None:
    """Refuse a template that unpacks to more than a document can need, before a library
    reads all of it into memory: an XML part over MAX_PART_BYTES (XML packs a thousand to
    one), or all parts together over MAX_PACKAGE_BYTES. Only the zip's directory is read;
    zipfile never returns more than the sizes it declares. A file that is no zip passes:
    opening it says why."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError):
        return
    total = 0
    for info in parts:
        if info.filename.lower().endswith((".xml", ".rels")) and info.file_size > MAX_PART_BYTES:
            raise _part_too_large(filename, "/" + info.filename, info.file_size)
        total += info.file_size
    if total > MAX_PACKAGE_BYTES:
        raise DocumentError(
            tr(
                "{filename} unpacks to {size} MB; docshelf makes documents from templates of "
                "at most {limit} MB unpacked. Make the template smaller (its pictures, say) "
                "and upload it anew.",
                filename=filename,
                size=total // (1024 * 1024),
                limit=MAX_PACKAGE_BYTES // (1024 * 1024),
            )
        )


def _part_too_large(filename: str, part: str, size: int) -> DocumentError:
    # Making a document from an Excel file checks its parts too: name the program to use.
    suffix = posixpath.splitext(filename)[1].lower()
    return DocumentError(
        tr(
            "{filename} has a part that unpacks to {size} MB ({part}); docshelf "
            "reads at most {limit} MB of it. Open the file in {program}, save it again "
            "and upload it anew.",
            filename=filename,
            size=size // (1024 * 1024),
            part=part,
            limit=MAX_PART_BYTES // (1024 * 1024),
            program="Excel" if suffix in EXCEL_SUFFIXES else "Word",
        )
    )


class _Package:
    """A zip read as an OPC package: part names are absolute ("/word/document.xml")."""

    def __init__(self, archive: zipfile.ZipFile, filename: str) -> None:
        self._archive = archive
        self._filename = filename
        types = parse(self.read("/[Content_Types].xml"), filename)
        self._defaults: dict[str, str] = {
            d.get("Extension", "").lower(): d.get("ContentType", "")
            for d in types.iter(f"{_CT}Default")
        }
        self._overrides: dict[str, str] = {
            o.get("PartName", "").lower(): o.get("ContentType", "")
            for o in types.iter(f"{_CT}Override")
        }

    def read(self, name: str) -> bytes:
        """A part's bytes; refuses one that unpacks to more than MAX_PART_BYTES (zipfile
        never returns more than the size the zip declares)."""
        info = self._archive.getinfo(name.lstrip("/"))
        if info.file_size > MAX_PART_BYTES:
            raise _part_too_large(self._filename, name, info.file_size)
        return self._archive.read(info)

    def content_type(self, name: str) -> str | None:
        found = self._overrides.get(name.lower())
        if found is not None:
            return found
        return self._defaults.get(posixpath.splitext(name)[1].lstrip(".").lower())

    def relationships(self, source: str) -> list[tuple[str, str]]:
        """(type, target part name) of each internal relationship of ``source`` ("/" is
        the package itself)."""
        folder, base = posixpath.split(source)
        rels = posixpath.join(folder, "_rels", f"{base}.rels")
        try:
            blob = self.read(rels)
        except KeyError:
            return []  # a part without relationships
        root = parse(blob, self._filename)
        found = []
        for rel in root.iter(f"{_RELS}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            name = target if target.startswith("/") else posixpath.join(folder, target)
            found.append((rel.get("Type", ""), posixpath.normpath(name)))
        return found

    def main_part(self) -> str:
        """The main document part's name; refuses a package whose main part is not Word's."""
        mains = [name for kind, name in self.relationships("/") if kind == OFFICE_DOCUMENT]
        if not mains:
            raise KeyError("no officeDocument relationship")
        kind = self.content_type(mains[0]) or ""
        if kind not in MAIN_TYPES:
            raise not_word(self._filename, kind)
        return mains[0]

    def reachable(self) -> list[str]:
        """Every part reachable through relationships from the package, each once."""
        seen: dict[str, None] = {}
        todo = ["/"]
        while todo:
            for _, name in self.relationships(todo.pop()):
                if name not in seen and self._exists(name):
                    seen[name] = None
                    todo.append(name)
        return list(seen)

    def _exists(self, name: str) -> bool:
        try:
            self._archive.getinfo(name.lstrip("/"))
        except KeyError:
            return False
        return True
