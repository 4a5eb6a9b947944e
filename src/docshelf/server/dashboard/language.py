"""The visitor's language, and dashboard routes that run in it.

The visitor chooses with the link in the navigation (a cookie); before that the
browser's ``Accept-Language`` decides, and German when it names neither of ours. Every
dashboard route runs inside ``using(language)``, so that the page, the flash message a
form leaves and any refusal a service raises speak the visitor's language, whatever
the rest of the server does for its API.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from docshelf.i18n import LANGUAGES, negotiate, normalize, using

LANGUAGE_COOKIE = "docshelf_lang"
# The dashboard's administrators work in German unless they or their browser say otherwise.
DEFAULT_LANGUAGE = "de"


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The rule, also used by the server's language middleware for dashboard paths."""
    return normalize(cookie) or negotiate(accept_language) or DEFAULT_LANGUAGE


def language_of(request: Request) -> str:
    return choose(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def other_language(language: str) -> tuple[str, str]:
    """The language the switch offers: its code and its name in itself ("English")."""
    code = next((c for c in LANGUAGES if c != language), DEFAULT_LANGUAGE)
    return code, LANGUAGES[code]


class InVisitorLanguage(APIRoute):
    """A route whose dependencies, handler and rendering run in the visitor's language.

    The language is a context variable: set here, around FastAPI's whole handling of the
    request, it holds for the dependencies and the handler (sync handlers run in a
    worker thread with a copy of this context)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def in_language(request: Request) -> Response:
            with using(language_of(request)):
                return await handle(request)

        return in_language
