"""The sync endpoints' work: check the cursor, read a page in one snapshot, note the device."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict
from docshelf.domain.settings import (
    CLIENT_HINT_MAX_DELAY,
    CLIENT_HINTS_ENABLED,
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    LANGUAGES,
    effective_settings,
)
from docshelf.i18n import N_, tr
from docshelf.protocol import PROTOCOL_VERSION, client_error
from docshelf.protocol.cursor import Cursor
from docshelf.protocol.sync import (
    ChangesPage,
    ManifestPage,
    RecordRef,
    RecordsAnswer,
    SyncSettings,
)
from docshelf.server.db.engine import Database
from docshelf.server.db.models import utcnow
from docshelf.server.services import settings as settings_service
from docshelf.server.services.auth import API, note_device, signed_in
from docshelf.server.sync.activity import SyncCounter
from docshelf.server.sync.feed import read_page
from docshelf.server.sync.history import (
    STANDING,
    History,
    nonce_of,
    read_history,
    reset_reason,
    scope_fingerprint,
    standing_of,
    start_cursor,
)
from docshelf.server.sync.manifest import read_manifest, read_records

# Don't write the device row on every poll; the dashboard shows minutes, not seconds.
_DEVICE_PRECISION = timedelta(seconds=60)


class RestartSync(Conflict):
    code = "sync_restart"
    default_title = N_("Synchronisation must start over")


_SYNC_SETTINGS = (
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    LANGUAGES,
    CLIENT_HINT_MAX_DELAY,
    CLIENT_HINTS_ENABLED,
)
# What every answer needs besides its page, in one statement: where the history stands,
# whether the cursor's change belongs to it, and the settings the clients receive.
_STANDING = select(*STANDING, *(settings_service.stored_value(k) for k in _SYNC_SETTINGS))


def sync_settings(session: Session) -> SyncSettings:
    return _sync_settings(settings_service.current(session))


def _sync_settings(values: dict[str, Any]) -> SyncSettings:
    return SyncSettings(
        client_sync_interval_ms=values[CLIENT_SYNC_INTERVAL],
        client_sync_max_delay_after_start_ms=values[CLIENT_SYNC_MAX_DELAY_AFTER_START],
        languages=values[LANGUAGES],
        client_hint_max_delay_ms=values[CLIENT_HINT_MAX_DELAY],
        client_hints_enabled=values[CLIENT_HINTS_ENABLED],
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


def poll(
    db: Database,
    device_token: str,
    token: str | None,
    limit: int,
    *,
    activity: SyncCounter | None = None,
    reported_error: str | None = None,
    reported_error_code: str | None = None,
    only_if_quick: bool = False,
) -> ChangesPage | None:
    """``GET /sync/changes``: authenticate and read the page in one transaction.

    The device row read to authenticate also says whether its bookkeeping is due, so an
    up-to-date poll within the minute writes nothing and reads no more than it must.
    ``reported_error`` is the client's header about its last failed sync, if it sent one,
    ``reported_error_code`` the header with that error's code.
    ``only_if_quick``: answer only an up-to-date poll that writes nothing, else None (the
    caller may then run the poll where slow work doesn't hold others up).
    """
    now = utcnow()
    # A page needs one committed state across its statements; a quick answer reads one row
    # for the caller and one statement for the counter, and on PostgreSQL a snapshot's
    # isolation level costs it more round trips than its queries.
    reading = db.read() if only_if_quick else db.snapshot()
    with reading as session:
        caller = signed_in(session, device_token, API, now)
        if only_if_quick and (reported_error or caller.seen_is_due(now)):
            return None
        page, done = _changes(session, caller.actor, token, limit, current_only=only_if_quick)
    if page is None:
        return None
    sync_due = done is not None and not _sync_noted(
        caller.last_sync_at, caller.last_sync_seq, done, now
    )
    if only_if_quick and sync_due:
        return None
    if done is not None and activity is not None:
        activity.record(now)
    decoded = client_error.decode(reported_error, now) if reported_error else None
    error = None
    if decoded is not None:
        error = (*decoded, client_error.decode_code(reported_error_code))
    if sync_due or error is not None or caller.seen_is_due(now):
        note_device(
            db,
            caller.device_id,
            seen_at=now,
            synced_seq=done if sync_due else None,
            error=error,
        )
    return page


def _changes(
    session: Session, actor: Actor, token: str | None, limit: int, *, current_only: bool = False
) -> tuple[ChangesPage | None, int | None]:
    """The answer, and the change number the caller is now up to date with (None while
    pages or a reconciliation are still to come). With ``current_only`` no answer (None)
    unless the cursor is up to date."""
    given = None if token is None else Cursor.decode(token)
    seq = 0 if given is None else given.seq
    row = session.execute(_STANDING, {"seq": seq}).one()
    history, stored_nonce = standing_of(row[: len(STANDING)], seq)
    stored = zip(_SYNC_SETTINGS, row[len(STANDING) :], strict=True)
    settings = _sync_settings(effective_settings({k: v for k, v in stored if v is not None}))
    if given is None:
        if current_only:
            return None, None
        cursor = start_cursor(history, actor)
    else:
        cursor = given
        reason = _reason(history, cursor, actor, stored_nonce)
        if current_only and (reason is not None or not _is_current(cursor, history)):
            return None, None
        if reason is not None:
            reset = ChangesPage(
                protocol=PROTOCOL_VERSION,
                cursor=_reset_cursor(session, history, actor).encode(),
                changes=[],
                has_more=True,
                reset=True,
                reset_reason=reason,
                settings=settings,
                server_time=utcnow(),
            )
            return reset, None
    page = read_page(session, actor, cursor, history, limit)
    # Not validated: the feed's changes are plain dicts in Change's shape (feed.WireChange),
    # and the answer is only ever dumped (model_dump_json(warnings=False), as the route
    # does); building a Change model for each record cost more than the page's JSON.
    answer = ChangesPage.model_construct(
        protocol=PROTOCOL_VERSION,
        # Up to date already: the cursor comes back as it was sent.
        cursor=token if token is not None and page.cursor is given else page.cursor.encode(),
        changes=page.changes,
        has_more=page.has_more,
        reset=False,
        reset_reason=None,
        remaining=page.remaining,
        settings=settings,
        server_time=utcnow(),
    )
    return answer, None if page.has_more else page.cursor.seq


def _is_current(cursor: Cursor, history: History) -> bool:
    return cursor.kind is None and cursor.seq == history.seq


def _reason(history: History, cursor: Cursor, actor: Actor, stored_nonce: str | None) -> str | None:
    if cursor.reset_to is not None:
        return "a reconciliation was interrupted"
    return reset_reason(history, cursor, actor, stored_nonce)


def manifest(db: Database, actor: Actor, token: str, limit: int) -> ManifestPage:
    cursor = Cursor.decode(token)
    with db.snapshot() as session:
        history = read_history(session)
        if cursor.reset_to is None or _history_moved(session, history, cursor, actor):
            raise RestartSync(
                tr(
                    "The server's data changed in a way that needs a fresh reconciliation; "
                    "the client starts it again.",
                )
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


def _sync_noted(last_at: datetime | None, last_seq: int | None, seq: int, now: datetime) -> bool:
    return last_at is not None and now - last_at < _DEVICE_PRECISION and last_seq == seq
