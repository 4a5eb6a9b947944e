"""The deleted templates and snippets an actor may bring back, read from their kept
versions (server/services/history.py restores them): a purged template, a deleted
snippet. A deactivated template is not here: it still exists, the template lists show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, Forbidden, NotFound
from docshelf.i18n import current_language
from docshelf.server.db import versions
from docshelf.server.db.models import ObjectVersion, Snippet, Template
from docshelf.server.services.history import check_restore


@dataclass(frozen=True)
class DeletedObject:
    kind: str
    object_id: str
    title: str  # in the context's language where a template has several
    titles: dict[str, str]  # a template's titles per language; empty for a snippet
    deleted_at: datetime
    deleted_by: str
    version: int  # the deletion's version
    restore_version: int  # the version a restore brings back by default
    blocked: str | None  # why it cannot be restored yet, for the person


def deleted_objects(session: Session, actor: Actor, kind: str | None = None) -> list[DeletedObject]:
    """The deleted objects whose history ``actor`` may see and which they may restore
    (a snippet whose template is deleted too is listed, with why it must wait), the most
    recently deleted first."""
    found: list[DeletedObject] = []
    for entry in _deletions(session, kind):
        if _exists(session, entry):
            continue  # re-created by other means since (a package import with its id)
        restore_version = _restore_version(session, entry)
        try:
            # The restore's own checks, as a dry run: listed is what the restore accepts.
            check_restore(session, actor, entry.kind, entry.object_id, restore_version)
            blocked = None
        except (NotFound, Forbidden):
            continue
        except Conflict as refused:  # a template snippet whose template is deleted too
            blocked = refused.message
        found.append(_describe(entry, restore_version, blocked))
    return found


def _deletions(session: Session, kind: str | None) -> list[ObjectVersion]:
    """The newest kept version of each object, where it is a deletion."""
    newest = select(ObjectVersion.kind, ObjectVersion.object_id, func.max(ObjectVersion.version))
    if kind is not None:
        newest = newest.where(ObjectVersion.kind == kind)
    newest = newest.group_by(ObjectVersion.kind, ObjectVersion.object_id)
    return list(
        session.scalars(
            select(ObjectVersion)
            .where(
                tuple_(ObjectVersion.kind, ObjectVersion.object_id, ObjectVersion.version).in_(
                    newest
                ),
                ObjectVersion.deleted.is_(True),
            )
            .order_by(ObjectVersion.created_at.desc(), ObjectVersion.id.desc())
        )
    )


def _exists(session: Session, entry: ObjectVersion) -> bool:
    model: type[Template | Snippet] = Template if entry.kind == versions.TEMPLATE else Snippet
    return session.get(model, entry.object_id) is not None


def _describe(entry: ObjectVersion, restore_version: int, blocked: str | None) -> DeletedObject:
    snapshot = entry.snapshot
    titles: dict[str, str] = {}
    if entry.kind == versions.TEMPLATE:
        titles = {str(k): str(v) for k, v in dict(snapshot.get("titles") or {}).items()}
        title = titles.get(current_language()) or next(iter(titles.values()), entry.object_id)
    else:
        title = str(snapshot.get("title") or entry.object_id)
    return DeletedObject(
        kind=entry.kind,
        object_id=entry.object_id,
        title=title,
        titles=titles,
        deleted_at=entry.created_at,
        deleted_by=entry.actor,
        version=entry.version,
        restore_version=restore_version,
        blocked=blocked,
    )


def _restore_version(session: Session, entry: ObjectVersion) -> int:
    """The newest kept version in use: a purged template was deactivated first, and
    bringing it back deactivated is not what "restore" means to anyone."""
    if entry.kind != versions.TEMPLATE:
        return entry.version
    kept = session.scalars(
        select(ObjectVersion)
        .where(ObjectVersion.kind == entry.kind, ObjectVersion.object_id == entry.object_id)
        .order_by(ObjectVersion.version.desc())
    )
    return next((v.version for v in kept if v.snapshot.get("active")), entry.version)
