"""Opening a hint stream: authenticate once, and decide whether the client is behind already.

Runs on a worker thread at connect; afterwards the stream holds no database connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import DocshelfError
from docshelf.i18n import N_, tr
from docshelf.protocol.cursor import Cursor
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Commit
from docshelf.server.hints.match import concerns
from docshelf.server.services.auth import API, signed_in
from docshelf.server.sync.history import nonce_of, read_history, reset_reason
from docshelf.server.sync.service import sync_settings

# A client further behind than this syncs anyway: no need to weigh each change.
MAX_BEHIND = 1000


class HintsOff(DocshelfError):
    status = 503
    code = "hints_off"
    default_title = N_("Change hints are switched off")


@dataclass(frozen=True)
class Opening:
    device_id: str
    actor: Actor
    # Where the history stood when the stream was opened: later changes reach it via the hub.
    seq: int
    # A change past the client's cursor it may see: hint at once.
    hint_seq: int | None
    hint_max_delay_ms: int


def open_stream(db: Database, token: str, cursor_token: str | None) -> Opening:
    given = None if cursor_token is None else Cursor.decode(cursor_token)
    with db.read() as session:
        caller = signed_in(session, token, API)
        settings = sync_settings(session)
        if not settings.client_hints_enabled:
            raise HintsOff(
                tr(
                    "Change hints are switched off on this server (setting "
                    "ClientHintsEnabled); clients sync at their interval.",
                )
            )
        history = read_history(session)
        actor = caller.actor
        hint_seq: int | None = history.seq
        if given is not None and given.reset_to is None:
            stale = reset_reason(history, given, actor, nonce_of(session, given.seq))
            if stale is None and history.seq - given.seq <= MAX_BEHIND:
                rows = session.execute(
                    select(Commit.seq, Commit.audience).where(
                        Commit.seq > given.seq, Commit.seq <= history.seq
                    )
                ).all()
                concerned = [r.seq for r in rows if concerns(actor, r.audience)]
                hint_seq = max(concerned) if concerned else None
    return Opening(
        device_id=caller.device_id,
        actor=actor,
        seq=history.seq,
        hint_seq=hint_seq,
        hint_max_delay_ms=settings.client_hint_max_delay_ms,
    )
