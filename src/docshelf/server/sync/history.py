"""Where the database's history stands, and whether a client's cursor belongs to it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor, scope_of
from docshelf.protocol import PROTOCOL_VERSION
from docshelf.protocol.cursor import Cursor
from docshelf.server.db.engine import CHANGE_COUNTER, current_seq
from docshelf.server.db.models import Commit, Counter, Meta

HORIZON_KEY = "tombstone_horizon"


@dataclass(frozen=True)
class History:
    epoch: str
    seq: int
    # Changes up to here may have lost their tombstones: older cursors can't be trusted.
    horizon: int


def read_history(session: Session) -> History:
    meta = {key: value for key, value in session.execute(select(Meta.key, Meta.value))}
    return History(
        epoch=meta.get("epoch", ""),
        seq=current_seq(session),
        horizon=int(meta.get(HORIZON_KEY, "0")),
    )


_meta = Meta.__table__
_commits = Commit.__table__
_counters = Counter.__table__


def _meta_value(key: str) -> ScalarSelect[str]:
    return select(_meta.c.value).where(_meta.c.key == key).scalar_subquery()


# Where the history stands and the stored nonce of change ``:seq``: indexed lookups for a
# poll to read in one statement (with what else it needs), instead of three ORM queries.
STANDING = (
    select(_counters.c.value).where(_counters.c.name == CHANGE_COUNTER).scalar_subquery(),
    _meta_value("epoch"),
    _meta_value(HORIZON_KEY),
    select(_commits.c.nonce).where(_commits.c.seq == bindparam("seq")).scalar_subquery(),
)


def standing_of(values: Sequence[Any], seq: int) -> tuple[History, str | None]:
    """The history, and the stored nonce of change ``seq`` (None if there is no such
    change), from the values of :data:`STANDING`."""
    counter, epoch, horizon, nonce = values
    history = History(epoch=epoch or "", seq=int(counter or 0), horizon=int(horizon or "0"))
    return history, "" if seq == 0 else nonce


def nonce_of(session: Session, seq: int) -> str | None:
    if seq == 0:
        return ""
    return session.scalar(select(Commit.nonce).where(Commit.seq == seq))


def scope_fingerprint(actor: Actor) -> str:
    """Roles and groups decide which old rows a user may see; a change of either resets."""
    roles, groups = scope_of(actor)
    raw = json.dumps([actor.user_id, roles, groups], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def start_cursor(history: History, actor: Actor) -> Cursor:
    return Cursor(PROTOCOL_VERSION, history.epoch, 0, "", scope_fingerprint(actor))


def reset_reason(
    history: History, cursor: Cursor, actor: Actor, stored_nonce: str | None
) -> str | None:
    """Why the cursor can't be trusted, in words for the client's log; None if it can.

    ``stored_nonce`` is the nonce this database holds for change ``cursor.seq``.
    """
    if cursor.version != PROTOCOL_VERSION:
        return "the sync protocol changed"
    if cursor.epoch != history.epoch:
        return "the server's database was replaced"
    if cursor.seq > history.seq or stored_nonce != cursor.nonce:
        if cursor.seq < history.horizon:
            return "the cache is older than the server keeps deletions"
        return "the server's database was restored from a backup"
    if cursor.seq < history.horizon:
        return "the cache is older than the server keeps deletions"
    if cursor.scope != scope_fingerprint(actor):
        return "your roles or groups changed"
    return None
