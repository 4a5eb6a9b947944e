"""A Word snippet's body (its paragraphs and tables) put into a template's control, with
the pictures and links it refers to carried over."""

from __future__ import annotations

import copy
import io

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.package import Package
from lxml import etree

from docshelf.documents import ooxml, wordml
from docshelf.documents.model import DocumentError
from docshelf.documents.ooxml import R, w
from docshelf.i18n import tr

# Marks that point at parts of the snippet's own file (notes, comments) or whose ids could
# clash with the template's: left out.
_DROPPED = {
    w(tag)
    for tag in (
        "bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd",
        "commentReference", "footnoteReference", "endnoteReference", "sectPr",
    )
}  # fmt: skip
_REFS = (f"{{{R}}}embed", f"{{{R}}}link", f"{{{R}}}id")


def body_of(data: bytes, what: str, part: Part, package: Package) -> list[etree._Element]:
    """The snippet's block elements, ready to go into ``part`` of ``package``."""
    _, main = wordml.open_package(data, what)
    root = ooxml.parse(main.blob, what)
    body = root.find(w("body"))
    if body is None:
        raise DocumentError(
            tr("{what} has no body. Save it again in Word and upload it anew.", what=what)
        )
    elements = [copy.deepcopy(el) for el in body if el.tag in {w("p"), w("tbl")}]
    for element in elements:
        for dropped in [el for el in element.iter() if el.tag in _DROPPED]:
            parent = dropped.getparent()
            if parent is not None:
                parent.remove(dropped)
        for el in list(element.iter()):
            for attr in _REFS:
                if attr in el.attrib:
                    _carry(el, attr, main, part, package)
        for props in list(element.iter(w("sdtPr"))):  # control ids must stay unique
            for sdt_id in props.findall(w("id")):
                props.remove(sdt_id)
    return elements


def _carry(el: etree._Element, attr: str, source: Part, part: Part, package: Package) -> None:
    rid = el.attrib[attr]
    rel = source.rels.get(rid)
    if rel is None:
        del el.attrib[attr]
    elif rel.is_external:
        el.set(attr, part.relate_to(rel.target_ref, rel.reltype, is_external=True))
    elif rel.reltype == RT.IMAGE:
        image = package.get_or_add_image_part(io.BytesIO(rel.target_part.blob))
        el.set(attr, part.relate_to(image, RT.IMAGE))
    else:  # a chart, an embedded object: its run can't come along
        run = next((a for a in el.iterancestors() if a.tag == w("r")), None)
        if run is not None and run.getparent() is not None:
            run.getparent().remove(run)
        else:
            del el.attrib[attr]


def inline_of(blocks: list[etree._Element]) -> list[list[etree._Element]]:
    """The runs of each paragraph, for a control inside a paragraph."""
    lines = []
    for block in blocks:
        for p in block.iter(w("p")) if block.tag == w("tbl") else [block]:
            lines.append([el for el in p if el.tag in {w("r"), w("hyperlink"), w("sdt")}])
    return lines
