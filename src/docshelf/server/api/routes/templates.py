"""Administration of template groups and templates (Layouter, Sys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.audit import API
from docshelf.domain.errors import NotFound
from docshelf.domain.patches import TemplatePatch
from docshelf.domain.permissions import can_administer_template
from docshelf.i18n import tr
from docshelf.protocol.admin import (
    FileSet,
    StatusChange,
    TemplateCreate,
    TemplateGroupCreate,
    TemplateGroupUpdate,
    TemplateUpdate,
)
from docshelf.protocol.records import TemplateGroupRecord, TemplateRecord
from docshelf.protocol.types import Id, Lang
from docshelf.server import convert
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Limit, Offset
from docshelf.server.db.models import Template, TemplateGroup
from docshelf.server.services import templates
from docshelf.server.services.common import get_or_404

router = APIRouter(prefix="/admin", tags=["admin: templates"])

StatusFilter = Annotated[str | None, Query(pattern=r"^(in_progress|in_test|released)$")]
KindFilter = Annotated[str | None, Query(max_length=10, pattern=r"^[a-z]+$")]


@router.get(
    "/template-groups",
    operation_id="list_template_groups",
    response_model=list[TemplateGroupRecord],
)
def list_template_groups(actor: CurrentActor, state: State) -> list[TemplateGroupRecord]:
    with state.db.read() as session:
        rows = session.scalars(
            select(TemplateGroup).order_by(TemplateGroup.order, TemplateGroup.id)
        )
        return [convert.template_group_record(r) for r in rows]


@router.post(
    "/template-groups",
    operation_id="create_template_group",
    response_model=TemplateGroupRecord,
    status_code=201,
)
def create_template_group(
    body: TemplateGroupCreate, actor: CurrentActor, state: State
) -> TemplateGroupRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = templates.create_group(change, actor, body.patch())
        return convert.template_group_record(row)


@router.patch(
    "/template-groups/{group_id}",
    operation_id="update_template_group",
    response_model=TemplateGroupRecord,
)
def update_template_group(
    group_id: Id, body: TemplateGroupUpdate, actor: CurrentActor, state: State
) -> TemplateGroupRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = get_or_404(change.session, TemplateGroup, group_id, "template group")
        templates.update_group(
            change, actor, row, body.patch(), expected_version=body.expected_version
        )
        return convert.template_group_record(row)


@router.delete("/template-groups/{group_id}", operation_id="delete_template_group", status_code=204)
def delete_template_group(group_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        row = get_or_404(change.session, TemplateGroup, group_id, "template group")
        templates.delete_group(change, actor, row)


def _administered(session: Session, actor: CurrentActor, template_id: str) -> Template:
    row = session.get(Template, template_id)
    if row is None or not can_administer_template(actor, convert.template(row)):
        raise NotFound(
            tr(
                "There is no template with id {template_id!r} that you may change.",
                template_id=template_id,
            )
        )
    return row


@router.get("/templates", operation_id="list_templates", response_model=list[TemplateRecord])
def list_templates(
    actor: CurrentActor,
    state: State,
    group_id: Id | None = None,
    status: StatusFilter = None,
    kind: KindFilter = None,
    active: bool | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[TemplateRecord]:
    """Templates the caller may administer, whatever their status; filterable."""
    with state.db.read() as session:
        rows = templates.visible_for_admin(session, actor)
        rows = [
            t
            for t in rows
            if (group_id is None or t.group_id == group_id)
            and (status is None or t.status == status)
            and (kind is None or t.kind == kind)
            and (active is None or t.active == active)
        ]
        return [convert.template_record(t) for t in rows[offset : offset + limit]]


@router.post(
    "/templates", operation_id="create_template", response_model=TemplateRecord, status_code=201
)
def create_template(body: TemplateCreate, actor: CurrentActor, state: State) -> TemplateRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = templates.create_template(change, actor, body.patch())
        return convert.template_record(row)


@router.get("/templates/{template_id}", operation_id="get_template", response_model=TemplateRecord)
def get_template(template_id: Id, actor: CurrentActor, state: State) -> TemplateRecord:
    with state.db.read() as session:
        return convert.template_record(_administered(session, actor, template_id))


@router.patch(
    "/templates/{template_id}", operation_id="update_template", response_model=TemplateRecord
)
def update_template(
    template_id: Id, body: TemplateUpdate, actor: CurrentActor, state: State
) -> TemplateRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.update_template(
            change, actor, row, body.patch(), expected_version=body.expected_version
        )
        return convert.template_record(row)


@router.post(
    "/templates/{template_id}/status",
    operation_id="set_template_status",
    response_model=TemplateRecord,
)
def set_template_status(
    template_id: Id, body: StatusChange, actor: CurrentActor, state: State
) -> TemplateRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.update_template(
            change,
            actor,
            row,
            TemplatePatch(status=body.status),
            expected_version=body.expected_version,
        )
        return convert.template_record(row)


@router.put(
    "/templates/{template_id}/files/{lang}",
    operation_id="set_template_file",
    response_model=TemplateRecord,
)
def set_template_file(
    template_id: Id, lang: Lang, body: FileSet, actor: CurrentActor, state: State
) -> TemplateRecord:
    """Use an uploaded file (``PUT /blobs/{sha256}`` first) for one language."""
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.set_file(
            change,
            actor,
            state.blobs,
            row,
            lang=lang,
            sha256=body.sha256,
            filename=body.filename,
            expected_version=body.expected_version,
        )
        return convert.template_record(row)


@router.delete(
    "/templates/{template_id}/files/{lang}",
    operation_id="remove_template_file",
    response_model=TemplateRecord,
)
def remove_template_file(
    template_id: Id, lang: Lang, actor: CurrentActor, state: State
) -> TemplateRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.remove_file(change, actor, row, lang)
        return convert.template_record(row)


@router.post(
    "/templates/{template_id}/deactivate",
    operation_id="deactivate_template",
    response_model=TemplateRecord,
)
def deactivate_template(template_id: Id, actor: CurrentActor, state: State) -> TemplateRecord:
    """Delete a template the way users know it: it leaves every client and can be restored."""
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.deactivate(change, actor, row)
        return convert.template_record(row)


@router.post(
    "/templates/{template_id}/restore",
    operation_id="restore_template",
    response_model=TemplateRecord,
)
def restore_template(template_id: Id, actor: CurrentActor, state: State) -> TemplateRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.restore(change, actor, row)
        return convert.template_record(row)


@router.delete("/templates/{template_id}", operation_id="purge_template", status_code=204)
def purge_template(template_id: Id, actor: CurrentActor, state: State) -> None:
    """Delete a deactivated template for good."""
    with state.db.change(actor.login, origin=API) as change:
        row = _administered(change.session, actor, template_id)
        templates.purge(change, actor, row)
