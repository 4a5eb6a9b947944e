"""Packages on the wire: the preview and report of an import, the choice of an export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from docshelf.protocol.auth import Strict
from docshelf.protocol.types import Id

PACKAGE_MEDIA_TYPE = "application/zip"
MAX_CHOSEN = 10_000


class PackageItem(BaseModel):
    # field, unit, template_group, template or snippet
    kind: str
    # A field definition is known by its key.
    id: str
    title: str
    # For a changed object: what changes (``titles``, ``files.de``, ...).
    changes: list[str] = Field(default_factory=list)


class PackageInfo(BaseModel):
    sha256: str
    size: int
    format_version: int
    generator: str | None
    files: int
    unpacked_bytes: int


class PackagePreview(BaseModel):
    package: PackageInfo
    added: list[PackageItem]
    changed: list[PackageItem]
    unchanged: list[PackageItem]
    warnings: list[str]
    # Names this plan; an import given it as ``expected_plan`` applies exactly these changes
    # or, if the server's content moved meanwhile, nothing (409).
    plan: str


class PackageReport(PackagePreview):
    applied: bool
    # The change number clients receive the import under; None when nothing changed.
    seq: int | None


class PackageExport(Strict):
    template_ids: list[Id] = Field(default_factory=list, max_length=MAX_CHOSEN)
    # Whole groups: their sub-groups and templates too.
    group_ids: list[Id] = Field(default_factory=list, max_length=MAX_CHOSEN)
    snippet_ids: list[Id] = Field(default_factory=list, max_length=MAX_CHOSEN)
    # Every unit, with the definitions of the fields their values use.
    units: bool = False
    # Every field definition.
    fields: bool = False


# --- history and revert ------------------------------------------------------------------


class PackageHistoryEntry(BaseModel):
    """An applied import, or the revert of one."""

    id: int
    # "import" or "revert"
    kind: str
    created_at: datetime
    actor: str
    # The imported package's SHA-256; None for a revert.
    package_sha256: str | None
    # The entry this one reverted.
    reverts: int | None
    # The newest revert of this entry, if any.
    reverted_by: int | None
    # The change it was applied in.
    seq: int
    created: int
    changed: int
    deleted: int


class PackageHistory(BaseModel):
    entries: list[PackageHistoryEntry]


class RevertPreview(BaseModel):
    """What reverting an entry would do, in the items of an import preview."""

    import_id: int
    # Created again (the import had removed them).
    added: list[PackageItem]
    # Back to their state before the import; ``changes``: what that changes.
    changed: list[PackageItem]
    # Removed (the import created them; a template is deactivated, as deleting one does).
    removed: list[PackageItem]
    unchanged: list[PackageItem]
    # Changed by someone after the import: left alone unless named in ``include`` (then
    # they are also listed above with what the revert does to them).
    changed_since: list[PackageItem]
    included: list[str]
    warnings: list[str]
    # Names this plan; a revert given it as ``expected_plan`` does exactly this or nothing.
    plan: str


class RevertReport(RevertPreview):
    applied: bool
    # The change number clients receive the revert under; None when nothing changed.
    seq: int | None
    # The revert's own history entry (it can be reverted in turn).
    entry: int | None


class RevertRequest(Strict):
    # Objects changed since the import (their ids, a field's key) to revert all the same.
    include: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_CHOSEN
    )
    expected_plan: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
