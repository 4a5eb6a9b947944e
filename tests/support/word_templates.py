"""Small Word and Excel templates with content controls, built at test time.

Each control is written as the XML Word writes (w:sdt with w:tag, placeholder state,
optionally w:dataBinding to a custom XML part) so that the documents layer is tested on
what users' templates hold, without any binary file in the repository.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree
from PIL import Image

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = f'xmlns:w="{W_NS}"'
DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
MACRO_TEMPLATE_MAIN = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
MACRO_DOCUMENT_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
VBA_RELTYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
STORE_ID = "{6A2C8E1F-1B2D-4C3E-9F00-0123456789AB}"
DATA_NS = "urn:docshelf:test"


def binding(path: str) -> str:
    """A w:dataBinding to /d:profile/d:<path> in the test's custom XML part."""
    return (
        f"<w:dataBinding w:prefixMappings=\"xmlns:d='{DATA_NS}'\" "
        f'w:xpath="/d:profile[1]/d:{path}[1]" w:storeItemID="{STORE_ID}"/>'
    )


def inline(
    tag: str,
    placeholder: str = "Click here",
    *,
    rpr: str = "<w:b/>",
    bound: str = "",
    showing: bool = True,
    kind: str = "<w:text/>",
) -> str:
    """A paragraph holding one inline control (a placeholder run in the placeholder style)."""
    plc = "<w:showingPlcHdr/>" if showing else ""
    style = '<w:rStyle w:val="PlaceholderText"/>' if showing else ""
    return (
        f'<w:p {NS}><w:r><w:t xml:space="preserve">Before </w:t></w:r><w:sdt><w:sdtPr>'
        f'<w:rPr>{rpr}</w:rPr><w:tag w:val={quoteattr(tag)}/><w:id w:val="1"/>{plc}{bound}'
        f"{kind}</w:sdtPr><w:sdtContent><w:r><w:rPr>{style}{rpr}</w:rPr>"
        f"<w:t>{escape(placeholder)}</w:t></w:r></w:sdtContent></w:sdt>"
        f'<w:r><w:t xml:space="preserve"> after</w:t></w:r></w:p>'
    )


def block(tag: str, placeholder: str = "Click here", *, ppr: str = "") -> str:
    """A block-level control holding one placeholder paragraph with ``ppr``."""
    return (
        f"<w:sdt {NS}><w:sdtPr><w:tag w:val={quoteattr(tag)}/><w:showingPlcHdr/></w:sdtPr>"
        f"<w:sdtContent><w:p><w:pPr>{ppr}</w:pPr><w:r><w:rPr>"
        f'<w:rStyle w:val="PlaceholderText"/><w:i/></w:rPr><w:t>{escape(placeholder)}</w:t>'
        "</w:r></w:p></w:sdtContent></w:sdt>"
    )


def png(width: int = 200, height: int = 100, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def _picture_control(document: docx.document.Document, tag: str, box_cm: float) -> None:
    """A picture control: a square placeholder picture box_cm wide inside a w:sdt."""
    paragraph = document.add_paragraph()
    run = paragraph.add_run()
    run.add_picture(io.BytesIO(png(50, 50, "gray")), width=docx.shared.Cm(box_cm))
    sdt = etree.fromstring(
        f"<w:sdt {NS}><w:sdtPr><w:tag w:val={quoteattr(tag)}/><w:showingPlcHdr/><w:picture/>"
        "</w:sdtPr><w:sdtContent/></w:sdt>"
    )
    run_element = run._r
    paragraph._p.remove(run_element)
    sdt[1].append(run_element)
    paragraph._p.append(sdt)


def word(
    *parts: str,
    pictures: tuple[str, ...] = (),
    header: str = "",
    data: dict[str, str] | None = None,
    content_type: str = DOCUMENT_MAIN,
    macros: bool = False,
) -> bytes:
    """A Word file whose body holds ``parts`` (XML of paragraphs or block controls), then
    a picture control per tag in ``pictures``; ``header`` goes into the header,
    ``data`` into a custom XML part (d:profile/d:<key>) controls can be bound to."""
    document = docx.Document()
    body = document.element.body
    for xml in parts:
        body.insert(len(body) - 1, etree.fromstring(xml))
    for tag in pictures:
        _picture_control(document, tag, 4.0)
    if header:
        hdr = document.sections[0].header._element
        hdr.append(etree.fromstring(header))
    main = document.part
    if data is not None:
        _add_custom_xml(main, data)
    if macros:
        vba = Part(PackURI("/word/vbaProject.bin"), "application/vnd.ms-office.vbaProject",
                   b"VBA-PROJECT-BYTES", main.package)  # fmt: skip
        main.relate_to(vba, VBA_RELTYPE)
    main._content_type = content_type
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_custom_xml(main: Part, data: dict[str, str]) -> None:
    items = "".join(f"<d:{key}>{escape(value)}</d:{key}>" for key, value in data.items())
    item = Part(
        PackURI("/customXml/item9.xml"),
        "application/xml",
        f'<?xml version="1.0" encoding="UTF-8"?><d:profile xmlns:d="{DATA_NS}">{items}'
        "</d:profile>".encode(),
        main.package,
    )
    props = Part(
        PackURI("/customXml/itemProps9.xml"),
        "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        '<?xml version="1.0" encoding="UTF-8"?><ds:datastoreItem ds:itemID="'
        f'{STORE_ID}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/'
        'customXml"><ds:schemaRefs/></ds:datastoreItem>'.encode(),
        main.package,
    )
    item.relate_to(props, RT.CUSTOM_XML_PROPS)
    main.relate_to(item, RT.CUSTOM_XML)


def custom_xml(data: bytes) -> dict[str, str]:
    """The custom XML part's values of a Word file made by :func:`word`."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("customXml/item9.xml"))
    return {etree.QName(child).localname: child.text or "" for child in root}


def part_xml(data: bytes, name: str = "word/document.xml") -> etree._Element:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def excel(names: dict[str, str], *, template: bool = False) -> bytes:
    """A workbook where each defined name in ``names`` points at a cell ("Sheet!B2")."""
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Letter"
    sheet["A1"] = "Phone:"
    for name, ref in names.items():
        book.defined_names[name] = DefinedName(name, attr_text=ref)
    book.template = template
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
