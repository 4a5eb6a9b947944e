"""Profiles: a user in a unit, with overrides, shareable with colleagues."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import ResolvedField, check_field_values, resolve_profile_fields
from docshelf.domain.ids import new_id
from docshelf.domain.patches import ProfilePatch, checked, checked_new
from docshelf.domain.permissions import can_assign_unit, can_change_profile, require
from docshelf.domain.units import effective_assignable_by, resolve_unit_fields
from docshelf.i18n import N_, tr
from docshelf.server import convert
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Profile, User
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
from docshelf.server.services.units import all_units, check_assignable

KIND = "profile"
_ONLY_OWNER = N_("Only the owner of a profile may change it.")


def _check_unit(session: Session, actor: Actor, unit_id: str | None) -> str | None:
    if unit_id is None:
        return None
    check_assignable(session, unit_id)
    allowed = effective_assignable_by(unit_id, all_units(session))
    require(can_assign_unit(actor, allowed), tr("You may not assign this unit to a profile."))
    return unit_id


def _check_shares(session: Session, owner_id: str, user_ids: list[str]) -> list[str]:
    shares = sorted(set(user_ids) - {owner_id})
    for user_id in shares:
        if session.get(User, user_id) is None:
            raise InvalidInput(
                tr("Cannot share with {user_id!r}: there is no such user.", user_id=user_id)
            )
    return shares


def create_profile(
    change: Change,
    actor: Actor,
    patch: ProfilePatch,
    *,
    profile_id: str | None = None,
) -> Profile:
    patch = checked_new(patch)
    assert isinstance(patch.owner_id, str)
    get_or_404(change.session, User, patch.owner_id, "user")
    require(
        patch.owner_id == actor.user_id or actor.is_sys,
        tr("You may create profiles only for yourself."),
    )
    row = Profile(
        id=profile_id or new_id(),
        owner_id=patch.owner_id,
        unit_id=None,
        overrides={},
        shared_with=[],
    )
    apply_new(Writer(change, actor), row, patch, _APPLIERS)
    return change.add(row, KIND)


def update_profile(
    change: Change,
    actor: Actor,
    row: Profile,
    patch: ProfilePatch,
    *,
    expected_version: int | None = None,
) -> Profile:
    require(can_change_profile(actor, convert.profile(row)), tr(_ONLY_OWNER))
    check_version(row, expected_version, "profile")
    apply_patch(Writer(change, actor), row, checked(patch), _APPLIERS)
    return change.touch(row)


def _title(writer: Writer, row: Profile, title: str) -> None:
    row.title = title


def _unit(writer: Writer, row: Profile, unit_id: str | None) -> None:
    if unit_id != row.unit_id:  # a unit kept needn't be assignable by the caller
        row.unit_id = _check_unit(writer.change.session, writer.actor, unit_id)


def _overrides(writer: Writer, row: Profile, entries: dict[str, str | None]) -> None:
    session = writer.change.session
    merged = merge_values(row.overrides, entries)
    row.overrides = check_field_values(merged, definitions(session), None)


def _shared_with(writer: Writer, row: Profile, user_ids: tuple[str, ...]) -> None:
    row.shared_with = _check_shares(writer.change.session, row.owner_id, list(user_ids))


_APPLIERS: dict[str, Applier[Profile]] = {
    "title": _title,
    "unit_id": _unit,
    "overrides": _overrides,
    "shared_with": _shared_with,
}


def delete_profile(change: Change, actor: Actor, row: Profile) -> None:
    require(can_change_profile(actor, convert.profile(row)), tr(_ONLY_OWNER))
    change.delete(row, KIND)


def resolved_fields(session: Session, row: Profile) -> list[ResolvedField]:
    owner = session.get(User, row.owner_id)
    units = all_units(session)
    unit_fields = resolve_unit_fields(row.unit_id, units) if row.unit_id in units else {}
    return resolve_profile_fields(
        definitions(session).values(),
        dict(owner.fields) if owner else {},
        unit_fields,
        dict(row.overrides),
    )


def profiles_of(session: Session, owner_id: str) -> list[Profile]:
    return list(session.scalars(select(Profile).where(Profile.owner_id == owner_id)))
