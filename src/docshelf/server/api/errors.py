"""Every error leaves the server as ``application/problem+json`` with a readable message.

The ``title`` and ``detail`` speak the request's language (see ``api/language.py``): an
error is raised inside the request, so its texts are translated where they are made, at
raise time; ``type``, ``code``, ``status`` and the keys never change with the language.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from docshelf.domain.errors import DocshelfError
from docshelf.i18n import N_, tr
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.server.blobstore.base import BlobStoreUnavailable
from docshelf.server.metrics.instruments import BLOB_STORE_FAILED

log = logging.getLogger("docshelf.server")

_HTTP_TITLES = {
    400: (N_("Bad request"), "bad_request"),
    401: (N_("Signed out"), "signed_out"),
    403: (N_("Not allowed"), "forbidden"),
    404: (N_("Not found"), "not_found"),
    405: (N_("Method not allowed"), "method_not_allowed"),
    413: (N_("Too large"), "too_large"),
}
_ERROR_TITLE = N_("Error")


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
    """One invalid value in the request's language: the field, then what is wrong."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    kind = error.get("type")
    if kind == "json_invalid":
        return tr("The request body is not valid JSON.")
    context = error.get("ctx") or {}
    where = where or tr("request")
    if kind == "missing":
        return tr("{where}: is missing.", where=where)
    if kind == "extra_forbidden":
        return tr("{where}: is not a known field (check the spelling).", where=where)
    if kind == "value_error" and isinstance(context.get("error"), Exception):
        # Our own checks (InvalidInput) raised inside a validator: already translated.
        return tr("{where}: {problem}", where=where, problem=str(context["error"]))
    if kind in ("string_too_long", "too_long") and "max_length" in context:
        limit = context["max_length"]
        return tr("{where}: is too long; at most {limit} fit.", where=where, limit=limit)
    if kind in ("string_too_short", "too_short") and "min_length" in context:
        limit = context["min_length"]
        return tr("{where}: is too short; at least {limit} are needed.", where=where, limit=limit)
    if kind in _TYPE_NAMES:
        return tr("{where}: must be {expected}.", where=where, expected=tr(_TYPE_NAMES[kind]))
    if kind == "string_pattern_mismatch":
        return tr("{where}: does not have the form the API description gives.", where=where)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return tr("{where}: is out of range.", where=where)
    # Rare checks: pydantic's own (English) words rather than none.
    return tr("{where}: {problem}", where=where, problem=str(error.get("msg", "")))


# What a value of the wrong type should have been, by pydantic's error type.
_TYPE_NAMES = {
    "string_type": N_("text"),
    "int_type": N_("a whole number"),
    "int_parsing": N_("a whole number"),
    "int_from_float": N_("a whole number"),
    "bool_type": N_("true or false"),
    "bool_parsing": N_("true or false"),
    "list_type": N_("a list"),
    "dict_type": N_("an object"),
    "model_type": N_("an object"),
    "model_attributes_type": N_("an object"),
    "enum": N_("one of the values listed in the API description"),
    "literal_error": N_("one of the values listed in the API description"),
}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": e.get("type")}
        for e in exc.errors()
    ]
    detail = "; ".join(_describe(e) for e in exc.errors()[:3])
    detail = detail or tr("The request is invalid.")
    return _answer(request, 422, tr("Invalid input"), detail, "invalid", errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        # Bytes that aren't UTF-8 JSON: the same answer as malformed JSON.
        detail = tr("The request body is not valid JSON in UTF-8.")
        return _answer(request, 422, tr("Invalid input"), detail, "invalid")
    title, code = _HTTP_TITLES.get(exc.status_code, (_ERROR_TITLE, "error"))
    detail = str(exc.detail)
    method, path = request.method, request.url.path
    if exc.status_code == 404 and detail == "Not Found":
        detail = tr("There is no {method} {path}; see /api/v1/docs.", method=method, path=path)
    elif exc.status_code == 405:
        detail = tr("{path} does not accept {method}.", path=path, method=method)
    headers = dict(exc.headers or {})
    return _answer(request, exc.status_code, tr(title), detail, code, headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A concurrent request created the same login/name between our check and our insert.
    detail = tr("The change clashes with data that was saved at the same moment; try again.")
    return _answer(request, 409, tr("Conflict"), detail, "conflict")


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"event": "db_error", "error": str(exc)[:500]})
    detail = tr("The database is not reachable or busy; try again shortly.")
    return _answer(request, 503, tr("Server busy"), detail, "unavailable", retry_after=5)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", extra={"event": "crash", "path": request.url.path})
    detail = tr(
        "The server hit an unexpected error; the administrator finds the details in"
        " the server log under this request id."
    )
    return _answer(request, 500, tr("Internal error"), detail, "internal")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DocshelfError, _docshelf_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
