"""Translation between database rows, domain entities and wire records."""

from __future__ import annotations

from typing import Any

from docshelf.domain import fields as dfields
from docshelf.domain import profiles as dprofiles
from docshelf.domain import snippets as dsnippets
from docshelf.domain import templates as dtemplates
from docshelf.domain import units as dunits
from docshelf.protocol import records as r
from docshelf.server.db import models as m


def template(row: m.Template) -> dtemplates.Template:
    return dtemplates.Template(
        id=row.id,
        group_id=row.group_id,
        kind=row.kind,
        status=dtemplates.PublicationStatus(row.status),
        active=row.active,
        use_rights=tuple(row.use_rights),
        change_rights=tuple(row.change_rights),
        titles=dict(row.titles),
        descriptions=dict(row.descriptions),
        files={f.lang: dtemplates.TemplateFile(f.sha256, f.size, f.filename) for f in row.files},
    )


def snippet(row: m.Snippet) -> dsnippets.Snippet:
    return dsnippets.Snippet(
        id=row.id,
        kind=dsnippets.SnippetKind(row.kind),
        title=row.title,
        owner_id=row.owner_id,
        template_id=row.template_id,
        read_rights=tuple(row.read_rights),
        write_rights=tuple(row.write_rights),
        body_sha256=row.body_sha256,
        body_format=dsnippets.SnippetFormat(row.body_format),
    )


def template_from_snapshot(object_id: str, snapshot: dict[str, Any]) -> dtemplates.Template:
    """The template a kept version describes (server/db/versions.py), for the rights
    checks on an object whose row is gone."""
    return dtemplates.Template(
        id=object_id,
        group_id=snapshot.get("group_id"),
        kind=str(snapshot.get("kind") or ""),
        status=dtemplates.PublicationStatus(str(snapshot.get("status") or "in_progress")),
        active=bool(snapshot.get("active")),
        use_rights=tuple(snapshot.get("use_rights") or ()),
        change_rights=tuple(snapshot.get("change_rights") or ()),
        titles=dict(snapshot.get("titles") or {}),
        descriptions=dict(snapshot.get("descriptions") or {}),
        files={
            lang: dtemplates.TemplateFile(str(f["sha256"]), int(f["size"]), str(f["filename"]))
            for lang, f in dict(snapshot.get("files") or {}).items()
        },
    )


def snippet_from_snapshot(object_id: str, snapshot: dict[str, Any]) -> dsnippets.Snippet:
    """The snippet a kept version describes, for the rights checks once it is deleted."""
    return dsnippets.Snippet(
        id=object_id,
        kind=dsnippets.SnippetKind(str(snapshot.get("kind"))),
        title=str(snapshot.get("title") or ""),
        owner_id=snapshot.get("owner_id"),
        template_id=snapshot.get("template_id"),
        read_rights=tuple(snapshot.get("read_rights") or ()),
        write_rights=tuple(snapshot.get("write_rights") or ()),
        body_sha256=snapshot.get("body_sha256"),
        body_format=dsnippets.SnippetFormat(str(snapshot.get("body_format") or "text")),
    )


def profile(row: m.Profile) -> dprofiles.Profile:
    return dprofiles.Profile(
        id=row.id,
        owner_id=row.owner_id,
        unit_id=row.unit_id,
        title=row.title,
        overrides=dict(row.overrides),
        shared_with=tuple(row.shared_with),
    )


def unit(row: m.Unit) -> dunits.Unit:
    return dunits.Unit(
        id=row.id,
        parent_id=row.parent_id,
        title=row.title,
        fields=dict(row.fields),
        assignable_by=tuple(row.assignable_by) if row.assignable_by is not None else None,
        order=row.order,
    )


def field_def(row: m.FieldDefinition) -> dfields.FieldDef:
    return dfields.FieldDef(
        key=row.key,
        scope=dfields.FieldScope(row.scope),
        type=dfields.FieldType(row.type),
        labels=dict(row.labels),
        order=row.order,
    )


# --- wire records ----------------------------------------------------------------------
#
# Each kind's record as the sync feed sends it: a plain dict in the shape of its model in
# protocol.records (tests/unit/test_wire_records.py holds them to it). The feed builds
# thousands per page, and building and dumping a validated model cost more than the rest
# of the page; the admin API gets the same dicts as validated models (*_record below).


def user_wire(row: m.User) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "login": row.login,
        "display_name": row.display_name,
        "fields": dict(row.fields),
        "roles": sorted(row.roles),
        "active": row.active,
    }


def group_wire(row: m.Group) -> dict[str, Any]:
    return {"id": row.id, "version": row.version, "name": row.name, "description": row.description}


def field_def_wire(row: m.FieldDefinition) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "key": row.key,
        "scope": row.scope,
        "type": row.type,
        "labels": dict(row.labels),
        "order": row.order,
    }


def unit_wire(row: m.Unit) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "parent_id": row.parent_id,
        "title": row.title,
        "fields": dict(row.fields),
        "assignable_by": list(row.assignable_by) if row.assignable_by is not None else None,
        "order": row.order,
    }


def profile_wire(row: m.Profile) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "owner_id": row.owner_id,
        "unit_id": row.unit_id,
        "title": row.title,
        "overrides": dict(row.overrides),
        "shared_with": sorted(row.shared_with),
    }


def template_group_wire(row: m.TemplateGroup) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "parent_id": row.parent_id,
        "titles": dict(row.titles),
        "order": row.order,
    }


def template_wire(row: m.Template) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "group_id": row.group_id,
        "kind": row.kind,
        "status": row.status,
        "active": row.active,
        "titles": dict(row.titles),
        "descriptions": dict(row.descriptions),
        "use_rights": sorted(row.use_rights),
        "change_rights": sorted(row.change_rights),
        "files": {
            f.lang: {"sha256": f.sha256, "size": f.size, "filename": f.filename} for f in row.files
        },
        "order": row.order,
    }


def snippet_wire(row: m.Snippet) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "kind": row.kind,
        "title": row.title,
        "owner_id": row.owner_id,
        "template_id": row.template_id,
        "read_rights": sorted(row.read_rights),
        "write_rights": sorted(row.write_rights),
        "body_sha256": row.body_sha256,
        "body_format": row.body_format,
    }


def user_record(row: m.User) -> r.UserRecord:
    return r.UserRecord.model_validate(user_wire(row))


def group_record(row: m.Group) -> r.GroupRecord:
    return r.GroupRecord.model_validate(group_wire(row))


def field_def_record(row: m.FieldDefinition) -> r.FieldDefRecord:
    return r.FieldDefRecord.model_validate(field_def_wire(row))


def unit_record(row: m.Unit) -> r.UnitRecord:
    return r.UnitRecord.model_validate(unit_wire(row))


def profile_record(row: m.Profile) -> r.ProfileRecord:
    return r.ProfileRecord.model_validate(profile_wire(row))


def template_group_record(row: m.TemplateGroup) -> r.TemplateGroupRecord:
    return r.TemplateGroupRecord.model_validate(template_group_wire(row))


def template_record(row: m.Template) -> r.TemplateRecord:
    return r.TemplateRecord.model_validate(template_wire(row))


def snippet_record(row: m.Snippet) -> r.SnippetRecord:
    return r.SnippetRecord.model_validate(snippet_wire(row))
