"""Applying a plan: every object through the same service functions as the API, all in
the one change the caller opened, so that clients receive the import as one step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, DocshelfError, Forbidden, InvalidInput, NotFound
from docshelf.domain.packages import (
    Action,
    FieldEntry,
    GroupEntry,
    SnippetEntry,
    TemplateEntry,
    UnitEntry,
    describe_error,
)
from docshelf.domain.patches import (
    FieldDefinitionPatch,
    P,
    SnippetPatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    patch_from,
    set_attributes,
)
from docshelf.server.blobstore import CHUNK, BlobStore
from docshelf.server.db.engine import Change
from docshelf.server.db.models import FieldDefinition, Snippet, Template, TemplateGroup, Unit
from docshelf.server.packages.plan import Plan, Step
from docshelf.server.packages.reader import ExtractedPackage
from docshelf.server.services import fields, snippets, templates, units
from docshelf.server.services.common import get_or_404
from docshelf.server.services.files import register_blob

# Kinds of refusal a service may raise for one object; re-raised naming that object.
_REFUSALS: tuple[type[DocshelfError], ...] = (InvalidInput, Forbidden, Conflict, NotFound)


def store_files(blobs: BlobStore, package: ExtractedPackage) -> None:
    """Put the package's files into the file store, verified by their SHA-256.

    Done before the import's transaction, which then only records them: copying large
    files must not hold the database's write lock. Should the transaction fail, the files
    stay unrecorded, and unreadable to anyone, like any upload that was never used."""
    for sha, path in package.files.items():
        if not blobs.has(sha):
            blobs.put_chunks(_chunks(path), expected_sha256=sha)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def apply_plan(
    change: Change, actor: Actor, blobs: BlobStore, plan: Plan, package: ExtractedPackage
) -> None:
    for sha, path in sorted(package.files.items()):
        register_blob(change.session, sha, path.stat().st_size)
    apply_steps(change, actor, blobs, plan.steps)


def apply_steps(change: Change, actor: Actor, blobs: BlobStore, steps: list[Step]) -> None:
    """Each added or changed object through its service (also a revert's, see revert.py)."""
    for step in steps:
        if step.item.action is Action.UNCHANGED:
            continue
        try:
            _APPLY[step.item.kind](change, actor, blobs, step)
            # Written now, so that the objects after it find it (a template its new group).
            change.session.flush()
        except _REFUSALS as exc:
            base = next(b for b in _REFUSALS if isinstance(exc, b))
            raise base(describe_error(exc, step.entry), title=exc.title) from exc


# A package names a snippet's body "body"; the patch, by what it holds.
_PATCH_NAMES = {"body": "body_sha256"}


def _patch(patch_type: type[P], step: Step, **values: Any) -> P:
    """The plan step as a patch. An added object's: all the package's values. A changed
    object's: the attributes the plan found changed, with the package's values (an
    attribute the plan leaves alone stays unset)."""
    if _added(step):
        named = values
    else:
        named = {name: v for name, v in values.items() if name in step.item.changes}
    patch = {_PATCH_NAMES.get(name, name): v for name, v in named.items()}
    if _added(step):
        # Checked by the create service, after it has checked the caller's rights.
        return patch_type(**patch)
    return patch_from(patch_type, patch)


def _added(step: Step) -> bool:
    return step.item.action is Action.ADDED


def _field(change: Change, actor: Actor, blobs: BlobStore, step: Step) -> None:
    entry = step.entry
    assert isinstance(entry, FieldEntry)
    # What only a creation sets; a change of it the plan refuses.
    fixed = {"key": entry.key, "scope": entry.scope, "type": entry.type}
    created = fixed if _added(step) else {}
    patch = _patch(
        FieldDefinitionPatch, step, **created, labels=dict(entry.labels), order=entry.order
    )
    if _added(step):
        fields.create_field(change, actor, patch)
        return
    row = change.session.scalars(
        select(FieldDefinition).where(FieldDefinition.key == entry.key)
    ).one()
    fields.update_field(change, actor, row, patch)


def _unit(change: Change, actor: Actor, blobs: BlobStore, step: Step) -> None:
    entry = step.entry
    assert isinstance(entry, UnitEntry)
    row = None if _added(step) else get_or_404(change.session, Unit, entry.id, "unit")
    # The package's values replace the unit's: what it doesn't name is inherited again.
    values: dict[str, str | None] = {}
    if row is not None:
        values = {key: None for key in row.fields if key not in entry.fields}
    values.update(entry.fields)
    patch = _patch(
        UnitPatch,
        step,
        title=entry.title,
        parent_id=entry.parent_id,
        fields=values,
        assignable_by=list(entry.assignable_by) if entry.assignable_by is not None else None,
        order=entry.order,
    )
    if row is None:
        units.create_unit(change, actor, patch, unit_id=entry.id)
    else:
        units.update_unit(change, actor, row, patch)


def _group(change: Change, actor: Actor, blobs: BlobStore, step: Step) -> None:
    entry = step.entry
    assert isinstance(entry, GroupEntry)
    patch = _patch(
        TemplateGroupPatch,
        step,
        titles=dict(entry.titles),
        parent_id=entry.parent_id,
        order=entry.order,
    )
    if _added(step):
        templates.create_group(change, actor, patch, group_id=entry.id)
        return
    row = get_or_404(change.session, TemplateGroup, entry.id, "template group")
    templates.update_group(change, actor, row, patch)


def _template(change: Change, actor: Actor, blobs: BlobStore, step: Step) -> None:
    entry = step.entry
    assert isinstance(entry, TemplateEntry)
    changes = step.item.changes
    if _added(step):
        patch = _template_patch(step, kind=entry.kind, change_rights=list(entry.change_rights))
        row = templates.create_template(change, actor, patch, template_id=entry.id)
        languages = sorted(entry.files)
    else:
        row = get_or_404(change.session, Template, entry.id, "template")
        if "active" in changes:
            templates.restore(change, actor, row)
        _update_template(change, actor, row, step)
        languages = sorted(c.removeprefix("files.") for c in changes if c.startswith("files."))
    for lang in languages:
        file = entry.files.get(lang)
        if file is None:
            templates.remove_file(change, actor, row, lang)
        else:
            templates.set_file(
                change,
                actor,
                blobs,
                row,
                lang=lang,
                sha256=file.file.sha256,
                filename=file.filename,
            )


def _update_template(change: Change, actor: Actor, row: Template, step: Step) -> None:
    # As planned: with the importing layouter's own right, so they keep it.
    patch = _template_patch(step, change_rights=_as_list(step.desired["change_rights"]))
    if set_attributes(patch):
        templates.update_template(change, actor, row, patch)


def _template_patch(step: Step, **values: Any) -> TemplatePatch:
    entry = step.entry
    assert isinstance(entry, TemplateEntry)
    return _patch(
        TemplatePatch,
        step,
        titles=dict(entry.titles),
        descriptions=dict(entry.descriptions),
        group_id=entry.group_id,
        status=entry.status,
        use_rights=list(entry.use_rights),
        order=entry.order,
        **values,
    )


def _as_list(value: object) -> list[str]:
    assert isinstance(value, tuple)
    return [str(v) for v in value]


def _snippet(change: Change, actor: Actor, blobs: BlobStore, step: Step) -> None:
    entry = step.entry
    assert isinstance(entry, SnippetEntry)
    fixed = {"kind": entry.kind, "template_id": entry.template_id}
    created = fixed if _added(step) else {}
    patch = _patch(
        SnippetPatch,
        step,
        **created,
        title=entry.title,
        read_rights=_as_list(step.desired["read_rights"]),
        write_rights=_as_list(step.desired["write_rights"]),
        body=entry.body.sha256 if entry.body is not None else None,
        body_format=entry.body_format,
    )
    if _added(step):
        snippets.create_snippet(change, actor, blobs, patch, snippet_id=entry.id)
        return
    row = get_or_404(change.session, Snippet, entry.id, "snippet")
    snippets.update_snippet(change, actor, blobs, row, patch)


_APPLY: dict[str, Callable[[Change, Actor, BlobStore, Step], None]] = {
    "field": _field,
    "unit": _unit,
    "template_group": _group,
    "template": _template,
    "snippet": _snippet,
}
