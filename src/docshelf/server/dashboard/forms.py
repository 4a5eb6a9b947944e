"""What the administration pages share: reading posted forms, refusing, naming principals.

The services check every permission again; the section check here only keeps a page
from being shown (or a form from being taken) by someone whose roles don't include it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, InvalidInput, NotFound
from docshelf.domain.fields import FieldDef, FieldType
from docshelf.domain.permissions import can_see_section
from docshelf.domain.principals import EVERYONE
from docshelf.i18n import tr
from docshelf.server.dashboard.render import redirect
from docshelf.server.dashboard.session import PageForbidden, Visitor, state_of
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Group, User

CONFIRM_FIELD = "confirm"
VERSION_FIELD = "version"


def require_section(who: Visitor, section: str) -> None:
    if not can_see_section(who.actor, section):
        raise PageForbidden(tr("Your roles do not allow this page."))


def text(form: FormData, name: str, *, strip: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def confirmed(form: FormData) -> bool:
    """A destructive action's "I understand" checkbox, checked on the server: a script
    or a stale form that leaves it out must not delete anything."""
    return text(form, CONFIRM_FIELD) == "yes"


def version(form: FormData) -> int | None:
    """The version the edit was based on, so a change made meanwhile isn't overwritten."""
    raw = text(form, VERSION_FIELD)
    return int(raw) if raw.isdigit() else None


def number(value: str, message: str) -> int:
    try:
        return int(value.strip() or "0")
    except ValueError:
        raise InvalidInput(message) from None


def error_status(exc: DocshelfError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def refuse(to: str, message: str, request: Request) -> RedirectResponse:
    return redirect(to, flash=message, kind="error", request=request)


def delete_confirmed(
    request: Request,
    who: Visitor,
    form: FormData,
    *,
    page_url: str,
    delete: Callable[[Change], tuple[str, str]],
) -> Response:
    """A destructive action behind the "I understand" box: refused without it, run in one
    change, its refusal shown on ``page_url``. ``delete`` does the work and returns the
    message and the page to go to afterwards."""
    if not confirmed(form):
        return refuse(
            page_url, tr("Nothing was deleted: first confirm that this cannot be undone."), request
        )
    try:
        with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
            flash, target = delete(change)
    except NotFound:
        raise
    except DocshelfError as exc:
        return refuse(page_url, exc.message, request)
    return redirect(target, flash=flash, request=request)


class PrincipalNames:
    """Rights as people read them: logins and group names instead of ids. Looks up every
    principal a page needs in two queries, however many rows show rights."""

    def __init__(self, session: Session, principals: Iterable[str]) -> None:
        wanted = set(principals)
        user_ids = [p.partition(":")[2] for p in wanted if p.startswith("user:")]
        group_ids = [p.partition(":")[2] for p in wanted if p.startswith("group:")]
        logins = select(User.id, User.login).where(User.id.in_(user_ids))
        names = select(Group.id, Group.name).where(Group.id.in_(group_ids))
        self._logins = {ident: login for ident, login in session.execute(logins)}
        self._groups = {ident: name for ident, name in session.execute(names)}

    def __call__(self, principals: Iterable[str]) -> list[str]:
        return [self._name(p) for p in principals]

    def _name(self, principal: str) -> str:
        kind, _, ident = principal.partition(":")
        if principal == EVERYONE:
            return tr("everyone")
        if kind == "user":
            return self._logins.get(ident, principal)
        if kind == "group":
            return tr("group {name}", name=self._groups.get(ident, ident))
        return principal


def principal_names(session: Session, principals: Iterable[str]) -> list[str]:
    wanted = list(principals)
    return PrincipalNames(session, wanted)(wanted)


@dataclass(frozen=True)
class FieldInput:
    """One user or unit field as a form shows it; ``inherited`` is what applies when empty."""

    key: str
    type: str
    label: str
    value: str
    inherited: str = ""


def field_inputs(
    defs: Iterable[FieldDef],
    values: Mapping[str, Any],
    language: str,
    inherited: Mapping[str, str] | None = None,
) -> list[FieldInput]:
    inherited = inherited or {}
    return [
        FieldInput(
            key=d.key,
            type=d.type.value,
            label=localized(d.labels, language, d.key),
            value=str(values.get(d.key) or ""),
            inherited=inherited.get(d.key, ""),
        )
        for d in sorted(defs, key=lambda d: (d.order, d.key))
    ]


def posted_fields(form: FormData, defs: Iterable[FieldDef]) -> dict[str, str]:
    """The typed value of every field but images (clients upload those; pages only show
    them), as typed: an empty one means "no value"."""
    return {
        d.key: text(form, f"field.{d.key}", strip=d.type is not FieldType.MULTILINE)
        for d in defs
        if d.type is not FieldType.IMAGE
    }
