"""Who may use a stored file in an edit.

Files are addressed by their SHA-256, so knowing a hash must not be enough to use the
file: whoever references it in a template or snippet makes it readable to that record's
audience. A file may be referenced by whoever may already read it, or by whoever sent
its bytes (which proves they hold the content).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput
from docshelf.i18n import tr
from docshelf.server.db.models import Blob, BlobUpload, utcnow
from docshelf.server.services.files import may_read


def record_upload(session: Session, user_id: str, sha256: str) -> None:
    """Remember that ``user_id`` sent the bytes of a (registered) file."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    session.execute(
        insert(BlobUpload)
        .values(user_id=user_id, sha256=sha256, uploaded_at=now)
        .on_conflict_do_update(index_elements=["user_id", "sha256"], set_={"uploaded_at": now})
    )


def uploaded_by(session: Session, user_id: str, sha256: str) -> bool:
    found = session.scalar(
        select(BlobUpload.sha256).where(BlobUpload.user_id == user_id, BlobUpload.sha256 == sha256)
    )
    return found is not None


def may_use(session: Session, actor: Actor, sha256: str) -> Blob | None:
    """The stored file, if ``actor`` may reference it; None otherwise (also when absent)."""
    blob = session.get(Blob, sha256)
    if blob is None:
        return None
    if uploaded_by(session, actor.user_id, sha256) or may_read(session, actor, sha256):
        return blob
    return None


def require_usable(session: Session, actor: Actor, sha256: str) -> Blob:
    """Refuse a reference to a file the caller neither sent nor may read.

    Absent and not-yours answer alike, so the answer tells nothing about other people's
    files."""
    blob = may_use(session, actor, sha256)
    if blob is None:
        raise InvalidInput(
            tr(
                "The file {sha256} is not on the server for you. Upload the file first "
                "(PUT /api/v1/blobs/{sha256}), then send the edit again.",
                sha256=sha256,
            )
        )
    return blob
