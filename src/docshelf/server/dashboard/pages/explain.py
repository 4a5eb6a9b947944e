""" "Why can't X see this?": a user, an object, and the permission rules' answer step by step
(services/explain.py, the same decision the sync feed makes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from docshelf.domain.errors import DocshelfError
from docshelf.domain.kinds import kind_label
from docshelf.protocol.explain import Explanation
from docshelf.server.dashboard.forms import error_status, require_section
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page
from docshelf.server.dashboard.session import CurrentVisitor, state_of
from docshelf.server.db.models import Template, User
from docshelf.server.services import explain as service

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "users"


@router.get("/explain", response_class=HTMLResponse)
def explain_page(
    request: Request,
    who: CurrentVisitor,
    user: str = "",
    kind: str = "template",
    object: str = "",
) -> HTMLResponse:
    require_section(who, SECTION)
    found: Explanation | None = None
    error: str | None = None
    status_code = 200
    with state_of(request).db.read() as session:
        logins = list(session.scalars(select(User.login).order_by(User.login)))
        titles = sorted(
            {service.title_of("template", t) for t in session.scalars(select(Template))}
        )
        if user.strip() and object.strip():
            try:
                found = service.explain(session, who.actor, user.strip(), kind, object.strip())
            except DocshelfError as exc:
                error, status_code = exc.message, error_status(exc)
    return page(
        request,
        "explain.html",
        visitor=who,
        logins=logins,
        titles=titles,
        kinds=[(k, kind_label(k)) for k in service.KINDS],
        values={"user": user, "kind": kind, "object": object},
        found=found,
        error=error,
        status_code=status_code,
    )
