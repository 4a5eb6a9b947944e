"""File downloads, answered before the framework's routing.

An initial sync downloads hundreds of files, most of them small. Through FastAPI each cost
the server about 4 ms of CPU whatever its size: routing, parameter handling, the
middleware, and a file response that takes a worker-thread hop to open the file, one per
chunk, one to close it, and runs a second task to listen for a disconnect. This pure ASGI
layer serves the plain case itself: a ``GET`` of ``/blobs/{sha256}`` with a bearer token
and at most one simple ``Range``. Authentication, the permission check, opening the file
and reading its first MiB share one worker-thread call, so a small file costs one hop.

Anything else goes to the route unchanged (``HEAD``, ``If-None-Match``, ``If-Range``,
several ranges, a range the file can't satisfy) and so does every refusal: the route
authenticates again and says why. The answer carries the route's headers. The layer sits
inside the admission control, so a download still takes one of the heavy-request slots.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import BinaryIO

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.domain.errors import DocshelfError
from docshelf.protocol import API_PREFIX

PREFIX = f"{API_PREFIX}/blobs/"
CHUNK = 1024 * 1024
IMMUTABLE = "private, max-age=31536000, immutable"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_RANGE = re.compile(r"bytes=(\d{1,15})-(\d{0,15})")
_AUTHORIZATION = b"authorization"
_RANGE_HEADER = b"range"
# Conditional requests are rare for files named by their hash: the route handles them.
_TO_THE_ROUTE = frozenset({b"if-none-match", b"if-range", b"if-modified-since"})


@dataclass
class OpenedBlob:
    """A readable file positioned at ``start``, with the first bytes read already."""

    file: BinaryIO
    size: int
    mtime: float
    start: int
    end: int  # inclusive
    first: bytes
    ranged: bool  # asked for with Range: answered 206 even when that is the whole file


# (device token, sha256, (first byte, last byte or None)) -> the opened file, or None to
# let the route answer. Runs on a worker thread.
OpenBlob = Callable[[str, str, tuple[int, int | None] | None], OpenedBlob | None]


def open_range(
    file: BinaryIO, size: int, mtime: float, wanted: tuple[int, int | None] | None
) -> OpenedBlob | None:
    """Position an open file for the wanted range and read its first chunk; None (the
    file closed) when the range can't be satisfied, which the route then answers."""
    start, end = 0, size - 1
    if wanted is not None:
        start = wanted[0]
        end = size - 1 if wanted[1] is None else min(wanted[1], size - 1)
        if start >= size or start > end:
            file.close()
            return None
    try:
        file.seek(start)
        first = file.read(min(CHUNK, end + 1 - start))
    except BaseException:
        file.close()
        raise
    return OpenedBlob(file, size, mtime, start, end, first, wanted is not None)


def _request(scope: Scope) -> tuple[str, str, tuple[int, int | None] | None] | None:
    """(token, sha256, range) of a plain download, or None for the route."""
    if scope["type"] != "http" or scope.get("method") != "GET":
        return None
    path = str(scope.get("path", ""))
    if not path.startswith(PREFIX) or not _SHA256.fullmatch(sha := path[len(PREFIX) :]):
        return None
    headers: dict[bytes, list[str]] = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(bytes(name), []).append(bytes(value).decode("latin-1"))
    if not _TO_THE_ROUTE.isdisjoint(headers):
        return None
    token = _bearer(headers.get(_AUTHORIZATION, []))
    ranges = headers.get(_RANGE_HEADER, [])
    if token is None or len(ranges) > 1:
        return None  # no token, one given twice, two Range headers: the route decides
    if not ranges:
        return token, sha, None
    match = _RANGE.fullmatch(ranges[0].strip())
    if match is None:
        return None  # several ranges, a suffix range, a typo: the route decides
    return token, sha, (int(match[1]), int(match[2]) if match[2] else None)


def _bearer(values: list[str]) -> str | None:
    if len(values) != 1:
        return None
    scheme, _, credentials = values[0].partition(" ")
    token = credentials.strip()
    return token if scheme.lower() == "bearer" and token else None


def _headers(sha: str, blob: OpenedBlob) -> list[tuple[bytes, bytes]]:
    length = blob.end + 1 - blob.start
    headers = [
        (b"etag", f'"{sha}"'.encode()),
        (b"cache-control", IMMUTABLE.encode()),
        (b"content-type", b"application/octet-stream"),
        (b"accept-ranges", b"bytes"),
        (b"content-length", str(length).encode()),
        (b"last-modified", formatdate(blob.mtime, usegmt=True).encode()),
    ]
    if blob.ranged:
        headers.append((b"content-range", f"bytes {blob.start}-{blob.end}/{blob.size}".encode()))
    return headers


class QuickBlob:
    def __init__(self, app: ASGIApp, open_blob: OpenBlob) -> None:
        self.app = app
        self.open_blob = open_blob

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = _request(scope)
        blob = None
        if request is not None:
            try:
                blob = await anyio.to_thread.run_sync(self.open_blob, *request)
            except DocshelfError:
                blob = None  # signed out, not allowed, no such file: the route says why
        if blob is None:
            await self.app(scope, receive, send)
            return
        assert request is not None
        try:
            await self._send(request[1], blob, receive, send)
        finally:
            blob.file.close()

    async def _send(self, sha: str, blob: OpenedBlob, receive: Receive, send: Send) -> None:
        length = blob.end + 1 - blob.start
        status = 206 if blob.ranged else 200
        start = {"type": "http.response.start", "status": status, "headers": _headers(sha, blob)}
        await send(start)
        remaining = length - len(blob.first)
        if remaining == 0:
            await send({"type": "http.response.body", "body": blob.first})
            return
        gone = asyncio.Event()
        listener = asyncio.ensure_future(_until_disconnect(receive, gone))
        try:
            await send({"type": "http.response.body", "body": blob.first, "more_body": True})
            while remaining > 0 and not gone.is_set():
                chunk = await anyio.to_thread.run_sync(blob.file.read, min(CHUNK, remaining))
                if not chunk:
                    # Stored files never change; one that shrank ends the answer short, which
                    # the client notices by its length and hash.
                    raise OSError(f"file {sha} ended {remaining} bytes early")
                remaining -= len(chunk)
                more = remaining > 0
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
        finally:
            listener.cancel()


async def _until_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    """The server (uvicorn, ASGI 2.3) ignores what is sent after the client went away;
    without this a broken download would read the rest of a large file for nothing."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
