"""The sync endpoints' work: check the cursor, read a page in one snapshot, note the device."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict
from docshelf.domain.settings import (
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    LANGUAGES,
)
from docshelf.protocol import PROTOCOL_VERSION
from docshelf.protocol.cursor import Cursor
from docshelf.protocol.sync import (
    ChangesPage,
    ManifestPage,
    RecordRef,
    RecordsAnswer,
    SyncSettings,
)
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Device, utcnow
from docshelf.server.services import settings as settings_service
from docshelf.server.sync.feed import read_page
from docshelf.server.sync.history import (
    History,
    nonce_of,
    read_history,
    reset_reason,
    scope_fingerprint,
    start_cursor,
)
from docshelf.server.sync.manifest import read_manifest, read_records

# Don't write the device row on every poll; the dashboard shows minutes, not seconds.
_DEVICE_PRECISION = timedelta(seconds=60)


class RestartSync(Conflict):
    code = "sync_restart"
    default_title = "Synchronisation must start over"


def sync_settings(session: Session) -> SyncSettings:
    values = settings_service.current(session)
    return SyncSettings(
        client_sync_interval_ms=values[CLIENT_SYNC_INTERVAL],
        client_sync_max_delay_after_start_ms=values[CLIENT_SYNC_MAX_DELAY_AFTER_START],
        languages=values[LANGUAGES],
    )


def _reset_cursor(session: Session, history: History, actor: Actor) -> Cursor:
    return Cursor(
        version=PROTOCOL_VERSION,
        epoch=history.epoch,
        seq=history.seq,
        nonce=nonce_of(session, history.seq) or "",
        scope=scope_fingerprint(actor),
        reset_to=history.seq,
    )


def changes(
    db: Database, actor: Actor, device_id: str, token: str | None, limit: int
) -> ChangesPage:
    with db.snapshot() as session:
        history = read_history(session)
        settings = sync_settings(session)
        cursor = start_cursor(history, actor) if token is None else Cursor.decode(token)
        reason = None if token is None else _reason(session, history, cursor, actor)
        if reason is not None:
            return ChangesPage(
                protocol=PROTOCOL_VERSION,
                cursor=_reset_cursor(session, history, actor).encode(),
                changes=[],
                has_more=True,
                reset=True,
                reset_reason=reason,
                settings=settings,
                server_time=utcnow(),
            )
        page = read_page(session, actor, cursor, history, limit)
    if not page.has_more:
        _note_device(db, device_id, page.cursor.seq)
    return ChangesPage(
        protocol=PROTOCOL_VERSION,
        cursor=page.cursor.encode(),
        changes=page.changes,
        has_more=page.has_more,
        remaining=page.remaining,
        settings=settings,
        server_time=utcnow(),
    )


def _reason(session: Session, history: History, cursor: Cursor, actor: Actor) -> str | None:
    if cursor.reset_to is not None:
        return "a reconciliation was interrupted"
    return reset_reason(session, history, cursor, actor)


def manifest(db: Database, actor: Actor, token: str, limit: int) -> ManifestPage:
    cursor = Cursor.decode(token)
    with db.snapshot() as session:
        history = read_history(session)
        if cursor.reset_to is None or _history_moved(session, history, cursor, actor):
            raise RestartSync(
                "The server's data changed in a way that needs a fresh reconciliation;"
                " the client starts it again."
            )
        settings = sync_settings(session)
        part = read_manifest(session, actor, cursor, limit)
        if part.position is None:
            # Done: from here on the client follows the changes after reset_to.
            next_cursor = Cursor(
                cursor.version, cursor.epoch, cursor.reset_to, cursor.nonce, cursor.scope
            )
        else:
            kind, item = part.position
            next_cursor = Cursor(
                cursor.version,
                cursor.epoch,
                cursor.seq,
                cursor.nonce,
                cursor.scope,
                kind=kind,
                item=item,
                reset_to=cursor.reset_to,
            )
    return ManifestPage(
        protocol=PROTOCOL_VERSION,
        cursor=next_cursor.encode(),
        entries=part.entries,
        has_more=part.position is not None,
        total=part.total,
        settings=settings,
    )


def _history_moved(session: Session, history: History, cursor: Cursor, actor: Actor) -> bool:
    return (
        cursor.version != PROTOCOL_VERSION
        or cursor.epoch != history.epoch
        or cursor.seq > history.seq
        or nonce_of(session, cursor.seq) != cursor.nonce
        or cursor.scope != scope_fingerprint(actor)
    )


def records(db: Database, actor: Actor, refs: list[RecordRef]) -> RecordsAnswer:
    with db.snapshot() as session:
        found, gone = read_records(session, actor, refs)
    return RecordsAnswer(records=found, gone=gone)


def _note_device(db: Database, device_id: str, seq: int) -> None:
    """Remember how far the device got, for the dashboard (at most once a minute if idle)."""
    now = utcnow()
    with db.read() as session:
        device = session.get(Device, device_id)
        if device is None:
            return
        fresh = device.last_sync_at is not None and now - device.last_sync_at < _DEVICE_PRECISION
        if fresh and device.last_sync_seq == seq:
            return
    with db.write() as session:
        device = session.get(Device, device_id)
        if device is not None:
            device.last_sync_at, device.last_sync_seq = now, seq
