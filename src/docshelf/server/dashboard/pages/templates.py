"""Templates: a filterable list, one template's details, and deactivating, restoring and
deleting for good (the last only after a confirmation the server checks)."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, NotFound
from docshelf.domain.permissions import can_administer_template
from docshelf.domain.templates import FILE_KINDS, PublicationStatus
from docshelf.i18n import N_, ntr, tr
from docshelf.server import convert
from docshelf.server.dashboard.forms import (
    confirmed,
    principal_names,
    refuse,
    require_section,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.pages.history import deleted_rows, version_rows
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Template, TemplateGroup
from docshelf.server.services import templates as template_service
from docshelf.server.services.template_tags import FileTags, template_tags

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "templates"
STATUSES = tuple(s.value for s in PublicationStatus)
STATES = ("active", "deactivated")


@dataclass(frozen=True)
class Filters:
    group: str = ""
    status: str = ""
    state: str = ""
    kind: str = ""

    def keep(self, row: Template) -> bool:
        return (
            (not self.group or row.group_id == self.group)
            and (not self.status or row.status == self.status)
            and (not self.state or row.active == (self.state == "active"))
            and (not self.kind or row.kind == self.kind)
        )


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    group: str
    kind: str
    status: str
    active: bool
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class TagsRow:
    """One file's tags as the page shows them."""

    lang: str
    filename: str
    tags: list[str]
    unknown: list[str]
    summary: str  # "1 unknown tag: field:telefon", or that all are known, or why unreadable
    warn: bool  # unknown tags or an unreadable file: the layouter has something to fix


def tags_summary(found: FileTags) -> str:
    if found.error is not None:
        return tr("File cannot be read: {reason}", reason=found.error)
    if not found.tags:
        return tr("No tags: a new document is a copy of the file.")
    if not found.unknown:
        return tr("Every tag names a field, an image field or a snippet.")
    return ntr(
        "{n} unknown tag: {tags}",
        "{n} unknown tags: {tags}",
        len(found.unknown),
        tags=", ".join(tag.text for tag in found.unknown),
    )


def _tags_rows(found: list[FileTags]) -> list[TagsRow]:
    return [
        TagsRow(
            lang=f.lang,
            filename=f.filename,
            tags=[tag.text for tag in f.tags],
            unknown=[tag.text for tag in f.unknown],
            summary=tags_summary(f),
            warn=bool(f.unknown) or f.error is not None,
        )
        for f in found
    ]


def _template_url(template_id: str) -> str:
    return f"{PATH}/templates/{template_id}"


def _filters(request: Request, groups: dict[str, str]) -> Filters:
    """Unknown values count as "all": a stale bookmark still shows a list."""
    query = request.query_params

    def pick(name: str, allowed: Container[str]) -> str:
        value = query.get(name, "")
        return value if value and value in allowed else ""

    return Filters(
        group=pick("group", groups),
        status=pick("status", STATUSES),
        state=pick("state", STATES),
        kind=pick("kind", FILE_KINDS),
    )


def _group_titles(session: Session, language: str) -> dict[str, str]:
    rows = session.scalars(select(TemplateGroup).order_by(TemplateGroup.order, TemplateGroup.id))
    return {g.id: localized(g.titles, language, g.id) for g in rows}


@router.get("/templates", response_class=HTMLResponse)
def list_templates(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    language = who.language
    with state_of(request).db.read() as session:
        groups = _group_titles(session, language)
        chosen = _filters(request, groups)
        rows = [
            Row(
                id=t.id,
                title=localized(t.titles, language, t.id),
                group=groups.get(t.group_id or "", ""),
                kind=t.kind,
                status=t.status,
                active=t.active,
                version=t.version,
                updated_at=t.updated_at,
            )
            for t in template_service.visible_for_admin(session, who.actor)
            if chosen.keep(t)
        ]
        deleted = deleted_rows(session, who.actor, "template", language)
    return page(
        request,
        "templates.html",
        visitor=who,
        templates=rows,
        filters=chosen,
        groups=groups,
        statuses=STATUSES,
        states=STATES,
        kinds=sorted(FILE_KINDS),
        deleted=deleted,
    )


def _administered(session: Session, actor: Actor, template_id: str) -> Template:
    """As the API: a template the visitor may not administer answers like a missing one."""
    row = session.get(Template, template_id)
    if row is None or not can_administer_template(actor, convert.template(row)):
        raise NotFound(f"There is no template with id {template_id!r} that you may change.")
    return row


@router.get("/templates/{template_id}", response_class=HTMLResponse)
def show_template(request: Request, who: CurrentVisitor, template_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    language = who.language
    with state_of(request).db.read() as session:
        row = _administered(session, who.actor, template_id)
        group = session.get(TemplateGroup, row.group_id) if row.group_id else None
        use = principal_names(session, row.use_rights)
        change = principal_names(session, row.change_rights)
        files = list(row.files)
        tags = _tags_rows(template_tags(session, state_of(request).blobs, row))
        versions = version_rows(session, who.actor, "template", row.id)
    languages = sorted(set(row.titles) | set(row.descriptions))
    return page(
        request,
        "template.html",
        visitor=who,
        tpl=row,
        title=localized(row.titles, language, row.id),
        group=localized(group.titles, language, group.id) if group else "",
        languages=languages,
        files=files,
        tags=tags,
        use_rights=use,
        change_rights=change,
        versions=versions,
    )


Action = Callable[[Change, Actor, Template], object]
# What each button does, and the sentence that confirms it.
_ACTIONS: dict[str, tuple[Action, str]] = {
    "deactivate": (template_service.deactivate, N_("Template “{title}” deactivated.")),
    "restore": (template_service.restore, N_("Template “{title}” restored.")),
    "purge": (template_service.purge, N_("Template “{title}” deleted permanently.")),
}


def _act(request: Request, who: CurrentVisitor, template_id: str, action: str) -> Response:
    """The service decides who may: deactivating needs the Change right, restoring and
    purging are the Sys's."""
    require_section(who, SECTION)
    apply, done = _ACTIONS[action]
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            row = _administered(change.session, who.actor, template_id)
            title = localized(row.titles, who.language, row.id)
            apply(change, who.actor, row)
    except NotFound:
        raise
    except DocshelfError as exc:
        return refuse(_template_url(template_id), exc.message, request)
    # A purged template has no page left to go back to.
    to = f"{PATH}/templates" if action == "purge" else _template_url(template_id)
    return redirect(to, flash=tr(done, title=title), request=request)


@router.post("/templates/{template_id}/deactivate", response_model=None)
def deactivate_template(
    request: Request, who: CurrentVisitor, form: CheckedForm, template_id: str
) -> Response:
    return _act(request, who, template_id, "deactivate")


@router.post("/templates/{template_id}/restore", response_model=None)
def restore_template(
    request: Request, who: CurrentVisitor, form: CheckedForm, template_id: str
) -> Response:
    return _act(request, who, template_id, "restore")


@router.post("/templates/{template_id}/purge", response_model=None)
def purge_template(
    request: Request, who: CurrentVisitor, form: CheckedForm, template_id: str
) -> Response:
    require_section(who, SECTION)
    if not confirmed(form):
        return refuse(
            _template_url(template_id),
            tr("Nothing was deleted: first confirm that this cannot be undone."),
            request,
        )
    return _act(request, who, template_id, "purge")
