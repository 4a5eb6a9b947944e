"""Shared and template snippets: the list, one snippet's details, deleting one.

Personal snippets are their owners' business and stay out of the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import NotFound
from docshelf.domain.snippets import SnippetFormat, SnippetKind
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore
from docshelf.server.dashboard.forms import (
    PrincipalNames,
    delete_confirmed,
    require_section,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.pages.history import deleted_rows, version_rows
from docshelf.server.dashboard.render import page
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Blob, Snippet, Template
from docshelf.server.services import snippets as snippet_service

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "snippets"
KINDS = (SnippetKind.SHARED.value, SnippetKind.TEMPLATE.value)
PREVIEW_CHARS = 2000


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    kind: str
    format: str
    read_rights: list[str]
    write_rights: list[str]
    template_id: str | None
    template: str
    updated_at: datetime


def _snippet_url(snippet_id: str) -> str:
    return f"{PATH}/snippets/{snippet_id}"


def _visible(session: Session, actor: Actor, row: Snippet) -> bool:
    """As the API's list: what the visitor may see or change."""
    if row.kind not in KINDS:
        return False
    parent = session.get(Template, row.template_id) if row.template_id else None
    parent_domain = convert.template(parent) if parent is not None else None
    domain = convert.snippet(row)
    return rules.can_see_snippet(actor, domain, parent_domain) or rules.can_change_snippet(
        actor, domain, parent_domain
    )


def _rows(session: Session, rows: list[Snippet], language: str) -> list[Row]:
    parent_ids = {r.template_id for r in rows if r.template_id}
    parents = {
        p.id: localized(p.titles, language, p.id)
        for p in session.scalars(select(Template).where(Template.id.in_(parent_ids)))
    }
    names = PrincipalNames(session, (p for r in rows for p in (*r.read_rights, *r.write_rights)))
    return [
        Row(
            id=row.id,
            title=row.title,
            kind=row.kind,
            format=row.body_format,
            read_rights=names(row.read_rights),
            write_rights=names(row.write_rights),
            template_id=row.template_id,
            template=parents.get(row.template_id or "", ""),
            updated_at=row.updated_at,
        )
        for row in rows
    ]


@router.get("/snippets", response_class=HTMLResponse)
def list_snippets(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    kind = request.query_params.get("kind", "")
    kind = kind if kind in KINDS else ""
    query = select(Snippet).where(Snippet.kind.in_([kind] if kind else KINDS))
    with state_of(request).db.read() as session:
        found = session.scalars(query.order_by(Snippet.title, Snippet.id))
        rows = _rows(session, [s for s in found if _visible(session, who.actor, s)], who.language)
        deleted = deleted_rows(session, who.actor, "snippet", who.language)
    return page(
        request,
        "snippets.html",
        visitor=who,
        snippets=rows,
        kinds=KINDS,
        kind=kind,
        deleted=deleted,
    )


def _get(session: Session, actor: Actor, snippet_id: str) -> Snippet:
    row = session.get(Snippet, snippet_id)
    if row is None or not _visible(session, actor, row):
        raise NotFound(f"There is no snippet with id {snippet_id!r}.")
    return row


def _preview(blobs: BlobStore, row: Snippet) -> str | None:
    """The start of a text or HTML body, shown as text (never rendered as HTML)."""
    if row.body_sha256 is None or row.body_format == SnippetFormat.DOCX:
        return None
    try:
        with blobs.open(row.body_sha256) as f:
            head = f.read(PREVIEW_CHARS * 4)
    except NotFound:
        return None
    text = head.decode("utf-8", errors="replace")
    return text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")


@router.get("/snippets/{snippet_id}", response_class=HTMLResponse)
def show_snippet(request: Request, who: CurrentVisitor, snippet_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    state = state_of(request)
    with state.db.read() as session:
        row = _get(session, who.actor, snippet_id)
        details = _rows(session, [row], who.language)[0]
        blob = session.get(Blob, row.body_sha256) if row.body_sha256 else None
        versions = version_rows(session, who.actor, "snippet", row.id)
    return page(
        request,
        "snippet.html",
        visitor=who,
        snippet=row,
        details=details,
        size=blob.size if blob else None,
        preview=_preview(state.blobs, row),
        versions=versions,
    )


@router.post("/snippets/{snippet_id}/delete", response_model=None)
def delete_snippet(
    request: Request, who: CurrentVisitor, form: CheckedForm, snippet_id: str
) -> Response:
    require_section(who, SECTION)

    def delete(change: Change) -> tuple[str, str]:
        row = _get(change.session, who.actor, snippet_id)
        snippet_service.delete_snippet(change, who.actor, row)
        return tr("Snippet “{title}” deleted.", title=row.title), f"{PATH}/snippets"

    return delete_confirmed(request, who, form, page_url=_snippet_url(snippet_id), delete=delete)
