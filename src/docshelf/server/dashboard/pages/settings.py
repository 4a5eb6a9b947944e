"""Settings: the sync interval and start delay in minutes and the languages (clients receive
them), and how long the audit log and the old versions of templates and snippets are
kept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from docshelf.domain.audit import DASHBOARD
from docshelf.domain.errors import DocshelfError, InvalidInput
from docshelf.domain.permissions import can_manage_settings
from docshelf.domain.settings import (
    AUDIT_RETENTION_DAYS,
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    LANGUAGES,
    MINUTE_MS,
    VERSION_RETENTION_DAYS,
    VERSIONS_KEPT,
    spec_for,
)
from docshelf.i18n import tr
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page, redirect
from docshelf.server.dashboard.session import (
    PATH,
    CheckedForm,
    CurrentVisitor,
    PageForbidden,
    state_of,
)
from docshelf.server.services import settings as settings_service

router = APIRouter(route_class=InVisitorLanguage)
_MINUTE_FIELDS = {"interval": CLIENT_SYNC_INTERVAL, "delay": CLIENT_SYNC_MAX_DELAY_AFTER_START}
# The server's own whole-number settings: form field → setting.
_WHOLE_FIELDS = {
    "audit_days": AUDIT_RETENTION_DAYS,
    "version_days": VERSION_RETENTION_DAYS,
    "versions_kept": VERSIONS_KEPT,
}


def _minutes(ms: int) -> str:
    value = ms / MINUTE_MS
    return str(int(value)) if value == int(value) else f"{value:g}"


def parse_minutes(text: str, key: str) -> int:
    """Minutes as typed (a comma or a point for decimals) to milliseconds, within the
    setting's bounds."""
    cleaned = text.strip().replace(",", ".")
    try:
        minutes = float(cleaned)
    except ValueError:
        raise InvalidInput(
            tr("“{value}” is not a number of minutes.", value=text.strip())
        ) from None
    if minutes != minutes or minutes in (float("inf"), float("-inf")):
        raise InvalidInput(tr("“{value}” is not a number of minutes.", value=text.strip()))
    spec = spec_for(key)
    ms = round(minutes * MINUTE_MS)
    lo, hi = spec.minimum or 0, spec.maximum or 0
    if not lo <= ms <= hi:
        raise InvalidInput(
            tr("Enter a number of minutes between {lo} and {hi}.", lo=_minutes(lo), hi=_minutes(hi))
        )
    value: int = spec.validate(ms)
    return value


def _whole(text: str, key: str) -> int:
    spec = spec_for(key)
    try:
        number = int(text.strip())
    except ValueError:
        raise InvalidInput(tr("“{value}” is not a whole number.", value=text.strip())) from None
    if not (spec.minimum or 0) <= number <= (spec.maximum or 0):
        raise InvalidInput(
            tr("Enter a number between {lo} and {hi}.", lo=spec.minimum, hi=spec.maximum)
        )
    value: int = spec.validate(number)
    return value


def _form_page(
    request: Request,
    who: CurrentVisitor,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "settings.html",
        visitor=who,
        values=values,
        errors=errors,
        limits={
            name: (
                _minutes(spec_for(key).minimum or 0),
                _minutes(spec_for(key).maximum or 0),
            )
            for name, key in _MINUTE_FIELDS.items()
        },
        status_code=status_code,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_form(request: Request, who: CurrentVisitor) -> HTMLResponse:
    if not can_manage_settings(who.actor):
        raise PageForbidden(tr("Your roles do not allow this page."))
    with state_of(request).db.read() as session:
        current = settings_service.current(session)
    values = {name: _minutes(current[key]) for name, key in _MINUTE_FIELDS.items()}
    values["languages"] = ", ".join(current[LANGUAGES])
    for name, key in _WHOLE_FIELDS.items():
        values[name] = str(current[key])
    return _form_page(request, who, values, {})


@router.post("/settings", response_model=None)
def save_settings(request: Request, who: CurrentVisitor, form: CheckedForm) -> Response:
    if not can_manage_settings(who.actor):
        raise PageForbidden(tr("Your roles do not allow this page."))
    values = {name: str(form.get(name, "")) for name in (*_MINUTE_FIELDS, "languages")}
    parsed: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, key in _MINUTE_FIELDS.items():
        try:
            parsed[key] = parse_minutes(values[name], key)
        except DocshelfError as exc:
            errors[name] = exc.message
    try:
        languages = [part.strip() for part in values["languages"].split(",") if part.strip()]
        parsed[LANGUAGES] = spec_for(LANGUAGES).validate(languages)
    except DocshelfError as exc:
        errors["languages"] = exc.message
    for name, key in _WHOLE_FIELDS.items():
        if name not in form:  # a form of an older page may lack it: then it stays
            values[name] = ""
            continue
        values[name] = str(form.get(name, ""))
        try:
            parsed[key] = _whole(values[name], key)
        except DocshelfError as exc:
            errors[name] = exc.message
    if errors:
        # Nothing is saved unless every field is valid.
        return _form_page(request, who, values, errors, status_code=422)
    with state_of(request).db.change(who.actor.login, origin=DASHBOARD) as change:
        for key, value in parsed.items():
            settings_service.set_value(change, who.actor, key, value)
    return redirect(
        f"{PATH}/settings",
        flash=tr("Saved. Clients receive the settings at their next sync."),
        request=request,
    )
