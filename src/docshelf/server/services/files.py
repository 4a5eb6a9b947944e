"""Which stored files exist, and who may read them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, lazyload

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import FieldType
from docshelf.domain.permissions import (
    can_administer_template,
    can_change_snippet,
    can_see_snippet,
    can_see_template,
)
from docshelf.i18n import tr
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.models import (
    Blob,
    FieldDefinition,
    Snippet,
    Template,
    TemplateFile,
    Unit,
    User,
)


def register_blob(session: Session, sha256: str, size: int) -> None:
    """Record a stored file; concurrent uploads of the same content are no error."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Blob)
        .values(sha256=sha256, size=size)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def store_bytes(session: Session, blobs: BlobStore, data: bytes) -> str:
    sha, size = blobs.put_bytes(data)
    register_blob(session, sha, size)
    return sha


def require_blob(session: Session, sha256: str) -> Blob:
    blob = session.get(Blob, sha256)
    if blob is None:
        raise InvalidInput(
            tr(
                "The file {sha256} has not been uploaded to the server; upload it "
                "first (PUT /api/v1/blobs/<sha256>).",
                sha256=sha256,
            )
        )
    return blob


def missing(session: Session, hashes: Iterable[str]) -> list[str]:
    wanted = sorted(set(hashes))
    present: set[str] = set()
    for i in range(0, len(wanted), 500):
        batch = wanted[i : i + 500]
        present.update(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(batch))))
    return [h for h in wanted if h not in present]


def may_read(session: Session, actor: Actor, sha256: str) -> bool:
    """A file may be read by whoever may see something that uses it.

    The rules read the rows themselves (permissions.TemplateFacts and its siblings): an
    entity built per row would load each template's files too, one more query per file.
    """
    if actor.is_sys:
        return True
    using = select(Template).join(TemplateFile).where(TemplateFile.sha256 == sha256)
    for template in session.scalars(using.options(lazyload(Template.files))):
        if can_see_template(actor, template) or can_administer_template(actor, template):
            return True
    for snippet in session.scalars(select(Snippet).where(Snippet.body_sha256 == sha256)):
        parent = session.get(Template, snippet.template_id) if snippet.template_id else None
        if can_see_snippet(actor, snippet, parent) or can_change_snippet(actor, snippet, parent):
            return True
    # Images in unit and user fields (logos, signatures) are visible to every signed-in user.
    return _used_in_fields(session, sha256)


def _used_in_fields(session: Session, sha256: str) -> bool:
    """Is the file the value of an image field of some unit or user?

    Only image fields hold files. Their values are compared in the database: this runs on
    file downloads and used to decode every unit's and user's fields in Python each time.
    """
    keys = sorted(
        session.scalars(select(FieldDefinition.key).where(FieldDefinition.type == FieldType.IMAGE))
    )
    if not keys:
        return False
    for model in (Unit, User):
        found = session.scalar(
            select(model.id)
            .where(or_(*(model.fields[key].as_string() == sha256 for key in keys)))
            .limit(1)
        )
        if found is not None:
            return True
    return False
