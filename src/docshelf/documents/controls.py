"""Putting content into a Word content control: the control keeps its formatting (the
run properties of its placeholder or first run, the paragraph properties of its first
paragraph) and leaves the placeholder state."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from lxml import etree

from docshelf.documents.content import Paragraph, Span
from docshelf.documents.ooxml import XML_SPACE, w

_BLOCK_CHILDREN = {w("p"), w("tbl")}
_ROW_OR_CELL = {w("tr"), w("tc")}


def content_of(sdt: etree._Element) -> etree._Element:
    content = sdt.find(w("sdtContent"))
    if content is None:
        content = etree.SubElement(sdt, w("sdtContent"))
    return content


def is_block(sdt: etree._Element) -> bool:
    """Block-level controls hold paragraphs; inline ones sit inside a paragraph."""
    return not any(a.tag == w("p") for a in sdt.iterancestors())


def is_row_or_cell(sdt: etree._Element) -> bool:
    return any(child.tag in _ROW_OR_CELL for child in content_of(sdt))


def showing_placeholder(sdt: etree._Element) -> bool:
    return sdt.find(f"{w('sdtPr')}/{w('showingPlcHdr')}") is not None


def clear_placeholder(sdt: etree._Element) -> None:
    props = sdt.find(w("sdtPr"))
    if props is not None:
        for flag in props.findall(w("showingPlcHdr")):
            props.remove(flag)


def run_props(sdt: etree._Element) -> etree._Element | None:
    """The formatting new runs get: the placeholder's without its placeholder style
    (the control's own w:rPr when Word wrote one), else the first run's."""
    own = sdt.find(f"{w('sdtPr')}/{w('rPr')}")
    first = content_of(sdt).find(f".//{w('r')}/{w('rPr')}")
    if showing_placeholder(sdt):
        chosen = own if own is not None else first
        if chosen is None:
            return None
        chosen = copy.deepcopy(chosen)
        for style in chosen.findall(w("rStyle")):
            chosen.remove(style)
        return chosen
    chosen = first if first is not None else own
    return copy.deepcopy(chosen) if chosen is not None else None


def para_props(sdt: etree._Element) -> etree._Element | None:
    found = content_of(sdt).find(f".//{w('p')}/{w('pPr')}")
    return copy.deepcopy(found) if found is not None else None


def _run(rpr: etree._Element | None, span: Span | None) -> etree._Element:
    run = etree.Element(w("r"))
    props = copy.deepcopy(rpr) if rpr is not None else None
    if span is not None and (span.bold or span.italic or span.underline):
        props = props if props is not None else etree.Element(w("rPr"))
        # Keep the schema order of rPr's first children: rStyle, rFonts, b, ..., i, ..., u.
        for on, tag in ((span.bold, "b"), (span.italic, "i")):
            if on and props.find(w(tag)) is None:
                _insert_prop(props, etree.Element(w(tag)))
        if span.underline and props.find(w("u")) is None:
            underline = etree.Element(w("u"))
            underline.set(w("val"), "single")
            _insert_prop(props, underline)
    if props is not None:
        run.append(props)
    return run


_RPR_ORDER = [
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
    "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
    "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u",
]  # fmt: skip


def _insert_prop(props: etree._Element, element: etree._Element) -> None:
    rank = _RPR_ORDER.index(etree.QName(element).localname)
    for index, child in enumerate(props):
        name = etree.QName(child).localname
        if name not in _RPR_ORDER or _RPR_ORDER.index(name) > rank:
            props.insert(index, element)
            return
    props.append(element)


def _text(run: etree._Element, text: str) -> None:
    for index, piece in enumerate(text.split("\t")):
        if index:
            etree.SubElement(run, w("tab"))
        if piece:
            node = etree.SubElement(run, w("t"))
            node.text = piece
            if piece != piece.strip():
                node.set(XML_SPACE, "preserve")


def inline_runs(
    paragraphs: Sequence[Paragraph], rpr: etree._Element | None
) -> list[etree._Element]:
    """Lines within one paragraph: w:br in the same run formatting between them."""
    runs: list[etree._Element] = []
    current: tuple[etree._Element, Span] | None = None
    for index, paragraph in enumerate(paragraphs):
        if index:
            if current is None:
                current = (_run(rpr, None), Span(""))
                runs.append(current[0])
            etree.SubElement(current[0], w("br"))
        for span in paragraph:
            same = current is not None and _looks(current[1]) == _looks(span)
            if current is None or not same:
                current = (_run(rpr, span), span)
                runs.append(current[0])
            _text(current[0], span.text)
    return runs


def _looks(span: Span) -> tuple[bool, bool, bool]:
    return (span.bold, span.italic, span.underline)


def block_paragraphs(
    paragraphs: Sequence[Paragraph], ppr: etree._Element | None, rpr: etree._Element | None
) -> list[etree._Element]:
    """Lines as separate paragraphs with the same w:pPr."""
    made = []
    for paragraph in paragraphs or [[]]:
        p = etree.Element(w("p"))
        if ppr is not None:
            p.append(copy.deepcopy(ppr))
        p.extend(inline_runs([paragraph], rpr))
        made.append(p)
    return made


def replace(sdt: etree._Element, elements: Sequence[etree._Element]) -> None:
    content = content_of(sdt)
    for child in list(content):
        content.remove(child)
    content.extend(elements)
    clear_placeholder(sdt)


def put_text(sdt: etree._Element, paragraphs: Sequence[Paragraph]) -> None:
    rpr = run_props(sdt)
    if is_block(sdt):
        replace(sdt, block_paragraphs(paragraphs, para_props(sdt), rpr))
    else:
        replace(sdt, inline_runs(paragraphs, rpr))
    if len(paragraphs) > 1:  # a plain-text control must allow lines to hold them
        plain = sdt.find(f"{w('sdtPr')}/{w('text')}")
        if plain is not None:
            plain.set(w("multiLine"), "1")
