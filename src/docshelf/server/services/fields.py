"""Definitions of user and unit fields."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict
from docshelf.domain.fields import FieldDef, FieldType
from docshelf.domain.ids import new_id
from docshelf.domain.patches import UNSET, FieldDefinitionPatch, checked, checked_new
from docshelf.domain.permissions import can_manage_field_definitions, require
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.db.engine import Change
from docshelf.server.db.models import FieldDefinition
from docshelf.server.services.common import Applier, Writer, apply_new, apply_patch, check_version

KIND = "field"


def definitions(session: Session) -> dict[str, FieldDef]:
    return {row.key: convert.field_def(row) for row in session.scalars(select(FieldDefinition))}


def create_field(
    change: Change,
    actor: Actor,
    patch: FieldDefinitionPatch,
) -> FieldDefinition:
    require(
        can_manage_field_definitions(actor), tr("Only a system administrator may define fields.")
    )
    patch = checked_new(patch)
    key, scope = patch.key, patch.scope
    assert isinstance(key, str) and isinstance(scope, str)
    if change.session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == key)):
        raise Conflict(tr("A field {key!r} exists already.", key=key))
    row = FieldDefinition(
        id=new_id(),
        key=key,
        scope=scope,
        type=FieldType.TEXT.value if patch.type is UNSET else patch.type,
        labels={},
        order=0,
    )
    apply_new(Writer(change, actor), row, patch, APPLIERS)
    return change.add(row, KIND)


def update_field(
    change: Change,
    actor: Actor,
    row: FieldDefinition,
    patch: FieldDefinitionPatch,
    *,
    expected_version: int | None = None,
) -> FieldDefinition:
    require(
        can_manage_field_definitions(actor), tr("Only a system administrator may change fields.")
    )
    check_version(row, expected_version, "field")
    apply_patch(Writer(change, actor), row, checked(patch), APPLIERS)
    return change.touch(row)


def _set(name: str) -> Applier[FieldDefinition]:
    def apply(writer: Writer, row: FieldDefinition, value: object) -> None:
        setattr(row, name, value)

    return apply


APPLIERS: dict[str, Applier[FieldDefinition]] = {"labels": _set("labels"), "order": _set("order")}


def delete_field(change: Change, actor: Actor, row: FieldDefinition) -> None:
    require(
        can_manage_field_definitions(actor), tr("Only a system administrator may delete fields.")
    )
    change.delete(row, KIND)
