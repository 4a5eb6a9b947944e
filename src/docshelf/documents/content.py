"""What goes into a control, independent of where: paragraphs of formatted spans, made
from a field's value or a text or HTML snippet."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


Paragraph = list[Span]


def from_text(text: str) -> list[Paragraph]:
    """One paragraph per line (a multi-line value becomes lines)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [[Span(line)] if line else [] for line in lines]


_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
_SKIP = {"script", "style", "head", "title"}
_STYLES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[Paragraph] = [[]]
        self.open_styles: list[str] = []
        self.skipping = 0

    def _break(self) -> None:
        self.paragraphs.append([])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "br" or (tag in _BLOCKS and self.paragraphs[-1]):
            self._break()
        elif tag in _STYLES:
            self.open_styles.append(_STYLES[tag])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS and self.paragraphs[-1]:
            self._break()
        elif tag in _STYLES and _STYLES[tag] in self.open_styles:
            self.open_styles.reverse()
            self.open_styles.remove(_STYLES[tag])
            self.open_styles.reverse()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = " ".join(data.split())  # HTML whitespace collapses
        if data[:1].isspace() and self.paragraphs[-1]:
            text = " " + text
        if data[-1:].isspace() and text and not text.endswith(" "):
            text += " "
        if text.strip():
            styles = set(self.open_styles)
            self.paragraphs[-1].append(
                Span(text, "bold" in styles, "italic" in styles, "underline" in styles)
            )


def from_html(html: str) -> list[Paragraph]:
    """A formatted snippet: bold, italic and underline kept, blocks and <br> as lines."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    paragraphs = reader.paragraphs
    while paragraphs and not paragraphs[-1]:
        paragraphs.pop()
    return paragraphs
