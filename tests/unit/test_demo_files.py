"""Tests for the demo's office-file and logo generators in ``docshelf.server.demo.files``."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime

import docx
import openpyxl
import pptx
import pytest
from PIL import Image

from docshelf.server.demo.files import (
    FILE_EXTENSIONS,
    docx_bytes,
    logo_png,
    office_bytes,
    pptx_bytes,
    xlsx_bytes,
)

OOXML = "application/vnd.openxmlformats-officedocument."
# kind -> (main-part content type of the document flavour, of the template flavour)
MAIN_CONTENT_TYPES = {
    "docx": (
        OOXML + "wordprocessingml.document.main+xml",
        OOXML + "wordprocessingml.template.main+xml",
    ),
    "xlsx": (OOXML + "spreadsheetml.sheet.main+xml", OOXML + "spreadsheetml.template.main+xml"),
    "pptx": (
        OOXML + "presentationml.presentation.main+xml",
        OOXML + "presentationml.template.main+xml",
    ),
}
MAIN_FOLDERS = {
    "docx": "word/",
    "dotx": "word/",
    "xlsx": "xl/",
    "xltx": "xl/",
    "pptx": "ppt/",
    "potx": "ppt/",
}
DOCUMENT_KINDS = ["docx", "xlsx", "pptx"]
TEMPLATE_KINDS = {"docx": "dotx", "xlsx": "xltx", "pptx": "potx"}
ALL_KINDS = DOCUMENT_KINDS + list(TEMPLATE_KINDS.values())
FUTURE = datetime(2035, 6, 15, 13, 37, 42, tzinfo=UTC).timestamp()
BODY = ["Erste Zeile mit Umlauten: äöüß", "Second line", "Dritte Zeile"]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def content_types(data: bytes) -> str:
    return members(data)["[Content_Types].xml"].decode()


def as_document(data: bytes, document_kind: str) -> bytes:
    """Relabel a template as a document: python-docx and python-pptx refuse to open templates,
    although the package is otherwise identical."""
    document_ct, template_ct = MAIN_CONTENT_TYPES[document_kind]
    parts = members(data)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        template_ct.encode(), document_ct.encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in parts.items():
            archive.writestr(name, blob)
    return buffer.getvalue()


def all_text(document_kind: str, data: bytes) -> str:
    if document_kind == "docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if document_kind == "pptx":
        presentation = pptx.Presentation(io.BytesIO(data))
        return "\n".join(
            shape.text_frame.text
            for slide in presentation.slides
            for shape in slide.shapes
            if shape.has_text_frame
        )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)


@pytest.fixture
def shifted_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the wall clock years ahead; zipfile stamps entries from ``time.time()``."""
    monkeypatch.setattr(time, "time", lambda: FUTURE)


def test_docx_reopens_with_title_paragraphs_and_core_properties() -> None:
    data = docx_bytes("Briefvorlage", ["Sehr geehrte Damen und Herren,", "Grüße"], lang="de")

    document = docx.Document(io.BytesIO(data))

    assert [p.text for p in document.paragraphs] == [
        "Briefvorlage",
        "Sehr geehrte Damen und Herren,",
        "Grüße",
    ]
    assert document.paragraphs[0].style.name == "Title"
    assert document.core_properties.title == "Briefvorlage"
    assert document.core_properties.language == "de"
    assert document.core_properties.created == datetime(2026, 1, 1, tzinfo=UTC)


def test_xlsx_reopens_with_bold_headers_rows_widths_and_properties() -> None:
    rows: list[list[str | int | float]] = [["Alpha", 1, 2.5], ["Ein deutlich längerer Name", 2, 3]]
    data = xlsx_bytes("Kostenliste", ["Name", "Menge", "Preis"], rows, lang="en")

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active

    assert list(sheet.iter_rows(values_only=True)) == [
        ("Name", "Menge", "Preis"),
        ("Alpha", 1, 2.5),
        ("Ein deutlich längerer Name", 2, 3),
    ]
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width >= len("Ein deutlich längerer Name")
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width
    assert workbook.properties.title == "Kostenliste"
    assert workbook.properties.language == "en"


def test_pptx_reopens_with_title_slide_and_bullet_slides() -> None:
    data = pptx_bytes("Quartalsbericht", [("Agenda", ["Zahlen", "Ausblick"]), ("Fazit", ["Gut"])])

    presentation = pptx.Presentation(io.BytesIO(data))
    slides = list(presentation.slides)

    assert len(slides) == 3
    assert slides[0].shapes.title.text == "Quartalsbericht"
    assert slides[1].shapes.title.text == "Agenda"
    assert [p.text for p in slides[1].placeholders[1].text_frame.paragraphs] == [
        "Zahlen",
        "Ausblick",
    ]
    assert slides[2].shapes.title.text == "Fazit"
    assert presentation.core_properties.title == "Quartalsbericht"
    assert presentation.core_properties.language == "de"


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_document_kinds_carry_the_document_content_type(kind: str) -> None:
    document_ct, template_ct = MAIN_CONTENT_TYPES[kind]

    types = content_types(office_bytes(kind, "Titel", "de", BODY))

    assert document_ct in types
    assert template_ct not in types


@pytest.mark.parametrize("document_kind", DOCUMENT_KINDS)
def test_template_kinds_carry_the_template_content_type(document_kind: str) -> None:
    document_ct, template_ct = MAIN_CONTENT_TYPES[document_kind]

    types = content_types(office_bytes(TEMPLATE_KINDS[document_kind], "Titel", "de", BODY))

    assert template_ct in types
    assert document_ct not in types


@pytest.mark.parametrize("document_kind", DOCUMENT_KINDS)
def test_office_bytes_puts_title_and_body_into_every_kind(document_kind: str) -> None:
    for kind in (document_kind, TEMPLATE_KINDS[document_kind]):
        data = office_bytes(kind, "Mein Titel", "de", BODY)
        if kind != document_kind and document_kind != "xlsx":
            data = as_document(data, document_kind)
        text = all_text(document_kind, data)

        assert all(line in text for line in BODY), kind
        if document_kind != "xlsx":  # The title lives in the workbook properties there.
            assert "Mein Titel" in text, kind


def test_office_bytes_turns_lines_into_a_numbered_two_column_table() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(office_bytes("xltx", "T", "de", BODY))).active

    assert list(sheet.iter_rows(values_only=True)) == [
        ("Nr.", "Eintrag"),
        *((n, line) for n, line in enumerate(BODY, start=1)),
    ]


def test_office_bytes_spreads_many_lines_over_several_slides() -> None:
    body = [f"Punkt {n}" for n in range(12)]

    presentation = pptx.Presentation(io.BytesIO(office_bytes("pptx", "Vortrag", "de", body)))
    bullets = [
        p.text
        for slide in list(presentation.slides)[1:]
        for p in slide.placeholders[1].text_frame.paragraphs
    ]

    assert len(presentation.slides) > 2
    assert bullets == body


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_output_is_byte_identical_across_calls_and_clocks(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = office_bytes(kind, "Titel", "de", BODY)
    second = office_bytes(kind, "Titel", "de", BODY)
    monkeypatch.setattr(time, "time", lambda: FUTURE)
    later = office_bytes(kind, "Titel", "de", BODY)

    assert first == second == later


def test_shifted_clock_does_change_raw_library_output(shifted_clock: None) -> None:
    """Guards the test above: without normalisation the moved clock would change the bytes."""
    raw = io.BytesIO()
    docx.Document().save(raw)

    with zipfile.ZipFile(raw) as archive:
        assert {info.date_time[0] for info in archive.infolist()} == {2035}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_archives_have_pinned_dates_and_a_stable_shape(kind: str) -> None:
    data = office_bytes(kind, "Titel", "de", BODY)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        core = archive.read("docProps/core.xml").decode()

    names = [info.filename for info in infos]
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    # The main part's folder comes third so that file-type sniffers recognise the format.
    assert names[2].startswith(MAIN_FOLDERS[kind])
    assert names.index("docProps/core.xml") > max(
        i for i, name in enumerate(names) if name.startswith(MAIN_FOLDERS[kind])
    )
    assert {info.date_time for info in infos} == {(2026, 1, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert core.count("2026-01-01T00:00:00Z") == 2  # created and modified


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_different_inputs_give_different_bytes(kind: str) -> None:
    variants = [
        office_bytes(kind, "Titel", "de", BODY),
        office_bytes(kind, "Anderer Titel", "de", BODY),
        office_bytes(kind, "Titel", "en", BODY),
        office_bytes(kind, "Titel", "de", [*BODY, "Noch eine Zeile"]),
    ]

    assert len(set(variants)) == len(variants)


def test_template_and_document_differ_for_equal_content() -> None:
    assert docx_bytes("T", BODY) != docx_bytes("T", BODY, template=True)
    assert pptx_bytes("T", [("S", BODY)]) != pptx_bytes("T", [("S", BODY)], template=True)
    assert xlsx_bytes("T", ["A"], [["x"]]) != xlsx_bytes("T", ["A"], [["x"]], template=True)


def test_logo_is_a_png_of_the_requested_size_and_colour() -> None:
    data = logo_png("ACME", (200, 30, 40), size=(300, 90))

    image = Image.open(io.BytesIO(data))

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.format == "PNG"
    assert image.size == (300, 90)
    rgba = image.convert("RGBA")
    assert rgba.getpixel((10, 45)) == (200, 30, 40, 255)
    assert rgba.getpixel((0, 0))[3] == 0  # Rounded corner stays transparent.
    assert (255, 255, 255, 255) in {rgba.getpixel((x, 45)) for x in range(300)}


def test_logo_uses_the_default_size_and_is_deterministic(shifted_clock: None) -> None:
    data = logo_png("Docshelf", (0, 90, 160))

    assert Image.open(io.BytesIO(data)).size == (240, 80)
    assert data == logo_png("Docshelf", (0, 90, 160))
    assert data != logo_png("Docshelf", (0, 90, 161))
    assert data != logo_png("DocShelf", (0, 90, 160))


def test_long_logo_text_is_shrunk_to_fit() -> None:
    image = Image.open(io.BytesIO(logo_png("A very long organisation name", (10, 10, 10))))

    rgba = image.convert("RGBA")
    assert rgba.getpixel((1, 40)) == (10, 10, 10, 255)  # Text does not reach the left edge.
    assert rgba.getpixel((238, 40)) == (10, 10, 10, 255)


def test_file_extensions_map_every_kind_to_its_mime_type() -> None:
    assert FILE_EXTENSIONS == {
        "docx": OOXML + "wordprocessingml.document",
        "dotx": OOXML + "wordprocessingml.template",
        "xlsx": OOXML + "spreadsheetml.sheet",
        "xltx": OOXML + "spreadsheetml.template",
        "pptx": OOXML + "presentationml.presentation",
        "potx": OOXML + "presentationml.template",
    }


@pytest.mark.parametrize("kind", ["pdf", "doc", "DOCX", ""])
def test_unknown_kind_raises_value_error(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown office file kind") as excinfo:
        office_bytes(kind, "Titel", "de", BODY)

    assert repr(kind) in str(excinfo.value)
    assert "docx" in str(excinfo.value)
