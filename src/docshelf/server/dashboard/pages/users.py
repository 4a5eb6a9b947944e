"""Users: the list, creating one, and one user's roles, fields, password and devices."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from docshelf.domain.accounts import Role
from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, InvalidInput, NotFound
from docshelf.domain.fields import FieldDef, FieldScope, FieldType
from docshelf.domain.patches import UNSET, UserPatch
from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.i18n import tr
from docshelf.server.dashboard.forms import (
    error_status,
    field_inputs,
    posted_fields,
    refuse,
    require_section,
    text,
    texts,
    version,
)
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import PATH, CheckedForm, CurrentVisitor, state_of
from docshelf.server.db.models import Device, User
from docshelf.server.services import accounts, auth
from docshelf.server.services.common import get_or_404
from docshelf.server.services.fields import definitions

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "users"
# Every account is a plain user; these are the roles an administrator grants on top.
GRANTABLE_ROLES = (Role.LAYOUTER.value, Role.ORG.value, Role.SYS.value)
_ONLY_SYS = "Only a system administrator may manage accounts."


@dataclass(frozen=True)
class UserRow:
    id: str
    login: str
    display_name: str
    roles: list[str]
    active: bool
    devices: int


def _user_url(user_id: str) -> str:
    return f"{PATH}/users/{user_id}"


def _rows(session: Session) -> list[UserRow]:
    signed_in = dict(
        session.execute(
            select(Device.user_id, func.count())
            .where(Device.revoked_at.is_(None))
            .group_by(Device.user_id)
        ).all()
    )
    return [
        UserRow(u.id, u.login, u.display_name, list(u.roles), u.active, signed_in.get(u.id, 0))
        for u in session.scalars(select(User).order_by(User.login))
    ]


def _user_defs(session: Session) -> list[FieldDef]:
    found = [d for d in definitions(session).values() if d.scope is FieldScope.USER]
    return sorted(found, key=lambda d: (d.order, d.key))


def _list_page(
    request: Request,
    who: CurrentVisitor,
    values: dict[str, object] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        rows = _rows(session)
    return page(
        request,
        "users.html",
        visitor=who,
        users=rows,
        roles=GRANTABLE_ROLES,
        values=values or {"login": "", "display_name": "", "roles": []},
        error=error,
        status_code=status_code,
    )


@router.get("/users", response_class=HTMLResponse)
def list_users(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    return _list_page(request, who)


@router.post("/users", response_model=None)
def create_user(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    require_section(who, SECTION)
    values: dict[str, object] = {
        "login": text(form, "login"),
        "display_name": text(form, "display_name"),
        "roles": texts(form, "roles"),
    }
    password = text(form, "password", strip=False)
    state = state_of(request)
    try:
        password_hash = state.passwords.hash(password) if password else None
        with state.db.change(who.actor.login, origin=DASHBOARD) as change:
            patch = UserPatch(
                login=str(values["login"]),
                # Left empty: the login is the display name.
                display_name=str(values["display_name"]) or UNSET,
                roles=tuple(texts(form, "roles")),
            )
            user = accounts.create_user(change, who.actor, patch, password_hash=password_hash)
    except DocshelfError as exc:
        return _list_page(request, who, values, exc.message, error_status(exc))
    flash = tr("User {login} created.", login=user.login)
    return redirect(_user_url(user.id), flash=flash, request=request)


def _detail_page(
    request: Request,
    who: CurrentVisitor,
    user_id: str,
    *,
    edited: dict[str, object] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state_of(request).db.read() as session:
        user = get_or_404(session, User, user_id, "user")
        defs = _user_defs(session)
        devices = list(
            session.scalars(
                select(Device).where(Device.user_id == user.id).order_by(Device.created_at.desc())
            )
        )
    values = edited or {
        "display_name": user.display_name,
        "roles": list(user.roles),
        "fields": dict(user.fields),
        "version": user.version,
    }
    fields = values["fields"]
    assert isinstance(fields, dict)
    return page(
        request,
        "user.html",
        visitor=who,
        user=user,
        values=values,
        roles=GRANTABLE_ROLES,
        fields=field_inputs(defs, fields, who.language),
        devices=devices,
        error=error,
        status_code=status_code,
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def show_user(request: Request, who: CurrentVisitor, user_id: str) -> HTMLResponse:
    require_section(who, SECTION)
    return _detail_page(request, who, user_id)


def _user_fields(form: FormData, defs: list[FieldDef], current: dict[str, str]) -> dict[str, str]:
    """The user's fields as posted; empty ones are dropped, images kept as they are."""
    typed = {k: v for k, v in posted_fields(form, defs).items() if v.strip()}
    images = {d.key for d in defs if d.type is FieldType.IMAGE}
    return {**{k: v for k, v in current.items() if k in images and v}, **typed}


@router.post("/users/{user_id}", response_model=None)
def update_user(request: Request, who: CurrentVisitor, form: CheckedForm, user_id: str) -> Response:
    require_section(who, SECTION)
    edited: dict[str, object] = {
        "display_name": text(form, "display_name"),
        "roles": texts(form, "roles"),
        "fields": {},
        "version": text(form, "version"),
    }
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            user = get_or_404(change.session, User, user_id, "user")
            fields = _user_fields(form, _user_defs(change.session), dict(user.fields))
            edited["fields"] = fields
            accounts.update_user(
                change,
                who.actor,
                user,
                UserPatch(
                    display_name=text(form, "display_name"),
                    roles=tuple(texts(form, "roles")),
                    fields=fields,
                ),
                expected_version=version(form),
            )
    except NotFound:
        raise
    except DocshelfError as exc:
        return _detail_page(
            request, who, user_id, edited=edited, error=exc.message, status_code=error_status(exc)
        )
    return redirect(_user_url(user_id), flash=tr("Saved."), request=request)


@router.post("/users/{user_id}/password", response_model=None)
def set_password(
    request: Request, who: CurrentVisitor, form: CheckedForm, user_id: str
) -> Response:
    require_section(who, SECTION)
    state = state_of(request)
    password = text(form, "password", strip=False)
    try:
        require(can_manage_accounts(who.actor), _ONLY_SYS)
        if password != text(form, "repeat", strip=False):
            raise InvalidInput(tr("The two passwords do not match."))
        password_hash = state.passwords.hash(password)
        # Like the API: a password is no synchronised content, so no change number.
        with state.db.write() as session:
            get_or_404(session, User, user_id, "user").password_hash = password_hash
    except NotFound:
        raise
    except DocshelfError as exc:
        return refuse(_user_url(user_id), exc.message, request)
    return redirect(
        _user_url(user_id),
        flash=tr("New password set; it applies from the next sign-in."),
        request=request,
    )


def _set_active(request: Request, who: CurrentVisitor, user_id: str, active: bool) -> Response:
    require_section(who, SECTION)
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            user = get_or_404(change.session, User, user_id, "user")
            accounts.set_active(change, who.actor, user, active)
    except NotFound:
        raise
    except DocshelfError as exc:
        return refuse(_user_url(user_id), exc.message, request)
    flash = tr("Account restored.") if active else tr("Account deactivated.")
    return redirect(_user_url(user_id), flash=flash, request=request)


@router.post("/users/{user_id}/deactivate", response_model=None)
def deactivate_user(
    request: Request, who: CurrentVisitor, form: CheckedForm, user_id: str
) -> Response:
    return _set_active(request, who, user_id, False)


@router.post("/users/{user_id}/restore", response_model=None)
def restore_user(
    request: Request, who: CurrentVisitor, form: CheckedForm, user_id: str
) -> Response:
    return _set_active(request, who, user_id, True)


@router.post("/users/{user_id}/devices/{device_id}/revoke", response_model=None)
def revoke_device(
    request: Request, who: CurrentVisitor, form: CheckedForm, user_id: str, device_id: str
) -> Response:
    """The device's next request, a sync included, fails with "signed out"."""
    require_section(who, SECTION)
    with state_of(request).db.write() as session:
        device = session.get(Device, device_id)
        if device is None or device.user_id != user_id:
            raise NotFound(tr("There is no such device."))
        require(
            can_manage_accounts(who.actor) or device.user_id == who.actor.user_id,
            "You may revoke only your own devices.",
        )
        name = device.name
        auth.revoke(session, device)
    flash = tr("Sign-in of “{device}” revoked.", device=name)
    return redirect(_user_url(user_id), flash=flash, request=request)
