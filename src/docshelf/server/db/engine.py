"""Connections, transactions and the change sequence.

Three kinds of transaction:

* ``read()``  — a consistent read.
* ``write()`` — bookkeeping writes that clients never pull (devices, throttling).
* ``change(actor)`` — a write to synchronised content. It draws the next change
  number first. On PostgreSQL the counter row stays locked until commit, so
  content writers are serialised and change numbers become visible in the
  order they were drawn: a reader that has seen change n will never later find
  a committed change below n (the classic ``seq > cursor`` gap). SQLite has one
  writer anyway; there ``BEGIN IMMEDIATE`` takes the write lock up front so two
  writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from docshelf.domain.audit import SYSTEM, Origin
from docshelf.server.db import audience, audit, versions
from docshelf.server.db.models import Commit, Counter, Synced, Tombstone, utcnow

CHANGE_COUNTER = "change_seq"
# PostgreSQL channel on which every change announces its number, once, at commit.
CHANGES_CHANNEL = "docshelf_changes"
log = logging.getLogger("docshelf.server.db")
S = TypeVar("S", bound=Synced)
R = TypeVar("R")


POOL_SIZE = 10
POOL_MAX_OVERFLOW = 20


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_MAX_OVERFLOW
    )


def _sqlite_engine(url: str) -> Engine:
    # JSON columns are decoded by their type (models.Json), not by the engine.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("docshelf_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Change:
    """One write transaction to synchronised content, numbered ``seq``."""

    session: Session
    seq: int
    actor: str
    now: datetime = field(default_factory=utcnow)
    # What this change wrote, for its audience (see db/audience.py).
    written: audience.Written = field(default_factory=audience.Written)

    def add(self, row: S, kind: str) -> S:
        """Insert a new entity (clearing a tombstone a re-created id may have left)."""
        row.version = 1
        row.seq = self.seq
        row.updated_at = self.now
        self.session.add(row)
        self.written.added.append(row)
        stale = self.session.get(Tombstone, (kind, row.id))
        if stale is not None:
            self.session.delete(stale)
        return row

    def touch(self, row: R) -> R:
        """Record that an existing entity changed in this transaction."""
        target: Any = row  # any entity with version/seq/updated_at, settings included
        if target.seq != self.seq:
            target.version = target.version + 1
            target.seq = self.seq
        target.updated_at = self.now
        self.written.touched.append(row)
        return row

    def delete(self, row: Synced, kind: str) -> None:
        """Delete an entity for good, leaving a tombstone that clients pull."""
        self.written.deleted.append(row)
        self.session.delete(row)
        self.session.merge(Tombstone(kind=kind, id=row.id, seq=self.seq, deleted_at=self.now))


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(docshelf_write=True), expire_on_commit=False
        )
        # Called with the change number after each change this process commits (the change
        # hints on SQLite; on PostgreSQL a NOTIFY reaches every process instead).
        self.after_change: list[Callable[[int], None]] = []
        audience.install()
        audit.install()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read that sees one committed state across several statements (a sync page)."""
        with self._sessions() as session:
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def change(self, actor: str, origin: Origin = SYSTEM) -> Iterator[Change]:
        """A numbered write; ``origin`` (API, dashboard, sync, ...) goes into the audit log."""
        with self.write() as session:
            seq = allocate_seq(session, actor)
            audit.begin(session, origin)
            change = Change(session=session, seq=seq, actor=actor)
            yield change
            _note_audience(change)
            versions.record(change)
            written = change.written
            audit.record(
                session,
                seq,
                change.now,
                actor,
                added=written.added,
                touched=written.touched,
                deleted=written.deleted,
            )
            if self.dialect == "postgresql":
                # Delivered by PostgreSQL at commit, once, to every listening process.
                session.execute(
                    text("SELECT pg_notify(:channel, :seq)"),
                    {"channel": CHANGES_CHANNEL, "seq": str(seq)},
                )
        for callback in list(self.after_change):
            try:
                callback(seq)
            except Exception:
                # The change is committed; a hint is best effort and must not fail it.
                log.exception("after-change callback failed", extra={"event": "hint_error"})

    @property
    def pool_limit(self) -> int | None:
        """Connections the pool opens at most; None when it has no limit."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return None
        overflow = int(getattr(pool, "_max_overflow", 0))  # no public accessor
        return None if overflow < 0 else pool.size() + overflow

    @contextmanager
    def watching_pool(self, report: Callable[[int], None]) -> Iterator[None]:
        """Report the connections checked out of the pool (for the metrics) each time one
        is taken or given back while in the block: the pool's own count, so a report can
        never drift. Cheap: called on every request."""

        def on_checkout(*_args: Any) -> None:
            report(_checked_out(self.engine))

        def on_checkin(*_args: Any) -> None:
            # Told before the connection is back in the pool.
            report(max(0, _checked_out(self.engine) - 1))

        # On the engine, not its pool: dispose() replaces the pool, the listeners stay.
        event.listen(self.engine, "checkout", on_checkout)
        event.listen(self.engine, "checkin", on_checkin)
        try:
            yield
        finally:
            for name, listener in (("checkout", on_checkout), ("checkin", on_checkin)):
                if event.contains(self.engine, name, listener):
                    event.remove(self.engine, name, listener)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _checked_out(engine: Engine) -> int:
    pool = engine.pool
    return pool.checkedout() if isinstance(pool, QueuePool) else 0


def _note_audience(change: Change) -> None:
    session = change.session
    session.flush()
    commit = session.get(Commit, change.seq)
    if commit is None:  # pragma: no cover - allocate_seq added it
        return
    commit.audience = audience.compute(session, change.written)
    commit.scope_changed = change.written.touches_scope()


def allocate_seq(session: Session, actor: str) -> int:
    seq = session.execute(
        update(Counter)
        .where(Counter.name == CHANGE_COUNTER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()
    session.add(Commit(seq=seq, nonce=secrets.token_hex(8), actor=actor[:64]))
    return int(seq)


def current_seq(session: Session) -> int:
    value = session.scalar(select(Counter.value).where(Counter.name == CHANGE_COUNTER))
    return int(value or 0)
