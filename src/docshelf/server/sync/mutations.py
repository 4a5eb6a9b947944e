"""Applying the edits clients upload (``POST /sync/mutations``; docs/protocol.md,
"Uploading edits").

Each edit runs in a change transaction of its own, through the same service functions
as the administration API, so every check of input and rights applies: nothing a client
sends is trusted. Conflicts are judged by :mod:`docshelf.domain.edits` against the
record as the caller sees it, read inside that transaction.

Every answer is stored under the mutation's id. An applied edit's answer is written in
the same transaction as its effect, so the two commit together or not at all; a repeated
delivery (the client never got the answer) finds it and gets it again instead of applying
the edit twice. Conflicts, rejections and edits that change nothing are answered after
their transaction was rolled back, so they use no change number; their answers are
stored on their own. Concurrent deliveries of one id are decided by the primary key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.audit import Origin, OriginKind
from docshelf.domain.edits import Edit, EditKind, Op, check_edit, conflicts, merge_set, split_path
from docshelf.domain.errors import Conflict, DocshelfError, Forbidden, InvalidInput, NotFound
from docshelf.domain.fields import FieldType
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr
from docshelf.protocol.auth import Strict
from docshelf.protocol.mutations import Mutation, MutationResult, MutationsAnswer, Outcome
from docshelf.protocol.types import FieldValue, Id, LongText, Order, Sha256, Title
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import (
    AppliedMutation,
    Profile,
    Snippet,
    Template,
    TemplateGroup,
    Unit,
)
from docshelf.server.services import profiles, snippets, templates, units, uploads
from docshelf.server.services.auth import Caller
from docshelf.server.services.common import merge_values
from docshelf.server.services.fields import definitions
from docshelf.server.sync.view import View

log = logging.getLogger("docshelf.server.mutations")

# Refusals that will not change however often the edit is sent again. Anything else
# (the database away, a bug) fails the request: the client sends the rest again later.
PERMANENT = (Forbidden, InvalidInput, NotFound, Conflict)


class _Answered(Exception):
    """An answer found inside a change that must leave nothing behind."""

    def __init__(self, result: MutationResult) -> None:
        super().__init__(result.outcome.value)
        self.result = result


class _Repeated(Exception):
    """The mutation's answer was stored meanwhile, by a concurrent delivery."""


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


def _present(entries: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entries.items() if value is not None}


def _members(edit: Edit, attribute: str, current: list[str]) -> list[str] | None:
    """The new members of a set attribute, or None when the edit leaves it alone."""
    if attribute not in edit.add and attribute not in edit.remove:
        return None
    return merge_set(current, edit.add.get(attribute, ()), edit.remove.get(attribute, ()))


def _required(edit: Edit, path: str) -> Any:
    value = edit.set.get(path)
    if value is None:
        raise InvalidInput(
            tr("A new {value} needs {path!r}.", value=kind_label(edit.kind.value), path=path)
        )
    return value


def _unset(edit: Edit, path: str) -> bool:
    """Does the edit set a scalar to null (no unit, no parent, no group)?"""
    return path in edit.set and edit.set[path] is None


def _check_images(session: Session, actor: Actor, values: Mapping[str, Any]) -> None:
    """Image fields name files: the same rule as any other reference to a file.

    Like every check of a file reference, made before the edit is written: once written,
    the reference itself would make the file readable to its author."""
    if not values:
        return
    defs = definitions(session)
    for key, value in values.items():
        definition = defs.get(key)
        if value and definition is not None and definition.type is FieldType.IMAGE:
            uploads.require_usable(session, actor, value)


# --- one handler per kind: the edit in terms of the services ------------------------------


@dataclass(frozen=True)
class _Handler:
    model: type[Any]
    what: str
    create: Callable[[Change, Actor, BlobStore, Edit], Any]
    update: Callable[[Change, Actor, BlobStore, Any, Edit], None]
    delete: Callable[[Change, Actor, Any], Any]


def _create_profile(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> Profile:
    overrides = _present(_entries(edit, "overrides"))
    _check_images(change.session, actor, overrides)
    return profiles.create_profile(
        change,
        actor,
        owner_id=actor.user_id,  # a client creates profiles for its own user only
        title=_required(edit, "title"),
        unit_id=edit.set.get("unit_id"),
        overrides=overrides,
        shared_with=_members(edit, "shared_with", []),
        profile_id=edit.target,
    )


def _update_profile(
    change: Change, actor: Actor, blobs: BlobStore, row: Profile, edit: Edit
) -> None:
    overrides = _entries(edit, "overrides")
    _check_images(change.session, actor, overrides)
    profiles.update_profile(
        change,
        actor,
        row,
        title=edit.set.get("title"),
        unit_id=edit.set.get("unit_id"),
        clear_unit=_unset(edit, "unit_id"),
        overrides=overrides or None,
        shared_with=_members(edit, "shared_with", list(row.shared_with)),
    )


def _create_snippet(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> Snippet:
    body = edit.set.get("body_sha256")
    if body is not None:
        uploads.require_usable(change.session, actor, body)
    return snippets.create_snippet(
        change,
        actor,
        blobs,
        kind=_required(edit, "kind"),
        title=_required(edit, "title"),
        template_id=edit.set.get("template_id"),
        read_rights=_members(edit, "read_rights", []),
        write_rights=_members(edit, "write_rights", []),
        body_sha256=body,
        body_format=edit.set.get("body_format") or "text",
        snippet_id=edit.target,
    )


def _update_snippet(
    change: Change, actor: Actor, blobs: BlobStore, row: Snippet, edit: Edit
) -> None:
    body = edit.set.get("body_sha256")
    if body is not None:
        uploads.require_usable(change.session, actor, body)
    snippets.update_snippet(
        change,
        actor,
        blobs,
        row,
        title=edit.set.get("title"),
        read_rights=_members(edit, "read_rights", list(row.read_rights)),
        write_rights=_members(edit, "write_rights", list(row.write_rights)),
        body_sha256=body,
        clear_body=_unset(edit, "body_sha256"),
        body_format=edit.set.get("body_format"),
    )


def _create_template(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> Template:
    raise InvalidInput(
        tr(
            "New templates are made in the administration, where their kind and "
            "first file are given; a client can change templates but not create "
            "them.",
        )
    )


def _update_template(
    change: Change, actor: Actor, blobs: BlobStore, row: Template, edit: Edit
) -> None:
    titles = _entries(edit, "titles")
    descriptions = _entries(edit, "descriptions")
    # Called even when only files change: it checks the Change right before any file is
    # looked at, so a caller without it learns that and nothing about the files.
    templates.update_template(
        change,
        actor,
        row,
        titles=merge_values(row.titles, titles) if titles else None,
        descriptions=merge_values(row.descriptions, descriptions) if descriptions else None,
        group_id=edit.set.get("group_id"),
        move_to_root=_unset(edit, "group_id"),
        status=edit.set.get("status"),
        use_rights=_members(edit, "use_rights", list(row.use_rights)),
        change_rights=_members(edit, "change_rights", list(row.change_rights)),
        order=edit.set.get("order"),
    )
    for lang, file in sorted(_entries(edit, "files").items()):
        if file is None:
            templates.remove_file(change, actor, row, lang)
            continue
        uploads.require_usable(change.session, actor, file["sha256"])
        templates.set_file(
            change, actor, blobs, row, lang=lang, sha256=file["sha256"], filename=file["filename"]
        )


def _create_group(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> TemplateGroup:
    return templates.create_group(
        change,
        actor,
        titles=_present(_entries(edit, "titles")),
        parent_id=edit.set.get("parent_id"),
        order=edit.set.get("order", 0),
        group_id=edit.target,
    )


def _update_group(
    change: Change, actor: Actor, blobs: BlobStore, row: TemplateGroup, edit: Edit
) -> None:
    titles = _entries(edit, "titles")
    templates.update_group(
        change,
        actor,
        row,
        titles=merge_values(row.titles, titles) if titles else None,
        parent_id=edit.set.get("parent_id"),
        move_to_root=_unset(edit, "parent_id"),
        order=edit.set.get("order"),
    )


def _create_unit(change: Change, actor: Actor, blobs: BlobStore, edit: Edit) -> Unit:
    fields = _present(_entries(edit, "fields"))
    _check_images(change.session, actor, fields)
    return units.create_unit(
        change,
        actor,
        title=_required(edit, "title"),
        parent_id=edit.set.get("parent_id"),
        fields=fields,
        order=edit.set.get("order", 0),
        unit_id=edit.target,
    )


def _update_unit(change: Change, actor: Actor, blobs: BlobStore, row: Unit, edit: Edit) -> None:
    fields = _entries(edit, "fields")
    _check_images(change.session, actor, fields)
    units.update_unit(
        change,
        actor,
        row,
        title=edit.set.get("title"),
        parent_id=edit.set.get("parent_id"),
        move_to_root=_unset(edit, "parent_id"),
        fields=fields or None,
        order=edit.set.get("order"),
    )


_HANDLERS: dict[EditKind, _Handler] = {
    EditKind.PROFILE: _Handler(
        Profile, "profile", _create_profile, _update_profile, profiles.delete_profile
    ),
    EditKind.SNIPPET: _Handler(
        Snippet, "snippet", _create_snippet, _update_snippet, snippets.delete_snippet
    ),
    # Deleting a template deactivates it, as in the administration: it can be restored.
    EditKind.TEMPLATE: _Handler(
        Template, "template", _create_template, _update_template, templates.deactivate
    ),
    EditKind.TEMPLATE_GROUP: _Handler(
        TemplateGroup, "template group", _create_group, _update_group, templates.delete_group
    ),
    EditKind.UNIT: _Handler(Unit, "unit", _create_unit, _update_unit, units.delete_unit),
}


# --- judging and applying one edit ---------------------------------------------------------


def _applied(mutation_id: str, version: int | None) -> MutationResult:
    return MutationResult(id=mutation_id, outcome=Outcome.APPLIED, version=version)


def _content(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "version"}


def _apply(
    change: Change, blobs: BlobStore, actor: Actor, mutation_id: str, edit: Edit
) -> MutationResult:
    handler = _HANDLERS[edit.kind]
    session = change.session
    row = session.get(handler.model, edit.target)
    if edit.op is Op.CREATE:
        if row is not None:
            # The same mutation created it would have been found as a repeat already.
            raise Conflict(
                tr(
                    "There is already a {what} with id {target!r}; create yours under a new id.",
                    what=kind_label(handler.what),
                    target=edit.target,
                )
            )
        created = handler.create(change, actor, blobs, edit)
        session.flush()
        return _applied(mutation_id, created.version)

    kind = edit.kind.value
    view = View(session, actor)
    # What the caller no longer sees counts as gone, so the answer tells nothing about
    # whether it still exists for others.
    if row is None or not view.visible(kind, row):
        if edit.op is Op.DELETE:
            raise _Answered(_applied(mutation_id, None))
        raise NotFound(
            tr(
                "The {what} was deleted meanwhile (or you may no longer see it); your "
                "change to it was not applied.",
                what=kind_label(handler.what),
            )
        )
    before = view.record(kind, row)
    theirs = conflicts(edit, before)
    # The services run even when the edit conflicts: a refusal (no right, invalid value)
    # is the more useful answer, as resolving the conflict would not help.
    if edit.op is Op.DELETE:
        handler.delete(change, actor, row)
    else:
        handler.update(change, actor, blobs, row, edit)
    session.flush()
    if theirs:
        raise _Answered(
            MutationResult(
                id=mutation_id,
                outcome=Outcome.CONFLICT,
                code="conflict",
                reason=tr(
                    "Someone changed this {what} meanwhile: {attributes}. The server kept"
                    " their version; yours is kept as a conflicted copy.",
                    what=kind_label(handler.what),
                    attributes=", ".join(sorted(theirs)),
                ),
                theirs=theirs,
            )
        )
    if edit.op is Op.DELETE:
        return _applied(mutation_id, None)
    after = view.record(kind, row)
    if _content(after) == _content(before):
        # Already as the caller wants it: nothing to write, no new version for anyone.
        raise _Answered(_applied(mutation_id, before["version"]))
    return _applied(mutation_id, after["version"])


def _row(caller: Caller, result: MutationResult) -> AppliedMutation:
    return AppliedMutation(
        id=result.id,
        user_id=caller.actor.user_id,
        device_id=caller.device_id,
        outcome=result.outcome.value,
        answer=result.model_dump(mode="json", exclude={"repeated"}),
    )


def _stored(db: Database, mutation_id: str) -> AppliedMutation | None:
    with db.read() as session:
        return session.get(AppliedMutation, mutation_id)


def _replay(stored: AppliedMutation, caller: Caller) -> MutationResult:
    if stored.user_id != caller.actor.user_id:
        # Someone else's edit: say nothing about it, not even its outcome.
        return MutationResult(
            id=stored.id,
            outcome=Outcome.REJECTED,
            code=InvalidInput.code,
            reason="This edit's id was used by another edit before; send it under a new id.",
        )
    result = MutationResult.model_validate(stored.answer)
    return result.model_copy(update={"repeated": True})


def _record(db: Database, caller: Caller, result: MutationResult) -> MutationResult:
    """Store an answer that has no effect to commit with (conflict, rejection, no-op)."""
    try:
        with db.write() as session:
            session.add(_row(caller, result))
    except IntegrityError:
        stored = _stored(db, result.id)
        if stored is None:
            raise
        return _replay(stored, caller)
    return result


def _rejected(mutation_id: str, error: DocshelfError) -> MutationResult:
    return MutationResult(
        id=mutation_id, outcome=Outcome.REJECTED, code=error.code, reason=error.message
    )


def apply_mutation(
    db: Database, blobs: BlobStore, caller: Caller, mutation: Mutation
) -> MutationResult:
    stored = _stored(db, mutation.id)
    if stored is not None:
        return _replay(stored, caller)
    try:
        edit = checked(mutation.edit())
    except InvalidInput as exc:
        return _record(db, caller, _rejected(mutation.id, exc))
    try:
        origin = Origin(OriginKind.SYNC, mutation.id)
        with db.change(caller.actor.login, origin=origin) as change:
            # Asked again now that this transaction holds the change counter: a
            # concurrent delivery of the same id has committed by now if it applied.
            if change.session.get(AppliedMutation, mutation.id) is not None:
                raise _Repeated
            result = _apply(change, blobs, caller.actor, mutation.id, edit)
            change.session.add(_row(caller, result))
            change.session.flush()
    except _Answered as answered:
        result = _record(db, caller, answered.result)
    except PERMANENT as exc:
        result = _record(db, caller, _rejected(mutation.id, exc))
    except (_Repeated, IntegrityError):
        stored = _stored(db, mutation.id)
        if stored is None:
            raise
        return _replay(stored, caller)
    if result.outcome is not Outcome.APPLIED:
        log.info(
            "edit not applied",
            extra={
                "event": "mutation",
                "mutation": mutation.id,
                "kind": mutation.kind.value,
                "target": mutation.target,
                "outcome": result.outcome.value,
                "code": result.code,
            },
        )
    return result


def apply_mutations(
    db: Database, blobs: BlobStore, caller: Caller, mutations: list[Mutation]
) -> MutationsAnswer:
    """Apply edits in the order given, each on its own: one refused edit stops no other."""
    return MutationsAnswer(results=[apply_mutation(db, blobs, caller, m) for m in mutations])
