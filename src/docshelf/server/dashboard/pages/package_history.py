"""Undoing a package import in the dashboard: preview (with the objects changed since the
import to choose), confirm, report. The list of imports is on the packages page.

The confirmation carries the preview's plan: the revert does exactly what was shown, or
nothing if objects changed meanwhile.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from docshelf.domain.errors import DocshelfError
from docshelf.server.dashboard.forms import require_section, text, texts
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.packages import service

router = APIRouter(route_class=InVisitorLanguage)


@router.get("/packages/imports/{import_id}/revert", response_class=HTMLResponse)
def revert_preview(import_id: int, request: Request, who: CurrentVisitor) -> Response:
    require_section(who, "packages")
    include = [v for v in request.query_params.getlist("include") if v]
    try:
        preview = service.revert_preview(state_of(request), who.actor, import_id, include)
    except DocshelfError as exc:
        return redirect(f"{PATH}/packages", flash=exc.message, kind="error", request=request)
    return page(request, "packages_revert.html", visitor=who, preview=preview)


@router.post("/packages/imports/{import_id}/revert", response_model=None)
def revert(import_id: int, request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, "packages")
    include = [v for v in texts(form, "include") if v]
    plan = text(form, "plan")
    try:
        report = service.revert(state_of(request), who.actor, import_id, include, plan or None)
    except DocshelfError as exc:
        back = f"{PATH}/packages/imports/{import_id}/revert"
        return redirect(back, flash=exc.message, kind="error", request=request)
    return page(request, "packages_revert_report.html", visitor=who, report=report)
