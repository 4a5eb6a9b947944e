"""The demo's Word templates with content controls (docs/documents.md has the convention).

A letterhead (a picture control for the unit's logo, the unit's address), optionally the
sender block (name, function, phone, e-mail) and the closing formula as a snippet. The
sender block is either plain or bound to a custom XML part (w:dataBinding), so that the
demo shows both kinds. Controls start in their placeholder state, as Word saves them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.shared import Cm, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from docshelf.server.demo.files import (
    _DOCX_TEMPLATE_SWAP,
    _normalise,
    _saved,
    _set_core_props,
    logo_png,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
# The custom XML part the bound sender block lives in; fixed so the bytes are reproducible.
SENDER_NS = "urn:docshelf:demo:sender"
SENDER_STORE_ID = "{6C3B5A8E-2F4D-4B7A-9E1C-D0C5E0A1B2C3}"
_CUSTOM_XML_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
PLACEHOLDER_STYLE = "Placeholder Text"  # Word's own name; its style id is PlaceholderText
_PLACEHOLDER_STYLE_ID = "PlaceholderText"
# Deliberately another size than the logo (240x80), so a page shows which one it carries.
PLACEHOLDER_PICTURE_PX = (90, 30)
_LOGO_BOX = (Cm(6), Cm(2))  # the picture control's box; the logo is scaled into it

ADDRESS_KEYS = ("company", "street", "zip", "city", "main_phone")
SENDER_KEYS = ("first_name", "last_name", "job_title", "phone", "email")


@dataclass(frozen=True)
class Letter:
    """What one demo Word file holds besides its title and text."""

    labels: Mapping[str, str]  # field key -> label in the file's language
    sender: bool = False  # the sender block below the text
    bound: bool = False  # the sender block bound to the custom XML part
    closing: str | None = None  # the title of the snippet holding the closing formula


def placeholder(label: str) -> str:
    """The text a control shows until it is filled: ``[Telefon direkt]``."""
    return f"[{label}]"


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def _el(name: str, parent: etree._Element | None = None, **attrs: str) -> etree._Element:
    element = etree.Element(_w(name)) if parent is None else etree.SubElement(parent, _w(name))
    for key, value in attrs.items():
        element.set(_w(key), value)
    return element


class _Builder:
    def __init__(self, document: Document, spec: Letter) -> None:
        self.document = document
        self.spec = spec
        self._ids = count(1)

    def _sdt_pr(self, tag: str, label: str, bound_key: str | None) -> etree._Element:
        pr = _el("sdtPr")
        _el("alias", pr, val=label)
        _el("tag", pr, val=tag)
        _el("id", pr, val=str(next(self._ids)))
        _el("showingPlcHdr", pr)
        if bound_key is not None:
            _el(
                "dataBinding",
                pr,
                prefixMappings=f"xmlns:ns0='{SENDER_NS}'",
                xpath=f"/ns0:sender[1]/ns0:{bound_key}[1]",
                storeItemID=SENDER_STORE_ID,
            )
        return pr

    def _placeholder_run(self, text: str, *, bold: bool = False) -> etree._Element:
        run = _el("r")
        rpr = _el("rPr", run)
        _el("rStyle", rpr, val=_PLACEHOLDER_STYLE_ID)
        if bold:  # the control's own formatting, kept when it is filled
            _el("b", rpr)
        _el("t", run).text = text
        return run

    def field(
        self, paragraph: Paragraph, key: str, *, bold: bool = False, bound: bool = False
    ) -> None:
        """An inline plain-text control for ``field:<key>`` at the end of ``paragraph``."""
        label = self.spec.labels[key]
        sdt = _el("sdt")
        sdt.append(self._sdt_pr(f"field:{key}", label, key if bound else None))
        _el("text", sdt[0])
        content = _el("sdtContent", sdt)
        content.append(self._placeholder_run(placeholder(label), bold=bold))
        paragraph._p.append(sdt)

    def logo(self) -> None:
        """A picture control for ``image:logo`` holding a placeholder picture."""
        paragraph = self.document.add_paragraph()
        picture = io.BytesIO(logo_png("Logo", (160, 160, 160), PLACEHOLDER_PICTURE_PX))
        run = paragraph.add_run()
        run.add_picture(picture, width=_LOGO_BOX[0], height=_LOGO_BOX[1])
        sdt = _el("sdt")
        pr = self._sdt_pr("image:logo", self.spec.labels["logo"], None)
        _el("picture", pr)
        sdt.append(pr)
        content = _el("sdtContent", sdt)
        run._r.addprevious(sdt)
        content.append(run._r)

    def snippet(self, title: str) -> None:
        """A block-level control for ``snippet:<title>``: a paragraph of its own."""
        anchor = self.document.add_paragraph()
        sdt = _el("sdt")
        sdt.append(self._sdt_pr(f"snippet:{title}", title, None))
        content = _el("sdtContent", sdt)
        paragraph = _el("p", content)
        paragraph.append(self._placeholder_run(placeholder(title)))
        anchor._p.addprevious(sdt)
        anchor._p.getparent().remove(anchor._p)

    def line(self, *keys: str, prefix: str = "", bold: bool = False, bound: bool = False) -> None:
        """One paragraph of controls separated by spaces, after an optional ``prefix``."""
        paragraph = self.document.add_paragraph(prefix)
        for index, key in enumerate(keys):
            if index:
                paragraph.add_run(" ")
            self.field(paragraph, key, bold=bold, bound=bound)


def _add_placeholder_style(document: Document) -> None:
    style = document.styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
    style.font.color.rgb = RGBColor(0x80, 0x80, 0x80)


def _sender_part(document: Document) -> None:
    """The custom XML part the bound controls read from and Word writes back to."""
    root = etree.Element(f"{{{SENDER_NS}}}sender", nsmap={None: SENDER_NS})
    for key in SENDER_KEYS:
        etree.SubElement(root, f"{{{SENDER_NS}}}{key}")  # empty: the placeholder shows
    props = etree.Element(f"{{{_DS}}}datastoreItem", nsmap={"ds": _DS})
    props.set(f"{{{_DS}}}itemID", SENDER_STORE_ID)
    refs = etree.SubElement(props, f"{{{_DS}}}schemaRefs")
    etree.SubElement(refs, f"{{{_DS}}}schemaRef").set(f"{{{_DS}}}uri", SENDER_NS)

    package = document.part.package

    def xml(root: etree._Element) -> bytes:
        data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return data

    # python-docx's default document already has a custom XML part (item1).
    item_name = package.next_partname("/customXml/item%d.xml")
    props_name = PackURI(item_name.replace("/item", "/itemProps"))
    item = Part(item_name, "application/xml", xml(root), package)
    item_props = Part(props_name, _CUSTOM_XML_PROPS_TYPE, xml(props), package)
    item.relate_to(item_props, RT.CUSTOM_XML_PROPS)
    document.part.relate_to(item, RT.CUSTOM_XML)


def letter_bytes(
    title: str, lang: str, body: list[str], spec: Letter, *, template: bool = False
) -> bytes:
    """A Word document (.docx, or .dotx if ``template``) with the demo's content controls:
    the letterhead, then the title and ``body``, then what ``spec`` adds."""
    document = docx.Document()
    _set_core_props(document.core_properties, title, lang)
    _add_placeholder_style(document)
    build = _Builder(document, spec)
    build.logo()
    build.line("company", bold=True)
    build.line("street")
    build.line("zip", "city")
    build.line("main_phone", prefix="Tel. ")
    document.add_heading(title, level=0)
    for text in body:
        document.add_paragraph(text)
    if spec.closing:
        build.snippet(spec.closing)
    if spec.sender:
        bound = spec.bound
        build.line("first_name", "last_name", bold=True, bound=bound)
        build.line("job_title", bound=bound)
        build.line("phone", prefix="Tel. ", bound=bound)
        build.line("email", bound=bound)
        if bound:
            _sender_part(document)
    swap = _DOCX_TEMPLATE_SWAP if template else None
    return _normalise(_saved(document), content_type_swap=swap)
