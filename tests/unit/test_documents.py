"""The documents layer on small templates built in the tests: each kind of control,
data-bound ones, pictures, snippets, templates becoming documents, Excel names, and the
bad input that must give a clear message instead of a document."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from lxml import etree

from docshelf.documents import (
    MAX_CONTROLS,
    DocumentError,
    FillData,
    SnippetBody,
    Tag,
    TagKind,
    fill,
    tags_of,
)
from support.word_templates import (
    DOCUMENT_MAIN,
    MACRO_DOCUMENT_MAIN,
    MACRO_TEMPLATE_MAIN,
    TEMPLATE_MAIN,
    W_NS,
    binding,
    block,
    custom_xml,
    excel,
    inline,
    part_xml,
    png,
    word,
)

NS = {"w": W_NS}
R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


def controls(data: bytes, part: str = "word/document.xml") -> dict[str, etree._Element]:
    root = part_xml(data, part)
    return {
        sdt.find("w:sdtPr/w:tag", NS).get(f"{{{W_NS}}}val"): sdt
        for sdt in root.iter(f"{{{W_NS}}}sdt")
    }


def text_of(element: etree._Element) -> str:
    return "".join(element.itertext())


def opens(data: bytes) -> None:
    docx.Document(io.BytesIO(data))  # python-docx reads the result as a document


# -- tags ----------------------------------------------------------------------------------


def test_tags_are_distinct_in_document_order_headers_first_and_foreign_tags_ignored() -> None:
    data = word(
        inline("field:phone"),
        inline("not ours"),
        block("snippet:Closing"),
        inline("field:phone"),
        pictures=("image:logo",),
        header=inline("field:name"),
    )
    assert tags_of(data, "letter.dotx") == [
        Tag(TagKind.FIELD, "name"),
        Tag(TagKind.FIELD, "phone"),
        Tag(TagKind.SNIPPET, "Closing"),
        Tag(TagKind.IMAGE, "logo"),
    ]


def test_excel_tags_are_its_field_names_and_other_files_have_none() -> None:
    book = excel({"field.phone": "Letter!$B$1", "Print_Title": "Letter!$A$1"})
    assert tags_of(book, "sheet.xlsx") == [Tag(TagKind.FIELD, "phone")]
    assert tags_of(b"anything", "slides.pptx") == []


# -- text fields ---------------------------------------------------------------------------


def test_an_inline_field_gets_the_value_in_the_controls_formatting_without_placeholder() -> None:
    data = word(inline("field:phone", rpr='<w:b/><w:color w:val="FF0000"/>'))
    result = fill(data, "letter.docx", FillData(values={"phone": "+41 44 123"}))
    sdt = controls(result.data)["field:phone"]
    assert text_of(sdt.find("w:sdtContent", NS)) == "+41 44 123"
    assert sdt.find("w:sdtPr/w:showingPlcHdr", NS) is None
    runs = sdt.findall("w:sdtContent/w:r", NS)
    assert len(runs) == 1
    rpr = runs[0].find("w:rPr", NS)
    assert rpr.find("w:rStyle", NS) is None  # the placeholder style is dropped
    assert rpr.find("w:b", NS) is not None and rpr.find("w:color", NS) is not None
    assert (result.filled, result.missing, result.unknown) == (["field:phone"], [], [])
    assert result.suffix == ".docx" and result.fillable
    opens(result.data)


def test_a_multi_line_value_becomes_breaks_in_the_same_run_of_an_inline_control() -> None:
    data = word(inline("field:address"))
    result = fill(data, "letter.docx", FillData(values={"address": "Main St 1\n8000 Zurich"}))
    sdt = controls(result.data)["field:address"]
    (run,) = sdt.findall("w:sdtContent/w:r", NS)
    assert [etree.QName(c).localname for c in run] == ["rPr", "t", "br", "t"]
    assert sdt.find("w:sdtPr/w:text", NS).get(f"{{{W_NS}}}multiLine") == "1"


def test_a_multi_line_value_becomes_paragraphs_with_the_same_style_in_a_block_control() -> None:
    ppr = '<w:pStyle w:val="Sender"/><w:jc w:val="right"/>'
    data = word(block("field:address", ppr=ppr))
    result = fill(data, "letter.docx", FillData(values={"address": "Main St 1\n\n8000 Zurich"}))
    paragraphs = controls(result.data)["field:address"].findall("w:sdtContent/w:p", NS)
    assert [text_of(p) for p in paragraphs] == ["Main St 1", "", "8000 Zurich"]
    for p in paragraphs:
        assert p.find("w:pPr/w:pStyle", NS).get(f"{{{W_NS}}}val") == "Sender"
        assert p.find("w:pPr/w:jc", NS) is not None
    assert paragraphs[0].find("w:r/w:rPr/w:rStyle", NS) is None
    assert paragraphs[0].find("w:r/w:rPr/w:i", NS) is not None


def test_fields_without_a_value_keep_their_placeholder_and_are_listed_by_label() -> None:
    data = word(inline("field:mobile"), inline("field:fax"), inline("field:telefon"))
    values = FillData(values={"fax": ""}, labels={"mobile": "Mobile", "fax": "Fax"})
    result = fill(data, "letter.docx", values)
    assert result.missing == ["Mobile", "Fax"]
    assert result.unknown == ["field:telefon"]
    assert result.filled == []
    sdt = controls(result.data)["field:mobile"]
    assert text_of(sdt) == "Click here"
    assert sdt.find("w:sdtPr/w:showingPlcHdr", NS) is not None
    opens(result.data)


def test_a_control_in_the_header_is_filled() -> None:
    data = word(inline("field:phone"), header=inline("field:name"))
    result = fill(data, "letter.docx", FillData(values={"name": "Anna Muster", "phone": "1"}))
    assert text_of(controls(result.data, "word/header1.xml")["field:name"]) == "Anna Muster"


# -- data-bound controls -------------------------------------------------------------------


def test_a_data_bound_control_is_filled_in_the_custom_xml_part_too() -> None:
    data = word(
        inline("field:phone", bound=binding("phone")),
        inline("field:email", bound=binding("email")),
        data={"phone": "old phone", "email": "old@example.org"},
    )
    values = FillData(values={"phone": "+41 44 123"}, labels={"email": "E-mail"})
    result = fill(data, "letter.docx", values)
    assert custom_xml(result.data) == {"phone": "+41 44 123", "email": "old@example.org"}
    assert text_of(controls(result.data)["field:phone"].find("w:sdtContent", NS)) == "+41 44 123"
    assert result.missing == ["E-mail"]


# -- templates become documents ------------------------------------------------------------


def _main_type(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = etree.fromstring(archive.read("[Content_Types].xml"))
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    return next(
        o.get("ContentType") for o in types.iter(f"{ns}Override")
        if o.get("PartName") == "/word/document.xml"
    )  # fmt: skip


def test_a_dotx_gives_a_docx_document() -> None:
    data = word(inline("field:phone"), content_type=TEMPLATE_MAIN)
    result = fill(data, "Letter.dotx", FillData(values={"phone": "1"}))
    assert result.suffix == ".docx"
    assert _main_type(result.data) == DOCUMENT_MAIN
    opens(result.data)


def test_a_dotx_without_tags_still_gives_a_document() -> None:
    data = word(content_type=TEMPLATE_MAIN)
    result = fill(data, "Letter.dotx", FillData())
    assert (result.suffix, result.fillable) == (".docx", False)
    assert _main_type(result.data) == DOCUMENT_MAIN


def test_a_dotm_gives_a_docm_keeping_its_macros() -> None:
    data = word(inline("field:phone"), content_type=MACRO_TEMPLATE_MAIN, macros=True)
    result = fill(data, "Letter.dotm", FillData(values={"phone": "1"}))
    assert result.suffix == ".docm"
    assert _main_type(result.data) == MACRO_DOCUMENT_MAIN
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        assert archive.read("word/vbaProject.bin") == b"VBA-PROJECT-BYTES"


# -- pictures ------------------------------------------------------------------------------


def _picture(data: bytes, tag: str) -> tuple[bytes, tuple[int, int]]:
    sdt = controls(data)[tag]
    blip = sdt.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    extent = sdt.find(
        ".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
    )
    rels = part_xml(data, "word/_rels/document.xml.rels")
    target = next(r.get("Target") for r in rels if r.get("Id") == blip.get(R_EMBED))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        blob = archive.read("word/" + target)
    return blob, (int(extent.get("cx")), int(extent.get("cy")))


def test_a_picture_control_gets_the_logo_scaled_into_its_box_aspect_kept() -> None:
    data = word(pictures=("image:logo",))
    _, box = _picture(data, "image:logo")
    logo = png(300, 100, "blue")
    result = fill(data, "letter.docx", FillData(images={"logo": logo}))
    blob, (cx, cy) = _picture(result.data, "image:logo")
    assert blob == logo
    assert cx == box[0] and abs(cy - box[0] // 3) <= 1  # wide logo: the box's width rules
    assert controls(result.data)["image:logo"].find("w:sdtPr/w:showingPlcHdr", NS) is None
    assert result.filled == ["image:logo"]
    opens(result.data)


def test_a_tall_logo_takes_the_boxs_height() -> None:
    data = word(pictures=("image:logo",))
    _, box = _picture(data, "image:logo")
    result = fill(data, "letter.docx", FillData(images={"logo": png(100, 400)}))
    _, (cx, cy) = _picture(result.data, "image:logo")
    assert cy == box[1] and abs(cx - box[1] // 4) <= 1


def test_an_image_tag_on_a_text_control_gets_a_picture() -> None:
    data = word(inline("image:logo", kind=""))
    result = fill(data, "letter.docx", FillData(images={"logo": png()}))
    blob, _ = _picture(result.data, "image:logo")
    assert blob == png()
    opens(result.data)


def test_a_logo_that_is_not_an_image_is_refused_with_a_clear_message() -> None:
    data = word(pictures=("image:logo",))
    with pytest.raises(DocumentError, match="not an image"):
        fill(data, "letter.docx", FillData(images={"logo": b"<html>not a picture</html>"}))


# -- snippets ------------------------------------------------------------------------------


def test_a_text_snippet_is_inserted_as_lines() -> None:
    data = word(block("snippet:Closing"))
    body = SnippetBody("text", b"Kind regards\nAnna")
    result = fill(data, "letter.docx", FillData(snippets={"Closing": body}))
    paragraphs = controls(result.data)["snippet:Closing"].findall("w:sdtContent/w:p", NS)
    assert [text_of(p) for p in paragraphs] == ["Kind regards", "Anna"]
    assert result.filled == ["snippet:Closing"]


def test_a_formatted_snippet_keeps_bold_and_italic_runs() -> None:
    data = word(inline("snippet:s1", rpr=""))
    html = "<p>Kind <b>regards</b></p><p><i>Anna</i> &amp; team</p>"
    result = fill(
        data, "letter.docx", FillData(snippets={"s1": SnippetBody("html", html.encode())})
    )
    runs = controls(result.data)["snippet:s1"].findall("w:sdtContent/w:r", NS)
    assert text_of(controls(result.data)["snippet:s1"].find("w:sdtContent", NS)) == (
        "Kind regardsAnna & team"
    )
    bold = [text_of(r) for r in runs if r.find("w:rPr/w:b", NS) is not None]
    italic = [text_of(r) for r in runs if r.find("w:rPr/w:i", NS) is not None]
    assert bold == ["regards"] and italic == ["Anna"]
    assert any(r.find("w:br", NS) is not None for r in runs)


def test_a_word_snippet_brings_its_body_and_pictures() -> None:
    snippet = docx.Document()
    snippet.add_paragraph("Kind regards").runs[0].bold = True
    snippet.add_paragraph().add_run().add_picture(io.BytesIO(png(20, 10, "green")))
    out = io.BytesIO()
    snippet.save(out)
    data = word(block("snippet:Closing"))
    result = fill(
        data, "letter.docx", FillData(snippets={"Closing": SnippetBody("docx", out.getvalue())})
    )
    sdt = controls(result.data)["snippet:Closing"]
    paragraphs = sdt.findall("w:sdtContent/w:p", NS)
    assert text_of(paragraphs[0]) == "Kind regards"
    blob, _ = _picture(result.data, "snippet:Closing")
    assert blob == png(20, 10, "green")
    opens(result.data)


# -- Excel and other files -----------------------------------------------------------------


def test_excel_cells_named_field_dot_key_are_filled_and_a_template_gives_a_workbook() -> None:
    from openpyxl import load_workbook

    book = excel({"field.phone": "Letter!$B$1", "field.fax": "Letter!$B$2"}, template=True)
    values = FillData(values={"phone": "+41 44 123"}, labels={"fax": "Fax"})
    result = fill(book, "Sheet.xltx", values)
    assert (result.suffix, result.filled, result.missing) == (".xlsx", ["field.phone"], ["Fax"])
    filled = load_workbook(io.BytesIO(result.data))
    assert filled["Letter"]["B1"].value == "+41 44 123"
    assert filled["Letter"]["B2"].value is None


def test_powerpoint_and_excel_without_names_are_copied_and_say_nothing_was_filled() -> None:
    for data, name in ((b"pptx bytes", "slides.pptx"), (excel({}), "sheet.xlsx")):
        result = fill(data, name, FillData(values={"phone": "1"}))
        assert (result.data, result.fillable, result.filled) == (data, False, [])


# -- bad input -----------------------------------------------------------------------------


def _with_broken_document_xml(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            blob = source.read(item)
            if item.filename == "word/document.xml":
                blob = blob[: len(blob) // 2]
            target.writestr(item, blob)
    return out.getvalue()


@pytest.mark.parametrize("call", [tags_of, lambda d, n: fill(d, n, FillData())])
def test_broken_xml_is_refused_with_a_clear_message(call) -> None:  # type: ignore[no-untyped-def]
    data = _with_broken_document_xml(word(inline("field:phone")))
    with pytest.raises(DocumentError, match="damaged"):
        call(data, "letter.docx")


def test_a_file_that_is_no_word_file_is_refused() -> None:
    with pytest.raises(DocumentError, match="not a Word file"):
        tags_of(b"plain text", "letter.docx")
    with pytest.raises(DocumentError, match="not an Excel file"):
        fill(b"plain text", "sheet.xlsx", FillData())


def test_a_template_with_10000_controls_is_refused() -> None:
    data = word(*[inline(f"field:f{i}") for i in range(10_000)])
    with pytest.raises(DocumentError, match=f"at most {MAX_CONTROLS}"):
        tags_of(data, "huge.docx")
    with pytest.raises(DocumentError, match="10000 content controls"):
        fill(data, "huge.docx", FillData(values={"f1": "x"}))
