"""Server-Sent Events, parsed: bytes as they arrive in, whole events out (pure, no I/O).

The change-hint stream (docs/protocol.md) frames every event the standard way and puts
one JSON object in its data, so an event comes out with its data already decoded. Lines
may end in LF, CRLF or CR, an event may be split across reads anywhere (even inside a
UTF-8 character or between CR and LF), comment lines (``: keepalive``) are skipped, and
``retry:`` is kept for the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from docshelf.client.errors import ProtocolMismatch
from docshelf.i18n import tr

__all__ = ["MAX_LINE", "Event", "SseParser"]

# A line longer than this is no hint stream of ours; buffering it would grow without end.
MAX_LINE = 1024 * 1024


@dataclass(frozen=True)
class Event:
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


class SseParser:
    """Feed it the body piece by piece; each call returns the events completed by it."""

    def __init__(self) -> None:
        self._buffer = b""
        self._first = True
        # The previous piece ended in CR: an LF starting this one belongs to that line end.
        self._skip_lf = False
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._last_id: str | None = None
        # The server's reconnection delay (``retry:``), None until it sent one.
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        if self._skip_lf and chunk:
            self._skip_lf = False
            chunk = chunk.removeprefix(b"\n")
        self._buffer += chunk
        events: list[Event] = []
        while True:
            line = self._next_line()
            if line is None:
                break
            event = self._line(line)
            if event is not None:
                events.append(event)
        if len(self._buffer) > MAX_LINE:
            raise ProtocolMismatch(
                tr(
                    "The change-hint stream sent a line longer than {size} bytes; this is not"
                    " the stream this client expects.",
                    size=MAX_LINE,
                )
            )
        return events

    def _next_line(self) -> str | None:
        buffer = self._buffer
        cut = _line_end(buffer)
        if cut is None:
            return None
        end, after = cut
        self._buffer = buffer[after:]
        if after == len(buffer) and buffer.endswith(b"\r"):
            self._skip_lf = True
        raw = buffer[:end]
        if self._first:
            self._first = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is allowed once
        return raw.decode("utf-8", errors="replace")

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: the keepalive
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        # Other field names are ignored, as the standard says.
        return None

    def _dispatch(self) -> Event | None:
        name, data, self._event, self._data = self._event or "message", self._data, "", []
        if self._id is not None:
            self._last_id, self._id = self._id, None
        if not data:
            return None  # an event without data is not dispatched
        text = "\n".join(data)
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            raise ProtocolMismatch(
                tr(
                    "The change-hint stream sent a '{event}' event whose data is not JSON;"
                    " update docshelf or check the server address.",
                    event=name,
                )
            ) from exc
        if not isinstance(decoded, dict):
            raise ProtocolMismatch(
                tr(
                    "The change-hint stream sent a '{event}' event whose data is not a JSON"
                    " object.",
                    event=name,
                )
            )
        return Event(event=name, data=decoded, id=self._last_id)


def _line_end(buffer: bytes) -> tuple[int, int] | None:
    """Where the first complete line ends, and where the next one starts."""
    lf = buffer.find(b"\n")
    cr = buffer.find(b"\r")
    if cr == -1 or (lf != -1 and lf < cr):
        return None if lf == -1 else (lf, lf + 1)
    return (cr, cr + 2) if buffer[cr + 1 : cr + 2] == b"\n" else (cr, cr + 1)
