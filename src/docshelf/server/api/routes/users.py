"""Administration of users, their passwords and devices (Sys)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from docshelf.domain.audit import API
from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.i18n import N_, tr
from docshelf.protocol.admin import PasswordSet, UserCreate, UserUpdate
from docshelf.protocol.auth import DeviceOut
from docshelf.protocol.records import UserRecord
from docshelf.protocol.types import Id
from docshelf.server import convert
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Limit, Offset
from docshelf.server.api.routes.auth import device_out
from docshelf.server.db.models import Device, User
from docshelf.server.services import accounts, auth
from docshelf.server.services.common import get_or_404

router = APIRouter(prefix="/admin", tags=["admin: users"])
_ONLY_SYS = N_("Only a system administrator may manage accounts.")


@router.get("/users", operation_id="list_users", response_model=list[UserRecord])
def list_users(
    actor: CurrentActor, state: State, limit: Limit = 200, offset: Offset = 0
) -> list[UserRecord]:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        rows = session.scalars(select(User).order_by(User.login).limit(limit).offset(offset))
        return [convert.user_record(u) for u in rows]


@router.post("/users", operation_id="create_user", response_model=UserRecord, status_code=201)
def create_user(body: UserCreate, actor: CurrentActor, state: State) -> UserRecord:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    password_hash = state.passwords.hash(body.password) if body.password else None
    with state.db.change(actor.login, origin=API) as change:
        user = accounts.create_user(change, actor, body.patch(), password_hash=password_hash)
        return convert.user_record(user)


@router.get("/users/{user_id}", operation_id="get_user", response_model=UserRecord)
def get_user(user_id: Id, actor: CurrentActor, state: State) -> UserRecord:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        return convert.user_record(get_or_404(session, User, user_id, "user"))


@router.patch("/users/{user_id}", operation_id="update_user", response_model=UserRecord)
def update_user(user_id: Id, body: UserUpdate, actor: CurrentActor, state: State) -> UserRecord:
    with state.db.change(actor.login, origin=API) as change:
        user = get_or_404(change.session, User, user_id, "user")
        accounts.update_user(
            change, actor, user, body.patch(), expected_version=body.expected_version
        )
        return convert.user_record(user)


@router.put("/users/{user_id}/password", operation_id="set_password", status_code=204)
def set_password(user_id: Id, body: PasswordSet, actor: CurrentActor, state: State) -> None:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    password_hash = state.passwords.hash(body.password)
    with state.db.write() as session:
        get_or_404(session, User, user_id, "user").password_hash = password_hash


@router.post(
    "/users/{user_id}/deactivate", operation_id="deactivate_user", response_model=UserRecord
)
def deactivate_user(user_id: Id, actor: CurrentActor, state: State) -> UserRecord:
    return _set_active(user_id, actor, state, False)


@router.post("/users/{user_id}/restore", operation_id="restore_user", response_model=UserRecord)
def restore_user(user_id: Id, actor: CurrentActor, state: State) -> UserRecord:
    return _set_active(user_id, actor, state, True)


def _set_active(user_id: str, actor: CurrentActor, state: State, active: bool) -> UserRecord:
    with state.db.change(actor.login, origin=API) as change:
        user = get_or_404(change.session, User, user_id, "user")
        accounts.set_active(change, actor, user, active)
        return convert.user_record(user)


@router.delete(
    "/users/{user_id}", operation_id="purge_user", status_code=status.HTTP_204_NO_CONTENT
)
def purge_user(user_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        accounts.purge_user(change, actor, get_or_404(change.session, User, user_id, "user"))


@router.get(
    "/users/{user_id}/devices", operation_id="list_user_devices", response_model=list[DeviceOut]
)
def list_user_devices(user_id: Id, actor: CurrentActor, state: State) -> list[DeviceOut]:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        get_or_404(session, User, user_id, "user")
        rows = session.scalars(select(Device).where(Device.user_id == user_id))
        return [device_out(d) for d in rows]


@router.delete("/devices/{device_id}", operation_id="revoke_device", status_code=204)
def revoke_device(device_id: Id, actor: CurrentActor, state: State) -> None:
    """Revoke a device's sign-in; its next request fails with "signed out"."""
    with state.db.write() as session:
        device = get_or_404(session, Device, device_id, "device")
        require(
            can_manage_accounts(actor) or device.user_id == actor.user_id,
            tr("You may revoke only your own devices."),
        )
        auth.revoke(session, device)
