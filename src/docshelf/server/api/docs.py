"""The API's description at ``/api/v1/docs``: Swagger UI served from this installation.

The page's scripts and styles come from the ``fastapi-offline`` package (we use only its
static files: Swagger UI 5, which reads OpenAPI 3.1), so the docs work on a server
without internet access and the browser loads nothing from elsewhere. Its
Content-Security-Policy allows just that: our own scripts and styles, the one inline
script that starts Swagger UI (by its hash), and requests back to this server.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).with_name("static")

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def install(app: FastAPI, prefix: str) -> None:
    """Serve the docs page at ``{prefix}/docs`` and its assets under ``{prefix}/docs/assets``."""
    assets = f"{prefix}/docs/assets"
    page = get_swagger_ui_html(
        openapi_url=f"{prefix}/openapi.json",
        title=f"{app.title} API",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
    )
    body = bytes(page.body)
    headers = {
        "Content-Security-Policy": content_security_policy(body),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    async def api_docs() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)

    app.add_api_route(f"{prefix}/docs", api_docs, methods=["GET"], include_in_schema=False)
    app.mount(assets, StaticFiles(directory=ASSETS), name="api-docs-assets")


def content_security_policy(page: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    # Its stylesheet draws icons as data: images; it fetches the OpenAPI document and the
    # "Try it out" requests from this server only.
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self';"
        " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"
        " form-action 'none'; base-uri 'none'"
    )
