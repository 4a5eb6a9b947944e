"""The change feed: what changed since a cursor, in pages, for one user.

Items are ordered by (change number, kind, id), kinds parents first. A page ends
at a change boundary whenever it can, so that a client's cache moves from one
committed state of the server to the next; only a single change with more items
than fit on a page is split, and the cursor then remembers the last item sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, func, or_, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.protocol.cursor import KINDS, Cursor
from docshelf.protocol.sync import Change, Kind
from docshelf.server.db.models import Tombstone
from docshelf.server.sync.history import History, nonce_of
from docshelf.server.sync.view import SPECS, View


@dataclass(frozen=True)
class Item:
    seq: int
    kind_index: int
    id: str
    row: Any  # a content row, or None for a tombstone

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.seq, self.kind_index, self.id)


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    cursor: Cursor
    has_more: bool
    remaining: int


def _after(
    cursor: Cursor,
    kind_index: int,
    seq_col: SQLColumnExpression[int],
    id_col: SQLColumnExpression[str],
) -> ColumnElement[bool]:
    """Rows of one kind that come after the cursor."""
    if cursor.kind is None or cursor.item is None:
        return seq_col > cursor.seq
    split = cursor.seq + 1
    if kind_index < cursor.kind:
        return seq_col > split
    if kind_index == cursor.kind:
        return or_(seq_col > split, and_(seq_col == split, id_col > cursor.item))
    return seq_col >= split


def _candidates(session: Session, cursor: Cursor, high: int, limit: int) -> list[Item]:
    """The first ``limit + 1`` items after the cursor of every kind, live rows and tombstones."""
    items: list[Item] = []
    for index, kind in enumerate(KINDS):
        model = SPECS[kind].model
        rows = session.scalars(
            select(model)
            .where(_after(cursor, index, model.seq, model.id), model.seq <= high)
            .order_by(model.seq, model.id)
            .limit(limit + 1)
        )
        items.extend(Item(row.seq, index, row.id, row) for row in rows)
        tombstones = session.execute(
            select(Tombstone.seq, Tombstone.id)
            .where(
                Tombstone.kind == kind,
                _after(cursor, index, Tombstone.seq, Tombstone.id),
                Tombstone.seq <= high,
            )
            .order_by(Tombstone.seq, Tombstone.id)
            .limit(limit + 1)
        )
        items.extend(Item(seq, index, ident, None) for seq, ident in tombstones)
    items.sort(key=lambda item: item.key)
    return items


def _cut(items: list[Item], limit: int) -> tuple[list[Item], bool]:
    """Take at most ``limit`` items, ending at a change boundary when possible."""
    if len(items) <= limit:
        return items, False
    taken = items[:limit]
    following = items[limit].seq
    whole = [item for item in taken if item.seq != following]
    # A single change larger than a page must be split; the cursor keeps the position.
    return (whole or taken), True


def remaining_after(session: Session, cursor: Cursor, high: int) -> int:
    """How many items are still to come (live rows and tombstones): for progress."""
    total = 0
    for index, kind in enumerate(KINDS):
        model = SPECS[kind].model
        total += (
            session.scalar(
                select(func.count())
                .select_from(model)
                .where(_after(cursor, index, model.seq, model.id), model.seq <= high)
            )
            or 0
        )
        total += (
            session.scalar(
                select(func.count())
                .select_from(Tombstone)
                .where(
                    Tombstone.kind == kind,
                    _after(cursor, index, Tombstone.seq, Tombstone.id),
                    Tombstone.seq <= high,
                )
            )
            or 0
        )
    return total


def _to_change(view: View, item: Item, initial: bool) -> Change | None:
    kind = cast(Kind, KINDS[item.kind_index])
    if item.row is None:
        # A client starting from nothing holds nothing to delete.
        return None if initial else Change(kind=kind, id=item.id, op="remove")
    if view.visible(kind, item.row):
        record = view.record(kind, item.row)
        return Change(kind=kind, id=item.id, op="upsert", version=item.row.version, record=record)
    if initial or not view.could_have_seen(kind, item.row):
        return None
    return Change(kind=kind, id=item.id, op="remove")


def _next_cursor(
    session: Session, cursor: Cursor, page: list[Item], split: bool, high: int, more: bool
) -> Cursor:
    if not more:
        seq, kind, item = high, None, None
    elif split:
        last = page[-1]
        seq, kind, item = last.seq - 1, last.kind_index, last.id
    else:
        seq, kind, item = page[-1].seq, None, None
    return Cursor(
        version=cursor.version,
        epoch=cursor.epoch,
        seq=seq,
        nonce=nonce_of(session, seq) or "",
        scope=cursor.scope,
        kind=kind,
        item=item,
    )


def read_page(session: Session, actor: Actor, cursor: Cursor, history: History, limit: int) -> Page:
    """The next page after a trusted cursor (see history.reset_reason)."""
    if cursor.kind is None and cursor.seq == history.seq:
        # Nothing changed: answered from the counter alone, no content row is read.
        return Page([], cursor, False, 0)
    view = View(session, actor)
    candidates = _candidates(session, cursor, history.seq, limit)
    page, more = _cut(candidates, limit)
    split = more and bool(page) and page[-1].seq == candidates[len(page)].seq
    initial = cursor.seq == 0  # the client holds nothing yet
    changes = [c for c in (_to_change(view, item, initial) for item in page) if c is not None]
    next_cursor = _next_cursor(session, cursor, page, split, history.seq, more)
    remaining = remaining_after(session, next_cursor, history.seq) if more else 0
    return Page(changes, next_cursor, more, remaining)
