"""The up-to-date poll, answered before the framework's routing.

Every client polls every interval and almost every poll finds nothing new. On SQLite that
answer is two indexed reads (well under a millisecond), while FastAPI's routing, parameter
handling and middleware took about as long again. This pure ASGI layer answers exactly
those polls itself and hands everything else, unchanged, to the application: a first sync,
a page to build, a write that is due, a malformed request, every error. The answer is the
same bytes the route would send; the route stays the one documented in the OpenAPI schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from docshelf.domain.errors import DocshelfError
from docshelf.protocol import API_PREFIX
from docshelf.protocol.client_error import HEADER as CLIENT_ERROR_HEADER
from docshelf.protocol.sync import ChangesPage
from docshelf.server.metrics.instruments import QUICK

PATH = f"{API_PREFIX}/sync/changes"
# The route's own limits (api/routes/sync.py): a value outside them goes to the route,
# which refuses it properly.
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,2000}$")
_MAX_LIMIT = 5000
_AUTHORIZATION = b"authorization"
_REPORTED = CLIENT_ERROR_HEADER.lower().encode()

# (device token, cursor, limit) -> the answer, or None to let the application answer
QuickAnswer = Callable[[str, str, int], ChangesPage | None]


def _token(scope: Scope) -> str | None:
    token: str | None = None
    for name, value in scope.get("headers", ()):
        if name == _REPORTED:
            return None  # the client has an error to report: a write, for the route
        if name == _AUTHORIZATION:
            scheme, _, credentials = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                token = credentials.strip()
    return token


def _query(scope: Scope) -> tuple[str, int] | None:
    try:
        pairs = parse_qsl(
            bytes(scope.get("query_string", b"")).decode("ascii"), strict_parsing=True
        )
    except (UnicodeDecodeError, ValueError):
        return None
    params = dict(pairs)
    if len(params) != len(pairs):
        return None  # a name given twice: the route decides
    cursor = params.pop("cursor", None)
    limit_text = params.pop("limit", "500")
    if params or cursor is None or not _CURSOR.match(cursor) or not limit_text.isdigit():
        return None
    limit = int(limit_text)
    return (cursor, limit) if 1 <= limit <= _MAX_LIMIT else None


class QuickPoll:
    """``in_thread``: ask the database on a worker thread (a server across the network must
    not hold up the event loop; SQLite answers from the page cache sooner than a thread hop).
    """

    def __init__(self, app: ASGIApp, answer: QuickAnswer, *, in_thread: bool = False) -> None:
        self.app = app
        self.answer = answer
        self.in_thread = in_thread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = None
        if scope["type"] == "http" and scope.get("method") == "GET" and scope["path"] == PATH:
            token, query = _token(scope), _query(scope)
            if token is not None and query is not None:
                if self.in_thread:
                    page = await anyio.to_thread.run_sync(self._answer, token, *query)
                else:
                    page = self._answer(token, *query)
        if page is None:
            await self.app(scope, receive, send)
            return
        scope[QUICK] = True  # for the metrics: answered here, not by the route
        body = page.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _answer(self, token: str, cursor: str, limit: int) -> ChangesPage | None:
        try:
            return self.answer(token, cursor, limit)
        except DocshelfError:
            return None  # signed out, a bad cursor, ...: the route says why
