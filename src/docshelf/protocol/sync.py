"""Requests and answers of the sync endpoints (see docs/protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from docshelf.protocol.auth import Strict
from docshelf.protocol.canonical import record_hash as record_hash  # re-exported
from docshelf.protocol.types import Id

Kind = Literal["field", "unit", "user", "group", "template_group", "template", "snippet", "profile"]


class SyncSettings(BaseModel):
    """Settings every client receives with every answer and stores locally."""

    client_sync_interval_ms: int
    client_sync_max_delay_after_start_ms: int
    languages: list[str]
    # Defaults: what a client assumes when an older server sends neither.
    client_hint_max_delay_ms: int = 5_000
    client_hints_enabled: bool = True


class Change(BaseModel):
    """One item of a page: a record to store (``upsert``) or to drop (``remove``)."""

    kind: Kind
    id: str
    op: Literal["upsert", "remove"]
    version: int | None = None
    record: dict[str, Any] | None = None


class ChangesPage(BaseModel):
    protocol: int
    cursor: str
    changes: list[Change]
    has_more: bool
    # True: the cursor can't be trusted (other database, scope changed, too old);
    # fetch the manifest from ``cursor`` and reconcile.
    reset: bool = False
    reset_reason: str | None = None
    # Changes still to come after this page (an estimate, for progress).
    remaining: int = 0
    settings: SyncSettings
    server_time: datetime


class PageHead(BaseModel):
    """Where the feed goes on after a :class:`ChangesPage`, read from the page's JSON without
    its changes: a client asking for pages ahead needs no more, and keeps the rest unread
    until it takes the page."""

    protocol: int
    cursor: str
    has_more: bool
    reset: bool = False


class ManifestEntry(BaseModel):
    kind: Kind
    id: str
    version: int
    hash: str


class ManifestPage(BaseModel):
    protocol: int
    cursor: str
    entries: list[ManifestEntry]
    has_more: bool
    total: int
    settings: SyncSettings


class RecordRef(Strict):
    kind: Kind
    id: Id


class RecordsRequest(Strict):
    items: list[RecordRef] = Field(max_length=2000)


class RecordsAnswer(BaseModel):
    records: list[Change]
    # Asked for but not (or no longer) visible: drop them.
    gone: list[RecordRef]
