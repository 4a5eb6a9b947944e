"""Reverting an import (or a revert): each object it touched back to its state before.

What the import created is removed (a template deactivated, as deleting one does), what
it changed gets its before-state again, what it removed is created again. Objects changed
by anyone after the import are "changed since": listed, and left alone unless the caller
names them. Like an import, a revert is planned (the preview, named by a digest), then
planned again and applied in one change through the same services, and recorded in the
history itself, so that it can be reverted too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, DocshelfError, Forbidden, InvalidInput, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.domain.packages import (
    FORMAT,
    FORMAT_VERSION,
    Action,
    Entry,
    FieldEntry,
    GroupEntry,
    PlannedItem,
    SnippetEntry,
    State,
    TemplateEntry,
    UnitEntry,
    compare,
    desired_field,
    desired_group,
    desired_unit,
    parents_first,
    parse_manifest,
    snippet_state,
    template_state,
)
from docshelf.domain.patches import TemplatePatch
from docshelf.domain.permissions import require
from docshelf.domain.trees import chain_to_root
from docshelf.i18n import tr
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change
from docshelf.server.db.models import (
    PackageImport,
    PackageImportObject,
    Profile,
    Template,
    TemplateGroup,
    Unit,
)
from docshelf.server.packages import history
from docshelf.server.packages.apply import apply_steps
from docshelf.server.packages.plan import Step, current_state, require_may_import
from docshelf.server.services import fields, snippets, templates, units

ADDED = "added"
CHANGED = "changed"
REMOVED = "removed"
UNCHANGED = "unchanged"
_REFUSALS: tuple[type[DocshelfError], ...] = (InvalidInput, Forbidden, Conflict, NotFound)
_SECTIONS = {"field": "fields", "unit": "units", "template_group": "template_groups"}


@dataclass(frozen=True)
class RevertStep:
    kind: str
    id: str
    title: str
    # added (created again), changed (back to its before-state), removed, unchanged
    action: str
    changes: tuple[str, ...]
    # Changed by someone after the import.
    since: bool
    # Changed since and not named by the caller: left alone.
    skipped: bool
    entry: Entry | None = None
    desired: State | None = None


@dataclass
class RevertPlan:
    record: PackageImport
    steps: list[RevertStep]
    digest: str
    warnings: list[str] = field(default_factory=list)

    @property
    def to_apply(self) -> list[RevertStep]:
        return [s for s in self.steps if not s.skipped and s.action != UNCHANGED]


def require_may_revert(actor: Actor, record: PackageImport | None = None) -> None:
    """Who may import may revert; an entry with units or fields only a Sys."""
    require_may_import(actor)
    if record is not None and record.organisation:
        require(
            rules.can_package_organisation(actor),
            tr(
                "Only a system administrator may revert an import that changed units or"
                " field definitions."
            ),
        )


def make_revert_plan(
    session: Session, actor: Actor, import_id: int, include: Iterable[str] = ()
) -> RevertPlan:
    require_may_revert(actor)
    # Ids are 32-bit integers: a larger number names nothing (and must not reach the DB).
    in_range = 0 < import_id < 2**31
    record = session.get(PackageImport, import_id) if in_range else None
    if record is None:
        raise NotFound(tr("There is no import no. {id} in the history.", id=import_id))
    require_may_revert(actor, record)
    objects = history.objects_of(session, import_id)
    wanted = set(include)
    unknown = sorted(wanted - {o.object_id for o in objects})
    if unknown:
        raise InvalidInput(
            tr(
                "The import no. {id} did not change {ids}; name only objects it changed.",
                id=import_id,
                ids=", ".join(unknown),
            )
        )
    before = _before_entries(objects)
    steps = [_step(session, o, before.get((o.kind, o.object_id)), wanted) for o in objects]
    steps, warnings = _keep_holders(session, steps)
    ordered = _ordered(session, steps)
    return RevertPlan(record, ordered, _digest(import_id, ordered), warnings)


def _keep_holders(session: Session, steps: list[RevertStep]) -> tuple[list[RevertStep], list[str]]:
    """A group or unit the import created stays while it holds anything that stays (a
    template changed since, a sub-group made later): removing it would be refused."""
    warnings: list[str] = []
    while True:
        going = {(s.kind, s.id) for s in steps if s.action == REMOVED and not s.skipped}
        held = [
            s
            for s in steps
            if (s.kind, s.id) in going
            and s.kind in ("template_group", "unit")
            and _holds_staying(session, s, going)
        ]
        if not held:
            return steps, warnings
        for s in held:
            warnings.append(
                tr(
                    "The {kind} {title!r} stays: it still holds objects that the revert leaves"
                    " as they are.",
                    kind=kind_label(s.kind),
                    title=s.title,
                )
            )
        ids = {(s.kind, s.id) for s in held}
        steps = [replace(s, skipped=True) if (s.kind, s.id) in ids else s for s in steps]


def _holds_staying(session: Session, step: RevertStep, going: set[tuple[str, str]]) -> bool:
    if step.kind == "template_group":
        children = [
            ("template", i)
            for i in session.scalars(select(Template.id).where(Template.group_id == step.id))
        ]
        children += [
            ("template_group", i)
            for i in session.scalars(
                select(TemplateGroup.id).where(TemplateGroup.parent_id == step.id)
            )
        ]
    else:
        children = [
            ("unit", i) for i in session.scalars(select(Unit.id).where(Unit.parent_id == step.id))
        ]
        if session.scalar(select(Profile.id).where(Profile.unit_id == step.id).limit(1)):
            return True
    return any(child not in going for child in children)


def _before_entries(objects: list[PackageImportObject]) -> dict[tuple[str, str], Entry]:
    """The before-states read back as package entries, by the package reader's rules."""
    data: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
    for o in objects:
        if o.before is not None:
            node = {k: v for k, v in o.before.items() if k != "active"}
            data.setdefault(_SECTIONS.get(o.kind, o.kind + "s"), []).append(node)
    manifest = parse_manifest(data)
    found: dict[tuple[str, str], Entry] = {}
    for kind, group in (
        ("field", manifest.fields),
        ("unit", manifest.units),
        ("template_group", manifest.template_groups),
        ("template", manifest.templates),
        ("snippet", manifest.snippets),
    ):
        for entry in group:
            found[(kind, entry.id)] = entry
    return found


def _desired(kind: str, entry: Entry, before: dict[str, Any]) -> State:
    """Exactly the stored before-state (rights as they were, not as an import adds them)."""
    if isinstance(entry, FieldEntry):
        return desired_field(entry)
    if isinstance(entry, UnitEntry):
        return desired_unit(entry)
    if isinstance(entry, GroupEntry):
        return desired_group(entry)
    if isinstance(entry, TemplateEntry):
        return template_state(
            group_id=entry.group_id,
            kind=entry.kind,
            status=entry.status,
            active=bool(before.get("active", True)),
            titles=entry.titles,
            descriptions=entry.descriptions,
            use_rights=entry.use_rights,
            change_rights=entry.change_rights,
            order=entry.order,
            files={lang: (f.file.sha256, f.filename) for lang, f in entry.files.items()},
        )
    assert isinstance(entry, SnippetEntry)
    return snippet_state(
        kind=entry.kind,
        title=entry.title,
        template_id=entry.template_id,
        read_rights=entry.read_rights,
        write_rights=entry.write_rights,
        body_sha256=entry.body.sha256 if entry.body is not None else None,
        body_format=entry.body_format,
    )


def _step(
    session: Session, obj: PackageImportObject, entry: Entry | None, include: set[str]
) -> RevertStep:
    row = history.find_row(session, obj.kind, obj.object_id)
    version = row.version if row is not None else None
    since = version != obj.version_after
    skipped = since and obj.object_id not in include
    if entry is None or obj.before is None:  # the import created it
        action = REMOVED if history.is_present(obj.kind, row) else UNCHANGED
        return RevertStep(
            obj.kind, obj.object_id, obj.title, action, (), since=since, skipped=skipped
        )
    desired = _desired(obj.kind, entry, obj.before)
    current = current_state(obj.kind, row) if row is not None else None
    compared, changes = compare(desired, current)
    action = {Action.ADDED: ADDED, Action.CHANGED: CHANGED}.get(compared, UNCHANGED)
    return RevertStep(
        obj.kind,
        obj.object_id,
        obj.title,
        action,
        changes,
        since=since,
        skipped=skipped,
        entry=entry,
        desired=desired,
    )


def _depths(session: Session, model: type[Any]) -> dict[str, int]:
    parents = {i: p for i, p in session.execute(select(model.id, model.parent_id))}
    return {i: len(chain_to_root(i, parents)) for i in parents}


def _ordered(session: Session, steps: list[RevertStep]) -> list[RevertStep]:
    """Restored objects parents first (fields, units, groups, templates, snippets), then
    removed ones children first: what is removed may hold what is restored until then."""
    rank = {kind: i for i, kind in enumerate(history.KINDS)}
    restore = [s for s in steps if s.action != REMOVED]
    in_tree: dict[tuple[str, str], int] = {}
    for kind in ("unit", "template_group"):
        tree = [
            s.entry
            for s in restore
            if s.kind == kind and isinstance(s.entry, GroupEntry | UnitEntry)
        ]
        in_tree.update({(kind, e.id): i for i, e in enumerate(parents_first(tree))})
    restore.sort(key=lambda s: (rank[s.kind], in_tree.get((s.kind, s.id), 0), s.id))
    depth = {"unit": _depths(session, Unit), "template_group": _depths(session, TemplateGroup)}
    removed = [s for s in steps if s.action == REMOVED]
    removed.sort(key=lambda s: (-rank[s.kind], -depth.get(s.kind, {}).get(s.id, 0), s.id))
    return restore + removed


def _digest(import_id: int, steps: list[RevertStep]) -> str:
    """Names what a revert would do; applied only while it would still do exactly that."""
    rows = [[s.kind, s.id, s.action, list(s.changes), s.since, s.skipped] for s in steps]
    raw = json.dumps([f"revert:{import_id}", rows], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def changes_anything(plan: RevertPlan) -> bool:
    return bool(plan.to_apply)


def apply_revert(change: Change, actor: Actor, blobs: BlobStore, plan: RevertPlan) -> int | None:
    """Apply the plan in the caller's change; returns the id of its history entry."""
    recorder = history.Recorder(change, actor, blobs)
    steps = plan.to_apply
    for step in steps:
        recorder.before(step.kind, step.id, step.title)
    removed_groups = {s.id for s in steps if s.action == REMOVED and s.kind == "template_group"}
    for step in steps:
        try:
            if step.action == REMOVED:
                _remove(change, actor, step, removed_groups)
            else:
                _restore(change, actor, blobs, step)
            change.session.flush()
        except _REFUSALS as exc:
            base = next(b for b in _REFUSALS if isinstance(exc, b))
            # apply names the object by its place in a package; a revert has none.
            cause = exc.__cause__
            reason = cause.message if isinstance(cause, DocshelfError) else exc.message
            message = tr(
                "{kind} {title!r}: {reason}",
                kind=kind_label(step.kind),
                title=step.title,
                reason=reason,
            )
            raise base(message, title=exc.title) from exc
    record = recorder.finish(history.REVERT, reverts_id=plan.record.id)
    return record.id if record is not None else None


def _restore(change: Change, actor: Actor, blobs: BlobStore, step: RevertStep) -> None:
    assert step.entry is not None and step.desired is not None
    changes = step.changes
    deactivate = step.kind == "template" and step.desired.get("active") is False
    if deactivate:
        # apply restores a deleted template; this one was deleted before the import.
        changes = tuple(c for c in changes if c != "active")
    action = Action.ADDED if step.action == ADDED else Action.CHANGED
    item = PlannedItem(step.kind, step.id, step.title, action, changes)
    if changes or action is Action.ADDED:
        apply_steps(change, actor, blobs, [Step(item, step.entry, step.desired)])
    if deactivate:
        row = history.find_row(change.session, "template", step.id)
        if row is not None:
            templates.deactivate(change, actor, row)


def _remove(change: Change, actor: Actor, step: RevertStep, removed_groups: set[str]) -> None:
    row = history.find_row(change.session, step.kind, step.id)
    if row is None:
        return
    if step.kind == "snippet":
        snippets.delete_snippet(change, actor, row)
    elif step.kind == "template":
        if row.group_id in removed_groups:
            # A deleted template stays (deactivated); out of the group that goes with it.
            templates.update_template(change, actor, row, TemplatePatch(group_id=None))
        templates.deactivate(change, actor, row)
    elif step.kind == "template_group":
        templates.delete_group(change, actor, row)
    elif step.kind == "unit":
        units.delete_unit(change, actor, row)
    else:
        fields.delete_field(change, actor, row)
