"""The package history: each applied import (and each revert) with what it changed.

Per object it keeps the state before (as a package entry, the format :mod:`.export`
writes and :mod:`.plan` reads; none when the import created the object) and its version
after, so that a revert can bring it back and can tell whether anyone changed it since.
The files a before-state names are kept by the file store's garbage collection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.audit import Origin, OriginKind
from docshelf.domain.fields import FieldType
from docshelf.server.blobstore import BlobStore
from docshelf.server.db import audit
from docshelf.server.db.engine import Change
from docshelf.server.db.models import (
    FieldDefinition,
    PackageImport,
    PackageImportFile,
    PackageImportObject,
    Snippet,
    Template,
    TemplateGroup,
    Unit,
)
from docshelf.server.packages.export import Entries

IMPORT = "import"
REVERT = "revert"
CREATED = "created"
CHANGED = "changed"
DELETED = "deleted"
# The order in which a package's objects are planned and applied.
KINDS = ("field", "unit", "template_group", "template", "snippet")
ORGANISATION = frozenset({"field", "unit"})
_MODELS: dict[str, type[Any]] = {
    "unit": Unit,
    "template_group": TemplateGroup,
    "template": Template,
    "snippet": Snippet,
}


def find_row(session: Session, kind: str, object_id: str) -> Any | None:
    """The object's row; a field definition is known by its key, as in packages."""
    if kind == "field":
        query = select(FieldDefinition).where(FieldDefinition.key == object_id)
        return session.scalars(query).one_or_none()
    return session.get(_MODELS[kind], object_id)


def is_present(kind: str, row: Any | None) -> bool:
    """Does the object exist for clients? A deleted template is deactivated, not gone."""
    return row is not None and not (kind == "template" and not row.active)


def _image_keys(session: Session) -> set[str]:
    query = select(FieldDefinition.key).where(FieldDefinition.type == FieldType.IMAGE.value)
    return set(session.scalars(query))


def _files_of(kind: str, entry: dict[str, Any], image_keys: set[str]) -> set[str]:
    if kind == "template":
        return {str(f["sha256"]) for f in entry.get("files", {}).values()}
    if kind == "snippet" and entry.get("body"):
        return {str(entry["body"]["sha256"])}
    if kind == "unit":
        values = entry.get("fields") or {}
        return {str(values[k]) for k in image_keys if values.get(k)}
    return set()


@dataclass
class _Before:
    kind: str
    object_id: str
    title: str
    entry: dict[str, Any] | None


class Recorder:
    """Writes one history entry for one change: told each object before it is written
    (:meth:`before`), it reads the outcome at :meth:`finish`, in the same transaction."""

    def __init__(self, change: Change, actor: Actor, blobs: BlobStore) -> None:
        self.change = change
        self.actor = actor
        self._entries = Entries(change.session, actor, blobs)
        self._image_keys = _image_keys(change.session)
        self._objects: dict[tuple[str, str], _Before] = {}

    def before(self, kind: str, object_id: str, title: str) -> None:
        if (kind, object_id) in self._objects:
            return  # the first state counts
        row = find_row(self.change.session, kind, object_id)
        entry = None
        if row is not None:
            entry = self._entries.of(kind, row)
            if kind == "template":
                # Not part of the package format: a deleted template is inactive.
                entry["active"] = bool(row.active)
        self._objects[(kind, object_id)] = _Before(kind, object_id, title[:200], entry)

    def finish(
        self, kind: str, *, package_sha256: str | None = None, reverts_id: int | None = None
    ) -> PackageImport | None:
        """The entry, or None when nothing was told."""
        if not self._objects:
            return None
        session = self.change.session
        session.flush()
        record = PackageImport(
            kind=kind,
            created_at=self.change.now,
            actor_id=self.actor.user_id,
            actor_login=self.actor.login[:64],
            package_sha256=package_sha256,
            reverts_id=reverts_id,
            seq=self.change.seq,
            organisation=any(k in ORGANISATION for k, _ in self._objects),
        )
        session.add(record)
        session.flush()
        # The audit log names the import (or revert) by its number in the package history.
        audit.name_origin(session, Origin(OriginKind.PACKAGE, str(record.id)))
        summary = {CREATED: 0, CHANGED: 0, DELETED: 0}
        files: set[str] = set()
        for before in self._objects.values():
            row = find_row(session, before.kind, before.object_id)
            if before.entry is None:
                action = CREATED
            elif not is_present(before.kind, row):
                action = DELETED
            else:
                action = CHANGED
            summary[action] += 1
            if before.entry is not None:
                files |= _files_of(before.kind, before.entry, self._image_keys)
            session.add(
                PackageImportObject(
                    import_id=record.id,
                    kind=before.kind,
                    object_id=before.object_id,
                    title=before.title,
                    action=action,
                    before=before.entry,
                    version_after=row.version if row is not None else None,
                )
            )
        record.summary = summary
        session.add_all(PackageImportFile(import_id=record.id, sha256=sha) for sha in sorted(files))
        return record


def entries(session: Session, limit: int = 200) -> list[tuple[PackageImport, int | None]]:
    """The newest entries first, each with the id of the revert that undid it, if any."""
    rows = list(
        session.scalars(select(PackageImport).order_by(PackageImport.id.desc()).limit(limit))
    )
    ids = [r.id for r in rows]
    reverted: dict[int, int] = {}
    if ids:
        query = select(PackageImport.reverts_id, PackageImport.id).where(
            PackageImport.reverts_id.in_(ids)
        )
        for target, by in session.execute(query):
            if target is not None:
                reverted[int(target)] = max(int(by), reverted.get(int(target), 0))
    return [(r, reverted.get(r.id)) for r in rows]


def objects_of(session: Session, import_id: int) -> list[PackageImportObject]:
    query = select(PackageImportObject).where(PackageImportObject.import_id == import_id)
    return list(session.scalars(query))
