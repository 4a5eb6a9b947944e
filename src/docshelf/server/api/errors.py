"""Every error leaves the server as ``application/problem+json`` with a readable message."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from docshelf.domain.errors import DocshelfError
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.server.blobstore.base import BlobStoreUnavailable
from docshelf.server.metrics.instruments import BLOB_STORE_FAILED

log = logging.getLogger("docshelf.server")

_HTTP_TITLES = {
    400: ("Bad request", "bad_request"),
    401: ("Signed out", "signed_out"),
    403: ("Not allowed", "forbidden"),
    404: ("Not found", "not_found"),
    405: ("Method not allowed", "method_not_allowed"),
    413: ("Too large", "too_large"),
}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    if problem.retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(problem.retry_after)}
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _answer(
    request: Request,
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    problem = Problem(
        title=title,
        status=status,
        detail=detail,
        code=code,
        request_id=_request_id(request),
        **extra,
    )
    return problem_response(problem, headers=headers)


async def _docshelf_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DocshelfError)
    if isinstance(exc, BlobStoreUnavailable):
        request.scope[BLOB_STORE_FAILED] = True  # counted by the metrics
    if exc.status >= 500:
        log.error("request failed", extra={"event": "error", "error": exc.message})
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _answer(
        request,
        exc.status,
        exc.title,
        exc.message,
        exc.code,
        headers,
        retry_after=exc.details.get("retry_after"),
    )


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    message = str(error.get("msg", "is invalid"))
    if error.get("type") == "extra_forbidden":
        message = "is not a known field (check the spelling)"
    elif error.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    return f"{where or 'request'}: {message}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": e.get("type")}
        for e in exc.errors()
    ]
    detail = "; ".join(_describe(e) for e in exc.errors()[:3])
    return _answer(
        request, 422, "Invalid input", detail or "The request is invalid.", "invalid", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        # Bytes that aren't UTF-8 JSON: the same answer as malformed JSON.
        detail = "The request body is not valid JSON in UTF-8."
        return _answer(request, 422, "Invalid input", detail, "invalid")
    title, code = _HTTP_TITLES.get(exc.status_code, ("Error", "error"))
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no {request.method} {request.url.path}; see /api/v1/docs."
    elif exc.status_code == 405:
        detail = f"{request.url.path} does not accept {request.method}."
    return _answer(request, exc.status_code, title, detail, code, dict(exc.headers or {}))


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A concurrent request created the same login/name between our check and our insert.
    detail = "The change clashes with data that was saved at the same moment; try again."
    return _answer(request, 409, "Conflict", detail, "conflict")


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"event": "db_error", "error": str(exc)[:500]})
    detail = "The database is not reachable or busy; try again shortly."
    return _answer(request, 503, "Server busy", detail, "unavailable", retry_after=5)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", extra={"event": "crash", "path": request.url.path})
    detail = (
        "The server hit an unexpected error; the administrator finds the details in"
        " the server log under this request id."
    )
    return _answer(request, 500, "Internal error", detail, "internal")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DocshelfError, _docshelf_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
