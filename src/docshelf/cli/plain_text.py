"""A snippet's body as plain text for a terminal: text as it is, HTML and Word without
their markup, one line per paragraph."""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr

_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BLOCKS = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
_SKIP = {"script", "style", "head", "title"}


def snippet_text(body_format: str, data: bytes) -> str:
    if body_format == "html":
        return _from_html(data.decode("utf-8", errors="replace"))
    if body_format == "docx":
        return _from_docx(data)
    return data.decode("utf-8", errors="replace")


class _Lines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS and self.lines[-1]:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS and self.lines[-1]:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.lines[-1] += " ".join(data.split()) if data.strip() else ""


def _from_html(html: str) -> str:
    reader = _Lines()
    reader.feed(html)
    reader.close()
    return "\n".join(line for line in reader.lines if line).strip()


def _from_docx(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise InvalidInput(
            tr("The snippet's Word file cannot be read ({error}).", error=type(exc).__name__)
        ) from None
    lines = []
    for paragraph in root.iter(f"{_WORD}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_WORD}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_WORD}tab":
                parts.append("\t")
        lines.append("".join(parts))
    return "\n".join(lines).strip()
