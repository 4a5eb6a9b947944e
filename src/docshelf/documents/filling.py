"""Filling a template: Word content controls (data-bound ones too), Excel defined names;
anything else is copied as it is."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from docx.opc.part import Part
from docx.package import Package
from lxml import etree

from docshelf.documents import (
    binding,
    content,
    controls,
    excel,
    images,
    ooxml,
    wordml,
    wordsnippet,
)
from docshelf.documents.model import (
    EXCEL_SUFFIXES,
    WORD_SUFFIXES,
    DocumentError,
    FillData,
    Filled,
    SnippetBody,
    TagKind,
    suffix_of,
)
from docshelf.documents.ooxml import w
from docshelf.documents.scan import Control
from docshelf.documents.scan import controls as controls_in
from docshelf.i18n import tr

_AS_DOCUMENT_SUFFIX = {".dotx": ".docx", ".dotm": ".docm"}


def fill(data: bytes, filename: str, values: FillData) -> Filled:
    suffix = suffix_of(filename)
    if suffix in WORD_SUFFIXES:
        return _fill_word(data, filename, values)
    if suffix in EXCEL_SUFFIXES:
        return excel.fill(data, filename, values)
    return Filled(data, suffix, [], [], [], fillable=False)


@dataclass
class _Result:
    filled: dict[str, None] = field(default_factory=dict)
    missing: dict[str, None] = field(default_factory=dict)
    unknown: dict[str, None] = field(default_factory=dict)


def _fill_word(data: bytes, filename: str, values: FillData) -> Filled:
    suffix = suffix_of(filename)
    out_suffix = _AS_DOCUMENT_SUFFIX.get(suffix, suffix)
    with wordml.reading(filename):
        package, main = wordml.open_package(data, filename)
        stories = wordml.stories(package, filename)
        by_root = {id(story.root): story for story in stories}
        found = [
            (by_root[id(c.sdt.getroottree().getroot())], c)
            for c in controls_in([story.root for story in stories], filename)
        ]
        as_document = ooxml.AS_DOCUMENT.get(main.content_type)
        if not found and as_document is None:
            return Filled(data, out_suffix, [], [], [], fillable=False)
        stores = binding.Stores(package, filename)
        result = _Result()
        for story, control in found:
            if _attached(control.sdt, story.root) and not controls.is_row_or_cell(control.sdt):
                _fill_control(control, values, result, story.part, package, stores)
        for story in stories:
            story.store()
        stores.store()
        if as_document is not None:
            main._content_type = as_document  # a new document, never a template
        return Filled(
            wordml.save(package),
            out_suffix,
            list(result.filled),
            list(result.missing),
            list(result.unknown),
            fillable=bool(found),
        )


def _attached(sdt: etree._Element, root: etree._Element) -> bool:
    """False for a control inside one already filled (its content was replaced)."""
    return sdt.getroottree().getroot() is root


def _fill_control(
    control: Control,
    values: FillData,
    result: _Result,
    part: Part,
    package: Package,
    stores: binding.Stores,
) -> None:
    tag, sdt = control.tag, control.sdt
    if tag.kind is TagKind.FIELD:
        value = values.values.get(tag.name, "")
        if value:
            controls.put_text(sdt, content.from_text(value))
            stores.write(sdt, value)
            result.filled[control.raw] = None
        elif tag.name in values.labels or tag.name in values.values:
            result.missing[values.labels.get(tag.name, tag.name)] = None
        else:
            result.unknown[tag.text] = None
    elif tag.kind is TagKind.IMAGE:
        blob = values.images.get(tag.name)
        if blob:
            images.put_image(sdt, blob, control.raw, part, package)
            stores.write(sdt, base64.b64encode(blob).decode("ascii"))
            result.filled[control.raw] = None
        elif tag.name in values.labels:
            result.missing[values.labels[tag.name]] = None
        else:
            result.unknown[tag.text] = None
    else:
        snippet = values.snippets.get(tag.name)
        if snippet is None:
            result.unknown[tag.text] = None
            return
        _put_snippet(sdt, snippet, control.raw, part, package, stores)
        result.filled[control.raw] = None


def _put_snippet(
    sdt: etree._Element,
    snippet: SnippetBody,
    what: str,
    part: Part,
    package: Package,
    stores: binding.Stores,
) -> None:
    if snippet.format == "docx":
        blocks = wordsnippet.body_of(snippet.data, f"The Word snippet for {what}", part, package)
        if controls.is_block(sdt):
            controls.replace(sdt, blocks)
        else:
            controls.replace(sdt, _joined(wordsnippet.inline_of(blocks)))
        return
    try:
        text = snippet.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            tr("The snippet for {what} is not UTF-8 text. Save it again in docshelf.", what=what)
        ) from exc
    paragraphs = content.from_html(text) if snippet.format == "html" else content.from_text(text)
    controls.put_text(sdt, paragraphs)
    stores.write(sdt, "\n".join("".join(s.text for s in p) for p in paragraphs))


def _joined(lines: list[list[etree._Element]]) -> list[etree._Element]:
    runs: list[etree._Element] = []
    for index, line in enumerate(lines):
        if index:
            br = etree.Element(w("r"))
            etree.SubElement(br, w("br"))
            runs.append(br)
        runs.extend(line)
    return runs
