"""The tree of organisational units: creating units and sub-units, renaming them, their
field values, deleting them. For Sys and Org alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from docshelf.domain import units as dunits
from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, NotFound
from docshelf.domain.fields import FieldDef, FieldScope, FieldType
from docshelf.domain.patches import UnitPatch
from docshelf.domain.trees import chain_to_root
from docshelf.i18n import tr
from docshelf.server.dashboard.forms import (
    delete_confirmed,
    error_status,
    field_inputs,
    posted_fields,
    refuse,
    require_section,
    text,
    version,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Unit
from docshelf.server.services import units as unit_service
from docshelf.server.services.common import get_or_404
from docshelf.server.services.fields import definitions

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "units"


@dataclass
class Node:
    id: str
    title: str
    fields: list[tuple[str, str, bool]]  # (label, value, is an image) of its own values
    children: list[Node] = field(default_factory=list)


def _unit_url(unit_id: str) -> str:
    return f"{PATH}/units/{unit_id}"


def _unit_defs(session: Session) -> list[FieldDef]:
    found = [d for d in definitions(session).values() if d.scope is FieldScope.UNIT]
    return sorted(found, key=lambda d: (d.order, d.key))


def _tree(rows: list[Unit], defs: list[FieldDef], language: str) -> list[Node]:
    labels = {d.key: localized(d.labels, language, d.key) for d in defs}
    images = {d.key for d in defs if d.type is FieldType.IMAGE}
    nodes = {
        r.id: Node(
            r.id,
            r.title,
            [(labels[k], str(v), k in images) for k, v in r.fields.items() if k in labels],
        )
        for r in sorted(rows, key=lambda r: (r.order, r.title.lower(), r.id))
    }
    roots: list[Node] = []
    for row in sorted(rows, key=lambda r: (r.order, r.title.lower(), r.id)):
        parent = nodes.get(row.parent_id) if row.parent_id else None
        (parent.children if parent else roots).append(nodes[row.id])
    return roots


@router.get("/units", response_class=HTMLResponse)
def list_units(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    with state_of(request).db.read() as session:
        rows = list(session.scalars(select(Unit)))
        tree = _tree(rows, _unit_defs(session), who.language)
    return page(request, "units.html", visitor=who, tree=tree, count=len(rows))


@router.post("/units", response_model=None)
def create_unit(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, SECTION)
    parent_id = text(form, "parent") or None
    back = _unit_url(parent_id) if parent_id else f"{PATH}/units"
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            patch = UnitPatch(title=text(form, "title"), parent_id=parent_id)
            row = unit_service.create_unit(change, who.actor, patch)
    except DocshelfError as exc:
        return refuse(back, exc.message, request)
    flash = tr("Unit “{title}” created.", title=row.title)
    return redirect(_unit_url(row.id), flash=flash, request=request)


def _detail_page(
    request: Request,
    who: CurrentVisitor,
    unit_id: str,
    *,
    edited: dict[str, object] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        row = get_or_404(session, Unit, unit_id, "unit")
        everything = unit_service.all_units(session)
        defs = _unit_defs(session)
        children = sorted(
            session.scalars(select(Unit).where(Unit.parent_id == row.id)),
            key=lambda r: (r.order, r.title.lower()),
        )
    path = [everything[u] for u in reversed(chain_to_root(row.id, dunits.parents_of(everything)))]
    # What applies where this unit sets nothing: its ancestors' values.
    inherited = (
        {k: str(f.value) for k, f in dunits.resolve_unit_fields(row.parent_id, everything).items()}
        if row.parent_id
        else {}
    )
    values = edited or {"title": row.title, "fields": dict(row.fields), "version": row.version}
    own = values["fields"]
    assert isinstance(own, dict)
    return page(
        request,
        "unit.html",
        visitor=who,
        unit=row,
        path=path[:-1],
        children=children,
        values=values,
        fields=field_inputs(defs, own, who.language, inherited),
        error=error,
        status_code=status_code,
    )


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def show_unit(request: Request, who: CurrentVisitor, unit_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    return _detail_page(request, who, unit_id)


def _field_changes(
    form: FormData, defs: list[FieldDef], current: dict[str, str]
) -> dict[str, str | None]:
    """Set what was typed, reset what was emptied (the parent's value applies again), keep
    images. Values of fields no longer defined are dropped: the service validates the
    merged values and would refuse every edit of this unit because of them."""
    changes: dict[str, str | None] = {
        k: (v if v.strip() else None) for k, v in posted_fields(form, defs).items()
    }
    known = {d.key for d in defs}
    changes.update({k: None for k in current if k not in known})
    return changes


@router.post("/units/{unit_id}", response_model=None)
def update_unit(request: Request, who: CurrentVisitor, form: CheckedForm, unit_id: str) -> Response:
    require_section(who, SECTION)
    edited: dict[str, object] = {
        "title": text(form, "title"),
        "fields": {},
        "version": text(form, "version"),
    }
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            row = get_or_404(change.session, Unit, unit_id, "unit")
            defs = _unit_defs(change.session)
            changes = _field_changes(form, defs, dict(row.fields))
            edited["fields"] = {**row.fields, **{k: v or "" for k, v in changes.items()}}
            unit_service.update_unit(
                change,
                who.actor,
                row,
                UnitPatch(title=text(form, "title"), fields=changes),
                expected_version=version(form),
            )
    except NotFound:
        raise
    except DocshelfError as exc:
        return _detail_page(
            request, who, unit_id, edited=edited, error=exc.message, status_code=error_status(exc)
        )
    return redirect(_unit_url(unit_id), flash=tr("Saved."), request=request)


@router.post("/units/{unit_id}/delete", response_model=None)
def delete_unit(request: Request, who: CurrentVisitor, form: CheckedForm, unit_id: str) -> Response:
    require_section(who, SECTION)

    def delete(change: Change) -> tuple[str, str]:
        row = get_or_404(change.session, Unit, unit_id, "unit")
        unit_service.delete_unit(change, who.actor, row)
        back = _unit_url(row.parent_id) if row.parent_id else f"{PATH}/units"
        return tr("Unit “{title}” deleted.", title=row.title), back

    return delete_confirmed(request, who, form, page_url=_unit_url(unit_id), delete=delete)
