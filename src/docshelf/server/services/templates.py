"""Template groups and templates: create, edit, publish, deactivate, restore, purge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor, Role
from docshelf.domain.errors import Conflict
from docshelf.domain.ids import new_id
from docshelf.domain.patches import TemplateGroupPatch, TemplatePatch, checked, checked_new
from docshelf.domain.permissions import require
from docshelf.domain.principals import user_principal
from docshelf.domain.templates import (
    PublicationStatus,
    check_file_matches_kind,
    check_filename,
    parse_kind,
)
from docshelf.domain.text import check_language
from docshelf.domain.trees import check_move
from docshelf.i18n import N_, tr
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Snippet, Template, TemplateFile, TemplateGroup
from docshelf.server.services.common import (
    Applier,
    Writer,
    apply_new,
    apply_patch,
    check_version,
    get_or_404,
)
from docshelf.server.services.files import require_blob

KIND = "template"
GROUP_KIND = "template_group"
_NO_CHANGE = N_("You do not hold the Change right on this template.")


# --- template groups -------------------------------------------------------------------


def create_group(
    change: Change,
    actor: Actor,
    patch: TemplateGroupPatch,
    *,
    group_id: str | None = None,
) -> TemplateGroup:
    require(
        rules.can_manage_template_groups(actor), tr("Only layouters may create template groups.")
    )
    row = TemplateGroup(id=group_id or new_id(), parent_id=None, titles={}, order=0)
    apply_new(Writer(change, actor), row, checked_new(patch), _GROUP_APPLIERS)
    return change.add(row, GROUP_KIND)


def update_group(
    change: Change,
    actor: Actor,
    row: TemplateGroup,
    patch: TemplateGroupPatch,
    *,
    expected_version: int | None = None,
) -> TemplateGroup:
    require(
        rules.can_manage_template_groups(actor), tr("Only layouters may change template groups.")
    )
    check_version(row, expected_version, "template group")
    apply_patch(Writer(change, actor), row, checked(patch), _GROUP_APPLIERS)
    return change.touch(row)


def _group_parent(writer: Writer, row: TemplateGroup, parent_id: str | None) -> None:
    session = writer.change.session
    if parent_id is not None:
        get_or_404(session, TemplateGroup, parent_id, "template group")
    rows = session.execute(select(TemplateGroup.id, TemplateGroup.parent_id))
    parents = {group: parent for group, parent in rows}
    check_move(row.id, parent_id, parents, "template group")
    row.parent_id = parent_id


def _set(name: str) -> Applier[Any]:
    """Applies a value that needs no more checks than the registry's."""

    def apply(writer: Writer, row: Any, value: Any) -> None:
        setattr(row, name, list(value) if isinstance(value, tuple) else value)

    return apply


_GROUP_APPLIERS: dict[str, Applier[TemplateGroup]] = {
    "titles": _set("titles"),
    "parent_id": _group_parent,
    "order": _set("order"),
}


def delete_group(change: Change, actor: Actor, row: TemplateGroup) -> None:
    require(
        rules.can_manage_template_groups(actor), tr("Only layouters may delete template groups.")
    )
    session = change.session
    if session.scalar(select(TemplateGroup.id).where(TemplateGroup.parent_id == row.id).limit(1)):
        raise Conflict(tr("The template group has sub-groups; move or delete them first."))
    if session.scalar(select(Template.id).where(Template.group_id == row.id).limit(1)):
        raise Conflict(tr("The template group still holds templates; move or delete them first."))
    change.delete(row, GROUP_KIND)


# --- templates -------------------------------------------------------------------------


def create_template(
    change: Change,
    actor: Actor,
    patch: TemplatePatch,
    *,
    template_id: str | None = None,
) -> Template:
    require(rules.can_create_templates(actor), tr("Only layouters may create templates."))
    patch = checked_new(patch)
    assert isinstance(patch.kind, str)
    row = Template(
        id=template_id or new_id(),
        group_id=None,
        kind=patch.kind,
        status=PublicationStatus.IN_PROGRESS.value,
        active=True,
        titles={},
        descriptions={},
        use_rights=["*"],
        change_rights=[],
        order=0,
    )
    apply_new(Writer(change, actor), row, patch, _TEMPLATE_APPLIERS)
    changers = set(row.change_rights)
    if not actor.is_sys and actor.has_role(Role.LAYOUTER) and not actor.holds(changers):
        # A layouter who creates a template must be able to go on editing it (Sys always can).
        changers.add(user_principal(actor.user_id))
    row.change_rights = sorted(changers)
    return change.add(row, KIND)


def update_template(
    change: Change,
    actor: Actor,
    row: Template,
    patch: TemplatePatch,
    *,
    expected_version: int | None = None,
) -> Template:
    require(rules.can_change_template(actor, convert.template(row)), tr(_NO_CHANGE))
    check_version(row, expected_version, "template")
    before = _audience(row)
    apply_patch(Writer(change, actor), row, checked(patch), _TEMPLATE_APPLIERS)
    _follow_audience(change, row, before)
    return change.touch(row)


def _template_group(writer: Writer, row: Template, group_id: str | None) -> None:
    if group_id is not None:
        get_or_404(writer.change.session, TemplateGroup, group_id, "template group")
    row.group_id = group_id


_TEMPLATE_APPLIERS: dict[str, Applier[Template]] = {
    "titles": _set("titles"),
    "descriptions": _set("descriptions"),
    "group_id": _template_group,
    "status": _set("status"),
    "use_rights": _set("use_rights"),
    "change_rights": _set("change_rights"),
    "order": _set("order"),
}


def _audience(row: Template) -> tuple[object, ...]:
    """What decides who sees a template (and so its template snippets)."""
    return (row.status, row.active, tuple(row.use_rights), tuple(row.change_rights))


def _follow_audience(change: Change, row: Template, before: tuple[object, ...]) -> None:
    """Template snippets are seen by whoever sees their template. When that audience
    changes, the snippets enter the change feed too, so clients gain or drop them."""
    if _audience(row) == before:
        return
    for snippet in change.session.scalars(select(Snippet).where(Snippet.template_id == row.id)):
        change.touch(snippet)


def set_file(
    change: Change,
    actor: Actor,
    blobs: BlobStore,
    row: Template,
    *,
    lang: str,
    sha256: str,
    filename: str,
    expected_version: int | None = None,
) -> Template:
    """Make an uploaded file the template's file for one language."""
    require(rules.can_change_template(actor, convert.template(row)), tr(_NO_CHANGE))
    check_version(row, expected_version, "template")
    lang = check_language(lang)
    blob = require_blob(change.session, sha256)
    kind = parse_kind(row.kind)
    with blobs.open(sha256) as f:
        check_file_matches_kind(kind, f.read(8))
    name = check_filename(filename)
    if not name.lower().endswith(f".{kind.extension}"):
        # Checked again: the added extension can push the name past its 200 characters.
        name = check_filename(f"{name.rsplit('.', 1)[0]}.{kind.extension}")
    existing = next((f for f in row.files if f.lang == lang), None)
    if existing is None:
        row.files.append(TemplateFile(lang=lang, sha256=sha256, size=blob.size, filename=name))
    else:
        existing.sha256, existing.size, existing.filename = sha256, blob.size, name
    return change.touch(row)


def remove_file(change: Change, actor: Actor, row: Template, lang: str) -> Template:
    require(rules.can_change_template(actor, convert.template(row)), tr(_NO_CHANGE))
    row.files = [f for f in row.files if f.lang != lang]
    return change.touch(row)


def deactivate(change: Change, actor: Actor, row: Template) -> Template:
    """Deleting a template deactivates it: it leaves every client, an admin can restore it."""
    require(rules.can_change_template(actor, convert.template(row)), tr(_NO_CHANGE))
    if row.active:
        before = _audience(row)
        row.active = False
        row.deactivated_at = change.now
        _follow_audience(change, row, before)
        change.touch(row)
    return row


def restore(change: Change, actor: Actor, row: Template) -> Template:
    require(
        rules.can_restore_or_purge_templates(actor),
        tr("Only a system administrator may restore deleted templates."),
    )
    if not row.active:
        before = _audience(row)
        row.active = True
        row.deactivated_at = None
        _follow_audience(change, row, before)
        change.touch(row)
    return row


def purge(change: Change, actor: Actor, row: Template) -> None:
    require(
        rules.can_restore_or_purge_templates(actor),
        tr("Only a system administrator may delete templates for good."),
    )
    if row.active:
        raise Conflict(
            tr(
                "Deactivate the template first; only deactivated templates can be purged.",
            )
        )
    for snippet in change.session.scalars(select(Snippet).where(Snippet.template_id == row.id)):
        change.delete(snippet, "snippet")
    change.delete(row, KIND)


def visible_for_admin(session: Session, actor: Actor) -> list[Template]:
    rows = session.scalars(select(Template).order_by(Template.order, Template.id))
    return [t for t in rows if rules.can_administer_template(actor, convert.template(t))]
