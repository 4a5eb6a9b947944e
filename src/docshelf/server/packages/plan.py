"""What importing a package would do: each object added, changed (which attributes) or
left unchanged, compared with the database; and whether the caller may do it.

The same function plans the preview and, again inside the import's transaction, the
import itself, so what is applied is what the database holds at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Forbidden
from docshelf.domain.fields import FieldDef, FieldScope, FieldType, check_field_values
from docshelf.domain.kinds import kind_label
from docshelf.domain.packages import (
    FIXED_ATTRIBUTES,
    MANIFEST_NAME,
    Action,
    Entry,
    GroupEntry,
    Manifest,
    PlannedItem,
    Problems,
    SnippetEntry,
    State,
    TemplateEntry,
    UnitEntry,
    as_template,
    compare,
    desired_field,
    desired_group,
    desired_snippet,
    desired_template,
    desired_unit,
    field_state,
    group_state,
    parents_first,
    plan_digest,
    snippet_state,
    template_state,
    title_of,
    unit_state,
)
from docshelf.domain.permissions import require
from docshelf.domain.snippets import SnippetKind
from docshelf.domain.templates import Template as DomainTemplate
from docshelf.i18n import ntr, tr
from docshelf.server import convert
from docshelf.server.db.models import (
    Blob,
    FieldDefinition,
    Group,
    Snippet,
    Template,
    TemplateGroup,
    Unit,
    User,
)
from docshelf.server.packages.reader import ExtractedPackage
from docshelf.server.services.fields import definitions
from docshelf.server.services.template_tags import file_tags, known_names, unknown_text

M = TypeVar("M")
_BATCH = 500
MAX_DENIALS_LISTED = 5


@dataclass(frozen=True)
class Step:
    item: PlannedItem
    entry: Entry
    desired: State


@dataclass
class Plan:
    steps: list[Step]
    digest: str
    warnings: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[PlannedItem]:
        return [step.item for step in self.steps]

    @property
    def changes_anything(self) -> bool:
        return any(step.item.action is not Action.UNCHANGED for step in self.steps)


def require_may_import(actor: Actor, manifest: Manifest | None = None) -> None:
    require(
        rules.can_use_packages(actor),
        tr("Only layouters and system administrators may import packages."),
    )
    if manifest is not None and manifest.organisation:
        require(
            rules.can_package_organisation(actor),
            tr(
                "Only a system administrator may import packages with units or field "
                "definitions; leave them out of the package or ask one.",
            ),
        )


def make_plan(session: Session, actor: Actor, package: ExtractedPackage) -> Plan:
    """Raises PackageInvalid (what doesn't fit the server) or Forbidden (what the caller may
    not do), each naming the objects of the package concerned."""
    manifest = package.manifest
    require_may_import(actor, manifest)
    planner = _Planner(session, actor, manifest)
    steps = [
        *planner.fields(),
        *planner.units(),
        *planner.groups(),
        *planner.templates(),
        *planner.snippets(),
    ]
    planner.problems.raise_if_any()
    if planner.denied:
        shown = "; ".join(planner.denied[:MAX_DENIALS_LISTED])
        more = len(planner.denied) - MAX_DENIALS_LISTED
        raise Forbidden(
            ntr(
                "You may not import this package: {shown} (and {n} more).",
                "You may not import this package: {shown} (and {n} more).",
                more,
                shown=shown,
            )
            if more > 0
            else tr("You may not import this package: {shown}.", shown=shown)
        )
    items = [step.item for step in steps]
    warnings = [
        *package.warnings,
        *planner.unknown_principals(),
        *planner.unknown_tags(package.files),
    ]
    return Plan(steps, plan_digest(package.sha256, items), warnings)


def _by_id(session: Session, model: type[M], ids: Iterable[str]) -> dict[str, M]:
    wanted = sorted(set(ids))
    found: dict[str, M] = {}
    column: Any = model.id  # type: ignore[attr-defined]
    for i in range(0, len(wanted), _BATCH):
        for row in session.scalars(select(model).where(column.in_(wanted[i : i + _BATCH]))):
            found[row.id] = row  # type: ignore[attr-defined]
    return found


class _Planner:
    def __init__(self, session: Session, actor: Actor, manifest: Manifest) -> None:
        self.session = session
        self.actor = actor
        self.manifest = manifest
        self.problems = Problems(MANIFEST_NAME)
        self.denied: list[str] = []

    # --- helpers -------------------------------------------------------------------------

    def _step(
        self, kind: str, entry: Entry, desired: State, current: State | None, allowed: bool
    ) -> Step:
        action, changes = compare(desired, current)
        for attribute in FIXED_ATTRIBUTES.get(kind, ()):
            if attribute in changes:
                self.problems.add(
                    f"{entry.where}.{attribute}",
                    tr(
                        "the {kind} {id!r} exists on this server with {attribute} {current!r},"
                        " and a package cannot change that",
                        kind=kind_label(kind),
                        id=entry.id,
                        attribute=attribute,
                        current=current[attribute] if current else None,
                    ),
                )
        if action is not Action.UNCHANGED and not allowed:
            self.denied.append(f"{entry.where} ({title_of(entry)!r}): {self._why(kind, action)}")
        item = PlannedItem(kind, entry.id, title_of(entry), action, changes)
        return Step(item, entry, desired)

    @staticmethod
    def _why(kind: str, action: Action) -> str:
        if kind == "template" and action is Action.CHANGED:
            return "you do not hold the Change right on this template"
        if kind == "snippet" and action is Action.CHANGED:
            return "you may not change this snippet"
        if kind == "snippet":
            return "you may not create this snippet"
        return f"you may not {'create' if action is Action.ADDED else 'change'} {kind}s".replace(
            "_", " "
        )

    def _missing_parent(
        self,
        entries: Sequence[Entry],
        attribute: str,
        in_package: set[str],
        model: type[Any],
        what: str,
    ) -> None:
        refs = {getattr(e, attribute) for e in entries} - in_package - {None}
        existing = set(_by_id(self.session, model, refs))
        for entry in entries:
            ref = getattr(entry, attribute)
            if ref is not None and ref not in in_package and ref not in existing:
                self.problems.add(
                    f"{entry.where}.{attribute}",
                    tr(
                        "there is no {what} {ref!r} in the package or on this server",
                        what=kind_label(what),
                        ref=ref,
                    ),
                )

    # --- kinds ---------------------------------------------------------------------------

    def fields(self) -> list[Step]:
        rows = {r.key: r for r in self.session.scalars(select(FieldDefinition))}
        allowed = rules.can_manage_field_definitions(self.actor)
        steps = []
        for entry in self.manifest.fields:
            row = rows.get(entry.key)
            current = (
                field_state(scope=row.scope, type=row.type, labels=row.labels, order=row.order)
                if row is not None
                else None
            )
            steps.append(self._step("field", entry, desired_field(entry), current, allowed))
        return steps

    def _definitions(self) -> dict[str, FieldDef]:
        defs = definitions(self.session)
        for entry in self.manifest.fields:
            if entry.key and entry.scope and entry.type:
                defs[entry.key] = FieldDef(
                    entry.key, FieldScope(entry.scope), FieldType(entry.type), entry.labels
                )
        return defs

    def units(self) -> list[Step]:
        entries = self.manifest.units
        if not entries:
            return []
        rows = _by_id(self.session, Unit, (e.id for e in entries))
        self._missing_parent(entries, "parent_id", {e.id for e in entries}, Unit, "unit")
        self._check_unit_fields(entries)
        allowed = rules.can_manage_units(self.actor)
        steps = []
        for entry in parents_first(entries):
            assert isinstance(entry, UnitEntry)
            row = rows.get(entry.id)
            current = (
                unit_state(
                    parent_id=row.parent_id,
                    title=row.title,
                    fields=row.fields,
                    assignable_by=row.assignable_by,
                    order=row.order,
                )
                if row is not None
                else None
            )
            steps.append(self._step("unit", entry, desired_unit(entry), current, allowed))
        return steps

    def _check_unit_fields(self, entries: Sequence[UnitEntry]) -> None:
        defs = self._definitions()
        in_package = self.manifest.hashes()
        images: dict[str, list[str]] = {}
        for entry in entries:
            where = f"{entry.where}.fields"
            self.problems.check(where, check_field_values, entry.fields, defs, FieldScope.UNIT)
            for key, value in entry.fields.items():
                definition = defs.get(key)
                is_image = definition is not None and definition.type is FieldType.IMAGE
                if is_image and value and value not in in_package:
                    images.setdefault(value, []).append(f"{where}.{key}")
        stored = set(_by_sha(self.session, images))
        for sha, places in images.items():
            if sha not in stored:
                for where in places:
                    self.problems.add(
                        where,
                        tr(
                            "names the file {sha}, which is neither in the package (add it to "
                            "images) nor on this server",
                            sha=sha,
                        ),
                    )

    def groups(self) -> list[Step]:
        entries = self.manifest.template_groups
        if not entries:
            return []
        rows = _by_id(self.session, TemplateGroup, (e.id for e in entries))
        ids = {e.id for e in entries}
        self._missing_parent(entries, "parent_id", ids, TemplateGroup, "template group")
        allowed = rules.can_manage_template_groups(self.actor)
        steps = []
        for entry in parents_first(entries):
            assert isinstance(entry, GroupEntry)
            row = rows.get(entry.id)
            current = (
                group_state(parent_id=row.parent_id, titles=row.titles, order=row.order)
                if row is not None
                else None
            )
            steps.append(
                self._step("template_group", entry, desired_group(entry), current, allowed)
            )
        return steps

    def templates(self) -> list[Step]:
        entries = self.manifest.templates
        if not entries:
            return []
        rows = _by_id(self.session, Template, (e.id for e in entries))
        groups = {g.id for g in self.manifest.template_groups}
        self._missing_parent(entries, "group_id", groups, TemplateGroup, "template group")
        steps = []
        for entry in entries:
            row = rows.get(entry.id)
            current = current_state("template", row) if row is not None else None
            desired = desired_template(entry, self.actor)
            steps.append(self._step("template", entry, desired, current, self._may_template(row)))
            restoring = row is not None and not row.active
            if restoring and not rules.can_restore_or_purge_templates(self.actor):
                self.denied.append(
                    tr(
                        "{where} ({title!r}): the template is deleted on this server; only a"
                        " system administrator may restore it",
                        where=entry.where,
                        title=title_of(entry),
                    )
                )
        return steps

    def _may_template(self, row: Template | None) -> bool:
        if row is None:
            return rules.can_create_templates(self.actor)
        return rules.can_change_template(self.actor, convert.template(row))

    def snippets(self) -> list[Step]:
        entries = self.manifest.snippets
        if not entries:
            return []
        rows = _by_id(self.session, Snippet, (e.id for e in entries))
        in_package = {t.id: t for t in self.manifest.templates}
        self._missing_parent(entries, "template_id", set(in_package), Template, "template")
        parents = _by_id(self.session, Template, (e.template_id for e in entries if e.template_id))
        steps = []
        for entry in entries:
            row = rows.get(entry.id)
            current = current_state("snippet", row) if row is not None else None
            allowed = self._may_snippet(entry, row, in_package, parents)
            desired = desired_snippet(entry, self.actor)
            steps.append(self._step("snippet", entry, desired, current, allowed))
        return steps

    def _may_snippet(
        self,
        entry: SnippetEntry,
        row: Snippet | None,
        in_package: dict[str, TemplateEntry],
        parents: dict[str, Template],
    ) -> bool:
        stored_parent = parents.get(entry.template_id or "")
        if row is not None:
            if row.kind != entry.kind:
                return True  # refused as a problem already: a snippet's kind cannot change
            current_parent = convert.template(stored_parent) if stored_parent else None
            return rules.can_change_snippet(self.actor, convert.snippet(row), current_parent)
        parent: DomainTemplate | None
        if entry.template_id in in_package:
            parent = as_template(in_package[entry.template_id], self.actor)
        else:
            parent = convert.template(stored_parent) if stored_parent else None
        return rules.can_create_snippet(self.actor, SnippetKind(entry.kind), parent)

    # --- warnings ------------------------------------------------------------------------

    def unknown_principals(self) -> list[str]:
        """Rights that name users or groups this server doesn't have: nobody holds them."""
        places: dict[str, list[str]] = {}
        for where, rights in self._rights():
            for principal in rights:
                if principal.startswith(("user:", "group:")):
                    places.setdefault(principal, []).append(where)
        users = {p.split(":", 1)[1] for p in places if p.startswith("user:")}
        groups = {p.split(":", 1)[1] for p in places if p.startswith("group:")}
        known = {f"user:{i}" for i in _by_id(self.session, User, users)}
        known |= {f"group:{i}" for i in _by_id(self.session, Group, groups)}
        warnings = []
        for principal, wheres in sorted(places.items()):
            if principal in known:
                continue
            shown = ", ".join(wheres[:3])
            if len(wheres) > 3:
                shown = ntr(
                    "{shown} and {n} more", "{shown} and {n} more", len(wheres) - 3, shown=shown
                )
            warnings.append(
                tr(
                    "{principal} ({shown}) is not a user or group on this server; nobody holds"
                    " the rights granted to it here.",
                    principal=principal,
                    shown=shown,
                )
            )
        return warnings

    def unknown_tags(self, files: Mapping[str, Path]) -> list[str]:
        """Template files whose tags name no field, image field or snippet, neither on this
        server nor in the package: filling would leave those controls as they are."""
        if not self.manifest.templates:
            return []
        image = FieldType.IMAGE.value
        known = known_names(self.session).adding(
            ((f.key, f.type == image) for f in self.manifest.fields),
            ((s.id, s.title) for s in self.manifest.snippets),
        )
        warnings = []
        for entry in self.manifest.templates:
            for lang, f in sorted(entry.files.items()):
                path = files.get(f.file.sha256)
                if path is None:  # not in the archive: the server's copy was checked before
                    continue
                found = file_tags(path.read_bytes(), lang, f.filename, known)
                where = f"{entry.where}.files.{lang} ({title_of(entry)!r}, {f.filename})"
                if found.error is not None:
                    warnings.append(f"{where}: {found.error}")
                elif found.unknown:
                    warnings.append(f"{where}: {unknown_text(found.unknown)}.")
        return warnings

    def _rights(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        for t in self.manifest.templates:
            yield f"{t.where}.use_rights", t.use_rights
            yield f"{t.where}.change_rights", t.change_rights
        for s in self.manifest.snippets:
            yield f"{s.where}.read_rights", s.read_rights
            yield f"{s.where}.write_rights", s.write_rights
        for u in self.manifest.units:
            yield f"{u.where}.assignable_by", u.assignable_by or ()


def _by_sha(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = sorted(set(hashes))
    found: set[str] = set()
    for i in range(0, len(wanted), _BATCH):
        batch = wanted[i : i + _BATCH]
        found.update(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(batch))))
    return found


def current_state(kind: str, row: Any) -> State:
    """The row as the planner compares it (see domain/packages/compare.py)."""
    if kind == "field":
        return field_state(scope=row.scope, type=row.type, labels=row.labels, order=row.order)
    if kind == "unit":
        return unit_state(
            parent_id=row.parent_id,
            title=row.title,
            fields=row.fields,
            assignable_by=row.assignable_by,
            order=row.order,
        )
    if kind == "template_group":
        return group_state(parent_id=row.parent_id, titles=row.titles, order=row.order)
    if kind == "template":
        return template_state(
            group_id=row.group_id,
            kind=row.kind,
            status=row.status,
            active=row.active,
            titles=row.titles,
            descriptions=row.descriptions,
            use_rights=row.use_rights,
            change_rights=row.change_rights,
            order=row.order,
            files={f.lang: (f.sha256, f.filename) for f in row.files},
        )
    return snippet_state(
        kind=row.kind,
        title=row.title,
        template_id=row.template_id,
        read_rights=row.read_rights,
        write_rights=row.write_rights,
        body_sha256=row.body_sha256,
        body_format=row.body_format,
    )
