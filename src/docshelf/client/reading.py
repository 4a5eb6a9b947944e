"""Reading the local copy, online or not: what the CLI lists and the desktop app shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docshelf.client.files import FileStore
from docshelf.client.store import LocalStore
from docshelf.domain.errors import NotFound
from docshelf.domain.fields import FieldDef, FieldScope, FieldType, resolve_profile_fields
from docshelf.domain.units import Unit, resolve_unit_fields


def title_of(record: dict[str, Any], lang: str = "de") -> str:
    titles: dict[str, str] = record.get("titles") or {}
    return titles.get(lang) or next(iter(titles.values()), "") or record.get("title", "")


def templates(store: LocalStore, lang: str = "de") -> list[dict[str, Any]]:
    rows = store.view("template")
    return sorted(rows, key=lambda r: (r.get("group_id") or "", r["order"], title_of(r, lang)))


def template_groups(store: LocalStore) -> list[dict[str, Any]]:
    return sorted(store.view("template_group"), key=lambda r: (r["order"], r["id"]))


def snippets(store: LocalStore, user_id: str | None = None) -> list[dict[str, Any]]:
    return sorted(store.view("snippet", user_id), key=lambda r: (r["kind"], r["title"].lower()))


def template_file(
    store: LocalStore, files: FileStore, template_id: str, lang: str | None
) -> tuple[Path, str]:
    """The cached file of a template in a language (default: the first available)."""
    record = store.view_record("template", template_id)
    if record is None:
        raise NotFound(
            f"There is no template {template_id!r} in the local copy; `docshelf templates` lists"
            " them (sync first if it is new)."
        )
    available: dict[str, dict[str, Any]] = record.get("files") or {}
    if not available:
        raise NotFound(f"Template {template_id!r} has no file yet.")
    chosen = lang if lang is not None else sorted(available)[0]
    if chosen not in available:
        langs = ", ".join(sorted(available))
        raise NotFound(f"Template {template_id!r} has no {chosen!r} file; it has {langs}.")
    ref = available[chosen]
    return files.path(ref["sha256"]), ref["filename"]


def _field_defs(store: LocalStore) -> list[FieldDef]:
    return [
        FieldDef(
            key=r["key"],
            scope=FieldScope(r["scope"]),
            type=FieldType(r["type"]),
            labels=r.get("labels") or {},
            order=r["order"],
        )
        for r in store.records("field")
    ]


def _units(store: LocalStore) -> dict[str, Unit]:
    return {
        r["id"]: Unit(
            id=r["id"],
            parent_id=r["parent_id"],
            title=r["title"],
            fields=r.get("fields") or {},
            assignable_by=tuple(r["assignable_by"]) if r.get("assignable_by") is not None else None,
            order=r["order"],
        )
        for r in store.view("unit")
    }


def units(store: LocalStore) -> list[dict[str, Any]]:
    tree = _units(store)
    result = []
    for record in sorted(store.view("unit"), key=lambda r: (r["order"], r["title"])):
        resolved = resolve_unit_fields(record["id"], tree)
        result.append(
            {
                **record,
                "resolved_fields": {
                    k: {"value": f.value, "source": f.source} for k, f in resolved.items()
                },
            }
        )
    return result


def profiles(store: LocalStore, user_id: str | None, lang: str = "de") -> list[dict[str, Any]]:
    """Profiles with every field resolved: value, where it comes from, inherited or not."""
    defs = _field_defs(store)
    labels = {d.key: (d.labels or {}).get(lang, d.key) for d in defs}
    tree = _units(store)
    users = {u["id"]: u for u in store.records("user")}
    result = []
    for record in sorted(store.view("profile", user_id), key=lambda r: r["title"].lower()):
        owner = users.get(record["owner_id"], {})
        unit_id = record.get("unit_id")
        unit_fields = resolve_unit_fields(unit_id, tree) if unit_id in tree else {}
        fields = resolve_profile_fields(
            defs, owner.get("fields") or {}, unit_fields, record.get("overrides") or {}
        )
        result.append(
            {
                **record,
                "owner": owner.get("display_name", record["owner_id"]),
                "unit": tree[unit_id].title if unit_id in tree else None,
                "shared_with_me": user_id is not None and record["owner_id"] != user_id,
                "fields": [
                    {
                        "key": f.key,
                        "label": labels.get(f.key, f.key),
                        "value": f.value,
                        "source": f.source,
                        "inherited": f.inherited,
                    }
                    for f in fields
                ],
            }
        )
    return result
