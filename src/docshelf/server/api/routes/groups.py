"""Administration of groups and their members (Sys)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from docshelf.domain.audit import API
from docshelf.domain.errors import NotFound
from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.domain.principals import group_principal, user_principal
from docshelf.i18n import N_, tr
from docshelf.protocol.admin import GroupCreate, GroupUpdate, MemberAdd
from docshelf.protocol.records import GroupRecord, MemberRecord
from docshelf.protocol.types import Id
from docshelf.server import convert
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Limit, Offset
from docshelf.server.db.models import Group, User
from docshelf.server.services import accounts
from docshelf.server.services.common import get_or_404

router = APIRouter(prefix="/admin", tags=["admin: groups"])
_ONLY_SYS = N_("Only a system administrator may manage groups.")


@router.get("/groups", operation_id="list_groups", response_model=list[GroupRecord])
def list_groups(
    actor: CurrentActor, state: State, limit: Limit = 200, offset: Offset = 0
) -> list[GroupRecord]:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        rows = session.scalars(select(Group).order_by(Group.name).limit(limit).offset(offset))
        return [convert.group_record(g) for g in rows]


@router.post("/groups", operation_id="create_group", response_model=GroupRecord, status_code=201)
def create_group(body: GroupCreate, actor: CurrentActor, state: State) -> GroupRecord:
    with state.db.change(actor.login, origin=API) as change:
        group = accounts.create_group(change, actor, body.patch())
        return convert.group_record(group)


@router.get("/groups/{group_id}", operation_id="get_group", response_model=GroupRecord)
def get_group(group_id: Id, actor: CurrentActor, state: State) -> GroupRecord:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        return convert.group_record(get_or_404(session, Group, group_id, "group"))


@router.patch("/groups/{group_id}", operation_id="update_group", response_model=GroupRecord)
def update_group(group_id: Id, body: GroupUpdate, actor: CurrentActor, state: State) -> GroupRecord:
    with state.db.change(actor.login, origin=API) as change:
        group = get_or_404(change.session, Group, group_id, "group")
        accounts.update_group(
            change, actor, group, body.patch(), expected_version=body.expected_version
        )
        return convert.group_record(group)


@router.delete("/groups/{group_id}", operation_id="delete_group", status_code=204)
def delete_group(group_id: Id, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        accounts.delete_group(change, actor, get_or_404(change.session, Group, group_id, "group"))


@router.get(
    "/groups/{group_id}/members", operation_id="list_members", response_model=list[MemberRecord]
)
def list_members(group_id: Id, actor: CurrentActor, state: State) -> list[MemberRecord]:
    require(can_manage_accounts(actor), tr(_ONLY_SYS))
    with state.db.read() as session:
        group = get_or_404(session, Group, group_id, "group")
        return [MemberRecord(kind=k, id=i, name=n) for k, i, n in accounts.members(session, group)]


@router.post("/groups/{group_id}/members", operation_id="add_member", status_code=204)
def add_member(group_id: Id, body: MemberAdd, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        session = change.session
        group = get_or_404(session, Group, group_id, "group")
        user = get_or_404(session, User, body.user_id, "user") if body.user_id else None
        sub = get_or_404(session, Group, body.group_id, "group") if body.group_id else None
        accounts.add_member(change, actor, group, user=user, member_group=sub)


@router.delete(
    "/groups/{group_id}/members/users/{user_id}", operation_id="remove_user_member", status_code=204
)
def remove_user_member(group_id: Id, user_id: Id, actor: CurrentActor, state: State) -> None:
    _remove(group_id, user_principal(user_id), actor, state)


@router.delete(
    "/groups/{group_id}/members/groups/{member_id}",
    operation_id="remove_group_member",
    status_code=204,
)
def remove_group_member(group_id: Id, member_id: Id, actor: CurrentActor, state: State) -> None:
    _remove(group_id, group_principal(member_id), actor, state)


def _remove(group_id: str, principal: str, actor: CurrentActor, state: State) -> None:
    with state.db.change(actor.login, origin=API) as change:
        group = get_or_404(change.session, Group, group_id, "group")
        if not accounts.remove_member(change, actor, group, principal):
            raise NotFound(tr("That user or group is not a direct member of this group."))
