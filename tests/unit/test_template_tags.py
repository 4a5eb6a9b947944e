"""The tags of a layouter's template file, as the dashboard and a package preview show them."""

from __future__ import annotations

import io
import zipfile

from docshelf.documents import Tag, TagKind
from docshelf.server.services.template_tags import Known, file_tags, unknown_text
from support.word_templates import block, word

KNOWN = Known(
    field_keys=frozenset({"phone"}),
    image_keys=frozenset({"logo"}),
    snippets=(("s1", "Grussformel"),),
)


def test_unknown_tags_are_those_naming_no_field_image_field_or_snippet() -> None:
    data = word(
        block("field:phone"),
        block("field:telefon"),
        block("snippet:Grussformel"),
        block("snippet:s1"),
        block("image:phone"),  # a text field is no image field
        pictures=("image:logo",),
    )

    found = file_tags(data, "de", "brief.docx", KNOWN)

    assert found.error is None
    assert [t.text for t in found.unknown] == ["field:telefon", "image:phone"]
    assert unknown_text(found.unknown) == "2 unknown tags: field:telefon, image:phone"
    assert unknown_text(found.unknown[:1]) == "1 unknown tag: field:telefon"


def test_a_package_brings_its_own_fields_and_snippets() -> None:
    known = KNOWN.adding([("room", False), ("badge", True)], [("s2", "Closing")])

    unknown = known.unknown(
        [Tag(TagKind.FIELD, "room"), Tag(TagKind.IMAGE, "badge"), Tag(TagKind.SNIPPET, "s2")]
    )

    assert unknown == []
    assert known.unknown([Tag(TagKind.FIELD, "badge")]) == [Tag(TagKind.FIELD, "badge")]


def test_a_zip_that_is_no_office_package_gives_a_reason_not_an_exception() -> None:
    # A zip with a document part but a [Content_Types].xml without its namespace: python-docx
    # raises AttributeError on it, which must not reach the page as a server error.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<document>x</document>")

    found = file_tags(buffer.getvalue(), "de", "brief.docx", KNOWN)

    assert found.tags == [] and found.error is not None
    assert "brief.docx is not a Word file docshelf can read" in found.error
