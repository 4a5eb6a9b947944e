"""Checking, collecting and moving stored files (``docshelf admin blobs``), on any store,
beside running server processes.

- :func:`verify`: every registered file is present and hashes to its name.
- :func:`collect_garbage`: files nothing refers to (see :mod:`.usage`) are removed, but
  only once they and their registration are older than a grace period. Uploads in
  progress live apart (``tmp/``, partials) and never count; a finished upload of content
  already stored refreshes the stored file's time, and a package import stores its files
  just before it registers them, so the grace period covers every file that is about to
  be used. Each file's registration is dropped (in the database) before its bytes: an
  edit that names it meanwhile is refused and uploads the file again.
- :func:`migrate`: copy one store into another (a directory into object storage) while
  the server runs: files already there are skipped, so it can be stopped and run again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, select

from docshelf.domain.errors import NotFound
from docshelf.server.blobstore.base import BlobStat, BlobStore
from docshelf.server.blobstore.usage import in_use, is_used
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Blob, BlobUpload

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class VerifyReport:
    checked: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # wrong hash or size

    @property
    def ok(self) -> bool:
        return not self.missing and not self.damaged


def verify(db: Database, store: BlobStore, progress: Progress = _quiet) -> VerifyReport:
    """Read every registered file back and hash it (streamed)."""
    with db.read() as session:
        registered = list(session.execute(select(Blob.sha256, Blob.size).order_by(Blob.sha256)))
    report = VerifyReport()
    for sha, size in registered:
        report.checked += 1
        try:
            stat = store.stat(sha)
        except NotFound:
            report.missing.append(sha)
            continue
        digest = hashlib.sha256()
        read = 0
        if stat.size:
            for chunk in store.iter_range(sha, 0, stat.size - 1):
                digest.update(chunk)
                read += len(chunk)
        report.bytes += read
        if digest.hexdigest() != sha or read != size:
            report.damaged.append(sha)
        progress(sha)
    return report


@dataclass
class GcReport:
    removed: list[str] = field(default_factory=list)
    removed_bytes: int = 0
    kept_in_use: int = 0
    kept_recent: int = 0


def collect_garbage(
    db: Database,
    store: BlobStore,
    grace: timedelta,
    *,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> GcReport:
    report = GcReport()
    cutoff = time.time() - grace.total_seconds()
    with db.read() as session:
        used = in_use(session)
    candidates: list[BlobStat] = []
    for stat in store.list_blobs():
        if stat.sha256 in used:
            report.kept_in_use += 1
        elif stat.modified >= cutoff:
            report.kept_recent += 1
        else:
            candidates.append(stat)
    for stat in candidates:
        if _remove(db, store, stat.sha256, cutoff, dry_run):
            report.removed.append(stat.sha256)
            report.removed_bytes += stat.size
            progress(stat.sha256)
        else:
            report.kept_recent += 1
    return report


def _remove(db: Database, store: BlobStore, sha: str, cutoff: float, dry_run: bool) -> bool:
    """Drop one unused file, checking again under the write transaction: something may
    have started to use it, or uploaded it again, since the listing."""
    with db.write() as session:
        if is_used(session, sha):
            return False
        newest = session.scalar(
            select(func.max(BlobUpload.uploaded_at)).where(BlobUpload.sha256 == sha)
        )
        row = session.get(Blob, sha)
        times = [t for t in (newest, row.created_at if row else None) if t is not None]
        if any(t.timestamp() >= cutoff for t in times):
            return False
        try:
            if store.stat(sha).modified >= cutoff:
                return False
        except NotFound:
            pass
        if dry_run:
            return True
        session.execute(delete(BlobUpload).where(BlobUpload.sha256 == sha))
        session.execute(delete(Blob).where(Blob.sha256 == sha))
    store.delete(sha)
    return True


@dataclass
class MigrateReport:
    copied: int = 0
    copied_bytes: int = 0
    present: int = 0


def migrate(source: BlobStore, target: BlobStore, progress: Progress = _quiet) -> MigrateReport:
    """Copy every file of ``source`` that ``target`` lacks; each copy is verified by its
    hash on the way in, so an interrupted run leaves nothing half-copied."""
    report = MigrateReport()
    for stat in source.list_blobs():
        try:
            if target.size(stat.sha256) == stat.size:
                report.present += 1
                continue
        except NotFound:
            pass
        chunks = source.iter_range(stat.sha256, 0, stat.size - 1) if stat.size else iter(())
        target.put_chunks(chunks, expected_sha256=stat.sha256)
        report.copied += 1
        report.copied_bytes += stat.size
        progress(stat.sha256)
    return report
