"""Several files in one answer: ``POST /blobs/pack``.

An initial sync downloads hundreds of files. One request each cost more on both sides than
moving the bytes of a typical template (authentication, routing, headers, a log line), so
a client asks for a few at a time. The answer is the files in the order asked, each a
header line and then exactly its bytes::

    <sha256> <size>\\n<size bytes>
    <sha256> -\\n                   not served: the caller may not read it, or no such file

A file not served in a pack is fetched alone (``GET /blobs/{sha256}``), which says why.
The bytes are verified by their hash as any download; a pack broken off keeps the files
that arrived whole, and the one in the middle is resumed alone with ``Range``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import Field

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr
from docshelf.protocol.auth import Strict
from docshelf.protocol.types import Sha256

MEDIA_TYPE = "application/vnd.docshelf.pack"
MAX_FILES = 256
NOT_SERVED = b"-"
# The longest header: a hash, a space, a size of up to 15 digits, the newline.
_MAX_HEADER = 64 + 1 + 15 + 1
_HEADER = re.compile(rb"([0-9a-f]{64}) (-|\d{1,15})\n")


class PackRequest(Strict):
    files: list[Sha256] = Field(min_length=1, max_length=MAX_FILES)


def header(sha256: str, size: int | None) -> bytes:
    """The line before a file's bytes; ``None``: the file is not served."""
    return f"{sha256} {'-' if size is None else size}\n".encode("ascii")


@dataclass
class Frame:
    sha256: str
    size: int | None  # None: not served, fetch it alone
    chunks: Iterator[bytes]  # exactly ``size`` bytes


def read_frames(stream: Iterable[bytes]) -> Iterator[Frame]:
    """The files of a pack answer, in order. A frame's bytes must be read before the next
    frame is asked for; whatever of them was left unread is skipped then."""
    reader = _Reader(iter(stream))
    while (line := reader.line()) is not None:
        match = _HEADER.fullmatch(line)
        if match is None:
            raise malformed(tr("header {value!r}", value=line[:80]))
        sha = match[1].decode("ascii")
        if match[2] == NOT_SERVED:
            yield Frame(sha, None, iter(()))
            continue
        size = int(match[2])
        body = reader.exactly(size)
        yield Frame(sha, size, body)
        for _ in body:  # the caller stopped early (a file it had): skip the rest
            pass


class _Reader:
    """Bytes from a stream of chunks, taken a header line or a file's length at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def _more(self) -> bool:
        for chunk in self._chunks:
            if chunk:
                self._buffer += chunk
                return True
        return False

    def line(self) -> bytes | None:
        """The next header line with its newline, or None at the end of the answer."""
        while (end := self._buffer.find(b"\n", 0, _MAX_HEADER)) < 0:
            if len(self._buffer) >= _MAX_HEADER:
                raise malformed(tr("header {value!r}", value=self._buffer[:80]))
            if not self._more():
                if self._buffer:
                    raise malformed(tr("an answer that ends inside a header"))
                return None
        line, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
        return line

    def exactly(self, size: int) -> Iterator[bytes]:
        left = size
        while left:
            if not self._buffer and not self._more():
                raise malformed(
                    tr("an answer that ends {left} bytes before a file's end", left=left)
                )
            piece, self._buffer = self._buffer[:left], self._buffer[left:]
            left -= len(piece)
            yield piece


def malformed(what: str) -> InvalidInput:
    """The error for an answer that doesn't follow the format."""
    return InvalidInput(
        tr(
            "The server's answer with several files was malformed ({what}); sync "
            "again. If this repeats, update docshelf or tell your administrator.",
            what=what,
        ),
        title="Malformed answer",
    )
