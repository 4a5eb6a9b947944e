"""Each server process's own report: that it runs and how many hint streams it holds.

The hint streams live in one process's memory (server/hints/hub.py); the dashboard shows
them for the whole installation, so every process writes its count into
``server_processes`` every few seconds (and at start) and deletes its row when it stops.
Rows of processes that stopped without a word go stale and are left out, then removed.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from docshelf.domain.ids import new_id
from docshelf.server.db.engine import Database
from docshelf.server.db.models import ServerProcess, utcnow

# Rows not refreshed for this long belong to processes that died: removed by the others.
FORGOTTEN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ThisProcess:
    id: str
    host: str
    pid: int
    started_at: datetime

    @classmethod
    def new(cls) -> ThisProcess:
        return cls(new_id(), socket.gethostname()[:255], os.getpid(), utcnow())


@dataclass(frozen=True)
class HeldStreams:
    streams: int  # hint streams held now, all processes together
    processes: int  # processes that reported recently


def report(db: Database, process: ThisProcess, hint_streams: int, now: datetime) -> None:
    """Write this process's count (its row comes back should someone have removed it)."""
    with db.write() as session:
        done = session.execute(
            update(ServerProcess)
            .where(ServerProcess.id == process.id)
            .values(seen_at=now, hint_streams=hint_streams)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            session.add(
                ServerProcess(
                    id=process.id,
                    host=process.host,
                    pid=process.pid,
                    started_at=process.started_at,
                    seen_at=now,
                    hint_streams=hint_streams,
                )
            )
        session.execute(delete(ServerProcess).where(ServerProcess.seen_at < now - FORGOTTEN_AFTER))


def forget(db: Database, process: ThisProcess) -> None:
    """This process stops: its streams are gone with it."""
    with db.write() as session:
        session.execute(delete(ServerProcess).where(ServerProcess.id == process.id))


def held_streams(session: Session, now: datetime, fresh: timedelta) -> HeldStreams:
    """The hint streams of every process that reported within ``fresh`` of ``now``."""
    processes, streams = session.execute(
        select(func.count(), func.sum(ServerProcess.hint_streams)).where(
            ServerProcess.seen_at >= now - fresh
        )
    ).one()
    return HeldStreams(streams=int(streams or 0), processes=int(processes or 0))


def freshness(report_seconds: float) -> timedelta:
    """How recent a report must be to count: a few missed reports are not a dead process."""
    return max(timedelta(minutes=1), 4 * timedelta(seconds=report_seconds))
