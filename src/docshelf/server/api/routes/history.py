"""The version history of templates and snippets: list, compare, restore."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from docshelf.domain.history import SnapshotDiff
from docshelf.protocol.history import (
    AttributeChangeRecord,
    DeletedRecord,
    FileChangeRecord,
    HistoryKind,
    RestoreRequest,
    RestoreResult,
    VersionDiff,
    VersionRecord,
)
from docshelf.protocol.types import Id, Version
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.db.models import ObjectVersion
from docshelf.server.services import deleted, history

router = APIRouter(prefix="/admin", tags=["admin: history"])

ObjectId = Annotated[Id, Path()]


def version_record(entry: ObjectVersion) -> VersionRecord:
    return VersionRecord(
        kind=entry.kind,
        object_id=entry.object_id,
        version=entry.version,
        seq=entry.seq,
        created_at=entry.created_at,
        actor=entry.actor,
        deleted=entry.deleted,
        snapshot=entry.snapshot,
    )


def diff_record(changes: SnapshotDiff, before: int | None, after: int | None) -> VersionDiff:
    return VersionDiff(
        from_version=before,
        to_version=after,
        attributes=[
            AttributeChangeRecord(name=c.name, before=c.before, after=c.after)
            for c in changes.attributes
        ],
        files=[
            FileChangeRecord(
                lang=f.lang,
                change=f.change,  # type: ignore[arg-type]  # one of the three by construction
                before=dict(f.before) if f.before is not None else None,
                after=dict(f.after) if f.after is not None else None,
            )
            for f in changes.files
        ],
        notes=list(changes.notes),
    )


@router.get(
    "/history/deleted",
    operation_id="list_deleted",
    response_model=list[DeletedRecord],
)
def list_deleted(
    actor: CurrentActor,
    state: State,
    kind: Annotated[
        HistoryKind | None, Query(description="Only templates or only snippets.")
    ] = None,
) -> list[DeletedRecord]:
    """The purged templates and deleted snippets the caller may restore, the most recently
    deleted first; restore one with ``POST /admin/history/{kind}/{object_id}/restore``."""
    with state.db.read() as session:
        return [
            DeletedRecord(
                kind=d.kind,
                object_id=d.object_id,
                title=d.title,
                titles=d.titles,
                deleted_at=d.deleted_at,
                deleted_by=d.deleted_by,
                version=d.version,
                restore_version=d.restore_version,
                blocked=d.blocked,
            )
            for d in deleted.deleted_objects(session, actor, kind)
        ]


@router.get(
    "/history/{kind}/{object_id}",
    operation_id="list_versions",
    response_model=list[VersionRecord],
)
def list_versions(
    kind: HistoryKind, object_id: ObjectId, actor: CurrentActor, state: State
) -> list[VersionRecord]:
    """The kept versions of a template or snippet, newest first."""
    with state.db.read() as session:
        return [version_record(v) for v in history.list_versions(session, actor, kind, object_id)]


@router.get(
    "/history/{kind}/{object_id}/compare",
    operation_id="compare_versions",
    response_model=VersionDiff,
)
def compare_versions(
    kind: HistoryKind,
    object_id: ObjectId,
    actor: CurrentActor,
    state: State,
    a: Annotated[Version, Query(description="The older version.")],
    b: Annotated[Version, Query(description="The newer version.")],
) -> VersionDiff:
    """What changed from version ``a`` to version ``b``, attribute by attribute and the
    files language by language."""
    with state.db.read() as session:
        return diff_record(history.compare(session, actor, kind, object_id, a, b), a, b)


@router.post(
    "/history/{kind}/{object_id}/restore",
    operation_id="restore_version",
    response_model=RestoreResult,
)
def restore_version(
    kind: HistoryKind,
    object_id: ObjectId,
    body: RestoreRequest,
    actor: CurrentActor,
    state: State,
) -> RestoreResult:
    """Bring a template or snippet back to a kept version, as a new change that clients
    receive with their next sync (needs the right to change it). A deleted one is created
    again with its id (a purged template: Sys only; a template snippet: once its template
    exists). A dry run only says what would change."""
    if body.dry_run:
        with state.db.read() as session:
            before = history.current_version(session, kind, object_id)
            changes = history.check_restore(session, actor, kind, object_id, body.version)
        return RestoreResult(
            restored=False, new_version=None, changes=diff_record(changes, before, body.version)
        )
    with state.db.change(actor.login) as change:
        before = history.current_version(change.session, kind, object_id)
        changes = history.restore(change, actor, state.blobs, kind, object_id, body.version)
    with state.db.read() as session:
        after = history.current_version(session, kind, object_id)
    return RestoreResult(
        restored=True, new_version=after, changes=diff_record(changes, before, body.version)
    )
