"""Pages from Jinja2 templates, with what every page shows: navigation, language, flash."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from docshelf.domain.accounts import Actor
from docshelf.domain.json_text import parse_json
from docshelf.domain.permissions import dashboard_sections
from docshelf.i18n import ntr, tr, using
from docshelf.i18n.formats import format_number, format_size
from docshelf.server.dashboard import texts
from docshelf.server.dashboard.client_errors import reported_error
from docshelf.server.dashboard.language import language_of, other_language
from docshelf.server.dashboard.session import (
    CSRF_FIELD,
    FLASH_COOKIE,
    PATH,
    Visitor,
)

_env = Environment(
    loader=PackageLoader("docshelf.server.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable fails the test, not the page silently
    trim_blocks=True,
    lstrip_blocks=True,
)

# Every text through the catalogue, in the language of the rendering's context.
_env.globals.update(
    tr=tr,
    ntr=ntr,
    label=texts.label,
    attribute_names=texts.attribute_names,
    reported_error=reported_error,
    when=texts.when,
    ago=texts.ago,
    duration=texts.duration,
    percent=texts.percent,
    NONE=texts.NONE,
)
_env.filters.update(size=format_size, number=format_number)

SECURITY_HEADERS = {
    # No scripts from elsewhere, no framing, nothing inline but our own small styles.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _flash_of(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = parse_json(unquote(raw), "The flash cookie")
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return {"kind": str(value.get("kind", "info")), "text": str(value.get("text", ""))}


def page(
    request: Request,
    template: str,
    *,
    visitor: Visitor | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    actor: Actor | None = visitor.actor if visitor else None
    language = language_of(request)
    with using(language):
        html = _env.get_template(template).render(
            lang=language,
            other_language=other_language(language),
            visitor=visitor,
            sections=dashboard_sections(actor) if actor else [],
            csrf_field=CSRF_FIELD,
            csrf=visitor.csrf if visitor else "",
            current=request.url.path,
            flash=_flash_of(request),
            base=PATH,
            **context,
        )
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path=PATH)
    return response


def redirect(
    to: str, *, flash: str | None = None, kind: str = "info", request: Request | None = None
) -> RedirectResponse:
    """Post/redirect/get: the next page shows ``flash`` once."""
    response = RedirectResponse(to, status_code=303, headers={"Cache-Control": "no-store"})
    if flash is not None:
        value = quote(json.dumps({"kind": kind, "text": flash}))
        secure = request is not None and request.url.scheme == "https"
        response.set_cookie(
            FLASH_COOKIE, value, path=PATH, httponly=True, samesite="strict", secure=secure
        )
    return response
