"""Definitions of user and unit fields."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, InvalidInput
from docshelf.domain.fields import FieldDef, FieldScope, FieldType, check_field_key
from docshelf.domain.ids import new_id
from docshelf.domain.patches import REGISTRY, FieldDefinitionPatch, check_value, checked
from docshelf.domain.permissions import can_manage_field_definitions, require
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.db.engine import Change
from docshelf.server.db.models import FieldDefinition
from docshelf.server.services.common import Applier, Writer, apply_patch, check_version

KIND = "field"


def definitions(session: Session) -> dict[str, FieldDef]:
    return {row.key: convert.field_def(row) for row in session.scalars(select(FieldDefinition))}


def _labels(labels: dict[str, str]) -> dict[str, str]:
    return dict(check_value(REGISTRY[KIND], "labels", labels))


def create_field(
    change: Change,
    actor: Actor,
    *,
    key: str,
    scope: str,
    type: str = "text",
    labels: dict[str, str] | None = None,
    order: int = 0,
) -> FieldDefinition:
    require(
        can_manage_field_definitions(actor), tr("Only a system administrator may define fields.")
    )
    key = check_field_key(key)
    try:
        scope_value, type_value = FieldScope(scope), FieldType(type)
    except ValueError as exc:
        raise InvalidInput(tr("Unknown field scope or type: {exc}.", exc=exc)) from None
    if change.session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == key)):
        raise Conflict(tr("A field {key!r} exists already.", key=key))
    row = FieldDefinition(
        id=new_id(),
        key=key,
        scope=scope_value.value,
        type=type_value.value,
        labels=_labels(labels or {}),
        order=order,
    )
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
