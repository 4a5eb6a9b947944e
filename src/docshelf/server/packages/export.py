"""Exporting: chosen templates, whole template groups, snippets, units and field
definitions into a package that any docshelf server imports.

The manifest is read in one snapshot of the database and the archive written after it,
from the file store (files never change under their hash).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import docshelf
from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput, NotFound
from docshelf.domain.fields import FieldType
from docshelf.domain.packages import (
    FORMAT,
    FORMAT_VERSION,
    HEAD_BYTES,
    IMAGE_TYPES,
    MANIFEST_NAME,
    image_extension,
)
from docshelf.domain.permissions import require
from docshelf.domain.snippets import SnippetKind
from docshelf.domain.templates import FILE_KINDS
from docshelf.domain.trees import chain_to_root, descendants
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.blobstore import CHUNK, BlobStore
from docshelf.server.db.models import (
    Blob,
    FieldDefinition,
    Snippet,
    Template,
    TemplateGroup,
    Unit,
)

_BODY_EXTENSIONS = {"text": "txt", "html": "html", "docx": "docx"}
# Already compressed: deflating them again costs time and saves nothing.
_STORED = {*FILE_KINDS, *IMAGE_TYPES} - {"svg", "bmp"}


@dataclass(frozen=True)
class Selection:
    template_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    snippet_ids: tuple[str, ...] = ()
    units: bool = False
    fields: bool = False

    @property
    def empty(self) -> bool:
        chosen = (self.template_ids, self.group_ids, self.snippet_ids, self.units, self.fields)
        return not any(chosen)


@dataclass
class Contents:
    """A manifest ready to write, and the files it names: SHA-256 → (path, size)."""

    manifest: dict[str, Any]
    files: dict[str, tuple[str, int]]


def require_may_export(actor: Actor, selection: Selection | None = None) -> None:
    require(
        rules.can_use_packages(actor),
        tr("Only layouters and system administrators may export packages."),
    )
    if selection is not None and (selection.units or selection.fields):
        require(
            rules.can_package_organisation(actor),
            tr("Only a system administrator may export units and field definitions."),
        )


def collect(session: Session, actor: Actor, blobs: BlobStore, selection: Selection) -> Contents:
    require_may_export(actor, selection)
    if selection.empty:
        raise InvalidInput(
            tr(
                "Choose what to export: templates, template groups, snippets, units or fields.",
            )
        )
    return _Collector(session, actor, blobs).run(selection)


class _Collector:
    def __init__(self, session: Session, actor: Actor, blobs: BlobStore) -> None:
        self.session = session
        self.actor = actor
        self.blobs = blobs
        self.files: dict[str, tuple[str, int]] = {}
        self.groups = {g.id: g for g in session.scalars(select(TemplateGroup))}
        self.templates: dict[str, Template] = {}
        self.snippets: dict[str, Snippet] = {}
        self.chosen_groups: set[str] = set()

    def run(self, selection: Selection) -> Contents:
        for template_id in selection.template_ids:
            self._add_template(self._template(template_id), explicit=True)
        self._add_groups(selection.group_ids)
        for snippet_id in selection.snippet_ids:
            self._add_snippet(snippet_id)
        self._add_template_snippets()
        units = self._units() if selection.units else []
        field_rows = self._fields(units, everything=selection.fields)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generator": f"docshelf {docshelf.__version__}",
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "template_groups": [self._group_entry(g) for g in self._needed_groups()],
            "templates": [self._template_entry(t) for t in self._sorted(self.templates)],
            "snippets": [self._snippet_entry(s) for s in self._sorted(self.snippets)],
            "fields": [_field_entry(f) for f in field_rows],
            "units": [_unit_entry(u) for u in units],
            "images": self._images(units, field_rows),
        }
        return Contents(manifest, self.files)

    # --- choosing ------------------------------------------------------------------------

    def _template(self, template_id: str) -> Template:
        row = self.session.get(Template, template_id)
        if row is None or not rules.can_administer_template(self.actor, convert.template(row)):
            raise NotFound(
                tr(
                    "There is no template with id {template_id!r} that you may export.",
                    template_id=template_id,
                )
            )
        return row

    def _add_template(self, row: Template, *, explicit: bool) -> None:
        if not row.active:
            if explicit:
                raise InvalidInput(
                    tr(
                        "The template {id!r} is deleted; restore it first or leave it out.",
                        id=row.id,
                    )
                )
            return
        self.templates[row.id] = row

    def _add_groups(self, group_ids: Iterable[str]) -> None:
        parents = {g.id: g.parent_id for g in self.groups.values()}
        chosen: set[str] = set()
        for group_id in group_ids:
            if group_id not in self.groups:
                raise NotFound(
                    tr("There is no template group with id {group_id!r}.", group_id=group_id)
                )
            chosen |= {group_id} | descendants(group_id, parents)
        self.chosen_groups = chosen
        if not chosen:
            return
        rows = self.session.scalars(select(Template).where(Template.group_id.in_(sorted(chosen))))
        for row in rows:
            # A whole group brings what the caller may administer in it; the rest stays.
            if rules.can_administer_template(self.actor, convert.template(row)):
                self._add_template(row, explicit=False)

    def _add_snippet(self, snippet_id: str) -> None:
        row = self.session.get(Snippet, snippet_id)
        parent = self.session.get(Template, row.template_id) if row and row.template_id else None
        domain_parent = convert.template(parent) if parent is not None else None
        visible = row is not None and (
            rules.can_see_snippet(self.actor, convert.snippet(row), domain_parent)
            or rules.can_change_snippet(self.actor, convert.snippet(row), domain_parent)
        )
        if row is None or not visible:
            raise NotFound(
                tr(
                    "There is no snippet with id {snippet_id!r} that you may export.",
                    snippet_id=snippet_id,
                )
            )
        if row.kind == SnippetKind.PERSONAL:
            raise InvalidInput(
                tr(
                    "The snippet {snippet_id!r} is personal: it belongs to one person and "
                    "is not exported.",
                    snippet_id=snippet_id,
                )
            )
        if parent is not None and parent.id not in self.templates:
            # A template snippet needs its template wherever it is imported.
            self._add_template(self._template(parent.id), explicit=True)
        self.snippets[row.id] = row

    def _add_template_snippets(self) -> None:
        ids = sorted(self.templates)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            for row in self.session.scalars(select(Snippet).where(Snippet.template_id.in_(batch))):
                self.snippets[row.id] = row

    def _needed_groups(self) -> list[TemplateGroup]:
        parents = {g.id: g.parent_id for g in self.groups.values()}
        needed = set(self.chosen_groups)
        for row in self.templates.values():
            if row.group_id is not None:
                needed.add(row.group_id)
        # With their ancestors, so that a group lands where it was, wherever it is imported.
        for group_id in list(needed):
            needed.update(chain_to_root(group_id, parents))
        depth = {g: len(chain_to_root(g, parents)) for g in needed}
        return [self.groups[g] for g in sorted(needed, key=lambda g: (depth[g], g))]

    def _units(self) -> list[Unit]:
        rows = {u.id: u for u in self.session.scalars(select(Unit))}
        parents = {u.id: u.parent_id for u in rows.values()}
        depth = {u: len(chain_to_root(u, parents)) for u in rows}
        return [rows[u] for u in sorted(rows, key=lambda u: (depth[u], u))]

    def _fields(self, units: list[Unit], *, everything: bool) -> list[FieldDefinition]:
        rows = list(self.session.scalars(select(FieldDefinition).order_by(FieldDefinition.key)))
        if everything:
            return rows
        used = {key for unit in units for key in unit.fields}
        return [row for row in rows if row.key in used]

    @staticmethod
    def _sorted(rows: dict[str, Any]) -> list[Any]:
        return [rows[key] for key in sorted(rows)]

    # --- writing entries -----------------------------------------------------------------

    def _file(self, sha256: str, extension: str, size: int | None = None) -> dict[str, Any]:
        if sha256 not in self.files:
            if size is None:
                blob = self.session.get(Blob, sha256)
                size = blob.size if blob is not None else self.blobs.size(sha256)
            self.files[sha256] = (f"files/{sha256}.{extension}", size)
        path, known = self.files[sha256]
        return {"path": path, "sha256": sha256, "size": known}

    def _group_entry(self, row: TemplateGroup) -> dict[str, Any]:
        return {
            "id": row.id,
            "parent_id": row.parent_id,
            "titles": dict(row.titles),
            "order": row.order,
        }

    def _template_entry(self, row: Template) -> dict[str, Any]:
        return {
            "id": row.id,
            "group_id": row.group_id,
            "kind": row.kind,
            "status": row.status,
            "titles": dict(row.titles),
            "descriptions": dict(row.descriptions),
            "use_rights": sorted(row.use_rights),
            "change_rights": sorted(row.change_rights),
            "order": row.order,
            "files": {
                f.lang: {**self._file(f.sha256, row.kind, f.size), "filename": f.filename}
                for f in row.files
            },
        }

    def _snippet_entry(self, row: Snippet) -> dict[str, Any]:
        body = None
        if row.body_sha256 is not None:
            body = self._file(row.body_sha256, _BODY_EXTENSIONS.get(row.body_format, "bin"))
        return {
            "id": row.id,
            "kind": row.kind,
            "title": row.title,
            "template_id": row.template_id,
            "read_rights": sorted(row.read_rights),
            "write_rights": sorted(row.write_rights),
            "body_format": row.body_format,
            "body": body,
        }

    def _images(self, units: list[Unit], fields: list[FieldDefinition]) -> list[dict[str, Any]]:
        image_keys = {f.key for f in fields if f.type == FieldType.IMAGE}
        hashes = sorted({u.fields[k] for u in units for k in image_keys if u.fields.get(k)})
        images = []
        for sha in hashes:
            with self.blobs.open(sha) as f:
                head = f.read(HEAD_BYTES)
            images.append(self._file(sha, image_extension(head)))
        return images


class Entries:
    """Package entries of single rows, exactly as an export writes them: the before-states
    of the package history (see :mod:`.history`) are in this format."""

    def __init__(self, session: Session, actor: Actor, blobs: BlobStore) -> None:
        self._collector = _Collector(session, actor, blobs)

    def of(self, kind: str, row: Any) -> dict[str, Any]:
        c = self._collector
        if kind == "field":
            return _field_entry(row)
        if kind == "unit":
            return _unit_entry(row)
        if kind == "template_group":
            return c._group_entry(row)
        if kind == "template":
            return c._template_entry(row)
        return c._snippet_entry(row)


def _field_entry(row: FieldDefinition) -> dict[str, Any]:
    return {
        "key": row.key,
        "scope": row.scope,
        "type": row.type,
        "labels": dict(row.labels),
        "order": row.order,
    }


def _unit_entry(row: Unit) -> dict[str, Any]:
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "title": row.title,
        "fields": dict(row.fields),
        "assignable_by": list(row.assignable_by) if row.assignable_by is not None else None,
        "order": row.order,
    }


def write_archive(contents: Contents, blobs: BlobStore, target: Path) -> None:
    """Write the package: manifest.json first, then each file once, however many use it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        manifest = json.dumps(contents.manifest, indent=2, ensure_ascii=False) + "\n"
        zf.writestr(MANIFEST_NAME, manifest.encode("utf-8"))
        for sha, (path, size) in sorted(contents.files.items(), key=lambda item: item[1][0]):
            info = zipfile.ZipInfo(path, date_time=datetime.now(UTC).timetuple()[:6])
            extension = path.rsplit(".", 1)[-1]
            info.compress_type = (
                zipfile.ZIP_STORED if extension in _STORED else zipfile.ZIP_DEFLATED
            )
            info.external_attr = 0o644 << 16
            with blobs.open(sha) as source, zf.open(info, "w", force_zip64=size > 2**31) as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
