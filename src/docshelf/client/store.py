"""The local cache: the records a user may see, and the sync state, in one SQLite file.

Every page is stored in a transaction together with the cursor that follows it (pages
that waited for the files of an earlier one share its transaction), with
``synchronous=FULL``: killed at any moment, the cache is the state after some earlier
page, and the next sync resumes from there.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docshelf.client import outbox_table
from docshelf.client.errors import LocalStoreError
from docshelf.client.local_json import load_cached
from docshelf.i18n import tr

# The outbox and the planner (their dataclasses, the edit types) are imported where they
# are used: listing the local copy needs neither while no edit waits.
if TYPE_CHECKING:
    from docshelf.client.outbox import Outbox, OutboxEntry
    from docshelf.client.planner import Key, Local, Upsert

SCHEMA_VERSION = 4
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    -- Reconciliation: the generation of the manifest that last listed this record.
    seen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The files each record needs, kept with the records: after a delta the engine asks it
-- about the few files the delta may have orphaned instead of reading every record.
CREATE TABLE IF NOT EXISTS file_refs (
    sha TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (sha, kind, id)
);
CREATE INDEX IF NOT EXISTS file_refs_by_record ON file_refs (kind, id);
"""
# Kinds whose records can reference files (see planner.referenced_files).
_FILE_KINDS = ("template", "snippet", "unit", "user")


class LocalStore:
    """One SQLite connection per thread: the desktop app reads on its GUI thread while a
    worker syncs, and each must see committed states only (WAL isolates them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._connect().executescript(SCHEMA + outbox_table.SCHEMA)
        if self.get("schema") != str(SCHEMA_VERSION):
            from docshelf.client.planner import image_field_keys

            # New, or from before file_refs or before they were kept right at every commit
            # (schema 4): index what the cache holds, once.
            with self.transaction() as db:
                self.index_files(db, image_field_keys(self.records("field")))
                self.put("schema", str(SCHEMA_VERSION), db)

    @property
    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        return conn if conn is not None else self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            # Each thread uses only its own connection; close() ends them all from one thread.
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed page survives power loss, not only a crash of the process.
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as exc:
            raise LocalStoreError(
                tr(
                    "The local cache {path} cannot be opened ({reason}). Move it away; the next"
                    " sync builds a new one.",
                    path=self.path,
                    reason=exc,
                )
            ) from exc
        self._local.conn = conn
        with self._guard:
            self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._guard:
            connections, self._all = self._all, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @property
    def outbox(self) -> Outbox:
        """The outbox on this thread's connection; writes belong in :meth:`transaction`."""
        from docshelf.client.outbox import Outbox

        return Outbox(self._db)

    # --- state -------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str | None, db: sqlite3.Connection | None = None) -> None:
        conn = db or self._db
        if value is None:
            conn.execute("DELETE FROM state WHERE key = ?", (key,))
        else:
            conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        return None if raw is None else load_cached(raw, self.path)

    def put_json(self, key: str, value: Any, db: sqlite3.Connection | None = None) -> None:
        self.put(key, None if value is None else json.dumps(value), db)

    # --- records -----------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def local(self, keys: Iterable[Key]) -> dict[Key, Local]:
        from docshelf.client.planner import Local

        found: dict[Key, Local] = {}
        wanted = list(keys)
        for i in range(0, len(wanted), 400):
            batch = wanted[i : i + 400]
            clause = " OR ".join("(kind = ? AND id = ?)" for _ in batch)
            params = [part for key in batch for part in key]
            # Only placeholders are formatted in; the values go as parameters.
            query = f"SELECT kind, id, version, hash FROM records WHERE {clause}"
            for kind, ident, version, digest in self._db.execute(query, params):
                found[(kind, ident)] = Local(version, digest)
        return found

    def records(self, kind: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM records WHERE kind = ? ORDER BY id", (kind,))
        return [load_cached(data, self.path) for (data,) in rows]

    def record(self, kind: str, ident: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT data FROM records WHERE kind = ? AND id = ?", (kind, ident)
        ).fetchone()
        return None if row is None else dict(load_cached(row[0], self.path))

    def view(self, kind: str, me: str | None = None) -> list[dict[str, Any]]:
        """The records of a kind as the user sees them: with their own edits laid over."""
        entries = self._overlay_entries(kind)
        if not entries:
            return self.records(kind)
        from docshelf.client.outbox import overlay

        return overlay(kind, self.records(kind), entries, me)

    def view_record(self, kind: str, ident: str, me: str | None = None) -> dict[str, Any] | None:
        record = self.record(kind, ident)
        entries = [e for e in self._overlay_entries(kind) if e.edit.target == ident]
        if not entries:
            return record
        from docshelf.client.outbox import overlay

        shown = overlay(kind, [record] if record else [], entries, me)
        return shown[0] if shown else None

    def has_overlays(self) -> bool:
        """Some edit is laid over the records (pending, or applied and not pulled back)."""
        waiting = self._db.execute(
            "SELECT 1 FROM outbox WHERE state IN ('pending', 'applied') LIMIT 1"
        ).fetchone()
        return waiting is not None

    def has_outbox_entries(self) -> bool:
        """Some edit is in the outbox, in any state."""
        return self._db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone() is not None

    def _overlay_entries(self, kind: str) -> list[OutboxEntry]:
        """The edits laid over records of ``kind``; asked of the table first, so that the
        outbox module is loaded only when some edit waits."""
        waiting = self._db.execute(
            "SELECT 1 FROM outbox WHERE kind = ? AND state IN ('pending', 'applied') LIMIT 1",
            (kind,),
        ).fetchone()
        return self.outbox.for_overlay(kind) if waiting else []

    def manifest(self) -> dict[Key, Local]:
        from docshelf.client.planner import Local

        rows = self._db.execute("SELECT kind, id, version, hash FROM records")
        return {(k, i): Local(v, h) for k, i, v, h in rows}

    def referenced_files(self, image_keys: set[str]) -> set[str]:
        """Every file some record needs, read from the records themselves (all of them)."""
        from docshelf.client.planner import referenced_files

        needed: set[str] = set()
        rows = self._db.execute(
            "SELECT kind, data FROM records WHERE kind IN ('template','snippet','unit','user')"
        )
        for kind, data in rows:
            needed |= referenced_files(kind, load_cached(data, self.path), image_keys)
        return needed

    def still_referenced(self, hashes: Iterable[str]) -> set[str]:
        """Which of these files some record needs: index lookups in file_refs."""
        found: set[str] = set()
        wanted = list(hashes)
        for i in range(0, len(wanted), 400):
            batch = wanted[i : i + 400]
            marks = ", ".join("?" for _ in batch)
            query = f"SELECT DISTINCT sha FROM file_refs WHERE sha IN ({marks})"
            found.update(sha for (sha,) in self._db.execute(query, batch))
        return found

    @staticmethod
    def files_of(db: sqlite3.Connection, keys: Iterable[Key]) -> set[str]:
        """The files these records need as the cache holds them now."""
        found: set[str] = set()
        wanted = [key for key in keys if key[0] in _FILE_KINDS]
        for i in range(0, len(wanted), 400):
            batch = wanted[i : i + 400]
            clause = " OR ".join("(kind = ? AND id = ?)" for _ in batch)
            params = [part for key in batch for part in key]
            query = f"SELECT DISTINCT sha FROM file_refs WHERE {clause}"
            found.update(sha for (sha,) in db.execute(query, params))
        return found

    @staticmethod
    def index_files(
        db: sqlite3.Connection, image_keys: set[str], kinds: Iterable[str] = _FILE_KINDS
    ) -> None:
        """Rebuild file_refs from the records of these kinds: a new schema, changed image
        fields (they decide which unit and user fields hold files)."""
        from docshelf.client.planner import referenced_files

        kinds = [kind for kind in kinds if kind in _FILE_KINDS]
        marks = ", ".join("?" for _ in kinds)
        db.execute(f"DELETE FROM file_refs WHERE kind IN ({marks})", kinds)
        rows = db.execute(f"SELECT kind, id, data FROM records WHERE kind IN ({marks})", kinds)
        # Row by row: holding every record at once would make memory grow with the cache.
        refs = (
            (sha, kind, ident)
            for kind, ident, data in rows
            for sha in referenced_files(kind, load_cached(data), image_keys)
        )
        db.executemany("INSERT OR IGNORE INTO file_refs (sha, kind, id) VALUES (?, ?, ?)", refs)

    @staticmethod
    def needed_files(db: sqlite3.Connection) -> set[str]:
        """Every file some record or a queued edit needs (an edit's new file is kept until
        the server has it), from file_refs."""
        return {sha for (sha,) in db.execute("SELECT DISTINCT sha FROM file_refs")}

    @staticmethod
    def write_upserts(
        db: sqlite3.Connection,
        upserts: Iterable[Upsert],
        seen: int = 0,
        image_keys: Iterable[str] = (),
        held: Container[Key] | None = None,
    ) -> None:
        """Store records and note the files they need (``image_keys``: see image_field_keys).

        ``held``: the keys the cache may hold already (None: any); only their old file_refs
        are looked for, so a first sync doesn't look up 20 000 records that aren't there.
        """
        from docshelf.client.planner import referenced_files

        upserts = list(upserts)
        db.executemany(
            "INSERT INTO records (kind, id, version, hash, data, seen) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version,"
            " hash = excluded.hash, data = excluded.data, seen = max(seen, excluded.seen)",
            [
                (u.kind, u.id, u.version, u.hash, u.data or json.dumps(u.record), seen)
                for u in upserts
            ],
        )
        with_files = [u for u in upserts if u.kind in _FILE_KINDS]
        db.executemany(
            "DELETE FROM file_refs WHERE kind = ? AND id = ?",
            [u.key for u in with_files if held is None or u.key in held],
        )
        keys = set(image_keys)
        db.executemany(
            "INSERT OR IGNORE INTO file_refs (sha, kind, id) VALUES (?, ?, ?)",
            [
                (sha, u.kind, u.id)
                for u in with_files
                for sha in referenced_files(u.kind, u.record, keys)
            ],
        )

    @staticmethod
    def write_removes(db: sqlite3.Connection, keys: Iterable[Key]) -> None:
        keys = list(keys)
        db.executemany("DELETE FROM records WHERE kind = ? AND id = ?", keys)
        db.executemany("DELETE FROM file_refs WHERE kind = ? AND id = ?", keys)

    @staticmethod
    def mark_seen(db: sqlite3.Connection, keys: Iterable[Key], generation: int) -> None:
        db.executemany(
            "UPDATE records SET seen = ? WHERE kind = ? AND id = ?",
            [(generation, kind, ident) for kind, ident in keys],
        )

    @staticmethod
    def drop_unseen(db: sqlite3.Connection, generation: int) -> int:
        dropped = db.execute("DELETE FROM records WHERE seen < ?", (generation,)).rowcount
        db.execute(
            "DELETE FROM file_refs WHERE kind != ? AND NOT EXISTS (SELECT 1 FROM records r"
            " WHERE r.kind = file_refs.kind AND r.id = file_refs.id)",
            (outbox_table.FILE_REF_KIND,),
        )
        return dropped

    def wipe(self) -> None:
        """Forget everything (another user or server signs in on this home)."""
        with self.transaction() as db:
            db.execute("DELETE FROM records")
            db.execute("DELETE FROM file_refs")
            db.execute("DELETE FROM outbox")
            db.execute("DELETE FROM state WHERE key != 'schema'")
