"""The outbox: the user's edits, durable from the moment they are made until the server
has them (architecture property 5).

An edit is one row, written with ``synchronous=FULL`` in the cache's database. It moves
through these states and is never dropped without the user's say:

- ``pending``: waiting for the next sync, uploaded in the order made;
- ``applied``: the server accepted it as version ``version``; kept (and still shown)
  until a pull brings that version, then forgotten;
- ``conflict``: someone else changed the same thing first; the server kept theirs, the
  row keeps the user's side until they choose (``keep mine`` queues it again);
- ``rejected``: refused for good (forbidden, invalid, deleted meanwhile), with the
  reason, until the user discards it.

Until the server has them, pending and applied edits are laid over the cached records
(:func:`overlay`), so the user sees their change at once, offline too.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from docshelf.client import outbox_table
from docshelf.client.descriptions import describe
from docshelf.client.local_json import load_cached
from docshelf.domain.edits import Edit, EditKind, Op, apply
from docshelf.domain.errors import NotFound
from docshelf.i18n import tr

# The table and file_refs kind live in outbox_table: the cache opens them without this module.
SCHEMA, FILE_REF_KIND = outbox_table.SCHEMA, outbox_table.FILE_REF_KIND


class EditState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    id: str
    edit: Edit
    files: tuple[str, ...]
    # What the edit does, as stored: a Description's JSON (an older entry: an English
    # sentence). ``summary`` tells it in the current language.
    description: str
    state: EditState
    created_at: datetime
    updated_at: datetime
    version: int | None = None
    code: str | None = None
    reason: str | None = None
    theirs: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """What the edit does, in the current language (for lists and dialogs)."""
        return describe(self.description)

    def to_wire(self) -> dict[str, Any]:
        """The body of one mutation for ``POST /sync/mutations``."""
        edit = self.edit
        return {
            "id": self.id,
            "kind": edit.kind.value,
            "op": edit.op.value,
            "target": edit.target,
            "set": edit.set,
            "base": edit.base,
            "add": edit.add,
            "remove": edit.remove,
        }

    def to_json(self) -> dict[str, Any]:
        """How lists (``docshelf uploads``, ``docshelf conflicts``) show an entry."""
        mine = {path: self.edit.set.get(path) for path in self.theirs}
        if self.edit.op is Op.DELETE:
            mine = {path: None for path in self.theirs}
        return {
            "id": self.id,
            "kind": self.edit.kind.value,
            "op": self.edit.op.value,
            "target": self.edit.target,
            "summary": self.summary,
            "state": self.state.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
            "code": self.code,
            "reason": self.reason,
            "mine": mine if self.state is EditState.CONFLICT else None,
            "theirs": self.theirs if self.state is EditState.CONFLICT else None,
        }


def new_mutation_id() -> str:
    # Never with a leading "-": people pass edit ids to commands, where it reads as an option.
    ident = secrets.token_urlsafe(18)
    return "e" + ident[1:] if ident.startswith("-") else ident


def _now() -> datetime:
    return datetime.now().astimezone()


def _edit_json(edit: Edit) -> str:
    return json.dumps(
        {"set": edit.set, "base": edit.base, "add": edit.add, "remove": edit.remove},
        sort_keys=True,
    )


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> OutboxEntry:
    (seq, ident, kind, op, target, edit, files, summary, state, version, code, reason, theirs,
     created, updated) = row  # fmt: skip
    body = load_cached(edit)
    return OutboxEntry(
        seq=seq,
        id=ident,
        edit=Edit(
            kind=EditKind(kind),
            op=Op(op),
            target=target,
            set=body["set"],
            base=body["base"],
            add=body["add"],
            remove=body["remove"],
        ),
        files=tuple(load_cached(files)),
        description=summary,
        state=EditState(state),
        version=version,
        code=code,
        reason=reason,
        theirs=load_cached(theirs) if theirs else {},
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
    )


_COLUMNS = (
    "seq, id, kind, op, target, edit, files, summary, state, version, code, reason, theirs,"
    " created_at, updated_at"
)


class Outbox:
    """The outbox table of a :class:`~docshelf.client.store.LocalStore` connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # --- reading --------------------------------------------------------------------------

    def entries(self, states: Iterable[EditState] | None = None) -> list[OutboxEntry]:
        wanted = [s.value for s in (states or EditState)]
        marks = ", ".join("?" for _ in wanted)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}) ORDER BY seq", wanted
        )
        return [_entry(row) for row in rows]

    def get(self, ident: str) -> OutboxEntry:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (ident,)).fetchone()
        if row is None:
            # Accept a unique prefix: ids are long, people type the start of them.
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE id LIKE ? ESCAPE '\\'",
                (ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
            ).fetchall()
            if len(rows) != 1:
                raise NotFound(
                    tr("There is no upload '{id}'; `docshelf uploads` lists them.", id=ident)
                    if not rows
                    else tr("'{id}' names several uploads; give more of the id.", id=ident)
                )
            row = rows[0]
        return _entry(row)

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, count(*) FROM outbox GROUP BY state")
        found = {state: int(n) for state, n in rows}
        return {state.value: found.get(state.value, 0) for state in EditState}

    def for_overlay(self, kind: str) -> list[OutboxEntry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE kind = ? AND state IN ('pending', 'applied')"
            " ORDER BY seq",
            (kind,),
        )
        return [_entry(row) for row in rows]

    # --- writing (inside the caller's transaction) ------------------------------------------

    def add(self, edit: Edit, description: str, files: Iterable[str] = ()) -> str:
        """Queue ``edit``; ``description`` is a :class:`Description`'s JSON."""
        ident = new_mutation_id()
        now = _now().isoformat()
        hashes = sorted(set(files))
        self._db.execute(
            "INSERT INTO outbox (id, kind, op, target, edit, files, summary, state, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (
                ident,
                edit.kind.value,
                edit.op.value,
                edit.target,
                _edit_json(edit),
                json.dumps(hashes),
                description,
                now,
                now,
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO file_refs (sha, kind, id) VALUES (?, ?, ?)",
            [(sha, FILE_REF_KIND, ident) for sha in hashes],
        )
        return ident

    def applied(self, ident: str, version: int | None) -> None:
        self._set(ident, EditState.APPLIED, version=version)

    def conflict(self, ident: str, theirs: Mapping[str, Any]) -> None:
        self._set(ident, EditState.CONFLICT, theirs=json.dumps(dict(theirs)))

    def rejected(self, ident: str, code: str | None, reason: str | None) -> None:
        self._set(ident, EditState.REJECTED, code=code, reason=reason)

    def requeue(self, entry: OutboxEntry, base: Mapping[str, Any]) -> str:
        """Keep the user's side of a conflict: the same edit again, now based on theirs,
        under a new mutation id (the old one has its answer on the server)."""
        ident = new_mutation_id()
        edit = Edit(
            kind=entry.edit.kind,
            op=entry.edit.op,
            target=entry.edit.target,
            set=entry.edit.set,
            base={**entry.edit.base, **base},
            add=entry.edit.add,
            remove=entry.edit.remove,
        )
        self._db.execute(
            "UPDATE outbox SET id = ?, edit = ?, state = 'pending', theirs = NULL, code = NULL,"
            " reason = NULL, updated_at = ? WHERE id = ?",
            (ident, _edit_json(edit), _now().isoformat(), entry.id),
        )
        self._db.execute(
            "UPDATE file_refs SET id = ? WHERE kind = ? AND id = ?",
            (ident, FILE_REF_KIND, entry.id),
        )
        return ident

    def discard(self, ident: str) -> list[str]:
        """Forget an entry; returns its files (which the caller may now delete if unused)."""
        files = [
            sha
            for (sha,) in self._db.execute(
                "SELECT sha FROM file_refs WHERE kind = ? AND id = ?", (FILE_REF_KIND, ident)
            )
        ]
        self._db.execute("DELETE FROM outbox WHERE id = ?", (ident,))
        self._db.execute("DELETE FROM file_refs WHERE kind = ? AND id = ?", (FILE_REF_KIND, ident))
        return files

    def forget_applied(self) -> list[str]:
        """After a complete pull the cache holds what the server accepted: forget it."""
        files: list[str] = []
        for (ident,) in self._db.execute(
            "SELECT id FROM outbox WHERE state = 'applied'"
        ).fetchall():
            files.extend(self.discard(ident))
        return files

    def _set(self, ident: str, state: EditState, **values: Any) -> None:
        columns = {"version": None, "code": None, "reason": None, "theirs": None, **values}
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._db.execute(
            f"UPDATE outbox SET state = ?, {assignments}, updated_at = ? WHERE id = ?",
            (state.value, *columns.values(), _now().isoformat(), ident),
        )


# What a record created offline holds before the server fills in the rest.
_CREATED: dict[str, dict[str, Any]] = {
    "profile": {"title": "", "unit_id": None, "overrides": {}, "shared_with": []},
    "snippet": {
        "kind": "personal",
        "title": "",
        "template_id": None,
        "read_rights": [],
        "write_rights": [],
        "body_sha256": None,
        "body_format": "text",
    },
    "template_group": {"parent_id": None, "titles": {}, "order": 0},
    "unit": {"parent_id": None, "title": "", "fields": {}, "assignable_by": None, "order": 0},
}


def created_record(kind: str, target: str, me: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": target,
        "version": 0,
        **json.loads(json.dumps(_CREATED.get(kind, {}))),
    }
    if kind in ("profile", "snippet"):
        record["owner_id"] = me
    return record


def overlay(
    kind: str, records: list[dict[str, Any]], entries: Iterable[OutboxEntry], me: str | None
) -> list[dict[str, Any]]:
    """The records as the user should see them: with their edits not yet pulled back.

    An applied edit stops counting once the cache holds the version it produced (or a
    newer one); until then it is shown like a pending one.
    """
    by_id = {r["id"]: r for r in records}
    order = [r["id"] for r in records]
    for entry in entries:
        edit = entry.edit
        if edit.kind.value != kind:
            continue
        current = by_id.get(edit.target)
        pulled = (
            entry.state is EditState.APPLIED
            and current is not None
            and edit.op is not Op.DELETE
            and (entry.version is None or current.get("version", 0) >= entry.version)
        )
        if pulled:
            continue
        if edit.op is Op.DELETE:
            by_id.pop(edit.target, None)
        elif edit.op is Op.CREATE:
            if current is None:
                order.append(edit.target)
                by_id[edit.target] = apply(edit, created_record(kind, edit.target, me))
        elif current is not None:
            by_id[edit.target] = apply(edit, current)
    return [by_id[i] for i in order if i in by_id]
