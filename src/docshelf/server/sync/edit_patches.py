"""An uploaded edit in terms of the services: its values checked, then turned into the
patch of its kind (docshelf.domain.patches) through the registry, for a creation as for
a change, and handed to the kind's service.

Judging conflicts and answering each mutation once is :mod:`.mutations`' part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.edits import (
    CREATE_ONLY,
    EDITABLE,
    Edit,
    EditKind,
    Shape,
    check_edit,
    merge_set,
    split_path,
)
from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import FieldType
from docshelf.domain.kinds import kind_label
from docshelf.domain.patches import REGISTRY, ProfilePatch, TemplatePatch, patch_for
from docshelf.i18n import tr
from docshelf.protocol.auth import Strict
from docshelf.protocol.types import FieldValue, Id, LongText, Order, Sha256, Title
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Profile, Snippet, Template, TemplateGroup, Unit
from docshelf.server.services import profiles, snippets, templates, units, uploads
from docshelf.server.services.common import merge_values
from docshelf.server.services.fields import definitions

# --- the values an edit may set ------------------------------------------------------------


class FileValue(Strict):
    sha256: Sha256
    filename: Title
    # Records carry the size; a client may send the entry back as it got it. The server
    # takes the size of the stored file.
    size: int | None = None


_OptionalId = TypeAdapter(Id | None)
_Title = TypeAdapter(Title)
_OptionalTitle = TypeAdapter(Title | None)
_StrictOrder = TypeAdapter(Annotated[Order, Field(strict=True)])
_OptionalFieldValue = TypeAdapter(FieldValue | None)

_VALUES: dict[tuple[EditKind, str], TypeAdapter[Any]] = {
    (EditKind.PROFILE, "title"): _Title,
    (EditKind.PROFILE, "unit_id"): _OptionalId,
    (EditKind.PROFILE, "overrides"): _OptionalFieldValue,
    (EditKind.SNIPPET, "title"): _Title,
    (EditKind.SNIPPET, "kind"): TypeAdapter(
        Annotated[str, StringConstraints(pattern=r"^(personal|shared|template)$")]
    ),
    (EditKind.SNIPPET, "template_id"): _OptionalId,
    (EditKind.SNIPPET, "body_sha256"): TypeAdapter(Sha256 | None),
    (EditKind.SNIPPET, "body_format"): TypeAdapter(
        Annotated[str, StringConstraints(pattern=r"^(text|html|docx)$")]
    ),
    (EditKind.TEMPLATE, "titles"): _OptionalTitle,
    (EditKind.TEMPLATE, "descriptions"): TypeAdapter(LongText | None),
    (EditKind.TEMPLATE, "status"): TypeAdapter(Annotated[str, StringConstraints(max_length=20)]),
    (EditKind.TEMPLATE, "group_id"): _OptionalId,
    (EditKind.TEMPLATE, "order"): _StrictOrder,
    (EditKind.TEMPLATE, "files"): TypeAdapter(FileValue | None),
    (EditKind.TEMPLATE_GROUP, "titles"): _OptionalTitle,
    (EditKind.TEMPLATE_GROUP, "parent_id"): _OptionalId,
    (EditKind.TEMPLATE_GROUP, "order"): _StrictOrder,
    (EditKind.UNIT, "title"): _Title,
    (EditKind.UNIT, "parent_id"): _OptionalId,
    (EditKind.UNIT, "fields"): _OptionalFieldValue,
    (EditKind.UNIT, "order"): _StrictOrder,
}


def checked(edit: Edit) -> Edit:
    """The edit with its new values checked and normalised (titles stripped, ...)."""
    check_edit(edit)
    values: dict[str, Any] = {}
    for path, value in edit.set.items():
        attribute, _ = split_path(edit.kind, path)
        adapter = _VALUES.get((edit.kind, attribute))
        if adapter is None:  # editable in the domain, but this server can't check it yet
            raise InvalidInput(
                tr(
                    "{path!r} of a {kind} cannot be edited here.",
                    path=path,
                    kind=kind_label(edit.kind.value),
                )
            )
        try:
            clean = adapter.validate_python(value)
        except ValidationError as exc:
            message = str(exc.errors()[0].get("msg", "is invalid")).removeprefix("Value error, ")
            raise InvalidInput(tr("{path}: {message}", path=path, message=message)) from None
        if isinstance(clean, BaseModel):  # the conflict rules compare plain data
            clean = clean.model_dump(exclude_none=True)
        values[path] = clean
    return replace(edit, set=values)


def _entries(edit: Edit, attribute: str) -> dict[str, Any]:
    """The entries of a mapping the edit sets (None: reset the entry)."""
    prefix = f"{attribute}."
    return {p.removeprefix(prefix): v for p, v in edit.set.items() if p.startswith(prefix)}


def _members(edit: Edit, attribute: str, current: list[str]) -> list[str] | None:
    """The new members of a set attribute, or None when the edit leaves it alone."""
    if attribute not in edit.add and attribute not in edit.remove:
        return None
    return merge_set(current, edit.add.get(attribute, ()), edit.remove.get(attribute, ()))


def patch_values(edit: Edit, row: Any | None) -> dict[str, Any]:
    """The edit as the values of its kind's patch (attribute → new value), read through
    the registry: a scalar as set, a mapping merged with the row's entries (or, where the
    patch takes entries, as entries), a set with additions and removals made. ``row`` is
    None for a creation, which may also set what only a creation sets (a snippet's kind)."""
    values: dict[str, Any] = {}
    created_only = CREATE_ONLY.get(edit.kind, frozenset()) if row is None else frozenset()
    for name, attribute in REGISTRY[edit.kind.value].attributes.items():
        shape = Shape.SCALAR if name in created_only else EDITABLE[edit.kind].get(name)
        current = getattr(row, name, None)
        if shape is Shape.SCALAR and name in edit.set:
            values[name] = edit.set[name]
        elif shape is Shape.MAPPING and (entries := _entries(edit, name)):
            keep_entries = attribute.entries and row is not None
            values[name] = entries if keep_entries else merge_values(current or {}, entries)
        elif shape is Shape.SET:
            members = _members(edit, name, list(current or []))
            if members is not None:
                values[name] = members
    return values


def _check_references(session: Session, actor: Actor, values: Mapping[str, Any]) -> None:
    """Files an edit names must be the caller's to use: image field values, a snippet's
    body (template files are checked where they are set).

    Like every check of a file reference, made before the edit is written: once written,
    the reference itself would make the file readable to its author."""
    body = values.get("body_sha256")
    if body is not None:
        uploads.require_usable(session, actor, body)
    images = {**values.get("overrides", {}), **values.get("fields", {})}
    if not images:
        return
    defs = definitions(session)
    for key, value in images.items():
        definition = defs.get(key)
        if value and definition is not None and definition.type is FieldType.IMAGE:
            uploads.require_usable(session, actor, value)


# --- per kind: the services that create, change and delete a record -----------------------


@dataclass(frozen=True)
class Handler:
    model: type[Any]
    what: str
    create: Callable[[Change, Actor, BlobStore, Any, str], Any]  # ..., patch, target id
    update: Callable[[Change, Actor, BlobStore, Any, Any], Any]
    delete: Callable[[Change, Actor, Any], Any]


def _create_profile(
    change: Change, actor: Actor, blobs: BlobStore, patch: ProfilePatch, target: str
) -> Profile:
    # A client creates profiles for its own user only.
    patch = replace(patch, owner_id=actor.user_id)
    return profiles.create_profile(change, actor, patch, profile_id=target)


def _create_template(
    change: Change, actor: Actor, blobs: BlobStore, patch: TemplatePatch, target: str
) -> Template:
    raise InvalidInput(
        tr(
            "New templates are made in the administration, where their kind and "
            "first file are given; a client can change templates but not create "
            "them.",
        )
    )


def _update_template(
    change: Change, actor: Actor, blobs: BlobStore, row: Template, patch: TemplatePatch
) -> None:
    # Called even when only files change: it checks the Change right before any file is
    # looked at, so a caller without it learns that and nothing about the files.
    templates.update_template(change, actor, row, patch)


def _set_files(change: Change, actor: Actor, blobs: BlobStore, row: Template, edit: Edit) -> None:
    for lang, file in sorted(_entries(edit, "files").items()):
        if file is None:
            templates.remove_file(change, actor, row, lang)
            continue
        uploads.require_usable(change.session, actor, file["sha256"])
        templates.set_file(
            change, actor, blobs, row, lang=lang, sha256=file["sha256"], filename=file["filename"]
        )


HANDLERS: dict[EditKind, Handler] = {
    EditKind.PROFILE: Handler(
        Profile,
        "profile",
        _create_profile,
        lambda change, actor, blobs, row, patch: profiles.update_profile(change, actor, row, patch),
        profiles.delete_profile,
    ),
    EditKind.SNIPPET: Handler(
        Snippet,
        "snippet",
        lambda change, actor, blobs, patch, target: snippets.create_snippet(
            change, actor, blobs, patch, snippet_id=target
        ),
        snippets.update_snippet,
        snippets.delete_snippet,
    ),
    # Deleting a template deactivates it, as in the administration: it can be restored.
    EditKind.TEMPLATE: Handler(
        Template, "template", _create_template, _update_template, templates.deactivate
    ),
    EditKind.TEMPLATE_GROUP: Handler(
        TemplateGroup,
        "template group",
        lambda change, actor, blobs, patch, target: templates.create_group(
            change, actor, patch, group_id=target
        ),
        lambda change, actor, blobs, row, patch: templates.update_group(change, actor, row, patch),
        templates.delete_group,
    ),
    EditKind.UNIT: Handler(
        Unit,
        "unit",
        lambda change, actor, blobs, patch, target: units.create_unit(
            change, actor, patch, unit_id=target
        ),
        lambda change, actor, blobs, row, patch: units.update_unit(change, actor, row, patch),
        units.delete_unit,
    ),
}


def create(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> Any:
    values = patch_values(edit, None)
    _check_references(change.session, actor, values)
    # Checked by the service, after it has checked the caller's rights.
    patch = REGISTRY[edit.kind.value].patch(**values)
    return HANDLERS[edit.kind].create(change, actor, blobs, patch, edit.target)


def update(change: Change, actor: Actor, blobs: BlobStore, row: Any, edit: Edit) -> None:
    values = patch_values(edit, row)
    _check_references(change.session, actor, values)
    patch = patch_for(edit.kind.value, values)
    HANDLERS[edit.kind].update(change, actor, blobs, row, patch)
    if edit.kind is EditKind.TEMPLATE:
        _set_files(change, actor, blobs, row, edit)
