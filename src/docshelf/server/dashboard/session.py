"""Signing in to the dashboard: a session cookie, CSRF tokens, and who the visitor is.

A dashboard sign-in is a device of kind ``dashboard``: the same token machinery as the
sync clients (hashed in the database, revocable, read on every request), kept in an
HttpOnly, SameSite=Strict cookie that scripts can't read and other sites don't send.
It lasts ``dashboard_session_hours`` and ends sooner when unused for
``dashboard_idle_minutes``; an expired session is revoked. Only dashboard sessions are
accepted here, and they are refused on the API (see services/auth.py ``Purpose``).

Every form carries a CSRF token derived from the session token with HMAC, so it needs no
storage and dies with the session; the sign-in form, which has no session yet, uses a
double-submit cookie instead. Requests whose ``Origin`` names another site are refused too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import DocshelfError, NotAuthenticated
from docshelf.domain.permissions import can_use_dashboard
from docshelf.i18n import N_, tr
from docshelf.server.dashboard.language import language_of
from docshelf.server.services.auth import Caller, authenticate, dashboard_purpose
from docshelf.server.state import ServerState

SESSION_COOKIE = "docshelf_session"
LOGIN_COOKIE = "docshelf_login_csrf"
FLASH_COOKIE = "docshelf_flash"
PATH = "/dashboard"
CSRF_FIELD = "csrf"
# Why the sign-in page is shown, as the ``reason`` of its address (a code, not a text).
REASONS = {
    "login.expired": N_("Your sign-in has expired; please sign in again."),
    "login.signed_out": N_("You are signed out."),
}


class LoginNeeded(DocshelfError):
    """No valid session: the visitor is sent to the sign-in page (``reason``: see REASONS)."""

    status = 303
    code = "login_needed"

    def __init__(self, reason: str | None, next_path: str) -> None:
        super().__init__(reason or "login_needed")
        self.reason = reason
        self.next_path = next_path


class CsrfRefused(DocshelfError):
    status = 403
    code = "csrf"
    default_title = N_("Form refused")


class PageForbidden(DocshelfError):
    status = 403
    code = "forbidden"
    default_title = N_("Not allowed")


@dataclass(frozen=True)
class Visitor:
    """A signed-in dashboard user, with what every page needs."""

    caller: Caller
    token: str
    language: str

    @property
    def actor(self) -> Actor:
        return self.caller.actor

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"docshelf-dashboard-csrf", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.docshelf
    return state


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None) -> str:
    """Only paths of the dashboard itself: never an open redirect to another site."""
    if not value or not value.startswith(PATH) or value.startswith("//"):
        return PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value:
        return PATH
    return value


def _session_of(request: Request) -> tuple[Caller, str] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    state = state_of(request)
    settings = state.settings
    purpose = dashboard_purpose(settings.dashboard_session_hours, settings.dashboard_idle_minutes)
    try:
        # Notes "last seen" (the idle timeout counts from it) and revokes an expired session.
        caller = authenticate(state.db, token, purpose)
    except NotAuthenticated:
        return None
    return caller, token


def visitor(request: Request) -> Visitor:
    """The signed-in visitor, or a redirect to the sign-in page."""
    found = _session_of(request)
    if found is None:
        reason = "login.expired" if request.cookies.get(SESSION_COOKIE) else None
        raise LoginNeeded(reason, _here(request) if request.method == "GET" else PATH)
    caller, token = found
    if not can_use_dashboard(caller.actor):
        raise PageForbidden(tr("The dashboard is for system and organisation administrators."))
    return Visitor(caller, token, language_of(request))


CurrentVisitor = Annotated[Visitor, Depends(visitor)]


def check_origin(request: Request) -> None:
    """Browsers send ``Origin`` with every POST; one naming another site is a forgery."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise CsrfRefused(
            tr("The form had expired or did not come from this page; please try again.")
        )


async def checked_form(request: Request, who: CurrentVisitor) -> FormData:
    """The posted form, once its CSRF token matched the visitor's session."""
    check_origin(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, who.csrf):
        raise CsrfRefused(
            tr("The form had expired or did not come from this page; please try again.")
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]
