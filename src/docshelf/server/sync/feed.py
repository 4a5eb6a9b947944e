"""The change feed: what changed since a cursor, in pages, for one user.

Items are ordered by (change number, kind, id), kinds parents first. A page ends
at a change boundary whenever it can, so that a client's cache moves from one
committed state of the server to the next; only a single change with more items
than fit on a page is split, and the cursor then remembers the last item sent.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, reduce
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.protocol.cursor import KINDS, Cursor
from docshelf.protocol.sync import Kind
from docshelf.server.db.models import TemplateFile, Tombstone
from docshelf.server.sync.history import History, nonce_of
from docshelf.server.sync.view import SPECS, View

# Ids per IN list: well below SQLite's and PostgreSQL's limits on bound parameters.
_IN_BATCH = 500


@dataclass(frozen=True)
class Item:
    seq: int
    kind_index: int
    id: str
    live: bool  # False for a tombstone

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.seq, self.kind_index, self.id)


# A change as the page sends it: the fields of protocol.sync.Change, in its order. Not a
# model: validating 20 000 of them cost a first sync's server more than the JSON encoding of
# the whole feed (the service dumps the page with them as they are).
WireChange = dict[str, Any]


@dataclass(frozen=True)
class Page:
    changes: list[WireChange]
    cursor: Cursor
    has_more: bool
    remaining: int


# The cursor's values are bound parameters: each statement below is built and compiled
# once per cursor shape (where inside a change the cursor stands) and page size, then
# reused, instead of being put together and cache-keyed anew for every page.
_SEQ: BindParameter[int] = bindparam("seq")
_SPLIT: BindParameter[int] = bindparam("split")
_ITEM: BindParameter[str] = bindparam("item")
_HIGH: BindParameter[int] = bindparam("high")


def _shape(cursor: Cursor) -> int | None:
    """The kind a split change stopped in, or None for a cursor at a change boundary."""
    return None if cursor.kind is None or cursor.item is None else cursor.kind


def _params(cursor: Cursor, high: int) -> dict[str, Any]:
    return {"seq": cursor.seq, "split": cursor.seq + 1, "item": cursor.item or "", "high": high}


def _after(
    shape: int | None,
    kind_index: int,
    seq_col: SQLColumnExpression[int],
    id_col: SQLColumnExpression[str],
) -> ColumnElement[bool]:
    """Rows of one kind that come after the cursor, and not after the newest change."""
    newest = seq_col <= _HIGH
    if shape is None:
        return and_(seq_col > _SEQ, newest)
    if kind_index < shape:
        return and_(seq_col > _SPLIT, newest)
    if kind_index == shape:
        return and_(or_(seq_col > _SPLIT, and_(seq_col == _SPLIT, id_col > _ITEM)), newest)
    return and_(seq_col >= _SPLIT, newest)


@lru_cache(maxsize=128)
def _candidates_statement(shape: int | None, limit: int) -> Select[Any]:
    parts = []
    for index, kind in enumerate(KINDS):
        model = SPECS[kind].model
        live = (
            select(model.seq, literal(index).label("kind"), model.id, literal(True).label("live"))
            .where(_after(shape, index, model.seq, model.id))
            .order_by(model.seq, model.id)
            .limit(limit + 1)
            .subquery()
        )
        gone = (
            select(Tombstone.seq, literal(index), Tombstone.id, literal(False))
            .where(Tombstone.kind == kind, _after(shape, index, Tombstone.seq, Tombstone.id))
            .order_by(Tombstone.seq, Tombstone.id)
            .limit(limit + 1)
            .subquery()
        )
        parts += [select(*live.c), select(*gone.c)]
    merged = union_all(*parts).subquery()
    return select(*merged.c).order_by(merged.c.seq, merged.c.kind, merged.c.id).limit(limit + 1)


def _candidates(session: Session, cursor: Cursor, high: int, limit: int) -> list[Item]:
    """The first ``limit + 1`` items after the cursor, live rows and tombstones of every kind.

    One statement: each kind's first ``limit + 1`` keys (an index range each), merged and
    cut in the database. Only keys are read; the page's rows are loaded once it is cut.
    """
    statement = _candidates_statement(_shape(cursor), limit)
    rows = session.execute(statement, _params(cursor, high))
    return [Item(seq, index, ident, bool(live)) for seq, index, ident, live in rows]


def _with_files(row: Row[Any], files: list[Row[Any]] | None) -> SimpleNamespace:
    """A template row read with Core, not the ORM, with its files, as the converters and the
    rules read an entity. (Rows of other kinds go to them as they are: their attributes are
    the columns.) Loading a page of 500 ORM entities cost more than everything else it needs;
    the columns are copied once because the page reads each several times."""
    return SimpleNamespace(**row._mapping, files=files or [])


_FILES = TemplateFile.__table__


def _rows_of(
    session: Session, page: list[Item], cursor: Cursor, split: bool
) -> dict[tuple[int, str], Any]:
    """The page's live rows by (kind index, id), read in the same snapshot as their keys.

    A page that ends at a change boundary holds every item between the cursor and its last
    change: its rows are read as that range of each kind (a statement prepared once), not
    by their ids (an IN list of up to 500, a new statement for each length). A page that
    splits a change is read by ids: the range would hold the rest of that change.
    """
    wanted: dict[int, list[str]] = {}
    for item in page:
        if item.live:
            wanted.setdefault(item.kind_index, []).append(item.id)
    rows: dict[tuple[int, str], Any] = {}
    if split or not page:
        for index, ids in wanted.items():
            _add_rows(rows, session, index, ids)
        return rows
    shape, params = _shape(cursor), _params(cursor, page[-1].seq)
    for index, ids in wanted.items():
        found = session.execute(_range_statement(shape, index), params).all()
        files: dict[str, list[Row[Any]]] | None = None
        if KINDS[index] == "template":
            files = {}
            for file in session.execute(_range_files_statement(shape, index), params):
                files.setdefault(file.template_id, []).append(file)
        _keep(rows, index, found, files)
        # The range holds exactly these rows (one snapshot); should one be missing all the
        # same, it is read by its id rather than the page sending less.
        missing = [ident for ident in ids if (index, ident) not in rows]
        if missing:
            _add_rows(rows, session, index, missing)
    return rows


def _add_rows(
    rows: dict[tuple[int, str], Any], session: Session, index: int, ids: list[str]
) -> None:
    query = _rows_statement(KINDS[index])
    for start in range(0, len(ids), _IN_BATCH):
        batch = ids[start : start + _IN_BATCH]
        found = session.execute(query, {"ids": batch}).all()
        files = _files_of(session, batch) if KINDS[index] == "template" else None
        _keep(rows, index, found, files)


def _keep(
    rows: dict[tuple[int, str], Any],
    index: int,
    found: Sequence[Row[Any]],
    files: dict[str, list[Row[Any]]] | None,
) -> None:
    if files is None:
        rows.update(((index, row.id), row) for row in found)
        return
    for row in found:
        rows[(index, row.id)] = _with_files(row, files.get(row.id))


# Kept in the database, never sent: timestamps cost a conversion per row and a password
# hash is nobody's business.
_NOT_SENT = frozenset({"updated_at", "created_at", "deactivated_at", "password_hash"})


def _sent_columns(kind: str) -> list[Any]:
    table = SPECS[kind].model.__table__
    return [column for column in table.c if column.name not in _NOT_SENT]


@lru_cache(maxsize=128)
def _range_statement(shape: int | None, index: int) -> Select[Any]:
    """The rows of one kind after the cursor up to the page's last change (see _after)."""
    model = SPECS[KINDS[index]].model
    return select(*_sent_columns(KINDS[index])).where(_after(shape, index, model.seq, model.id))


@lru_cache(maxsize=16)
def _range_files_statement(shape: int | None, index: int) -> Select[Any]:
    """The files of the templates _range_statement reads."""
    model = SPECS[KINDS[index]].model
    ids = select(model.id).where(_after(shape, index, model.seq, model.id))
    return select(_FILES).where(_FILES.c.template_id.in_(ids.scalar_subquery()))


@lru_cache(maxsize=len(KINDS))
def _rows_statement(kind: str) -> Select[Any]:
    table = SPECS[kind].model.__table__
    # One expanding parameter: SQLAlchemy need not build and cache-key 500 literals.
    return select(*_sent_columns(kind)).where(table.c.id.in_(bindparam("ids", expanding=True)))


_FILES_OF = select(_FILES).where(_FILES.c.template_id.in_(bindparam("ids", expanding=True)))


def _files_of(session: Session, template_ids: list[str]) -> dict[str, list[Row[Any]]]:
    found: dict[str, list[Row[Any]]] = {}
    for row in session.execute(_FILES_OF, {"ids": template_ids}):
        found.setdefault(row.template_id, []).append(row)
    return found


def _cut(items: list[Item], limit: int) -> tuple[list[Item], bool]:
    """Take at most ``limit`` items, ending at a change boundary when possible."""
    if len(items) <= limit:
        return items, False
    taken = items[:limit]
    following = items[limit].seq
    whole = [item for item in taken if item.seq != following]
    # A single change larger than a page must be split; the cursor keeps the position.
    return (whole or taken), True


@lru_cache(maxsize=16)
def _remaining_statement(shape: int | None) -> Select[Any]:
    counts: list[Any] = []
    for index, kind in enumerate(KINDS):
        model = SPECS[kind].model
        counts.append(
            select(func.count())
            .select_from(model)
            .where(_after(shape, index, model.seq, model.id))
            .scalar_subquery()
        )
        counts.append(
            select(func.count())
            .select_from(Tombstone)
            .where(Tombstone.kind == kind, _after(shape, index, Tombstone.seq, Tombstone.id))
            .scalar_subquery()
        )
    # One statement for all of them: a page costs few round trips, whatever the kinds.
    return select(reduce(operator.add, counts))


def remaining_after(session: Session, cursor: Cursor, high: int) -> int:
    """How many items are still to come (live rows and tombstones): for progress."""
    statement = _remaining_statement(_shape(cursor))
    return int(session.scalar(statement, _params(cursor, high)) or 0)


def _to_change(view: View, item: Item, row: Any, initial: bool) -> WireChange | None:
    kind = cast(Kind, KINDS[item.kind_index])
    if not item.live:
        # A client starting from nothing holds nothing to delete.
        return None if initial else _removed(kind, item.id)
    if view.visible(kind, row):
        record = view.record(kind, row)
        return {
            "kind": kind,
            "id": item.id,
            "op": "upsert",
            "version": row.version,
            "record": record,
        }
    if initial or not view.could_have_seen(kind, row):
        return None
    return _removed(kind, item.id)


def _removed(kind: Kind, ident: str) -> WireChange:
    return {"kind": kind, "id": ident, "op": "remove", "version": None, "record": None}


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
    rows = _rows_of(session, page, cursor, split)
    changes = [
        change
        for item in page
        if (change := _to_change(view, item, rows.get((item.kind_index, item.id)), initial))
        is not None
    ]
    next_cursor = _next_cursor(session, cursor, page, split, history.seq, more)
    remaining = remaining_after(session, next_cursor, history.seq) if more else 0
    return Page(changes, next_cursor, more, remaining)
