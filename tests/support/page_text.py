"""What a person reads on a rendered page: the text and the attributes a browser shows
(titles as tooltips, placeholders, labels for screen readers, the words on buttons),
without markup, scripts, styles or code. For the tests that a page speaks one language."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from docshelf.i18n.catalogues import AREA_NAMES
from docshelf.i18n.tools import _FIELD, _load

# Attributes a person reads; ``value`` only where it is the words on a button.
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Verbatim content (a snippet's text, a tag) is data, in whatever language it was written.
HIDDEN = {"script", "style", "code", "pre"}
BUTTON_INPUTS = {"submit", "button", "reset"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        # The client's own words, kept as a detail beside their translation.
        raw = "data-raw" in found
        for name in READ_ATTRIBUTES:
            value = found.get(name)
            if value and not (raw and name == "title"):
                self.pieces.append(value)
        if tag == "input" and found.get("type") in BUTTON_INPUTS and found.get("value"):
            self.pieces.append(found["value"] or "")
        if tag in HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.pieces.append(" ".join(data.split()))


def read_text(html: str) -> str:
    """The page's readable pieces, one a line (a field of a pattern never spans two)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return "\n".join(reader.pieces)


def german_leftovers(text: str) -> list[str]:
    """The German catalogue texts (those English words differently) found in ``text``:
    the reverse of ``docshelf.i18n.tools.english_leftovers``, for a page in English."""
    return [german for german, pattern in _german_patterns() if pattern.search(text)]


@cache
def _german_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns: list[tuple[str, re.Pattern[str]]] = []
    # A German text that is also an English one ("Organisation", "Dashboard") proves nothing.
    english_texts = {
        text.lower()
        for area in AREA_NAMES
        for message in _load("en", area)
        for text in ([message.string] if isinstance(message.string, str) else message.string)
    }
    for area in AREA_NAMES:
        german, english = _load("de", area), _load("en", area)
        for message in german:
            if not message.id:
                continue
            targets = [message.string] if isinstance(message.string, str) else message.string
            wanted = english.get(message.id)
            theirs = wanted.string if wanted is not None else message.id
            others = [theirs] if isinstance(theirs, str) else list(theirs or ())
            for target in targets or ():
                if not target or target in others or target.lower() in english_texts:
                    continue
                if len(_FIELD.sub("", target).strip()) < 3:
                    continue
                parts = _FIELD.split(target)
                literal = [re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(parts)]
                patterns.append((target, re.compile(r"(?<!\w)" + "".join(literal) + r"(?!\w)")))
    return patterns
