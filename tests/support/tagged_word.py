"""Small Word templates whose content controls carry docshelf tags, built in the tests."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn
from lxml import etree


def tagged_docx(title: str, tags: list[str]) -> bytes:
    """A .docx with a heading and one paragraph per tag, holding an inline plain-text
    content control tagged with it, its placeholder the tag in brackets."""
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for tag in tags:
        paragraph = document.add_paragraph()
        sdt = etree.SubElement(paragraph._p, qn("w:sdt"))
        properties = etree.SubElement(sdt, qn("w:sdtPr"))
        etree.SubElement(properties, qn("w:tag")).set(qn("w:val"), tag)
        etree.SubElement(properties, qn("w:showingPlcHdr"))
        content = etree.SubElement(sdt, qn("w:sdtContent"))
        run = etree.SubElement(content, qn("w:r"))
        etree.SubElement(run, qn("w:t")).text = f"[{tag}]"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
