"""Organisational units."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import units as dunits
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, InvalidInput
from docshelf.domain.fields import FieldScope, FieldType, check_field_values
from docshelf.domain.ids import new_id
from docshelf.domain.patches import UnitPatch, checked, checked_new
from docshelf.domain.permissions import can_manage_units, require
from docshelf.domain.trees import check_move
from docshelf.i18n import N_, tr
from docshelf.server import convert
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Profile, Unit
from docshelf.server.services.common import (
    Applier,
    Writer,
    apply_new,
    apply_patch,
    check_version,
    get_or_404,
    merge_values,
)
from docshelf.server.services.fields import definitions
from docshelf.server.services.files import require_blob

KIND = "unit"
_ONLY_ORG = N_("Only organisation managers (role Org) and administrators may change units.")


def all_units(session: Session) -> dict[str, dunits.Unit]:
    return {row.id: convert.unit(row) for row in session.scalars(select(Unit))}


def check_fields(session: Session, values: dict[str, str], scope: FieldScope) -> dict[str, str]:
    """Validate field values; images must name a file that was uploaded."""
    defs = definitions(session)
    checked = check_field_values(values, defs, scope)
    for key, value in checked.items():
        if defs[key].type is FieldType.IMAGE and value:
            require_blob(session, value)
    return checked


def _still_defined(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """A unit's stored values without those of fields deleted since: they would make every
    later edit of the unit fail validation (a caller still can't *set* an unknown field)."""
    defs = definitions(session)
    return {k: v for k, v in values.items() if k in defs and defs[k].scope is FieldScope.UNIT}


def create_unit(
    change: Change,
    actor: Actor,
    patch: UnitPatch,
    *,
    unit_id: str | None = None,
) -> Unit:
    require(can_manage_units(actor), tr(_ONLY_ORG))
    row = Unit(id=unit_id or new_id(), parent_id=None, fields={}, assignable_by=None, order=0)
    apply_new(Writer(change, actor), row, checked_new(patch), _APPLIERS)
    return change.add(row, KIND)


def update_unit(
    change: Change,
    actor: Actor,
    row: Unit,
    patch: UnitPatch,
    *,
    expected_version: int | None = None,
) -> Unit:
    require(can_manage_units(actor), tr(_ONLY_ORG))
    check_version(row, expected_version, "unit")
    apply_patch(Writer(change, actor), row, checked(patch), _APPLIERS)
    return change.touch(row)


def _title(writer: Writer, row: Unit, title: str) -> None:
    row.title = title


def _parent(writer: Writer, row: Unit, parent_id: str | None) -> None:
    session = writer.change.session
    if parent_id is not None:
        get_or_404(session, Unit, parent_id, "unit")
    check_move(row.id, parent_id, dunits.parents_of(all_units(session)), "unit")
    row.parent_id = parent_id


def _fields(writer: Writer, row: Unit, entries: dict[str, str | None]) -> None:
    session = writer.change.session
    merged = merge_values(_still_defined(session, row.fields), entries)
    row.fields = check_fields(session, merged, FieldScope.UNIT)


def _assignable_by(writer: Writer, row: Unit, members: tuple[str, ...] | None) -> None:
    row.assignable_by = list(members) if members is not None else None


def _order(writer: Writer, row: Unit, order: int) -> None:
    row.order = order


_APPLIERS: dict[str, Applier[Unit]] = {
    "title": _title,
    "parent_id": _parent,
    "fields": _fields,
    "assignable_by": _assignable_by,
    "order": _order,
}


def delete_unit(change: Change, actor: Actor, row: Unit) -> None:
    require(can_manage_units(actor), tr(_ONLY_ORG))
    session = change.session
    if session.scalar(select(Unit.id).where(Unit.parent_id == row.id).limit(1)):
        raise Conflict(
            tr("Unit {title!r} has sub-units; move or delete them first.", title=row.title)
        )
    if session.scalar(select(Profile.id).where(Profile.unit_id == row.id).limit(1)):
        raise Conflict(
            tr(
                "Unit {title!r} is used by profiles; assign them another unit first.",
                title=row.title,
            )
        )
    change.delete(row, KIND)


def check_assignable(session: Session, unit_id: str) -> Unit:
    row = session.get(Unit, unit_id)
    if row is None:
        raise InvalidInput(tr("There is no unit with id {unit_id!r}.", unit_id=unit_id))
    return row
