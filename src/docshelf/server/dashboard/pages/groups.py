"""Groups: the list, creating one, and one group's name, members (users and groups) and
deletion."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, InvalidInput, NotFound
from docshelf.domain.patches import GroupPatch
from docshelf.domain.principals import group_principal, user_principal
from docshelf.i18n import tr
from docshelf.server.dashboard.forms import (
    delete_confirmed,
    error_status,
    refuse,
    require_section,
    text,
    version,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Group, GroupMember, User
from docshelf.server.services import accounts
from docshelf.server.services.common import get_or_404

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "groups"


@dataclass(frozen=True)
class GroupRow:
    id: str
    name: str
    description: str
    members: int


@dataclass(frozen=True)
class Member:
    kind: str  # "user" or "group"
    principal: str
    name: str


def _group_url(group_id: str) -> str:
    return f"{PATH}/groups/{group_id}"


def _rows(session: Session) -> list[GroupRow]:
    counts = dict(
        session.execute(
            select(GroupMember.group_id, func.count()).group_by(GroupMember.group_id)
        ).all()
    )
    return [
        GroupRow(g.id, g.name, g.description, counts.get(g.id, 0))
        for g in session.scalars(select(Group).order_by(Group.name))
    ]


def _list_page(
    request: Request,
    who: CurrentVisitor,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        rows = _rows(session)
    return page(
        request,
        "groups.html",
        visitor=who,
        groups=rows,
        values=values or {"name": "", "description": ""},
        error=error,
        status_code=status_code,
    )


@router.get("/groups", response_class=HTMLResponse)
def list_groups(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    return _list_page(request, who)


@router.post("/groups", response_model=None)
def create_group(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, SECTION)
    values = {"name": text(form, "name"), "description": text(form, "description")}
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            patch = GroupPatch(name=values["name"], description=values["description"])
            group = accounts.create_group(change, who.actor, patch)
    except DocshelfError as exc:
        return _list_page(request, who, values, exc.message, error_status(exc))
    flash = tr("Group {name} created.", name=group.name)
    return redirect(_group_url(group.id), flash=flash, request=request)


def _members(session: Session, group: Group) -> list[Member]:
    return [
        Member(kind, user_principal(ident) if kind == "user" else group_principal(ident), name)
        for kind, ident, name in accounts.members(session, group)
    ]


def _candidates(session: Session, group: Group, taken: set[str]) -> dict[str, list[Member]]:
    """Who could still join: users and groups that aren't direct members already. A group
    that would close a loop is offered too; the service refuses it with the reason."""
    users = [
        Member("user", user_principal(u.id), u.login)
        for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.login))
        if user_principal(u.id) not in taken
    ]
    groups = [
        Member("group", group_principal(g.id), g.name)
        for g in session.scalars(select(Group).where(Group.id != group.id).order_by(Group.name))
        if group_principal(g.id) not in taken
    ]
    return {"user": users, "group": groups}


def _detail_page(
    request: Request,
    who: CurrentVisitor,
    group_id: str,
    *,
    edited: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        group = get_or_404(session, Group, group_id, "group")
        members = _members(session, group)
        candidates = _candidates(session, group, {m.principal for m in members})
    values = edited or {
        "name": group.name,
        "description": group.description,
        "version": str(group.version),
    }
    return page(
        request,
        "group.html",
        visitor=who,
        group=group,
        values=values,
        members=members,
        candidates=candidates,
        error=error,
        status_code=status_code,
    )


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def show_group(request: Request, who: CurrentVisitor, group_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    return _detail_page(request, who, group_id)


@router.post("/groups/{group_id}", response_model=None)
def update_group(
    request: Request, who: CurrentVisitor, form: CheckedForm, group_id: str
) -> Response:
    require_section(who, SECTION)
    edited = {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "version": text(form, "version"),
    }
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            group = get_or_404(change.session, Group, group_id, "group")
            accounts.update_group(
                change,
                who.actor,
                group,
                GroupPatch(name=edited["name"], description=edited["description"]),
                expected_version=version(form),
            )
    except NotFound:
        raise
    except DocshelfError as exc:
        return _detail_page(
            request, who, group_id, edited=edited, error=exc.message, status_code=error_status(exc)
        )
    return redirect(_group_url(group_id), flash=tr("Saved."), request=request)


def _add(change: Change, who: CurrentVisitor, group: Group, principal: str) -> bool:
    kind, _, ident = principal.partition(":")
    session = change.session
    if kind == "user" and ident:
        user = get_or_404(session, User, ident, "user")
        return accounts.add_member(change, who.actor, group, user=user)
    if kind == "group" and ident:
        sub = get_or_404(session, Group, ident, "group")
        return accounts.add_member(change, who.actor, group, member_group=sub)
    raise InvalidInput(tr("Choose a user or a group."))


def _member_name(session: Session, principal: str) -> str:
    kind, _, ident = principal.partition(":")
    row = session.get(User if kind == "user" else Group, ident) if ident else None
    if isinstance(row, User):
        return row.login
    if isinstance(row, Group):
        return tr("group {name}", name=row.name)
    return principal


@router.post("/groups/{group_id}/members", response_model=None)
def add_member(request: Request, who: CurrentVisitor, form: CheckedForm, group_id: str) -> Response:
    require_section(who, SECTION)
    principal = text(form, "member")
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            group = get_or_404(change.session, Group, group_id, "group")
            added = _add(change, who, group, principal)
            name = _member_name(change.session, principal)
    except DocshelfError as exc:
        return refuse(_group_url(group_id), exc.message, request)
    flash = (
        tr("{name} added.", name=name) if added else tr("{name} is a member already.", name=name)
    )
    return redirect(_group_url(group_id), flash=flash, request=request)


@router.post("/groups/{group_id}/members/remove", response_model=None)
def remove_member(
    request: Request, who: CurrentVisitor, form: CheckedForm, group_id: str
) -> Response:
    require_section(who, SECTION)
    principal = text(form, "member")
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            group = get_or_404(change.session, Group, group_id, "group")
            name = _member_name(change.session, principal)
            if not accounts.remove_member(change, who.actor, group, principal):
                raise NotFound(tr("That is not a direct member of this group."))
    except DocshelfError as exc:
        return refuse(_group_url(group_id), exc.message, request)
    flash = tr("{name} removed.", name=name)
    return redirect(_group_url(group_id), flash=flash, request=request)


@router.post("/groups/{group_id}/delete", response_model=None)
def delete_group(
    request: Request, who: CurrentVisitor, form: CheckedForm, group_id: str
) -> Response:
    require_section(who, SECTION)

    def delete(change: Change) -> tuple[str, str]:
        group = get_or_404(change.session, Group, group_id, "group")
        accounts.delete_group(change, who.actor, group)
        return tr("Group {name} deleted.", name=group.name), f"{PATH}/groups"

    return delete_confirmed(request, who, form, page_url=_group_url(group_id), delete=delete)
