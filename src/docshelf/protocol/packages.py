"""Packages on the wire: the preview and report of an import, the choice of an export."""

from __future__ import annotations

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
