"""The administrators' web dashboard at ``/dashboard``: server-rendered pages (Jinja2),
a session cookie, CSRF tokens on every form, German and English.

Pages call the same services as the HTTP API, so every permission rule is the API's.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from docshelf.domain.errors import DocshelfError
from docshelf.i18n import tr, using
from docshelf.server.dashboard.language import language_of
from docshelf.server.dashboard.pages import (
    audit,
    explain,
    fields,
    files,
    groups,
    history,
    package_history,
    packages,
    settings,
    signin,
    snippets,
    summary,
    templates,
    units,
    users,
)
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, LoginNeeded

STATIC = Path(__file__).parent / "static"
# The dashboard's one large form: the package upload, limited like the API's.
PACKAGE_UPLOAD_PATH = f"{PATH}/packages/preview"
PAGES = (
    files,
    signin,
    summary,
    settings,
    packages,
    package_history,
    users,
    explain,
    groups,
    templates,
    snippets,
    history,
    fields,
    units,
    audit,
)


def _is_dashboard(request: Request) -> bool:
    return request.url.path == PATH or request.url.path.startswith(PATH + "/")


def _login_redirect(exc: LoginNeeded) -> Response:
    target = f"{PATH}/login?next={exc.next_path}"
    if exc.reason:
        target += f"&reason={exc.reason}"
    return redirect(target)


def _error_page(request: Request, title: str, message: str, status_code: int) -> Response:
    return page(
        request,
        "error.html",
        title=title,
        message=message,
        status_code=status_code,
    )


async def _delegate(handler: Any, request: Request, exc: Exception) -> Any:
    """Hand an error of the API to the API's own handler."""
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer


def install(app: FastAPI) -> None:
    for module in PAGES:
        app.include_router(module.router, prefix=PATH, include_in_schema=False)
    app.mount(f"{PATH}/static", StaticFiles(directory=STATIC), name="dashboard-static")

    api_error = app.exception_handlers[DocshelfError]
    api_invalid = app.exception_handlers[RequestValidationError]

    async def docshelf_error(request: Request, exc: Exception) -> Any:
        if not _is_dashboard(request):
            return await _delegate(api_error, request, exc)
        if isinstance(exc, LoginNeeded):
            return _login_redirect(exc)
        assert isinstance(exc, DocshelfError)
        status_code = exc.status if 400 <= exc.status < 600 else 400
        with using(language_of(request)):
            return _error_page(request, tr("Error"), exc.message, status_code)

    async def invalid(request: Request, exc: Exception) -> Any:
        if not _is_dashboard(request):
            return await _delegate(api_invalid, request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        with using(language_of(request)):
            message = tr("The form is incomplete or invalid: {fields}", fields=fields)
            return _error_page(request, tr("Error"), message, 422)

    app.add_exception_handler(DocshelfError, docshelf_error)
    app.add_exception_handler(RequestValidationError, invalid)


__all__ = ["PACKAGE_UPLOAD_PATH", "PATH", "install"]
