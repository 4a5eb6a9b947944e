"""Where the hub hears of new changes.

* PostgreSQL: ONE listening connection per process (psycopg, in one thread) receives the
  NOTIFY every change sends at commit, whichever process committed it; reconnects when lost.
* SQLite: the Database's after-change callbacks, in process.
* Both: the change counter, read every ~2 s (one cheap query per process), so changes
  committed without a NOTIFY (the admin CLI on SQLite, a lost LISTEN connection) still wake
  the streams.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import make_url

from docshelf.server.db.engine import CHANGES_CHANNEL, Database, current_seq
from docshelf.server.db.models import Commit
from docshelf.server.hints.hub import Batch, CommitAudience, Hub
from docshelf.server.sync.service import sync_settings

log = logging.getLogger("docshelf.server.hints")

COUNTER_CHECK_S = 2.0
# More commits than this behind (a package import, a long pause): read the newest only and
# hint everyone for the rest.
MAX_BATCH = 5000


def batch_reader(db: Database) -> Callable[[int], Batch]:
    def read(after: int) -> Batch:
        with db.read() as session:
            rows = session.execute(
                select(Commit.seq, Commit.audience, Commit.scope_changed)
                .where(Commit.seq > after)
                .order_by(Commit.seq.desc())
                .limit(MAX_BATCH + 1)
            ).all()
            settings = sync_settings(session)
        commits = [CommitAudience(r.seq, r.audience, bool(r.scope_changed)) for r in rows]
        if len(commits) > MAX_BATCH:
            # Too many to weigh one by one: the oldest left stands for anyone.
            commits = commits[:MAX_BATCH]
            commits[-1] = CommitAudience(commits[-1].seq, None, True)
        return Batch(
            commits=commits,
            hint_max_delay_ms=settings.client_hint_max_delay_ms,
            hints_enabled=settings.client_hints_enabled,
        )

    return read


def read_counter(db: Database) -> int:
    with db.read() as session:
        return current_seq(session)


async def check_counter(db: Database, hub: Hub, every_s: float = COUNTER_CHECK_S) -> None:
    """The safety net: wake the hub for changes nobody announced."""
    while True:
        await asyncio.sleep(every_s)
        try:
            hub.heard(await asyncio.to_thread(read_counter, db))
        except Exception:
            log.exception("reading the change counter failed", extra={"event": "hint_error"})


class PgListener:
    """One thread holding one LISTEN connection; hands change numbers to ``on_seq``."""

    def __init__(self, url: str, on_seq: Callable[[int], None]) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._on_seq = on_seq
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="docshelf-hints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg  # only servers on PostgreSQL need it

        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    log.info("listening for changes", extra={"event": "hint_listen"})
                    failures = 0
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.payload.isdigit():
                                self._on_seq(int(note.payload))
            except Exception:
                failures += 1
                log.warning(
                    "the connection listening for changes failed; trying again",
                    exc_info=True,
                    extra={"event": "hint_listen_error"},
                )
                # The counter check covers the gap meanwhile.
                self._stop.wait(min(30.0, float(2**failures)))
