"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from docshelf.domain.errors import DocshelfError, NotAuthenticated, TooManyRequests
from docshelf.domain.permissions import can_use_dashboard
from docshelf.i18n import normalize, tr
from docshelf.server.dashboard.language import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    PATH,
    REASONS,
    SESSION_COOKIE,
    CheckedForm,
    CsrfRefused,
    CurrentVisitor,
    check_origin,
    csrf_for,
    new_login_csrf,
    safe_next,
    state_of,
)
from docshelf.server.db.models import Device
from docshelf.server.services import auth
from docshelf.server.services.accounts import actor_of

router = APIRouter(route_class=InVisitorLanguage)
# Browsers a user may have several of; the name tells them apart in the device list.
_BROWSER_NAMES = (
    ("Firefox", "Firefox"),
    ("Edg/", "Edge"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _device_name(user_agent: str) -> str:
    for marker, name in _BROWSER_NAMES:
        if marker in user_agent:
            return f"Dashboard ({name})"
    return "Dashboard (browser)"


def _login_page(
    request: Request, *, error: str | None = None, login_name: str = "", status_code: int = 200
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE) or new_login_csrf()
    response = page(
        request,
        "login.html",
        status_code=status_code,
        error=error,
        login_name=login_name,
        login_csrf=token,
        next_path=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_COOKIE, token, path=PATH, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    reason = request.query_params.get("reason")
    error = tr(REASONS[reason]) if reason in REASONS else None
    return _login_page(request, error=error)


def _login_csrf_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(LOGIN_COOKIE)
    return bool(expected) and hmac.compare_digest(sent, expected or "")


def _status(exc: DocshelfError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def _login_error(exc: DocshelfError) -> str:
    """The sign-in's own failures in the page's language; anything else as the server says."""
    if isinstance(exc, TooManyRequests):
        return tr(
            "Too many failed sign-ins. Try again in {seconds} seconds.", seconds=exc.retry_after
        )
    if isinstance(exc, auth.LoginFailed):  # by class: its message is in the page's language
        return tr("Login or password is wrong.")
    if isinstance(exc, NotAuthenticated):
        return tr("This account is deactivated; ask your administrator.")
    return exc.message


@router.post("/login", response_model=None)
def login(
    request: Request,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = PATH,
) -> Response:
    check_origin(request)
    if not _login_csrf_ok(request, csrf):
        return _login_page(
            request,
            error=tr("The form had expired or did not come from this page; please try again."),
            login_name=login,
            status_code=403,
        )
    state = state_of(request)
    try:
        token, device, user = auth.login(
            state.db,
            state.passwords,
            state.throttle,
            login_name=login,
            password=password,
            device_name=_device_name(request.headers.get("user-agent", "")),
            kind="dashboard",
        )
    except DocshelfError as exc:
        return _login_page(
            request, error=_login_error(exc), login_name=login, status_code=_status(exc)
        )
    with state.db.read() as session:
        allowed = can_use_dashboard(actor_of(session, user))
    if not allowed:
        with state.db.write() as session:
            row = session.get(Device, device.id)
            if row is not None:
                auth.revoke(session, row)
        return _login_page(
            request,
            error=tr("The dashboard is for system and organisation administrators."),
            login_name=login,
            status_code=403,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=int(state.settings.dashboard_session_hours * 3600),
    )
    response.delete_cookie(LOGIN_COOKIE, path=PATH)
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    with state_of(request).db.write() as session:
        row = session.get(Device, who.caller.device_id)
        if row is not None:
            auth.revoke(session, row)
    response = redirect(f"{PATH}/login?reason=login.signed_out")
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


@router.post("/language", response_model=None)
async def language(request: Request) -> Response:
    """Switch the language; allowed before signing in too (the sign-in form's token)."""
    check_origin(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    session_token = request.cookies.get(SESSION_COOKIE)
    ok = isinstance(sent, str) and (
        _login_csrf_ok(request, sent)
        or (session_token is not None and hmac.compare_digest(sent, csrf_for(session_token)))
    )
    if not ok:
        raise CsrfRefused(
            tr("The form had expired or did not come from this page; please try again.")
        )
    chosen = normalize(str(form.get("language", ""))) or DEFAULT_LANGUAGE
    response = redirect(safe_next(str(form.get("next", PATH))))
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        path=PATH,
        max_age=365 * 24 * 3600,
        samesite="strict",
        secure=_secure(request),
    )
    return response
