"""Housekeeping that keeps the database from growing for ever."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, select

from docshelf.domain.settings import AUDIT_RETENTION_DAYS
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Database
from docshelf.server.db.models import AppliedMutation, AuditEntry, Commit, Meta, Tombstone, utcnow
from docshelf.server.services import settings as settings_service
from docshelf.server.sync.history import HORIZON_KEY

log = logging.getLogger("docshelf.server.maintenance")
# An upload in pieces that nobody continued for this long is given up.
PARTIAL_UPLOAD_MAX_AGE = timedelta(days=7)


def purge_tombstones(db: Database, older_than: timedelta) -> int:
    """Forget deletions older than the retention window; returns how many were dropped.

    Clients whose cursor is older than the newest forgotten deletion can no longer be
    told about it; the horizon makes the server ask them to reconcile instead.
    """
    cutoff = utcnow() - older_than
    with db.write() as session:
        horizon = session.scalar(
            select(func.max(Tombstone.seq)).where(Tombstone.deleted_at < cutoff)
        )
        if horizon is None:
            return 0
        dropped = session.execute(delete(Tombstone).where(Tombstone.seq <= horizon))
        dropped_count = int(getattr(dropped, "rowcount", 0) or 0)
        # Commit rows below the horizon only served cursors that are now too old anyway.
        session.execute(delete(Commit).where(Commit.seq < horizon))
        current = session.get(Meta, HORIZON_KEY)
        if current is None:
            session.add(Meta(key=HORIZON_KEY, value=str(horizon)))
        elif int(current.value) < horizon:
            current.value = str(horizon)
    log.info(
        "tombstones purged", extra={"event": "purge", "dropped": dropped_count, "horizon": horizon}
    )
    return dropped_count


def purge_applied_mutations(db: Database, older_than: timedelta) -> int:
    """Forget the answers to uploaded edits older than the retention window.

    A client that sends such an edit again (it was offline longer than that) gets it
    judged anew instead of its first answer."""
    cutoff = utcnow() - older_than
    with db.write() as session:
        result = session.execute(delete(AppliedMutation).where(AppliedMutation.created_at < cutoff))
        dropped = int(getattr(result, "rowcount", 0) or 0)
    if dropped:
        log.info("mutation answers purged", extra={"event": "purge_mutations", "dropped": dropped})
    return dropped


def purge_audit_entries(db: Database) -> int:
    """Drop audit log entries older than the AuditRetentionDays setting (0: keep all)."""
    with db.write() as session:
        days = int(settings_service.current(session)[AUDIT_RETENTION_DAYS])
        if days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=days)
        result = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
        dropped = int(getattr(result, "rowcount", 0) or 0)
    if dropped:
        log.info("audit entries purged", extra={"event": "purge_audit", "dropped": dropped})
    return dropped


def purge_partial_uploads(blobs: BlobStore, older_than: timedelta = PARTIAL_UPLOAD_MAX_AGE) -> int:
    """Drop uploads in pieces that were not continued for ``older_than``."""
    dropped = blobs.purge_partials(older_than.total_seconds())
    if dropped:
        log.info("partial uploads purged", extra={"event": "purge_uploads", "dropped": dropped})
    return dropped
