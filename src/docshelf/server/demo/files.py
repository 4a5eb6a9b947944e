"""Generate the demo's office files and logos in memory, byte for byte reproducibly.

The demo de-duplicates content by SHA-256, so equal arguments must always yield equal bytes.
python-docx, openpyxl and python-pptx stamp the current time into both the zip entries and
``docProps/core.xml``; every package therefore passes through :func:`_normalise`, which pins
those timestamps and rewrites the archive in a fixed shape.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import IO, Protocol

import docx
import pptx
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from PIL import Image, ImageDraw, ImageFont

FILE_EXTENSIONS: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "potx": "application/vnd.openxmlformats-officedocument.presentationml.template",
}

_OOXML = "application/vnd.openxmlformats-officedocument."
# Office tells a template from a document only by the main part's content type; python-docx and
# python-pptx cannot write it themselves, so the package is patched after saving.
_DOCX_TEMPLATE_SWAP = (
    _OOXML + "wordprocessingml.document.main+xml",
    _OOXML + "wordprocessingml.template.main+xml",
)
_PPTX_TEMPLATE_SWAP = (
    _OOXML + "presentationml.presentation.main+xml",
    _OOXML + "presentationml.template.main+xml",
)

_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_FIXED_W3CDTF = "2026-01-01T00:00:00Z"
_CONTENT_TYPES = "[Content_Types].xml"
_CORE_PROPS = "docProps/core.xml"
_DCTERMS = "http://purl.org/dc/terms/"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_GENERATOR = "docshelf"
_MAX_COLUMN_WIDTH = 60
_BULLETS_PER_SLIDE = 5
_TABLE_HEADERS = {"de": ("Nr.", "Eintrag"), "en": ("No.", "Entry")}


class _Saveable(Protocol):
    def save(self, file: IO[bytes]) -> None: ...


class _CoreProps(Protocol):
    """The core-property attributes python-docx and python-pptx have in common."""

    title: str
    language: str
    author: str
    last_modified_by: str


def _saved(package: _Saveable) -> bytes:
    buffer = io.BytesIO()
    package.save(buffer)
    return buffer.getvalue()


def _set_core_props(props: _CoreProps, title: str, lang: str) -> None:
    props.title = title
    props.language = lang
    # The bundled default templates name their own authors ("Steve Canny" in python-pptx).
    props.author = _GENERATOR
    props.last_modified_by = _GENERATOR


def _serialise(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def _pin_core_dates(xml: bytes) -> bytes:
    # Done on the XML rather than through each library's API: openpyxl overwrites
    # ``modified`` with the current time inside save() itself.
    root = etree.fromstring(xml)
    for name in ("created", "modified"):
        element = root.find(f"{{{_DCTERMS}}}{name}")
        if element is not None:
            element.text = _FIXED_W3CDTF
    return _serialise(root)


def _swap_content_type(xml: bytes, old: str, new: str) -> bytes:
    root = etree.fromstring(xml)
    overrides = [o for o in root.iter(f"{{{_CT_NS}}}Override") if o.get("ContentType") == old]
    # Fail loudly instead of silently shipping a document labelled as a template.
    if len(overrides) != 1:
        raise ValueError(f"expected one part of content type {old!r}, found {len(overrides)}")
    overrides[0].set("ContentType", new)
    return _serialise(root)


def _entry_rank(name: str) -> int:
    # file(1) and similar sniffers tell Word, Excel and PowerPoint apart by the folder of the
    # second to fourth entry, so the main part's folder must come before docProps/customXml.
    if name == _CONTENT_TYPES:
        return 0
    if name == "_rels/.rels":
        return 1
    return 3 if name.startswith(("docProps/", "customXml/")) else 2


def _normalise(package: bytes, *, content_type_swap: tuple[str, str] | None = None) -> bytes:
    """Rewrite an OPC package so that its bytes depend on its content only.

    Pins the core-property dates and every entry's timestamp, host system and permissions,
    and orders the entries by :func:`_entry_rank` and name, so that neither the clock, the
    time zone nor the library's write order leaks in.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    if _CORE_PROPS in members:
        members[_CORE_PROPS] = _pin_core_dates(members[_CORE_PROPS])
    if content_type_swap is not None:
        members[_CONTENT_TYPES] = _swap_content_type(members[_CONTENT_TYPES], *content_type_swap)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in sorted(members, key=lambda n: (_entry_rank(n), n)):
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # ZipInfo defaults to the host OS, which would vary.
            info.external_attr = 0
            target.writestr(info, members[name])
    return buffer.getvalue()


def docx_bytes(
    title: str, paragraphs: list[str], *, lang: str = "de", template: bool = False
) -> bytes:
    """Return a Word document (.docx, or .dotx if ``template``) with a title and paragraphs."""
    document = docx.Document()
    _set_core_props(document.core_properties, title, lang)
    document.add_heading(title, level=0)
    for text in paragraphs:
        document.add_paragraph(text)
    swap = _DOCX_TEMPLATE_SWAP if template else None
    return _normalise(_saved(document), content_type_swap=swap)


def xlsx_bytes(
    title: str,
    headers: list[str],
    rows: list[list[str | int | float]],
    *,
    lang: str = "de",
    template: bool = False,
) -> bytes:
    """Return an Excel workbook (.xlsx, or .xltx if ``template``) with a bold header row."""
    workbook = Workbook()
    workbook.template = template  # openpyxl sets the template content type itself.
    workbook.properties.title = title
    workbook.properties.language = lang
    workbook.properties.creator = _GENERATOR
    workbook.properties.lastModifiedBy = _GENERATOR
    sheet = workbook.active
    if headers:
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"  # Keep the headers visible while scrolling.
    for row in rows:
        sheet.append(row)
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        longest = max((len(str(value)) for value in column if value is not None), default=0)
        width = min(longest + 2, _MAX_COLUMN_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
    return _normalise(_saved(workbook))


def pptx_bytes(
    title: str, slides: list[tuple[str, list[str]]], *, lang: str = "de", template: bool = False
) -> bytes:
    """Return a presentation (.pptx, or .potx if ``template``): a title slide, then one
    title-and-bullets slide per ``(heading, bullets)`` entry."""
    presentation = pptx.Presentation()
    _set_core_props(presentation.core_properties, title, lang)
    # Layouts 0 and 1 of python-pptx's default master are "Title Slide" and "Title and Content".
    title_layout, content_layout = presentation.slide_layouts[0], presentation.slide_layouts[1]
    presentation.slides.add_slide(title_layout).shapes.title.text = title
    for heading, bullets in slides:
        slide = presentation.slides.add_slide(content_layout)
        slide.shapes.title.text = heading
        slide.placeholders[1].text_frame.text = "\n".join(bullets)  # "\n" starts a paragraph.
    swap = _PPTX_TEMPLATE_SWAP if template else None
    return _normalise(_saved(presentation), content_type_swap=swap)


def logo_png(text: str, rgb: tuple[int, int, int], size: tuple[int, int] = (240, 80)) -> bytes:
    """Return a PNG logo: ``text`` in white on a rounded rectangle of colour ``rgb``."""
    width, height = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))  # Transparent outside the rounded corners.
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=min(size) // 5, fill=(*rgb, 255))
    # Text width grows linearly with the font size, so one measurement finds the size that fits.
    font_size = max(1, height // 2)
    max_width = width * 0.85
    font = ImageFont.load_default(size=font_size)
    text_width = draw.textlength(text, font=font)
    if text_width > max_width:
        font = ImageFont.load_default(size=max(1, int(font_size * max_width / text_width)))
    draw.text((width / 2, height / 2), text, fill=(255, 255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _table_from_lines(title: str, lang: str, body: list[str], template: bool) -> bytes:
    headers = _TABLE_HEADERS.get(lang.split("-")[0].lower(), _TABLE_HEADERS["en"])
    rows: list[list[str | int | float]] = [[n, line] for n, line in enumerate(body, start=1)]
    return xlsx_bytes(title, list(headers), rows, lang=lang, template=template)


def _slides_from_lines(title: str, lang: str, body: list[str], template: bool) -> bytes:
    # Chunked so that long bodies do not overflow a slide's content placeholder.
    chunks = [body[i : i + _BULLETS_PER_SLIDE] for i in range(0, len(body), _BULLETS_PER_SLIDE)]
    return pptx_bytes(title, [(title, chunk) for chunk in chunks], lang=lang, template=template)


def _document_from_lines(title: str, lang: str, body: list[str], template: bool) -> bytes:
    return docx_bytes(title, body, lang=lang, template=template)


_BUILDERS: dict[str, tuple[Callable[[str, str, list[str], bool], bytes], bool]] = {
    "docx": (_document_from_lines, False),
    "dotx": (_document_from_lines, True),
    "xlsx": (_table_from_lines, False),
    "xltx": (_table_from_lines, True),
    "pptx": (_slides_from_lines, False),
    "potx": (_slides_from_lines, True),
}


def office_bytes(kind: str, title: str, lang: str, body: list[str]) -> bytes:
    """Return an office file of ``kind`` (a key of :data:`FILE_EXTENSIONS`) built from
    ``body`` lines: paragraphs, numbered table rows or slide bullets, depending on the kind."""
    try:
        builder, template = _BUILDERS[kind]
    except KeyError:
        known = ", ".join(FILE_EXTENSIONS)
        raise ValueError(f"unknown office file kind {kind!r}; expected one of: {known}") from None
    return builder(title, lang, body, template)
