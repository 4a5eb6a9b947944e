"""A Word file's tags are read from its story parts straight from the zip (documents/ooxml.py),
without python-docx: the same tags, in the same order, and the same refusals as reading it
through python-docx's package, which filling uses."""

from __future__ import annotations

import io
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from docshelf.documents import DocumentError, FillData, Tag, fill, ooxml, scan, tags_of, wordml
from docshelf.documents import excel as excel_module
from docshelf.documents.ooxml import MACRO_TEMPLATE_MAIN, TEMPLATE_MAIN
from docshelf.server.demo.files import office_bytes
from support.tagged_word import tagged_docx
from support.word_templates import block, excel, inline, word


def through_python_docx(data: bytes, filename: str) -> list[Tag]:
    package, _ = wordml.open_package(data, filename)
    roots = [story.root for story in wordml.stories(package, filename)]
    return scan.distinct(control.tag for control in scan.controls(roots, filename))


def rezipped(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The package with members replaced or added (bytes) or left out (None)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename in change:
                replacement = change[info.filename]
                if replacement is not None:
                    dst.writestr(info.filename, replacement)
            else:
                dst.writestr(info, src.read(info))
        for name, added in change.items():
            if added is not None and name not in src.namelist():
                dst.writestr(name, added)
    return out.getvalue()


WORD_FILES = {
    "body, header, pictures": (
        word(
            inline("field:phone"),
            inline("not ours"),
            block("snippet:Closing"),
            inline("field:phone"),
            pictures=("image:logo",),
            header=inline("field:name"),
        ),
        "letter.docx",
    ),
    "bound to custom XML": (
        word(inline("field:city"), data={"city": "Bern"}),
        "bound.docx",
    ),
    "a template": (word(inline("field:a"), content_type=TEMPLATE_MAIN), "t.dotx"),
    "a macro template": (
        word(block("snippet:x"), content_type=MACRO_TEMPLATE_MAIN, macros=True),
        "m.dotm",
    ),
    "no tags": (word(), "empty.docx"),
    "tagged by the support helper": (
        tagged_docx("Brief", ["field:name", "image:logo", "snippet:Gruss"]),
        "brief.docx",
    ),
    "the demo's document": (
        office_bytes("docx", "Brief", "de", ["Sehr geehrte Damen und Herren"]),
        "demo.docx",
    ),
}


@pytest.mark.parametrize("name", list(WORD_FILES))
def test_the_tags_are_those_python_docx_finds(name: str) -> None:
    data, filename = WORD_FILES[name]
    expected = through_python_docx(data, filename)
    assert tags_of(data, filename) == expected
    if name not in ("no tags", "the demo's document"):
        assert expected, "a file with tags: the comparison would pass vacuously"


def test_a_header_is_read_only_when_the_package_relates_it() -> None:
    """A part the relationships do not reach is not part of the document (as in OPC)."""
    data = word(inline("field:body"), header=inline("field:head"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rels = archive.read("word/_rels/document.xml.rels").decode()
    unrelated = "".join(
        line for line in rels.replace("><", ">\n<").splitlines() if "header" not in line
    )
    orphaned = rezipped(data, {"word/_rels/document.xml.rels": unrelated.encode()})
    assert [t.text for t in tags_of(data, "a.docx")] == ["field:head", "field:body"]
    assert [t.text for t in tags_of(orphaned, "a.docx")] == ["field:body"]
    assert tags_of(orphaned, "a.docx") == through_python_docx(orphaned, "a.docx")


BROKEN = {
    "not a zip": (b"plain text", "not a Word file docshelf can read"),
    "no content types": (
        rezipped(word(inline("field:a")), {"[Content_Types].xml": None}),
        "not a Word file docshelf can read",
    ),
    "no package relationships": (
        rezipped(word(inline("field:a")), {"_rels/.rels": None}),
        "not a Word file docshelf can read",
    ),
    "an Excel file named .docx": (
        office_bytes("xlsx", "Tabelle", "de", ["a"]),
        "not a Word document or template",
    ),
    "broken document XML": (
        rezipped(word(inline("field:a")), {"word/document.xml": b"<w:document"}),
        "letter.docx is damaged and can't be read",
    ),
    "broken content types": (
        rezipped(word(inline("field:a")), {"[Content_Types].xml": b"<Types"}),
        "letter.docx is damaged and can't be read",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_file_is_refused_as_python_docx_reading_refuses_it(name: str) -> None:
    data, says = BROKEN[name]
    with pytest.raises(DocumentError, match=says) as ours:
        tags_of(data, "letter.docx")
    with pytest.raises(DocumentError, match=says) as theirs:
        through_python_docx(data, "letter.docx")
    # The same words up to the reader's own detail in brackets (python-docx's or zipfile's).
    assert ours.value.message.split(" (")[0] == theirs.value.message.split(" (")[0]


def test_story_parts_come_headers_first_then_body_then_footers() -> None:
    data = word(inline("field:body"), header=inline("field:head"))
    roots = ooxml.story_roots(data, "a.docx")
    assert [root.tag.split("}")[1] for root in roots] == ["hdr", "document"]


def test_reading_tags_imports_neither_python_docx_nor_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    path.write_bytes(word(inline("field:phone"), header=inline("field:name")))
    script = (
        "import sys\n"
        "from docshelf.documents import tags_of\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        "print([t.text for t in tags_of(data, 'letter.docx')])\n"
        "print(sorted(m for m in ('docx', 'openpyxl') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['field:name', 'field:phone']", "[]"]


class CountingFile(io.BytesIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_from_an_open_file_only_the_text_parts_are_read() -> None:
    """A template is mostly pictures: a sync reads each one's tags from the file on disk
    without reading the pictures."""
    data = word(inline("field:phone"), pictures=("image:logo",), header=inline("field:name"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    big = rezipped(data, {})
    out = io.BytesIO(big)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("word/media/photo.bin", secrets.token_bytes(2_000_000))
    assert "word/media/photo.bin" not in names
    file = CountingFile(out.getvalue())
    assert tags_of(file, "letter.docx") == tags_of(out.getvalue(), "letter.docx")
    assert [t.text for t in tags_of(file, "letter.docx")] == [
        "field:name",
        "field:phone",
        "image:logo",
    ]
    assert 0 < file.read_bytes < 1_000_000


def test_a_part_that_unpacks_to_too_much_is_refused_before_it_is_read() -> None:
    """A template is read by every client's sync: a small zip that unpacks to gigabytes
    (a zip bomb) is refused, not read into memory."""
    huge = b"<w:document>" + b" " * (ooxml.MAX_PART_BYTES + 1) + b"</w:document>"
    data = rezipped(word(inline("field:a")), {"word/document.xml": huge})
    assert len(data) < 1_000_000  # small on the wire
    with pytest.raises(DocumentError, match=r"letter\.docx has a part that unpacks to 32 MB"):
        tags_of(data, "letter.docx")


def _never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the package was read into memory")

    monkeypatch.setattr(wordml.Package, "open", refuse)
    monkeypatch.setattr(excel_module, "load_workbook", refuse)


def test_making_a_document_refuses_an_xml_part_that_unpacks_to_too_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a document reads every part into memory (python-docx, openpyxl): a zip bomb
    in a template or a Word snippet is refused from the zip's directory, before."""
    huge = b"<w:document>" + b" " * (ooxml.MAX_PART_BYTES + 1) + b"</w:document>"
    letter = rezipped(word(inline("field:a")), {"word/document.xml": huge})
    book = rezipped(excel({"field.a": "Letter!B1"}), {"xl/worksheets/sheet1.xml": huge})
    _never_opened(monkeypatch)
    for data, name, program in ((letter, "letter.docx", "Word"), (book, "sheet.xlsx", "Excel")):
        assert len(data) < 1_000_000
        with pytest.raises(DocumentError, match=r"has a part that unpacks to 32 MB") as refused:
            fill(data, name, FillData(values={"a": "1"}))
        assert f"Open the file in {program}," in refused.value.message


def test_making_a_document_refuses_a_template_too_large_unpacked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pictures and other binary parts count together: all parts at most
    MAX_PACKAGE_BYTES unpacked (lowered here, so that the test builds no 256 MB)."""
    monkeypatch.setattr(ooxml, "MAX_PACKAGE_BYTES", 4 * 1024 * 1024)
    letter = word(inline("field:a"))
    big = rezipped(letter, {f"word/media/film{i}.bin": bytes(1024 * 1024) for i in range(5)})
    _never_opened(monkeypatch)
    with pytest.raises(DocumentError) as refused:
        fill(big, "letter.docx", FillData(values={"a": "1"}))
    assert refused.value.message == (
        "letter.docx unpacks to 5 MB; docshelf makes documents from templates of at most 4 MB"
        " unpacked. Make the template smaller (its pictures, say) and upload it anew."
    )


def test_a_large_picture_alone_is_no_reason_to_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only XML parts are held to MAX_PART_BYTES (XML packs a thousand to one); a picture
    larger than that, within the whole template's limit, is filled around."""
    monkeypatch.setattr(ooxml, "MAX_PART_BYTES", 1024 * 1024)
    letter = rezipped(word(inline("field:a")), {"word/media/photo.bin": bytes(2 * 1024 * 1024)})
    filled = fill(letter, "letter.docx", FillData(values={"a": "Anna"}))
    assert filled.filled == ["field:a"]
