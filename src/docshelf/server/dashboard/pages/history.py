"""The "Versions" section of the template and snippet pages: the kept versions, comparing
two of them, and restoring one (a new change, server/services/history.py); and the
"Deleted" section of the template and snippet lists, restoring a deleted one with its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import DocshelfError, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.domain.packages.changes import change_label
from docshelf.i18n import N_, tr
from docshelf.server.dashboard.forms import principal_names, refuse, require_section
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.dashboard.texts import NONE, label, localized
from docshelf.server.db.models import ObjectVersion, TemplateGroup
from docshelf.server.services import history
from docshelf.server.services.deleted import deleted_objects

router = APIRouter(route_class=InVisitorLanguage)
# kind -> the dashboard section its page belongs to
SECTIONS = {"template": "templates", "snippet": "snippets"}
_RIGHTS = {"use_rights", "change_rights", "read_rights", "write_rights"}
_FILE_CHANGES = {"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")}


@dataclass(frozen=True)
class VersionRow:
    version: int
    seq: int
    at: datetime
    actor: str
    files: str  # the languages with a file, or the body's start of hash
    current: bool
    deleted: bool  # the change that deleted the object (its last state)


@dataclass(frozen=True)
class ValueRow:
    name: str
    before: str
    after: str


def version_rows(
    session: Session, actor: Actor, kind: str, object_id: str
) -> list[VersionRow] | None:
    """The kept versions, newest first; None for a visitor who may not change the object
    (the page then has no Versions section)."""
    try:
        kept = history.list_versions(session, actor, kind, object_id)
    except NotFound:
        return None
    return [
        VersionRow(
            version=v.version,
            seq=v.seq,
            at=v.created_at,
            actor=v.actor,
            files=_files_summary(kind, v),
            current=i == 0 and not v.deleted,
            deleted=v.deleted,
        )
        for i, v in enumerate(kept)
    ]


@dataclass(frozen=True)
class DeletedRow:
    id: str
    title: str
    at: datetime
    actor: str
    restore_version: int
    blocked: str | None


def deleted_rows(session: Session, actor: Actor, kind: str, language: str) -> list[DeletedRow]:
    """The deleted templates (purged) or snippets the visitor may restore, newest first."""
    return [
        DeletedRow(
            id=d.object_id,
            title=localized(d.titles, language, d.title) if d.titles else d.title,
            at=d.deleted_at,
            actor=d.deleted_by,
            restore_version=d.restore_version,
            blocked=d.blocked,
        )
        for d in deleted_objects(session, actor, kind)
    ]


def _files_summary(kind: str, entry: ObjectVersion) -> str:
    if kind == "template":
        return ", ".join(sorted(entry.snapshot.get("files") or {})) or NONE
    sha = entry.snapshot.get("body_sha256")
    return f"{sha[:12]}…" if sha else NONE


def _page_url(kind: str, object_id: str) -> str:
    return f"{PATH}/{SECTIONS[kind]}/{object_id}"


def _list_url(kind: str) -> str:
    return f"{PATH}/{SECTIONS[kind]}#deleted"


def _shown(session: Session, language: str, name: str, value: Any) -> str:
    """A snapshot's value the way the pages show values (labels, names, titles)."""
    if value is None or value == [] or value == {}:
        return NONE
    if name in _RIGHTS:
        return ", ".join(principal_names(session, value))
    if name == "status":
        return label("status", str(value))
    if name == "active":
        return tr("yes") if value else tr("no")
    if name == "body_format":
        return label("snippet_format", str(value))
    if name == "group_id":
        group = session.get(TemplateGroup, value)
        return localized(group.titles, language, group.id) if group else str(value)
    if name == "body_sha256":
        return f"{str(value)[:12]}…"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in sorted(value.items()))
    return str(value)


def _file(value: Any) -> str:
    if not value:
        return NONE
    return f"{value.get('filename', '')} ({str(value.get('sha256', ''))[:12]}…)"


def _compare(request: Request, who: CurrentVisitor, kind: str, object_id: str) -> HTMLResponse:
    require_section(who, SECTIONS[kind])
    query = request.query_params
    with state_of(request).db.read() as session:
        rows = version_rows(session, who.actor, kind, object_id)
        if not rows:
            raise NotFound(
                tr("There is no {what} with id {ident!r}.", what=kind_label(kind), ident=object_id)
            )
        numbers = [r.version for r in rows]

        def pick(name: str, default: int) -> int:
            value = query.get(name, "")
            return int(value) if value.isdigit() and int(value) in numbers else default

        a, b = pick("a", numbers[-1]), pick("b", numbers[0])
        changes = history.compare(session, who.actor, kind, object_id, a, b)
        exists = history.current_version(session, kind, object_id) is not None
        attributes = [
            ValueRow(
                name=change_label("body" if c.name == "body_sha256" else c.name),
                before=_shown(session, who.language, c.name, c.before),
                after=_shown(session, who.language, c.name, c.after),
            )
            for c in changes.attributes
        ]
    files = [
        ValueRow(
            name=f"{f.lang} · {tr(_FILE_CHANGES[f.change])}",
            before=_file(f.before),
            after=_file(f.after),
        )
        for f in changes.files
    ]
    return page(
        request,
        "history_compare.html",
        visitor=who,
        kind=kind,
        object_id=object_id,
        page_url=_page_url(kind, object_id) if exists else _list_url(kind),
        versions=rows,
        a=a,
        b=b,
        attributes=attributes,
        files=files,
    )


def _restore(
    request: Request, who: CurrentVisitor, kind: str, object_id: str, version: int
) -> Response:
    require_section(who, SECTIONS[kind])
    state = state_of(request)
    to = _page_url(kind, object_id)
    with state.db.read() as session:
        # A deleted object has no page to come back to when the restore is refused.
        back = to if history.current_version(session, kind, object_id) else _list_url(kind)
    try:
        with state.db.change(who.actor.login) as change:
            history.restore(change, who.actor, state.blobs, kind, object_id, version)
    except NotFound:
        raise
    except DocshelfError as exc:
        return refuse(back, exc.message, request)
    done = tr(
        "Version {version} restored; clients receive it with their next sync.", version=version
    )
    return redirect(to, flash=done, request=request)


@router.get("/templates/{template_id}/versions/compare", response_class=HTMLResponse)
def compare_template(request: Request, who: CurrentVisitor, template_id: str) -> HTMLResponse:
    return _compare(request, who, "template", template_id)


@router.get("/snippets/{snippet_id}/versions/compare", response_class=HTMLResponse)
def compare_snippet(request: Request, who: CurrentVisitor, snippet_id: str) -> HTMLResponse:
    return _compare(request, who, "snippet", snippet_id)


@router.post("/templates/{template_id}/versions/{version}/restore", response_model=None)
def restore_template(
    request: Request, who: CurrentVisitor, form: CheckedForm, template_id: str, version: int
) -> Response:
    return _restore(request, who, "template", template_id, version)


@router.post("/snippets/{snippet_id}/versions/{version}/restore", response_model=None)
def restore_snippet(
    request: Request, who: CurrentVisitor, form: CheckedForm, snippet_id: str, version: int
) -> Response:
    return _restore(request, who, "snippet", snippet_id, version)
