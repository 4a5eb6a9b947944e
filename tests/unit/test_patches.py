"""Typed changes (docshelf.domain.patches): UNSET versus None, the registry's checks, and the
admin API's request bodies read as patches (the deprecated clearing flags included)."""

from __future__ import annotations

import dataclasses

import pytest

from docshelf.domain.errors import InvalidInput
from docshelf.domain.patches import (
    REGISTRY,
    UNSET,
    FieldDefinitionPatch,
    GroupPatch,
    ProfilePatch,
    SnippetPatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
    checked,
    patch_for,
    patch_from,
    set_attributes,
)
from docshelf.protocol.admin import (
    ProfileUpdate,
    SnippetUpdate,
    TemplateGroupUpdate,
    TemplateUpdate,
    UnitUpdate,
)
from docshelf.server.services import accounts, fields, profiles, snippets, templates, units

SHA = "a" * 64


def test_every_attribute_of_every_patch_is_in_the_registry_and_has_an_applier() -> None:
    appliers = {
        "template": templates._TEMPLATE_APPLIERS,
        "template_group": templates._GROUP_APPLIERS,
        "snippet": snippets._APPLIERS,
        "profile": profiles._APPLIERS,
        "unit": units._APPLIERS,
        "field": fields.APPLIERS,
        "user": accounts.USER_APPLIERS,
        "group": accounts.GROUP_APPLIERS,
    }
    assert set(REGISTRY) == set(appliers)
    for name, kind in REGISTRY.items():
        declared = [f.name for f in dataclasses.fields(kind.patch)]
        assert list(kind.attributes) == declared, name
        # What only a creation sets, the create function puts into the new row itself.
        assert set(appliers[name]) == set(kind.changeable), name
        assert all(a.fixed for n, a in kind.attributes.items() if n not in kind.changeable)


def test_a_new_patch_leaves_everything_and_none_is_a_value() -> None:
    assert set_attributes(UnitPatch()) == {}
    patch = UnitPatch(parent_id=None, title="Bern")
    assert set_attributes(patch) == {"title": "Bern", "parent_id": None}
    assert patch.order is UNSET and repr(UNSET) == "UNSET"


def test_checked_normalises_values() -> None:
    patch = checked(
        TemplatePatch(titles={"de": "  Brief "}, use_rights=["group:b", "*", "*"], status="In-Test")
    )
    assert patch.titles == {"de": "Brief"}
    assert patch.use_rights == ("*", "group:b")
    assert patch.status == "in_test"
    assert checked(ProfilePatch(shared_with=["u2", "u1", "u2"])).shared_with == ("u1", "u2")
    assert checked(UserPatch(roles=["Sys"])).roles == ("sys", "user")


@pytest.mark.parametrize(
    "patch",
    [
        UnitPatch(title=None),  # only nullable attributes take None
        UnitPatch(title="   "),
        UnitPatch(order=True),
        UnitPatch(order=2_000_000),
        UnitPatch(parent_id="not an id!"),
        UnitPatch(assignable_by=["nobody"]),
        UnitPatch(fields={"Bad Key": "x"}),
        TemplatePatch(titles={}),
        TemplatePatch(titles={"deutsch": "x"}),
        TemplatePatch(status="published"),
        TemplateGroupPatch(order="1"),
        SnippetPatch(body_sha256="abc"),
        SnippetPatch(body_format="pdf"),
        SnippetPatch(body_sha256=SHA, body_text="both"),
        SnippetPatch(read_rights="*"),
        ProfilePatch(overrides={"phone": 1}),
        UserPatch(roles=["king"]),
        UserPatch(fields={"phone": None}),  # a user's values are replaced whole
        GroupPatch(name="x" * 101),
        FieldDefinitionPatch(labels={"de": ""}),
    ],
)
def test_checked_refuses_wrong_values(patch: object) -> None:
    with pytest.raises(InvalidInput):
        checked(patch)  # type: ignore[type-var]


def test_a_patch_is_built_by_attribute_name_and_unknown_names_are_refused() -> None:
    assert patch_from(UnitPatch, {"parent_id": None}) == UnitPatch(parent_id=None)
    assert patch_for("snippet", {"body_sha256": None}) == SnippetPatch(body_sha256=None)
    with pytest.raises(InvalidInput, match="owner_id"):
        patch_for("profile", {"owner_id": "x"})


def test_a_request_body_sets_what_it_names_and_null_clears_only_what_can_be_empty() -> None:
    assert UnitUpdate.model_validate({}).patch() == UnitPatch()
    assert UnitUpdate.model_validate({"parent_id": None, "title": None}).patch() == UnitPatch(
        parent_id=None
    )
    assert UnitUpdate.model_validate({"assignable_by": None}).patch() == UnitPatch(
        assignable_by=None
    )
    assert TemplateUpdate.model_validate({"group_id": None}).patch() == TemplatePatch(group_id=None)
    assert ProfileUpdate.model_validate({"unit_id": None}).patch() == ProfilePatch(unit_id=None)
    assert SnippetUpdate.model_validate({"body_sha256": None}).patch() == SnippetPatch(
        body_sha256=None
    )
    assert SnippetUpdate.model_validate({"body": "Grüsse"}).patch() == SnippetPatch(
        body_text="Grüsse"
    )


def test_the_deprecated_clearing_flags_are_still_understood() -> None:
    moved = UnitUpdate.model_validate({"move_to_root": True, "inherit_assignable_by": True})
    assert moved.patch() == UnitPatch(parent_id=None, assignable_by=None)
    # As before: a parent named beside the flag wins.
    named = UnitUpdate.model_validate({"move_to_root": True, "parent_id": "p1"})
    assert named.patch() == UnitPatch(parent_id="p1")
    group = TemplateGroupUpdate.model_validate({"move_to_root": True})
    assert group.patch() == TemplateGroupPatch(parent_id=None)
    schema = UnitUpdate.model_json_schema()["properties"]
    assert schema["move_to_root"]["deprecated"] is True
    assert schema["inherit_assignable_by"]["deprecated"] is True
