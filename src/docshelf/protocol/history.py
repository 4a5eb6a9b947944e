"""The version history of templates and snippets on the wire (admin API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from docshelf.protocol.auth import Strict
from docshelf.protocol.types import Version

HistoryKind = Literal["template", "snippet"]


class VersionRecord(BaseModel):
    """One kept version: the object's version number, the change that made it, who and
    when, and the snapshot of everything a restore brings back."""

    kind: str
    object_id: str
    version: int
    seq: int
    created_at: datetime
    actor: str
    deleted: bool
    snapshot: dict[str, Any]


class AttributeChangeRecord(BaseModel):
    name: str
    before: Any
    after: Any


class FileChangeRecord(BaseModel):
    lang: str
    change: Literal["added", "removed", "changed"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class VersionDiff(BaseModel):
    """What changed from one version to another (``from_version`` → ``to_version``;
    ``to_version`` null: to the current state)."""

    from_version: int | None
    to_version: int | None
    attributes: list[AttributeChangeRecord]
    files: list[FileChangeRecord]
    # What a restore does beyond the differences (a deleted object created again, a
    # template group that is gone), in the request's language.
    notes: list[str] = []


class RestoreRequest(Strict):
    version: Version
    dry_run: bool = False


class RestoreResult(BaseModel):
    """What the restore changed (or, on a dry run, would change) from the current state;
    ``new_version`` is the object's version after it (null on a dry run)."""

    restored: bool
    new_version: int | None
    changes: VersionDiff


class DeletedRecord(BaseModel):
    """A deleted template (purged) or snippet the caller may restore: ``version`` is the
    deletion's, ``restore_version`` the one a restore brings back by default; ``blocked``
    says why it cannot be restored yet (a snippet whose template is deleted too)."""

    kind: str
    object_id: str
    title: str
    titles: dict[str, str]
    deleted_at: datetime
    deleted_by: str
    version: int
    restore_version: int
    blocked: str | None
