"""The manifest of a user's whole view, and records fetched by id, for reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.protocol.cursor import KINDS, Cursor
from docshelf.protocol.sync import Change, Kind, ManifestEntry, RecordRef, record_hash
from docshelf.server.sync.view import SPECS, View


@dataclass(frozen=True)
class ManifestSlice:
    entries: list[ManifestEntry]
    # Where the next slice starts: (kind index, last id looked at), or None when done.
    position: tuple[int, str | None] | None
    total: int


def _entries_of_kind(
    view: View, index: int, after: str | None, room: int
) -> tuple[list[ManifestEntry], str | None, bool]:
    """Up to ``room`` visible entries of one kind after ``after``; (entries, last id, done)."""
    kind = cast(Kind, KINDS[index])
    model = SPECS[kind].model
    entries: list[ManifestEntry] = []
    last = after
    while len(entries) < room:
        query = select(model).order_by(model.id).limit(max(room, 200))
        if last is not None:
            query = query.where(model.id > last)
        rows = list(view.session.scalars(query))
        if not rows:
            return entries, last, True
        for row in rows:
            last = row.id
            if view.visible(kind, row):
                record = view.record(kind, row)
                entries.append(
                    ManifestEntry(
                        kind=kind, id=row.id, version=row.version, hash=record_hash(record)
                    )
                )
                if len(entries) >= room:
                    break
    return entries, last, False


def read_manifest(session: Session, actor: Actor, cursor: Cursor, limit: int) -> ManifestSlice:
    view = View(session, actor)
    entries: list[ManifestEntry] = []
    index = cursor.kind or 0
    after = cursor.item if cursor.kind is not None else None
    while index < len(KINDS):
        found, last, done = _entries_of_kind(view, index, after, limit - len(entries))
        entries.extend(found)
        if not done:
            return ManifestSlice(entries, (index, last), _total(session))
        index, after = index + 1, None
        if len(entries) >= limit and index < len(KINDS):
            return ManifestSlice(entries, (index, None), _total(session))
    return ManifestSlice(entries, None, _total(session))


def _total(session: Session) -> int:
    """All rows of every kind: an upper bound of the view's size, for progress."""
    return sum(session.scalar(select(func.count()).select_from(SPECS[k].model)) or 0 for k in KINDS)


def read_records(
    session: Session, actor: Actor, refs: list[RecordRef]
) -> tuple[list[Change], list[RecordRef]]:
    view = View(session, actor)
    found: list[Change] = []
    gone: list[RecordRef] = []
    for ref in refs:
        row = session.get(SPECS[ref.kind].model, ref.id)
        if row is not None and view.visible(ref.kind, row):
            found.append(
                Change(
                    kind=ref.kind,
                    id=ref.id,
                    op="upsert",
                    version=row.version,
                    record=view.record(ref.kind, row),
                )
            )
        else:
            gone.append(ref)
    return found, gone
