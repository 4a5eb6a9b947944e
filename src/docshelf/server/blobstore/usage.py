"""Which stored files are in use, and how much storage they take.

One place for both the dashboard's storage figures and ``docshelf admin blobs``: what
the garbage collector keeps is exactly what these figures count as used.

A file is in use when a template holds it (a file per language), a snippet's body is
it, an image field of a unit, a user or a profile (logos, signatures) names it, a kept
version of a template or snippet names it (server/db/versions.py: old versions' files
stay until the version history's retention drops those versions), or the before-state of
a package import names it (a revert brings it back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docshelf.domain.fields import FieldType
from docshelf.server.db.models import (
    Blob,
    FieldDefinition,
    ObjectVersionFile,
    PackageImportFile,
    Profile,
    Snippet,
    TemplateFile,
    Unit,
    User,
)


@dataclass(frozen=True)
class Storage:
    files: int
    stored_bytes: int  # each distinct file once
    logical_bytes: int  # every use of a file counted
    # Of the stored files, those only old versions keep (server/db/versions.py).
    old_version_files: int = 0
    old_version_bytes: int = 0

    @property
    def saved_percent(self) -> int:
        if self.logical_bytes <= 0:
            return 0
        return max(0, round(100 * (1 - self.stored_bytes / self.logical_bytes)))


def storage(session: Session) -> Storage:
    """The registered files, their bytes, and the bytes every use would take unshared."""
    files, stored = session.execute(select(func.count(), func.sum(Blob.size))).one()
    logical = session.scalar(select(func.sum(TemplateFile.size))) or 0
    logical += (
        session.scalar(
            select(func.sum(Blob.size)).join(Snippet, Snippet.body_sha256 == Blob.sha256)
        )
        or 0
    )
    logical += _image_bytes(session)
    old_files, old_bytes = _old_version_only(session)
    return Storage(
        files=files or 0,
        stored_bytes=stored or 0,
        logical_bytes=logical,
        old_version_files=old_files,
        old_version_bytes=old_bytes,
    )


def _old_version_only(session: Session) -> tuple[int, int]:
    """The files no current template, snippet or field uses, kept for old versions."""
    kept = set(session.scalars(select(ObjectVersionFile.sha256).distinct()))
    only_old = kept - current_uses(session)
    if not only_old:
        return 0, 0
    sizes = session.execute(select(Blob.sha256, Blob.size).where(Blob.sha256.in_(only_old)))
    found = [size for _sha, size in sizes]
    return len(found), sum(found)


def _image_keys(session: Session) -> list[str]:
    return list(
        session.scalars(select(FieldDefinition.key).where(FieldDefinition.type == FieldType.IMAGE))
    )


def image_uses(session: Session) -> list[str]:
    """The files named by image fields, once per use (a handful of values, read in
    Python): units' and users' fields and profiles' overrides."""
    keys = _image_keys(session)
    if not keys:
        return []
    used: list[str] = []
    values: Iterable[dict[str, Any]]
    for values in (
        session.scalars(select(Unit.fields)),
        session.scalars(select(User.fields)),
        session.scalars(select(Profile.overrides)),
    ):
        for row in values:
            used.extend(str(row[k]) for k in keys if isinstance(row, dict) and row.get(k))
    return used


def _image_bytes(session: Session) -> int:
    used = image_uses(session)
    if not used:
        return 0
    found = session.execute(select(Blob.sha256, Blob.size).where(Blob.sha256.in_(set(used))))
    sizes = {sha: size for sha, size in found}
    return sum(sizes.get(sha, 0) for sha in used)


def in_use(session: Session) -> set[str]:
    """Every file something refers to, old versions and package imports' before-states
    included."""
    used = current_uses(session)
    used.update(session.scalars(select(ObjectVersionFile.sha256).distinct()))
    used.update(session.scalars(select(PackageImportFile.sha256).distinct()))
    return used


def current_uses(session: Session) -> set[str]:
    """Every file the current templates, snippets and fields refer to."""
    used = set(session.scalars(select(TemplateFile.sha256).distinct()))
    used.update(
        session.scalars(
            select(Snippet.body_sha256).where(Snippet.body_sha256.is_not(None)).distinct()
        )
    )
    used.update(image_uses(session))
    return {sha for sha in used if sha}


def is_used(session: Session, sha256: str) -> bool:
    """Does anything refer to this one file? (:func:`in_use`, for one file.)"""
    for column in (
        TemplateFile.sha256,
        Snippet.body_sha256,
        ObjectVersionFile.sha256,
        PackageImportFile.sha256,
    ):
        if session.scalar(select(column).where(column == sha256).limit(1)) is not None:
            return True
    return sha256 in image_uses(session)
