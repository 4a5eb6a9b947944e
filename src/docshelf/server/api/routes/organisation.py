"""Administration of field definitions (Sys), units (Org) and profiles (owner or Sys)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.audit import API
from docshelf.domain.errors import NotFound
from docshelf.domain.permissions import can_see_profile
from docshelf.i18n import tr
from docshelf.protocol.admin import (
    FieldDefCreate,
    FieldDefUpdate,
    ProfileCreate,
    ProfileUpdate,
    UnitCreate,
    UnitUpdate,
)
from docshelf.protocol.records import FieldDefRecord, ProfileRecord, UnitRecord
from docshelf.protocol.types import Id
from docshelf.server import convert
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Limit, Offset
from docshelf.server.db.models import FieldDefinition, Profile, Unit
from docshelf.server.services import fields, profiles, units
from docshelf.server.services.common import get_or_404

router = APIRouter(prefix="/admin", tags=["admin: organisation"])


# --- field definitions -----------------------------------------------------------------


@router.get("/fields", operation_id="list_fields", response_model=list[FieldDefRecord])
def list_fields(actor: CurrentActor, state: State) -> list[FieldDefRecord]:
    with state.db.read() as session:
        rows = session.scalars(select(FieldDefinition).order_by(FieldDefinition.order))
        return [convert.field_def_record(r) for r in rows]


@router.post("/fields", operation_id="create_field", response_model=FieldDefRecord, status_code=201)
def create_field(body: FieldDefCreate, actor: CurrentActor, state: State) -> FieldDefRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = fields.create_field(change, actor, body.patch())
        return convert.field_def_record(row)


@router.patch("/fields/{field_id}", operation_id="update_field", response_model=FieldDefRecord)
def update_field(
    field_id: Id, body: FieldDefUpdate, actor: CurrentActor, state: State
) -> FieldDefRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = get_or_404(change.session, FieldDefinition, field_id, "field")
        fields.update_field(
            change, actor, row, body.patch(), expected_version=body.expected_version
        )
        return convert.field_def_record(row)


@router.delete("/fields/{field_id}", operation_id="delete_field", status_code=204)
def delete_field(field_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        row = get_or_404(change.session, FieldDefinition, field_id, "field")
        fields.delete_field(change, actor, row)


# --- units ---------------------------------------------------------------------------


@router.get("/units", operation_id="list_units", response_model=list[UnitRecord])
def list_units(
    actor: CurrentActor, state: State, limit: Limit = 1000, offset: Offset = 0
) -> list[UnitRecord]:
    with state.db.read() as session:
        rows = session.scalars(
            select(Unit).order_by(Unit.order, Unit.id).limit(limit).offset(offset)
        )
        return [convert.unit_record(r) for r in rows]


@router.post("/units", operation_id="create_unit", response_model=UnitRecord, status_code=201)
def create_unit(body: UnitCreate, actor: CurrentActor, state: State) -> UnitRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = units.create_unit(change, actor, body.patch())
        return convert.unit_record(row)


@router.get("/units/{unit_id}", operation_id="get_unit", response_model=UnitRecord)
def get_unit(unit_id: Id, actor: CurrentActor, state: State) -> UnitRecord:
    with state.db.read() as session:
        return convert.unit_record(get_or_404(session, Unit, unit_id, "unit"))


@router.patch("/units/{unit_id}", operation_id="update_unit", response_model=UnitRecord)
def update_unit(unit_id: Id, body: UnitUpdate, actor: CurrentActor, state: State) -> UnitRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = get_or_404(change.session, Unit, unit_id, "unit")
        units.update_unit(change, actor, row, body.patch(), expected_version=body.expected_version)
        return convert.unit_record(row)


@router.delete("/units/{unit_id}", operation_id="delete_unit", status_code=204)
def delete_unit(unit_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        units.delete_unit(change, actor, get_or_404(change.session, Unit, unit_id, "unit"))


# --- profiles ------------------------------------------------------------------------


def _visible_profile(session: Session, actor: CurrentActor, profile_id: str) -> Profile:
    row = session.get(Profile, profile_id)
    # Someone else's profile answers like a missing one: its existence is not the caller's business.
    if row is None or not (actor.is_sys or can_see_profile(actor, convert.profile(row))):
        raise NotFound(tr("There is no profile with id {profile_id!r}.", profile_id=profile_id))
    return row


@router.get("/profiles", operation_id="list_profiles", response_model=list[ProfileRecord])
def list_profiles(
    actor: CurrentActor,
    state: State,
    owner_id: Id | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[ProfileRecord]:
    """Profiles the caller may see (Sys: all, optionally of one owner)."""
    with state.db.read() as session:
        query = select(Profile).order_by(Profile.owner_id, Profile.title)
        if owner_id is not None:
            query = query.where(Profile.owner_id == owner_id)
        rows = [
            p
            for p in session.scalars(query)
            if actor.is_sys or can_see_profile(actor, convert.profile(p))
        ]
        return [convert.profile_record(p) for p in rows[offset : offset + limit]]


@router.post(
    "/profiles", operation_id="create_profile", response_model=ProfileRecord, status_code=201
)
def create_profile(body: ProfileCreate, actor: CurrentActor, state: State) -> ProfileRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = profiles.create_profile(change, actor, body.patch())
        return convert.profile_record(row)


@router.get("/profiles/{profile_id}", operation_id="get_profile", response_model=ProfileRecord)
def get_profile(profile_id: Id, actor: CurrentActor, state: State) -> ProfileRecord:
    with state.db.read() as session:
        return convert.profile_record(_visible_profile(session, actor, profile_id))


@router.patch("/profiles/{profile_id}", operation_id="update_profile", response_model=ProfileRecord)
def update_profile(
    profile_id: Id, body: ProfileUpdate, actor: CurrentActor, state: State
) -> ProfileRecord:
    with state.db.change(actor.login, origin=API) as change:
        row = _visible_profile(change.session, actor, profile_id)
        profiles.update_profile(
            change, actor, row, body.patch(), expected_version=body.expected_version
        )
        return convert.profile_record(row)


@router.delete("/profiles/{profile_id}", operation_id="delete_profile", status_code=204)
def delete_profile(profile_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        row = _visible_profile(change.session, actor, profile_id)
        profiles.delete_profile(change, actor, row)
