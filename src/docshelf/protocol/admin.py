"""Request bodies of the administration API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from docshelf.domain.patches import (
    REGISTRY_BY_PATCH,
    UNSET,
    FieldDefinitionPatch,
    GroupPatch,
    Patch,
    ProfilePatch,
    SnippetPatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
)
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


# Old ways of saying "clear", still accepted from clients of earlier versions; an explicit
# null of the attribute says it now (docs/server.md, "Changing objects").
_DEPRECATED: dict[str, Any] = {"deprecated": True}


def _given(body: BaseModel, patch_type: type[Patch]) -> dict[str, Any]:
    """The attributes a request body sets. An attribute left out is left as it is (or, in
    a creation, gets its default); null clears a nullable attribute (parent, unit, body,
    ...) and leaves any other alone.

    The patch is checked by the service, after it has checked the caller's rights."""
    kind = REGISTRY_BY_PATCH[patch_type]
    values: dict[str, Any] = {}
    for name, attribute in kind.attributes.items():
        if name not in body.model_fields_set:
            continue
        value = getattr(body, name)
        if value is not None or attribute.nullable:
            values[name] = value
    return values


class Versioned(Strict):
    """``expected_version``: refuse the change if someone else changed the object meanwhile."""

    expected_version: Version | None = None


class UserCreate(Strict):
    login: Login
    display_name: Title | None = None
    roles: list[str] = Field(default_factory=lambda: ["user"], max_length=4)
    fields: FieldValues = Field(default_factory=dict)
    password: Password | None = None

    def patch(self) -> UserPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return UserPatch(**_given(self, UserPatch))


class UserUpdate(Versioned):
    display_name: Title | None = None
    roles: list[str] | None = Field(default=None, max_length=4)
    fields: FieldValues | None = None

    def patch(self) -> UserPatch:
        return UserPatch(**_given(self, UserPatch))


class PasswordSet(Strict):
    password: Password


class GroupCreate(Strict):
    name: GroupName
    description: ShortText = ""

    def patch(self) -> GroupPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return GroupPatch(**_given(self, GroupPatch))


class GroupUpdate(Versioned):
    name: GroupName | None = None
    description: ShortText | None = None

    def patch(self) -> GroupPatch:
        return GroupPatch(**_given(self, GroupPatch))


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

    def patch(self) -> FieldDefinitionPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return FieldDefinitionPatch(**_given(self, FieldDefinitionPatch))


class FieldDefUpdate(Versioned):
    labels: Texts | None = None
    order: Order | None = None

    def patch(self) -> FieldDefinitionPatch:
        return FieldDefinitionPatch(**_given(self, FieldDefinitionPatch))


class UnitCreate(Strict):
    parent_id: Id | None = None
    title: Title
    fields: FieldValues = Field(default_factory=dict)
    assignable_by: Rights | None = None
    order: Order = 0

    def patch(self) -> UnitPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return UnitPatch(**_given(self, UnitPatch))


class UnitUpdate(Versioned):
    # null: move to the root
    parent_id: Id | None = None
    move_to_root: bool = Field(default=False, json_schema_extra=_DEPRECATED)
    title: Title | None = None
    # Keys with a value set that field here; keys with null inherit it again.
    fields: dict[FieldKey, FieldValue | None] | None = None
    # null: inherit the parent's
    assignable_by: Rights | None = None
    inherit_assignable_by: bool = Field(default=False, json_schema_extra=_DEPRECATED)
    order: Order | None = None

    def patch(self) -> UnitPatch:
        values = _given(self, UnitPatch)
        if self.move_to_root and values.get("parent_id") is None:
            values["parent_id"] = None
        if self.inherit_assignable_by:
            values["assignable_by"] = None
        return UnitPatch(**values)


class ProfileCreate(Strict):
    owner_id: Id
    unit_id: Id | None = None
    title: Title
    overrides: FieldValues = Field(default_factory=dict)
    shared_with: list[Id] = Field(default_factory=list)

    def patch(self) -> ProfilePatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return ProfilePatch(**_given(self, ProfilePatch))


class ProfileUpdate(Versioned):
    unit_id: Id | None = None  # null: no unit
    title: Title | None = None
    overrides: dict[FieldKey, FieldValue | None] | None = None
    shared_with: list[Id] | None = None

    def patch(self) -> ProfilePatch:
        return ProfilePatch(**_given(self, ProfilePatch))


class TemplateGroupCreate(Strict):
    parent_id: Id | None = None
    titles: Texts
    order: Order = 0

    def patch(self) -> TemplateGroupPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return TemplateGroupPatch(**_given(self, TemplateGroupPatch))


class TemplateGroupUpdate(Versioned):
    parent_id: Id | None = None  # null: move to the root
    move_to_root: bool = Field(default=False, json_schema_extra=_DEPRECATED)
    titles: Texts | None = None
    order: Order | None = None

    def patch(self) -> TemplateGroupPatch:
        values = _given(self, TemplateGroupPatch)
        if self.move_to_root and values.get("parent_id") is None:
            values["parent_id"] = None
        return TemplateGroupPatch(**values)


class TemplateCreate(Strict):
    group_id: Id | None = None
    kind: str = Field(max_length=10)
    titles: Texts
    descriptions: LongTexts = Field(default_factory=dict)
    status: str = Field(default="in_progress", max_length=20)
    use_rights: Rights | None = None
    change_rights: Rights | None = None
    order: Order = 0

    def patch(self) -> TemplatePatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        return TemplatePatch(**_given(self, TemplatePatch))


class TemplateUpdate(Versioned):
    group_id: Id | None = None  # null: no group
    titles: Texts | None = None
    descriptions: LongTexts | None = None
    status: str | None = Field(default=None, max_length=20)
    use_rights: Rights | None = None
    change_rights: Rights | None = None
    order: Order | None = None

    def patch(self) -> TemplatePatch:
        return TemplatePatch(**_given(self, TemplatePatch))


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

    def patch(self) -> SnippetPatch:
        """The creation as a patch: what the request names; the rest gets its default."""
        values = _given(self, SnippetPatch)
        if values.get("body_sha256", UNSET) is None:
            del values["body_sha256"]  # no body, as when left out
        if self.body is not None:
            values["body_text"] = self.body
        return SnippetPatch(**values)


class SnippetUpdate(Versioned):
    title: Title | None = None
    read_rights: Rights | None = None
    write_rights: Rights | None = None
    body: LongText | None = None
    body_sha256: Sha256 | None = None  # null: no body
    body_format: str | None = Field(default=None, pattern=r"^(text|html|docx)$")

    def patch(self) -> SnippetPatch:
        values = _given(self, SnippetPatch)
        if self.body is not None:
            values["body_text"] = self.body
        return SnippetPatch(**values)


class SettingsUpdate(Strict):
    values: dict[str, Any] = Field(max_length=50)


class MissingBlobsRequest(Strict):
    sha256: list[Sha256] = Field(max_length=10_000)
