"""Reading the local copy, online or not: what the CLI lists and the desktop app shows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from docshelf.client.files import FileStore
from docshelf.client.store import LocalStore
from docshelf.domain.errors import NotFound
from docshelf.i18n import tr

# The field and unit resolution are imported by the functions that
# resolve: listing templates or snippets needs neither.
if TYPE_CHECKING:
    from docshelf.domain.fields import FieldDef, ResolvedField
    from docshelf.domain.units import Unit


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
    """The cached file of a template in a language (default: the first available), and
    the file's name on the server (the layouter's working name: see :func:`template_copy`
    for the name a user's copy gets)."""
    record, chosen = _template_and_language(store, template_id, lang)
    ref = record["files"][chosen]
    return files.path(ref["sha256"]), ref["filename"]


class TemplateCopy(NamedTuple):
    """A template's file in one language, for a copy the user keeps (``template get``)."""

    path: Path  # in the local file store: copy it, never hand it out
    name: str  # what to call the copy: the template's title, safe, with the file's extension
    lang: str
    downloaded: bool  # False: not in the local copy yet (synchronise first)


def template_copy(
    store: LocalStore, files: FileStore, template_id: str, lang: str | None
) -> TemplateCopy:
    """Where a template's file is and what a copy of it is called: the template's title in
    that language (made safe for file systems) and the file's extension."""
    record, chosen = _template_and_language(store, template_id, lang)
    ref = record["files"][chosen]
    title = title_of(record, chosen)
    path = files.path(ref["sha256"])
    return TemplateCopy(
        path=path,
        name=safe_file_stem(title) + Path(ref["filename"]).suffix.lower(),
        lang=chosen,
        downloaded=path.is_file(),
    )


# Characters no file system (Windows' the strictest) takes in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
# Names Windows keeps for devices, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))}
_RESERVED |= {f"LPT{i}" for i in range(1, 10)}


def safe_file_stem(title: str, fallback: str = "document") -> str:
    """``title`` as the stem of a file name every file system takes: no path separators or
    reserved characters, no leading or trailing dots and blanks, not a device name, at
    most 120 characters (room for a date and an extension)."""
    stem = _UNSAFE.sub("_", title).strip(" .")[:120].strip(" .")
    if not stem or stem.upper() in _RESERVED:
        return f"{stem}_" if stem else fallback
    return stem


def _template_and_language(
    store: LocalStore, template_id: str, lang: str | None
) -> tuple[dict[str, Any], str]:
    record = store.view_record("template", template_id)
    if record is None:
        raise NotFound(
            tr(
                "There is no template '{ref}' in the local copy; `docshelf templates` lists"
                " them (sync first if it is new).",
                ref=template_id,
            )
        )
    available: dict[str, dict[str, Any]] = record.get("files") or {}
    if not available:
        raise NotFound(tr("Template '{ref}' has no file yet.", ref=template_id))
    chosen = lang if lang is not None else sorted(available)[0]
    if chosen not in available:
        raise NotFound(
            tr(
                "Template '{ref}' has no file in '{lang}'; it has {langs}.",
                ref=template_id,
                lang=chosen,
                langs=", ".join(sorted(available)),
            )
        )
    return record, chosen


def _field_defs(store: LocalStore) -> list[FieldDef]:
    from docshelf.domain.fields import FieldDef, FieldScope, FieldType

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
    from docshelf.domain.units import Unit

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
    from docshelf.domain.units import resolve_unit_fields

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
    from docshelf.domain.fields import resolve_profile_fields
    from docshelf.domain.units import resolve_unit_fields

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


def image_files(store: LocalStore, user_id: str | None) -> dict[str, set[str]]:
    """The files image fields show, by field key: in every profile the user may write with
    (as :func:`profiles` resolves it) and in the user's own fields.

    Every sync asks this to fetch what documents need offline. Only image fields are
    resolved, each unit once, and users and units are read only when an image field comes
    from them: resolving every field of a library's thousands of profiles took a third of
    a first sync's second.
    """
    from docshelf.domain.fields import FieldScope, FieldType, resolve_profile_fields

    defs = [d for d in _field_defs(store) if d.type is FieldType.IMAGE]
    if not defs:
        return {}
    scopes = {d.scope for d in defs}
    users: dict[str, dict[str, str]] = {}
    if FieldScope.USER in scopes:
        users = {u["id"]: u.get("fields") or {} for u in store.records("user")}
    units = _ResolvedUnits(store if FieldScope.UNIT in scopes else None)
    # The user's own fields first: what a document shows without a profile.
    shown = [resolve_profile_fields(defs, users.get(user_id or "", {}), {}, {})]
    shown += [
        resolve_profile_fields(
            defs,
            users.get(record["owner_id"], {}),
            units.fields(record.get("unit_id")),
            record.get("overrides") or {},
        )
        for record in store.view("profile", user_id)
    ]
    found: dict[str, set[str]] = {}
    for fields in shown:
        for field in fields:
            if field.value:
                found.setdefault(field.key, set()).add(field.value)
    return found


class _ResolvedUnits:
    """Each unit's fields resolved up its tree once, when first asked for."""

    def __init__(self, store: LocalStore | None) -> None:
        # No store: no unit is read (no field asked for comes from units).
        self._tree = _units(store) if store is not None else {}
        self._resolved: dict[str, dict[str, ResolvedField]] = {}

    def fields(self, unit_id: str | None) -> dict[str, ResolvedField]:
        from docshelf.domain.units import resolve_unit_fields

        if unit_id is None or unit_id not in self._tree:
            return {}
        if unit_id not in self._resolved:
            self._resolved[unit_id] = resolve_unit_fields(unit_id, self._tree)
        return self._resolved[unit_id]
