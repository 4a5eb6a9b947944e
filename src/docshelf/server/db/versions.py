"""The version history of templates and snippets: one snapshot per version.

At the end of every change (``Database.change``) :func:`record` writes a row to
``object_versions`` for each template and snippet the change added or touched, holding
every attribute a restore needs, and marks the ones it deleted. The files a version
names are listed in ``object_version_files`` too, so that the garbage collector keeps
them and the storage figures count them (blobstore/usage.py) without decoding
snapshots. A touch that changed nothing a restore could bring back (a snippet touched
because its template's audience changed) records no version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from docshelf.server.db.models import (
    Blob,
    ObjectVersion,
    ObjectVersionFile,
    Snippet,
    Template,
)

if TYPE_CHECKING:
    from docshelf.server.db.engine import Change

TEMPLATE = "template"
SNIPPET = "snippet"
KINDS = (TEMPLATE, SNIPPET)
BODY_SLOT = "body"
Snapshot = dict[str, Any]


def template_snapshot(row: Template) -> Snapshot:
    return {
        "kind": row.kind,
        "group_id": row.group_id,
        "status": row.status,
        "active": bool(row.active),
        "titles": dict(row.titles or {}),
        "descriptions": dict(row.descriptions or {}),
        "use_rights": list(row.use_rights or []),
        "change_rights": list(row.change_rights or []),
        "order": row.order or 0,
        "files": {
            f.lang: {"sha256": f.sha256, "filename": f.filename, "size": f.size}
            for f in sorted(row.files, key=lambda f: f.lang)
        },
    }


def snippet_snapshot(row: Snippet, body_size: int | None) -> Snapshot:
    return {
        "kind": row.kind,
        "title": row.title,
        "owner_id": row.owner_id,
        "template_id": row.template_id,
        "read_rights": list(row.read_rights or []),
        "write_rights": list(row.write_rights or []),
        "body_sha256": row.body_sha256,
        "body_size": body_size,
        "body_format": row.body_format or "text",
    }


def snapshot_files(kind: str, snapshot: Snapshot) -> dict[str, tuple[str, int]]:
    """The files a snapshot names: slot (language or "body") → (sha256, size)."""
    if kind == TEMPLATE:
        return {
            lang: (str(f["sha256"]), int(f["size"]))
            for lang, f in dict(snapshot.get("files") or {}).items()
        }
    sha = snapshot.get("body_sha256")
    return {BODY_SLOT: (str(sha), int(snapshot.get("body_size") or 0))} if sha else {}


def take(
    session: Session, row: Template | Snippet, sizes: dict[str, int] | None = None
) -> tuple[str, Snapshot]:
    """The kind and snapshot of one row as it stands in the session (``sizes``: the body
    sizes already read, by hash)."""
    if isinstance(row, Template):
        return TEMPLATE, template_snapshot(row)
    sha = row.body_sha256
    if sha is None:
        return SNIPPET, snippet_snapshot(row, None)
    size = (
        sizes.get(sha)
        if sizes is not None and sha in sizes
        else _body_sizes(session, [sha]).get(sha)
    )
    return SNIPPET, snippet_snapshot(row, size)


def _body_sizes(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(hashes))
    sizes: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        rows = session.execute(
            select(Blob.sha256, Blob.size).where(Blob.sha256.in_(wanted[i : i + 500]))
        )
        sizes.update({sha: size for sha, size in rows})
    return sizes


def record(change: Change) -> None:
    """Write the versions of the templates and snippets this change wrote (after a flush)."""
    written = change.written
    rows: dict[tuple[str, str], tuple[Template | Snippet, bool]] = {}
    for row in (*written.added, *written.touched):
        if isinstance(row, Template | Snippet):
            rows[(_kind(row), row.id)] = (row, False)
    for row in written.deleted:
        if isinstance(row, Template | Snippet):
            rows[(_kind(row), row.id)] = (row, True)
    if not rows:
        return
    session = change.session
    latest = _latest(session, rows)
    # One query for the body sizes of all snippets, not one per snippet (package imports).
    sizes = _body_sizes(
        session,
        (r.body_sha256 for r, _ in rows.values() if isinstance(r, Snippet) and r.body_sha256),
    )
    for key, (row, deleted) in rows.items():
        kind, snapshot = take(session, row, sizes)
        last = latest.get(key)
        if last is not None and not deleted and last.snapshot == snapshot and not last.deleted:
            continue
        version = row.version
        if last is not None and version <= last.version:
            # A deletion, or a version number a restore of a re-created id would repeat.
            version = last.version + 1
        add_version(session, kind, row.id, version, change.seq, change.actor, snapshot, deleted)


def add_version(
    session: Session,
    kind: str,
    object_id: str,
    version: int,
    seq: int,
    actor: str,
    snapshot: Snapshot,
    deleted: bool = False,
) -> ObjectVersion:
    entry = ObjectVersion(
        kind=kind,
        object_id=object_id,
        version=version,
        seq=seq,
        actor=actor[:64],
        deleted=deleted,
        snapshot=snapshot,
    )
    session.add(entry)
    session.flush()
    for slot, (sha, size) in snapshot_files(kind, snapshot).items():
        session.add(ObjectVersionFile(version_id=entry.id, slot=slot, sha256=sha, size=size))
    return entry


def _kind(row: Template | Snippet) -> str:
    return TEMPLATE if isinstance(row, Template) else SNIPPET


def _latest(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], ObjectVersion]:
    """The newest kept version of each object, in one query per 500 objects."""
    wanted = sorted(keys)
    found: dict[tuple[str, str], ObjectVersion] = {}
    for i in range(0, len(wanted), 500):
        batch = wanted[i : i + 500]
        newest = (
            select(ObjectVersion.kind, ObjectVersion.object_id, func.max(ObjectVersion.version))
            .where(tuple_(ObjectVersion.kind, ObjectVersion.object_id).in_(batch))
            .group_by(ObjectVersion.kind, ObjectVersion.object_id)
        )
        rows = session.scalars(
            select(ObjectVersion).where(
                tuple_(ObjectVersion.kind, ObjectVersion.object_id, ObjectVersion.version).in_(
                    newest
                )
            )
        )
        for entry in rows:
            found[(entry.kind, entry.object_id)] = entry
    return found


def prune(session: Session, cutoff: datetime, keep: int) -> int:
    """Drop versions made before ``cutoff``, except the newest ``keep`` of each object
    that still exists (a deleted object keeps none of them). Returns how many versions
    were dropped."""
    rows = session.execute(
        select(
            ObjectVersion.id,
            ObjectVersion.kind,
            ObjectVersion.object_id,
            ObjectVersion.created_at,
            ObjectVersion.deleted,
        ).order_by(ObjectVersion.kind, ObjectVersion.object_id, ObjectVersion.version.desc())
    ).all()
    drop: list[int] = []
    for _key, group in groupby(rows, key=lambda r: (r.kind, r.object_id)):
        history = list(group)
        gone = history[0].deleted
        for rank, entry in enumerate(history):
            if entry.created_at < cutoff and (gone or rank >= keep):
                drop.append(entry.id)
    for i in range(0, len(drop), 500):
        batch = drop[i : i + 500]
        session.execute(delete(ObjectVersionFile).where(ObjectVersionFile.version_id.in_(batch)))
        session.execute(delete(ObjectVersion).where(ObjectVersion.id.in_(batch)))
    return len(drop)
