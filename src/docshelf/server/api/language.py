"""Each request speaks its caller's language, from the first middleware to the last handler.

API callers choose with ``Accept-Language``; without one (or with none of our languages)
they get English, as every client before the catalogues did. Dashboard visitors choose
on the page (a cookie), else their browser's ``Accept-Language``, else German.

Pure ASGI: the language is a context variable set around the whole request, so it
reaches the routes, the exception handlers and the thread pool that runs sync endpoints
(anyio copies the context into each worker call); BaseHTTPMiddleware would lose it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.i18n import DEFAULT_LANGUAGE, negotiate, using
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE
from docshelf.server.dashboard import language as dashboard_language


class RequestLanguage:
    """Choose the request's language and mark problem answers with it."""

    def __init__(self, app: ASGIApp, *, dashboard_prefix: str) -> None:
        self.app = app
        self.dashboard_prefix = dashboard_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = self.choose(scope)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _mark_problem(message, language)
            await send(message)

        with using(language):
            await self.app(scope, receive, send_marked)

    def choose(self, scope: Scope) -> str:
        headers = Headers(scope=scope)
        asked = negotiate(headers.get("accept-language"))
        path = str(scope.get("path", ""))
        if path == self.dashboard_prefix or path.startswith(self.dashboard_prefix + "/"):
            cookies = cookie_parser(headers.get("cookie", ""))
            cookie = cookies.get(dashboard_language.LANGUAGE_COOKIE)
            return dashboard_language.choose(cookie, headers.get("accept-language"))
        return asked or DEFAULT_LANGUAGE


def _mark_problem(message: Message, language: str) -> Message:
    """Add Content-Language and Vary to a problem answer (its texts are in ``language``)."""
    headers = list(message.get("headers", []))
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if not content_type.startswith(PROBLEM_MEDIA_TYPE.encode()):
        return message
    vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
    headers = [(k, v) for k, v in headers if k.lower() not in (b"vary", b"content-language")]
    varies = [part.strip() for value in vary for part in value.split(",") if part.strip()]
    if "accept-language" not in {part.lower() for part in varies}:
        varies.append("Accept-Language")
    headers.append((b"content-language", language.encode()))
    headers.append((b"vary", ", ".join(varies).encode("latin-1")))
    return {**message, "headers": headers}
