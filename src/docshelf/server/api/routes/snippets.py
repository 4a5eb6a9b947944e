"""Administration of snippets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.audit import API
from docshelf.domain.errors import NotFound
from docshelf.i18n import tr
from docshelf.protocol.admin import SnippetCreate, SnippetUpdate
from docshelf.protocol.records import SnippetRecord
from docshelf.protocol.types import Id
from docshelf.server import convert
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Limit, Offset
from docshelf.server.db.models import Snippet, Template
from docshelf.server.services import snippets

router = APIRouter(prefix="/admin", tags=["admin: snippets"])


def _visible(session: Session, actor: Actor, row: Snippet) -> bool:
    parent = session.get(Template, row.template_id) if row.template_id else None
    parent_domain = convert.template(parent) if parent is not None else None
    domain = convert.snippet(row)
    return rules.can_see_snippet(actor, domain, parent_domain) or rules.can_change_snippet(
        actor, domain, parent_domain
    )


def _get(session: Session, actor: Actor, snippet_id: str) -> Snippet:
    row = session.get(Snippet, snippet_id)
    if row is None or not _visible(session, actor, row):
        raise NotFound(tr("There is no snippet with id {snippet_id!r}.", snippet_id=snippet_id))
    return row


@router.get("/snippets", operation_id="list_snippets", response_model=list[SnippetRecord])
def list_snippets(
    actor: CurrentActor,
    state: State,
    kind: Annotated[str | None, Query(pattern=r"^(personal|shared|template)$")] = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[SnippetRecord]:
    """Snippets the caller may see or change."""
    with state.db.read() as session:
        query = select(Snippet).order_by(Snippet.title, Snippet.id)
        if kind is not None:
            query = query.where(Snippet.kind == kind)
        rows = [s for s in session.scalars(query) if _visible(session, actor, s)]
        return [convert.snippet_record(s) for s in rows[offset : offset + limit]]


@router.post(
    "/snippets", operation_id="create_snippet", response_model=SnippetRecord, status_code=201
)
def create_snippet(body: SnippetCreate, actor: CurrentActor, state: State) -> SnippetRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = snippets.create_snippet(change, actor, state.blobs, body.patch())
        return convert.snippet_record(row)


@router.get("/snippets/{snippet_id}", operation_id="get_snippet", response_model=SnippetRecord)
def get_snippet(snippet_id: Id, actor: CurrentActor, state: State) -> SnippetRecord:
    with state.db.read() as session:
        return convert.snippet_record(_get(session, actor, snippet_id))


@router.patch("/snippets/{snippet_id}", operation_id="update_snippet", response_model=SnippetRecord)
def update_snippet(
    snippet_id: Id, body: SnippetUpdate, actor: CurrentActor, state: State
) -> SnippetRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _get(change.session, actor, snippet_id)
        snippets.update_snippet(
            change, actor, state.blobs, row, body.patch(), expected_version=body.expected_version
        )
        return convert.snippet_record(row)


@router.delete("/snippets/{snippet_id}", operation_id="delete_snippet", status_code=204)
def delete_snippet(snippet_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        snippets.delete_snippet(change, actor, _get(change.session, actor, snippet_id))
