"""How each kind of content looks on the wire.

The same records answer the admin API and, later, fill the client's cache, so
a record carries everything a client needs and nothing it may not see
(no password hashes, no group memberships).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Record(BaseModel):
    id: str
    version: int


class UserRecord(Record):
    login: str
    display_name: str
    fields: dict[str, str]
    roles: list[str]
    active: bool


class GroupRecord(Record):
    name: str
    description: str


class MemberRecord(BaseModel):
    kind: str  # "user" or "group"
    id: str
    name: str


class FieldDefRecord(Record):
    key: str
    scope: str
    type: str
    labels: dict[str, str]
    order: int


class UnitRecord(Record):
    parent_id: str | None
    title: str
    fields: dict[str, str]
    assignable_by: list[str] | None
    order: int


class ProfileRecord(Record):
    owner_id: str
    unit_id: str | None
    title: str
    overrides: dict[str, str]
    shared_with: list[str]


class TemplateGroupRecord(Record):
    parent_id: str | None
    titles: dict[str, str]
    order: int


class FileRef(BaseModel):
    sha256: str
    size: int
    filename: str


class TemplateRecord(Record):
    group_id: str | None
    kind: str
    status: str
    active: bool
    titles: dict[str, str]
    descriptions: dict[str, str]
    use_rights: list[str]
    change_rights: list[str]
    files: dict[str, FileRef]
    order: int


class SnippetRecord(Record):
    kind: str
    title: str
    owner_id: str | None
    template_id: str | None
    read_rights: list[str]
    write_rights: list[str]
    body_sha256: str | None
    body_format: str


class SettingRecord(BaseModel):
    key: str
    value: Any
    default: Any
    description: str
    version: int


class BlobInfo(BaseModel):
    sha256: str
    size: int


class AuditRecord(BaseModel):
    """One object one change wrote (the audit log); before/after hold the attributes that
    differ, all of them on create (before is null) and delete (after is null)."""

    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    actor_id: str | None
    kind: str
    object_id: str
    object_title: str
    action: str  # created, changed, deleted
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    origin: str  # api, dashboard, sync, package, cli, demo, system
    origin_ref: str | None


class AuditPage(BaseModel):
    entries: list[AuditRecord]
    total: int  # entries matching the filter, all pages together
