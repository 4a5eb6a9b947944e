"""Data-bound content controls: the value goes into the custom XML part too, or Word puts
the old value back when it opens the document."""

from __future__ import annotations

import re

from docx.opc.part import Part
from docx.package import Package
from lxml import etree

from docshelf.documents import ooxml, wordml
from docshelf.documents.model import DocumentError
from docshelf.documents.ooxml import w
from docshelf.i18n import tr

_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
_MAPPING = re.compile(r"""xmlns:([\w.-]+)\s*=\s*(["'])(.*?)\2""")


class Stores:
    """The package's custom XML parts by their item id, parsed once, written on save."""

    def __init__(self, package: Package, filename: str) -> None:
        self.filename = filename
        self.by_id: dict[str, wordml.Story] = {}
        self.all: list[wordml.Story] = []
        for part in package.iter_parts():
            if not str(part.partname).startswith("/customXml/item") or _is_props(part):
                continue
            story = wordml.Story(part, ooxml.parse(part.blob, f"{filename} ({part.partname})"))
            self.all.append(story)
            item_id = _item_id(part, filename)
            if item_id:
                self.by_id[item_id] = story
        self.changed: set[int] = set()

    def write(self, sdt: etree._Element, value: str) -> None:
        binding = sdt.find(f"{w('sdtPr')}/{w('dataBinding')}")
        if binding is None:
            return
        xpath = binding.get(w("xpath"), "")
        mappings = {p: uri for p, _, uri in _MAPPING.findall(binding.get(w("prefixMappings"), ""))}
        store_id = binding.get(w("storeItemID"), "").strip().upper()
        stores = [self.by_id[store_id]] if store_id in self.by_id else self.all
        for story in stores:
            try:
                found = story.root.getroottree().xpath(xpath, namespaces=mappings)
            except etree.XPathError as exc:
                raise DocumentError(
                    tr(
                        "{filename}: a data-bound control's XPath {xpath!r} is invalid "
                        "({exc}). Bind the control anew in Word.",
                        filename=self.filename,
                        xpath=xpath,
                        exc=exc,
                    )
                ) from exc
            if isinstance(found, list) and found:
                _set(found[0], value)
                self.changed.add(id(story))
                return

    def store(self) -> None:
        for story in self.all:
            if id(story) in self.changed:
                story.store()


def _is_props(part: Part) -> bool:
    return bool(part.content_type == _CUSTOM_XML_PROPS)


def _item_id(part: Part, filename: str) -> str | None:
    for rel in part.rels.values():
        if rel.is_external or not _is_props(rel.target_part):
            continue
        props = ooxml.parse(rel.target_part.blob, f"{filename} ({rel.target_part.partname})")
        item_id = props.get(f"{{{_DS}}}itemID")
        return item_id.strip().upper() if item_id else None
    return None


def _set(node: object, value: str) -> None:
    if isinstance(node, etree._Element):
        for child in list(node):
            node.remove(child)
        node.text = value
    elif isinstance(node, etree._ElementUnicodeResult) and node.is_attribute:
        parent = node.getparent()
        if parent is not None and node.attrname is not None:
            parent.set(node.attrname, value)
