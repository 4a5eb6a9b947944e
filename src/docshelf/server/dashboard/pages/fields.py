"""Definitions of user and unit fields: Sys defines, relabels, reorders and deletes them;
Org, who fills in unit fields, sees them read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, NotFound
from docshelf.domain.fields import FieldScope, FieldType
from docshelf.domain.patches import FieldDefinitionPatch
from docshelf.domain.permissions import can_manage_field_definitions
from docshelf.i18n import tr
from docshelf.server.dashboard.forms import (
    delete_confirmed,
    error_status,
    number,
    require_section,
    text,
    version,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.db.engine import Change
from docshelf.server.db.models import FieldDefinition
from docshelf.server.services import fields as field_service
from docshelf.server.services.common import get_or_404

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "fields"
SCOPES = tuple(s.value for s in FieldScope)
TYPES = tuple(t.value for t in FieldType)
# The dashboard's languages; labels in others (from a package, say) are kept as they are.
LABEL_LANGUAGES = ("de", "en")
_EMPTY = {"key": "", "scope": "user", "type": "text", "label_de": "", "label_en": "", "order": "0"}


def _field_url(field_id: str) -> str:
    return f"{PATH}/fields/{field_id}"


def _labels(form: FormData, current: dict[str, str] | None = None) -> dict[str, str]:
    labels = {k: v for k, v in (current or {}).items() if k not in LABEL_LANGUAGES}
    for language in LABEL_LANGUAGES:
        value = text(form, f"label_{language}")
        if value:
            labels[language] = value
    return labels


def _order(form: FormData) -> int:
    return number(text(form, "order"), tr("The order must be a whole number."))


def _list_page(
    request: Request,
    who: CurrentVisitor,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        rows = list(
            session.scalars(
                select(FieldDefinition).order_by(
                    FieldDefinition.scope, FieldDefinition.order, FieldDefinition.key
                )
            )
        )
    return page(
        request,
        "fields.html",
        visitor=who,
        fields=rows,
        may_edit=can_manage_field_definitions(who.actor),
        scopes=SCOPES,
        types=TYPES,
        values=values or _EMPTY,
        error=error,
        status_code=status_code,
    )


@router.get("/fields", response_class=HTMLResponse)
def list_fields(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    return _list_page(request, who)


@router.post("/fields", response_model=None)
def create_field(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, SECTION)
    values = {name: text(form, name) for name in _EMPTY}
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            patch = FieldDefinitionPatch(
                key=values["key"],
                scope=values["scope"],
                type=values["type"],
                labels=_labels(form),
                order=_order(form),
            )
            row = field_service.create_field(change, who.actor, patch)
    except DocshelfError as exc:
        return _list_page(request, who, values, exc.message, error_status(exc))
    flash = tr("Field {name} defined.", name=row.key)
    return redirect(f"{PATH}/fields", flash=flash, request=request)


def _detail_page(
    request: Request,
    who: CurrentVisitor,
    field_id: str,
    *,
    edited: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        row = get_or_404(session, FieldDefinition, field_id, "field")
    values = edited or {
        "label_de": str(row.labels.get("de", "")),
        "label_en": str(row.labels.get("en", "")),
        "order": str(row.order),
        "version": str(row.version),
    }
    return page(
        request,
        "field.html",
        visitor=who,
        field=row,
        values=values,
        may_edit=can_manage_field_definitions(who.actor),
        error=error,
        status_code=status_code,
    )


@router.get("/fields/{field_id}", response_class=HTMLResponse)
def show_field(request: Request, who: CurrentVisitor, field_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    return _detail_page(request, who, field_id)


@router.post("/fields/{field_id}", response_model=None)
def update_field(
    request: Request, who: CurrentVisitor, form: CheckedForm, field_id: str
) -> Response:
    require_section(who, SECTION)
    edited = {name: text(form, name) for name in ("label_de", "label_en", "order", "version")}
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            row = get_or_404(change.session, FieldDefinition, field_id, "field")
            field_service.update_field(
                change,
                who.actor,
                row,
                FieldDefinitionPatch(labels=_labels(form, dict(row.labels)), order=_order(form)),
                expected_version=version(form),
            )
    except NotFound:
        raise
    except DocshelfError as exc:
        return _detail_page(
            request, who, field_id, edited=edited, error=exc.message, status_code=error_status(exc)
        )
    return redirect(_field_url(field_id), flash=tr("Saved."), request=request)


@router.post("/fields/{field_id}/delete", response_model=None)
def delete_field(
    request: Request, who: CurrentVisitor, form: CheckedForm, field_id: str
) -> Response:
    require_section(who, SECTION)

    def delete(change: Change) -> tuple[str, str]:
        row = get_or_404(change.session, FieldDefinition, field_id, "field")
        field_service.delete_field(change, who.actor, row)
        return tr("Field {name} deleted.", name=row.key), f"{PATH}/fields"

    return delete_confirmed(request, who, form, page_url=_field_url(field_id), delete=delete)
