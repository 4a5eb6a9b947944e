"""The demo's Word templates carry real content controls (``docshelf.server.demo.word``)."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime

import docx
import pytest
from lxml import etree

from docshelf.server.demo import seed
from docshelf.server.demo.word import (
    SENDER_KEYS,
    SENDER_NS,
    SENDER_STORE_ID,
    Letter,
    W,
    letter_bytes,
    placeholder,
)

NS = {"w": W, "ds": "http://schemas.openxmlformats.org/officeDocument/2006/customXml"}
FUTURE = datetime(2035, 6, 15, 13, 37, 42, tzinfo=UTC).timestamp()
LABELS = {key: de for key, _, _, de, _ in seed._FIELDS}
BODY = ["Sehr geehrte Damen und Herren", "[Text]"]
FULL = Letter(LABELS, sender=True, bound=True, closing="Grussformel")


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def body_of(data: bytes) -> etree._Element:
    return etree.fromstring(members(data)["word/document.xml"])


def controls(data: bytes) -> list[etree._Element]:
    return list(body_of(data).iter(f"{{{W}}}sdt"))


def controls_of(files: dict[str, bytes]) -> list[etree._Element]:
    return list(etree.fromstring(files["word/document.xml"]).iter(f"{{{W}}}sdt"))


def tag_of(sdt: etree._Element) -> str:
    return str(sdt.xpath("string(w:sdtPr/w:tag/@w:val)", namespaces=NS))


def test_a_letter_has_letterhead_snippet_and_sender_block_in_document_order() -> None:
    data = letter_bytes("Brief", "de", BODY, FULL)

    assert [tag_of(sdt) for sdt in controls(data)] == [
        "image:logo",
        "field:company",
        "field:street",
        "field:zip",
        "field:city",
        "field:main_phone",
        "snippet:Grussformel",
        "field:first_name",
        "field:last_name",
        "field:job_title",
        "field:phone",
        "field:email",
    ]
    docx.Document(io.BytesIO(data))  # still a document python-docx opens


def test_controls_start_in_their_placeholder_state_with_the_labels_as_text() -> None:
    data = letter_bytes("Brief", "de", BODY, FULL)

    for sdt in controls(data):
        assert sdt.find("w:sdtPr/w:showingPlcHdr", NS) is not None, tag_of(sdt)
        alias = sdt.xpath("string(w:sdtPr/w:alias/@w:val)", namespaces=NS)
        if tag_of(sdt) == "image:logo":
            assert sdt.find("w:sdtPr/w:picture", NS) is not None
            assert sdt.find(".//w:drawing", NS) is not None
        else:
            text = "".join(sdt.xpath("w:sdtContent//w:t/text()", namespaces=NS))
            assert text == placeholder(alias)
            styles = sdt.xpath("w:sdtContent//w:rStyle/@w:val", namespaces=NS)
            assert styles == ["PlaceholderText"]
    company = next(sdt for sdt in controls(data) if tag_of(sdt) == "field:company")
    assert company.find("w:sdtContent/w:r/w:rPr/w:b", NS) is not None  # formatting kept


def test_the_closing_snippet_is_a_block_level_control_holding_a_paragraph() -> None:
    data = letter_bytes("Brief", "de", BODY, FULL)

    (snippet,) = [sdt for sdt in controls(data) if tag_of(sdt).startswith("snippet:")]
    assert snippet.getparent().tag == f"{{{W}}}body"
    assert snippet.find("w:sdtContent/w:p", NS) is not None


def test_a_bound_sender_block_points_into_its_own_custom_xml_part() -> None:
    files = members(letter_bytes("Brief", "de", BODY, FULL))

    bound = [sdt for sdt in controls_of(files) if sdt.find("w:sdtPr/w:dataBinding", NS) is not None]
    assert [tag_of(sdt) for sdt in bound] == [f"field:{key}" for key in SENDER_KEYS]
    props = [
        name
        for name, xml in files.items()
        if name.startswith("customXml/itemProps") and SENDER_STORE_ID.encode() in xml
    ]
    assert len(props) == 1
    item = etree.fromstring(files[props[0].replace("itemProps", "item")])
    for sdt in bound:
        binding = sdt.find("w:sdtPr/w:dataBinding", NS)
        assert binding.get(f"{{{W}}}storeItemID") == SENDER_STORE_ID
        nodes = item.xpath(binding.get(f"{{{W}}}xpath"), namespaces={"ns0": SENDER_NS})
        assert len(nodes) == 1, tag_of(sdt)
        assert not nodes[0].text  # empty, like the placeholder


def test_a_plain_sender_block_has_no_binding_and_no_extra_part() -> None:
    plain = letter_bytes("Brief", "de", BODY, Letter(LABELS, sender=True))

    assert not body_of(plain).xpath("//w:dataBinding", namespaces=NS)
    assert not any(SENDER_STORE_ID.encode() in xml for xml in members(plain).values())


def test_a_template_is_labelled_as_a_template() -> None:
    types = members(letter_bytes("Brief", "de", BODY, FULL, template=True))
    assert b"wordprocessingml.template.main+xml" in types["[Content_Types].xml"]


def test_output_is_byte_identical_across_calls_and_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    first = letter_bytes("Brief", "de", BODY, FULL)
    monkeypatch.setattr(time, "time", lambda: FUTURE)
    assert letter_bytes("Brief", "de", BODY, FULL) == first


@pytest.mark.parametrize("spec", [s for s in seed._TEMPLATES if s.kind in ("docx", "dotx")])
def test_every_demo_word_template_names_known_fields_and_snippets(
    spec: seed._TemplateSpec,
) -> None:
    fields = {key for key, *_ in seed._FIELDS}
    snippets = {title for title, _, _ in seed._SHARED_SNIPPETS}
    for lang in spec.langs:
        tags = [tag_of(sdt) for sdt in controls(seed._file_bytes(spec, lang))]
        assert "image:logo" in tags and "field:company" in tags
        for tag in tags:
            kind, _, name = tag.partition(":")
            assert name in (snippets if kind == "snippet" else fields), tag
