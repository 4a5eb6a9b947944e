"""Sign in and out, who am I, my devices."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from docshelf.protocol.auth import DeviceOut, GroupRef, LoginRequest, LoginResponse, Me
from docshelf.server.api.deps import CurrentActor, CurrentCaller, State
from docshelf.server.db.models import Device, Group, User
from docshelf.server.services import auth
from docshelf.server.services.accounts import actor_of
from docshelf.server.services.common import get_or_404

router = APIRouter(tags=["auth"])


def device_out(device: Device) -> DeviceOut:
    return DeviceOut.model_validate(device, from_attributes=True)


def me_of(state: State, user_id: str, group_ids: frozenset[str]) -> Me:
    with state.db.read() as session:
        user = get_or_404(session, User, user_id, "user")
        groups = session.scalars(select(Group).where(Group.id.in_(sorted(group_ids)))).all()
        return Me(
            id=user.id,
            login=user.login,
            display_name=user.display_name,
            roles=sorted(user.roles),
            groups=sorted((GroupRef(id=g.id, name=g.name) for g in groups), key=lambda g: g.name),
            fields=dict(user.fields),
        )


@router.post("/auth/login", operation_id="login", response_model=LoginResponse)
def login(body: LoginRequest, state: State) -> LoginResponse:
    """Check login and password; returns a device token to send as ``Authorization: Bearer``."""
    token, device, user = auth.login(
        state.db,
        state.passwords,
        state.throttle,
        login_name=body.login,
        password=body.password,
        device_name=body.device_name,
        client_version=body.client_version,
    )
    with state.db.read() as session:
        actor = actor_of(session, user)
    return LoginResponse(
        token=token, device=device_out(device), user=me_of(state, user.id, actor.groups)
    )


@router.post("/auth/logout", operation_id="logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(caller: CurrentCaller, state: State) -> None:
    """Revoke the token this request was made with."""
    with state.db.write() as session:
        auth.revoke(session, get_or_404(session, Device, caller.device_id, "device"))


@router.get("/me", operation_id="me", response_model=Me)
def me(actor: CurrentActor, state: State) -> Me:
    return me_of(state, actor.user_id, actor.groups)


@router.get("/me/devices", operation_id="my_devices", response_model=list[DeviceOut])
def my_devices(actor: CurrentActor, state: State) -> list[DeviceOut]:
    with state.db.read() as session:
        rows = session.scalars(
            select(Device).where(Device.user_id == actor.user_id).order_by(Device.created_at)
        )
        return [device_out(d) for d in rows]
