"""The audit log: who changed what and when, before → after; filters, pages, CSV (Sys)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.audit import shorten
from docshelf.domain.errors import DocshelfError
from docshelf.domain.packages.changes import change_label
from docshelf.i18n import N_, current_language, tr
from docshelf.server.dashboard.forms import require_section
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page
from docshelf.server.dashboard.session import CurrentVisitor, state_of
from docshelf.server.dashboard.texts import NONE, label, localized
from docshelf.server.db.audit import KINDS
from docshelf.server.db.models import AuditEntry, FieldDefinition, Group, User
from docshelf.server.services import audit

router = APIRouter(route_class=InVisitorLanguage)
SECTION = "audit"
PAGE_SIZE = 50
_FILTERS = ("since", "until", "actor", "kind", "object")
# Attributes the package labels (domain/packages/changes.py) do not name.
ATTRIBUTE_LABELS: Mapping[str, str] = {
    "login": N_("Login"),
    "display_name": N_("Display name"),
    "roles": N_("Roles"),
    "name": N_("Name"),
    "description": N_("Description"),
    "members": N_("Members"),
    "files": N_("Files"),
    "value": N_("Value"),
    "key": N_("Key"),
    "owner_id": N_("Owner"),
    "unit_id": N_("Unit"),
    "overrides": N_("Own values"),
    "shared_with": N_("Shared with"),
    "body_sha256": N_("Content"),
    "deactivated_at": N_("Deactivated on"),
}
# Attributes whose values are names of stored values: shown by their labels, per kind
# of object ("" for any).
_VALUE_FAMILIES = {
    ("", "roles"): "role",
    ("", "status"): "status",
    ("", "scope"): "scope",
    ("", "type"): "field_type",
    ("", "body_format"): "snippet_format",
    ("snippet", "kind"): "snippet_kind",
}
# Texts per language: shown in the visitor's language, or the languages that changed.
_MULTILINGUAL = {"titles", "descriptions", "labels"}
_FIELD_VALUES = {"fields", "overrides"}
_PRINCIPAL_LISTS = {"use_rights", "change_rights", "read_rights", "write_rights", "shared_with"}
_ACCOUNT_IDS = {"owner_id"}


def attribute_label(name: str) -> str:
    known = ATTRIBUTE_LABELS.get(name)
    return tr(known) if known else change_label(name)


@dataclass(frozen=True)
class Difference:
    attribute: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Row:
    entry: AuditEntry
    title: str
    differences: list[Difference]


class _Names:
    """Accounts and groups named by their ids in rights (read once per page)."""

    def __init__(self, session: Session, entries: Iterable[AuditEntry]) -> None:
        ids: set[str] = set()
        for entry in entries:
            for values in (entry.before or {}, entry.after or {}):
                for key, value in values.items():
                    if key in _PRINCIPAL_LISTS and isinstance(value, list):
                        ids.update(str(v).partition(":")[2] for v in value)
                    elif key in _ACCOUNT_IDS and isinstance(value, str):
                        ids.add(value)
        users = session.execute(select(User.id, User.login).where(User.id.in_(ids)))
        groups = session.execute(select(Group.id, Group.name).where(Group.id.in_(ids)))
        self.users: dict[str, str] = {i: login for i, login in users}
        self.groups: dict[str, str] = {i: name for i, name in groups}
        language = current_language()
        # Field keys are the fields' names in code; people know them by their labels.
        labels = session.execute(select(FieldDefinition.key, FieldDefinition.labels))
        self.fields: dict[str, str] = {k: localized(v, language, k) for k, v in labels}

    def title(self, entry: AuditEntry) -> str:
        if entry.kind == "field":
            return self.fields.get(entry.object_title, entry.object_title)
        return entry.object_title or entry.object_id

    def principal(self, value: str) -> str:
        kind, _, ident = value.partition(":")
        if value == "*":
            return tr("everyone")
        if kind == "user":
            return self.users.get(ident, ident)
        if kind == "group":
            return tr("group {name}", name=self.groups.get(ident, ident))
        return value


def _member(value: str) -> str:
    # Stored as "user:login" / "group:name" (db/audit.py).
    kind, _, name = value.partition(":")
    return tr("group {name}", name=name) if kind == "group" else name


def _value_text(kind: str, attribute: str, value: Any, names: _Names) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    family = _VALUE_FAMILIES.get((kind, attribute)) or _VALUE_FAMILIES.get(("", attribute))
    if family is not None:
        values = value if isinstance(value, list) else [value]
        return ", ".join(label(family, str(v)) for v in values) or NONE
    if attribute in _PRINCIPAL_LISTS and isinstance(value, list):
        return ", ".join(names.principal(str(v)) for v in value) or NONE
    if attribute in _ACCOUNT_IDS and isinstance(value, str):
        return names.users.get(value, value)
    if attribute in _FIELD_VALUES and isinstance(value, dict):
        return (
            ", ".join(f"{names.fields.get(k, k)}: {shorten(v, 40)}" for k, v in value.items())
            or NONE
        )
    if attribute == "members" and isinstance(value, list):
        return ", ".join(_member(str(v)) for v in value) or NONE
    if attribute == "files" and isinstance(value, dict):
        return (
            ", ".join(
                f"{lang}: {f.get('filename')} ({str(f.get('sha256'))[:8]})"
                for lang, f in value.items()
                if isinstance(f, dict)
            )
            or NONE
        )
    return shorten(value)


def _languages(name: str, before: Any, after: Any, created_or_deleted: bool) -> tuple[Any, Any]:
    """Texts per language reduced to what a reader needs: on a create or delete the
    visitor's language; on a change the languages that changed (the visitor's alone as
    plain text)."""
    if name not in _MULTILINGUAL:
        return before, after
    if created_or_deleted:
        language = current_language()
        return (
            localized(before, language) if isinstance(before, dict) else before,
            localized(after, language) if isinstance(after, dict) else after,
        )
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    changed = [
        lang for lang in (*old, *(k for k in new if k not in old)) if old.get(lang) != new.get(lang)
    ]
    if changed == [current_language()]:
        return old.get(changed[0]), new.get(changed[0])
    return {lang: old.get(lang) for lang in changed}, {lang: new.get(lang) for lang in changed}


def differences(entry: AuditEntry, names: _Names) -> list[Difference]:
    before, after = entry.before or {}, entry.after or {}
    whole = entry.before is None or entry.after is None
    found = []
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = _languages(name, before.get(name), after.get(name), whole)
        found.append(
            Difference(
                attribute=name,
                label=attribute_label(name),
                before=_value_text(entry.kind, name, old, names)
                if entry.before is not None
                else "",
                after=_value_text(entry.kind, name, new, names) if entry.after is not None else "",
            )
        )
    return found


def _filter_values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip()[:200] for name in _FILTERS}


def _filter(values: dict[str, str]) -> audit.AuditFilter:
    return audit.AuditFilter(
        since=audit.parse_since(values["since"]) if values["since"] else None,
        until=audit.parse_since(values["until"]) if values["until"] else None,
        actor=values["actor"] or None,
        kind=values["kind"] or None,
        object=values["object"] or None,
    )


def _page_number(request: Request) -> int:
    try:
        return max(1, min(100_000, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, who: CurrentVisitor) -> HTMLResponse:
    require_section(who, SECTION)
    values = _filter_values(request)
    number = _page_number(request)
    rows: list[Row] = []
    total = 0
    error = None
    try:
        where = _filter(values)
    except DocshelfError as exc:
        error = exc.message
    else:
        with state_of(request).db.read() as session:
            found = audit.entries(session, where, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
            names = _Names(session, found)
            rows = [Row(e, names.title(e), differences(e, names)) for e in found]
            total = audit.count(session, where)
    query = {k: v for k, v in values.items() if v}
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "audit.html",
        visitor=who,
        rows=rows,
        total=total,
        values=values,
        kinds=KINDS,
        error=error,
        number=number,
        pages=pages,
        previous=urlencode({**query, "page": number - 1}) if number > 1 else None,
        next=urlencode({**query, "page": number + 1}) if number < pages else None,
        csv=urlencode(query),
        status_code=422 if error else 200,
    )


@router.get("/audit.csv", response_model=None)
def audit_csv(request: Request, who: CurrentVisitor) -> Response:
    require_section(who, SECTION)
    where = _filter(_filter_values(request))  # an invalid filter: the error page
    with state_of(request).db.read() as session:
        rows = audit.entries(session, where, limit=audit.CSV_MAX)
        body = audit.to_csv(rows)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
