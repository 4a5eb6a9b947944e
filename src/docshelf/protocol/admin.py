"""Request bodies of the administration API."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from docshelf.protocol.auth import Strict
from docshelf.protocol.types import (
    FieldKey,
    FieldValue,
    GroupName,
    Id,
    Lang,
    Login,
    LongText,
    Order,
    Password,
    Principal,
    Sha256,
    ShortText,
    Title,
    Version,
)

Rights = list[Principal]
Texts = dict[Lang, Title]
LongTexts = dict[Lang, LongText]
FieldValues = dict[FieldKey, FieldValue]


class Versioned(Strict):
    """``expected_version``: refuse the change if someone else changed the object meanwhile."""

    expected_version: Version | None = None


class UserCreate(Strict):
    login: Login
    display_name: Title | None = None
    roles: list[str] = Field(default_factory=lambda: ["user"], max_length=4)
    fields: FieldValues = Field(default_factory=dict)
    password: Password | None = None


class UserUpdate(Versioned):
    display_name: Title | None = None
    roles: list[str] | None = Field(default=None, max_length=4)
    fields: FieldValues | None = None


class PasswordSet(Strict):
    password: Password


class GroupCreate(Strict):
    name: GroupName
    description: ShortText = ""


class GroupUpdate(Versioned):
    name: GroupName | None = None
    description: ShortText | None = None


class MemberAdd(Strict):
    user_id: Id | None = None
    group_id: Id | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberAdd:
        if (self.user_id is None) == (self.group_id is None):
            raise ValueError("give either user_id or group_id")
        return self


class FieldDefCreate(Strict):
    key: FieldKey
    scope: str = Field(pattern=r"^(user|unit)$")
    type: str = Field(default="text", pattern=r"^(text|multiline|email|phone|url|image)$")
    labels: Texts = Field(default_factory=dict)
    order: Order = 0


class FieldDefUpdate(Versioned):
    labels: Texts | None = None
    order: Order | None = None


class UnitCreate(Strict):
    parent_id: Id | None = None
    title: Title
    fields: FieldValues = Field(default_factory=dict)
    assignable_by: Rights | None = None
    order: Order = 0


class UnitUpdate(Versioned):
    parent_id: Id | None = None
    move_to_root: bool = False
    title: Title | None = None
    # Keys with a value set that field here; keys with null inherit it again.
    fields: dict[FieldKey, FieldValue | None] | None = None
    assignable_by: Rights | None = None
    inherit_assignable_by: bool = False
    order: Order | None = None


class ProfileCreate(Strict):
    owner_id: Id
    unit_id: Id | None = None
    title: Title
    overrides: FieldValues = Field(default_factory=dict)
    shared_with: list[Id] = Field(default_factory=list)


class ProfileUpdate(Versioned):
    unit_id: Id | None = None
    title: Title | None = None
    overrides: dict[FieldKey, FieldValue | None] | None = None
    shared_with: list[Id] | None = None


class TemplateGroupCreate(Strict):
    parent_id: Id | None = None
    titles: Texts
    order: Order = 0


class TemplateGroupUpdate(Versioned):
    parent_id: Id | None = None
    move_to_root: bool = False
    titles: Texts | None = None
    order: Order | None = None


class TemplateCreate(Strict):
    group_id: Id | None = None
    kind: str = Field(max_length=10)
    titles: Texts
    descriptions: LongTexts = Field(default_factory=dict)
    status: str = Field(default="in_progress", max_length=20)
    use_rights: Rights | None = None
    change_rights: Rights | None = None
    order: Order = 0


class TemplateUpdate(Versioned):
    group_id: Id | None = None
    titles: Texts | None = None
    descriptions: LongTexts | None = None
    status: str | None = Field(default=None, max_length=20)
    use_rights: Rights | None = None
    change_rights: Rights | None = None
    order: Order | None = None


class StatusChange(Versioned):
    status: str = Field(max_length=20)


class FileSet(Versioned):
    sha256: Sha256
    filename: Title


class SnippetCreate(Strict):
    kind: str = Field(pattern=r"^(personal|shared|template)$")
    title: Title
    owner_id: Id | None = None
    template_id: Id | None = None
    read_rights: Rights = Field(default_factory=list)
    write_rights: Rights = Field(default_factory=list)
    body: LongText | None = None
    body_sha256: Sha256 | None = None
    body_format: str = Field(default="text", pattern=r"^(text|html|docx)$")


class SnippetUpdate(Versioned):
    title: Title | None = None
    read_rights: Rights | None = None
    write_rights: Rights | None = None
    body: LongText | None = None
    body_sha256: Sha256 | None = None
    body_format: str | None = Field(default=None, pattern=r"^(text|html|docx)$")


class SettingsUpdate(Strict):
    values: dict[str, Any] = Field(max_length=50)


class MissingBlobsRequest(Strict):
    sha256: list[Sha256] = Field(max_length=10_000)
