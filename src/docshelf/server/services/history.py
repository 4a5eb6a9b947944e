"""The version history of templates and snippets: list, compare, restore, prune.

The versions are written by every change (server/db/versions.py). A restore applies a
kept snapshot as a *new* change through the template and snippet services, so the
rights are checked as for any edit and clients converge as usual; the restored state
becomes the newest version. A deleted object (a purged template, a deleted snippet) keeps
its versions too, the newest marked as the deletion: its history is read from them, the
rights are checked on its last kept state, and a restore creates it again with its id.
Only the ``_restore_*`` and ``_recreate_*`` functions call those services.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.errors import Conflict, InvalidInput, NotFound
from docshelf.domain.history import SnapshotDiff, diff
from docshelf.domain.kinds import kind_label
from docshelf.domain.patches import UNSET, SnippetPatch, TemplatePatch
from docshelf.domain.permissions import require
from docshelf.domain.settings import VERSION_RETENTION_DAYS, VERSIONS_KEPT
from docshelf.domain.snippets import SnippetKind
from docshelf.i18n import current_language, tr
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore
from docshelf.server.db import versions
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import ObjectVersion, Snippet, Template, TemplateGroup, utcnow
from docshelf.server.services import settings as settings_service
from docshelf.server.services import snippets, templates

KINDS = versions.KINDS


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(
            tr("Only templates and snippets have a version history, not {kind!r}.", kind=kind)
        )
    return kind


@dataclass(frozen=True)
class Subject:
    """An object with a history: its live row, or, once deleted, its newest kept
    version (the deletion, whose snapshot is the last state)."""

    kind: str
    object_id: str
    row: Template | Snippet | None
    newest: ObjectVersion | None = None

    @property
    def deleted(self) -> bool:
        return self.row is None


def _not_found(kind: str, object_id: str) -> NotFound:
    return NotFound(
        tr("There is no {what} with id {ident!r}.", what=kind_label(kind), ident=object_id)
    )


def _subject(session: Session, kind: str, object_id: str) -> Subject:
    row: Template | Snippet | None = (
        session.get(Template, object_id)
        if _kind(kind) == versions.TEMPLATE
        else session.get(Snippet, object_id)
    )
    if row is not None:
        return Subject(kind, object_id, row)
    newest = session.scalar(
        select(ObjectVersion)
        .where(ObjectVersion.kind == kind, ObjectVersion.object_id == object_id)
        .order_by(ObjectVersion.version.desc())
        .limit(1)
    )
    if newest is None:
        raise _not_found(kind, object_id)
    return Subject(kind, object_id, None, newest)


def may_see_history(session: Session, actor: Actor, subject: Subject) -> bool:
    """Who may administer a template or change a snippet may see its history; for a
    deleted object the rights are those of its last kept state."""
    if subject.kind == versions.TEMPLATE:
        if isinstance(subject.row, Template):
            facts = convert.template(subject.row)
        else:
            facts = convert.template_from_snapshot(subject.object_id, _last_state(subject))
        return rules.can_administer_template(actor, facts)
    if isinstance(subject.row, Snippet):
        snippet = convert.snippet(subject.row)
    else:
        snippet = convert.snippet_from_snapshot(subject.object_id, _last_state(subject))
    parent = session.get(Template, snippet.template_id) if snippet.template_id else None
    if snippet.kind is SnippetKind.TEMPLATE and parent is None:
        # Its template is gone too, and with it the rights that decided: Sys only.
        return actor.is_sys
    return rules.can_change_snippet(actor, snippet, convert.template(parent) if parent else None)


def _last_state(subject: Subject) -> dict[str, Any]:
    assert subject.newest is not None
    return subject.newest.snapshot


def _require_history(session: Session, actor: Actor, subject: Subject) -> None:
    """Like the API elsewhere, those who may not see the history learn nothing of the
    object (not found)."""
    if not may_see_history(session, actor, subject):
        raise _not_found(subject.kind, subject.object_id)


def _subject_for(session: Session, actor: Actor, kind: str, object_id: str) -> Subject:
    subject = _subject(session, kind, object_id)
    _require_history(session, actor, subject)
    return subject


def list_versions(session: Session, actor: Actor, kind: str, object_id: str) -> list[ObjectVersion]:
    """The kept versions of an object, newest first (a deleted object's too: its newest
    is marked ``deleted``)."""
    _subject_for(session, actor, kind, object_id)
    return list(
        session.scalars(
            select(ObjectVersion)
            .where(ObjectVersion.kind == kind, ObjectVersion.object_id == object_id)
            .order_by(ObjectVersion.version.desc())
        )
    )


def get_version(
    session: Session, actor: Actor, kind: str, object_id: str, version: int
) -> ObjectVersion:
    _subject_for(session, actor, kind, object_id)
    return _version(session, kind, object_id, version)


def _version(session: Session, kind: str, object_id: str, version: int) -> ObjectVersion:
    entry = session.scalar(
        select(ObjectVersion).where(
            ObjectVersion.kind == kind,
            ObjectVersion.object_id == object_id,
            ObjectVersion.version == version,
        )
    )
    if entry is None:
        raise NotFound(
            tr(
                "Version {version} of {ident} is not kept (never made, or dropped by the "
                "retention).",
                version=version,
                ident=object_id,
            )
        )
    return entry


def compare(
    session: Session, actor: Actor, kind: str, object_id: str, a: int, b: int
) -> SnapshotDiff:
    """What changed from version ``a`` to version ``b``."""
    _subject_for(session, actor, kind, object_id)
    return diff(
        _version(session, kind, object_id, a).snapshot,
        _version(session, kind, object_id, b).snapshot,
    )


def check_restore(
    session: Session, actor: Actor, kind: str, object_id: str, version: int
) -> SnapshotDiff:
    """What a restore would change (from the current state to the version's), checking
    the rights as the restore does; writes nothing (a dry run)."""
    return _plan(session, actor, kind, object_id, version).changes


def restore(
    change: Change, actor: Actor, blobs: BlobStore, kind: str, object_id: str, version: int
) -> SnapshotDiff:
    """Bring an object back to a kept version as a new change; returns what changed. A
    deleted object is created again with its id, so clients that dropped it get it back."""
    plan = _plan(change.session, actor, kind, object_id, version)
    row = plan.subject.row
    if row is None:
        _recreate(change, actor, blobs, plan)
    elif isinstance(row, Template):
        _restore_template(change, actor, blobs, row, plan.target, plan.current)
    else:
        _restore_snippet(change, actor, blobs, row, plan.target)
    return plan.changes


@dataclass(frozen=True)
class _Plan:
    subject: Subject
    target: dict[str, Any]
    current: dict[str, Any]
    changes: SnapshotDiff


def _plan(session: Session, actor: Actor, kind: str, object_id: str, version: int) -> _Plan:
    subject = _subject_for(session, actor, kind, object_id)
    target = dict(_version(session, kind, object_id, version).snapshot)
    notes = _into_existing_group(session, target) if kind == versions.TEMPLATE else []
    row = subject.row
    if row is None:
        current: dict[str, Any] = {}
        notes.insert(
            0,
            tr("The template is deleted; the restore creates it again with the same id.")
            if kind == versions.TEMPLATE
            else tr("The snippet is deleted; the restore creates it again with the same id."),
        )
        _check_recreate(session, actor, subject, target)
    else:
        current = versions.take(session, row)[1]
    changes = replace(diff(current, target), notes=notes)
    if changes.empty:
        raise Conflict(
            tr(
                "Version {version} is the current state already; nothing to restore.",
                version=version,
            )
        )
    if isinstance(row, Template):
        _check_template_restore(actor, row, target, current)
    elif isinstance(row, Snippet):
        _check_snippet_restore(session, actor, row)
    return _Plan(subject, target, current, changes)


def _into_existing_group(session: Session, target: dict[str, Any]) -> list[str]:
    """A template whose group is gone goes back to the top level. Refusing would leave it
    unrestorable for good: groups keep no history, so that group never comes back, and a
    person restoring "our letter template" wants the template, wherever it is filed."""
    group_id = target.get("group_id")
    if group_id is None or session.get(TemplateGroup, group_id) is not None:
        return []
    target["group_id"] = None
    return [
        tr(
            "Its template group {group} no longer exists; the template is restored at the "
            "top level.",
            group=group_id,
        )
    ]


def _check_recreate(
    session: Session, actor: Actor, subject: Subject, target: dict[str, Any]
) -> None:
    if subject.kind == versions.TEMPLATE:
        require(
            rules.can_restore_or_purge_templates(actor),
            tr("Only a system administrator may restore deleted templates."),
        )
        return
    parent_id = target.get("template_id")
    if parent_id is not None and session.get(Template, parent_id) is None:
        raise Conflict(
            tr(
                "The template {template} this snippet belongs to is deleted too; restore "
                "the template first, then the snippet.",
                template=_kept_title(session, str(parent_id)),
            )
        )
    parent = session.get(Template, parent_id) if parent_id else None
    require(
        rules.can_create_snippet(
            actor,
            SnippetKind(str(target.get("kind"))),
            convert.template(parent) if parent else None,
        ),
        tr("You may not restore this snippet."),
    )


def _kept_title(session: Session, template_id: str) -> str:
    """A deleted template's title as its newest kept version has it, with its id."""
    newest = session.scalar(
        select(ObjectVersion)
        .where(ObjectVersion.kind == versions.TEMPLATE, ObjectVersion.object_id == template_id)
        .order_by(ObjectVersion.version.desc())
        .limit(1)
    )
    titles: dict[str, str] = dict(newest.snapshot.get("titles") or {}) if newest else {}
    title = titles.get(current_language()) or next(iter(titles.values()), "")
    return f"«{title}» ({template_id})" if title else template_id


def _check_template_restore(
    actor: Actor, row: Template, target: dict[str, Any], current: dict[str, Any]
) -> None:
    require(
        rules.can_change_template(actor, convert.template(row)),
        tr("You do not hold the Change right on this template."),
    )
    if target.get("active") and not current.get("active"):
        require(
            rules.can_restore_or_purge_templates(actor),
            tr("Only a system administrator may restore deleted templates."),
        )


def _check_snippet_restore(session: Session, actor: Actor, row: Snippet) -> None:
    parent = session.get(Template, row.template_id) if row.template_id else None
    require(
        rules.can_change_snippet(
            actor, convert.snippet(row), convert.template(parent) if parent else None
        ),
        tr("You may not change this snippet."),
    )


def _restore_template(
    change: Change,
    actor: Actor,
    blobs: BlobStore,
    row: Template,
    target: dict[str, Any],
    current: dict[str, Any],
) -> None:
    """The one place a restore calls the template services."""
    wanted: dict[str, Any] = target.get("files") or {}
    # Files first: the restored rights may no longer include the actor.
    for lang, file in sorted(wanted.items()):
        now = (current.get("files") or {}).get(lang)
        if (
            now is None
            or now.get("sha256") != file["sha256"]
            or now.get("filename") != file["filename"]
        ):
            templates.set_file(
                change,
                actor,
                blobs,
                row,
                lang=lang,
                sha256=file["sha256"],
                filename=file["filename"],
            )
    for lang in sorted(set(current.get("files") or {}) - set(wanted)):
        templates.remove_file(change, actor, row, lang)
    # Before the rights change too: deactivating needs the Change right as it stands.
    if target.get("active") and not row.active:
        templates.restore(change, actor, row)
    elif not target.get("active") and row.active:
        templates.deactivate(change, actor, row)
    templates.update_template(change, actor, row, _template_patch(target))


def _template_patch(target: dict[str, Any]) -> TemplatePatch:
    """A kept template snapshot as the change that brings a template to it."""
    return TemplatePatch(
        titles=dict(target.get("titles") or {}),
        descriptions=dict(target.get("descriptions") or {}),
        group_id=target.get("group_id"),
        status=str(target.get("status")),
        use_rights=tuple(target.get("use_rights") or ()),
        change_rights=tuple(target.get("change_rights") or ()),
        order=int(target.get("order") or 0),
    )


def _restore_snippet(
    change: Change, actor: Actor, blobs: BlobStore, row: Snippet, target: dict[str, Any]
) -> None:
    """The one place a restore calls the snippet service."""
    shared = row.kind == SnippetKind.SHARED.value
    body = target.get("body_sha256")
    snippets.update_snippet(
        change,
        actor,
        blobs,
        row,
        SnippetPatch(
            title=str(target.get("title")),
            read_rights=tuple(target.get("read_rights") or ()) if shared else UNSET,
            write_rights=tuple(target.get("write_rights") or ()) if shared else UNSET,
            body_sha256=body or None,
            body_format=str(target.get("body_format") or "text"),
        ),
    )


def _recreate(change: Change, actor: Actor, blobs: BlobStore, plan: _Plan) -> None:
    newest = plan.subject.newest
    assert newest is not None
    if plan.subject.kind == versions.TEMPLATE:
        row: Template | Snippet = _recreate_template(
            change, actor, blobs, plan.subject.object_id, plan.target
        )
    else:
        row = _recreate_snippet(change, actor, blobs, plan.subject.object_id, plan.target)
    # Go on from the kept versions' numbers: the restored state is the newest version,
    # and a client's edit based on the object before its deletion is seen as outdated.
    row.version = newest.version + 1


def _recreate_template(
    change: Change, actor: Actor, blobs: BlobStore, object_id: str, target: dict[str, Any]
) -> Template:
    """The one place a restore creates a deleted template again (with its id)."""
    patch = replace(_template_patch(target), kind=str(target.get("kind")))
    row = templates.create_template(change, actor, patch, template_id=object_id)
    files: dict[str, Any] = target.get("files") or {}
    for lang, file in sorted(files.items()):
        templates.set_file(
            change, actor, blobs, row, lang=lang, sha256=file["sha256"], filename=file["filename"]
        )
    if not target.get("active"):
        templates.deactivate(change, actor, row)
    return row


def _recreate_snippet(
    change: Change, actor: Actor, blobs: BlobStore, object_id: str, target: dict[str, Any]
) -> Snippet:
    """The one place a restore creates a deleted snippet again (with its id)."""
    patch = SnippetPatch(
        kind=str(target.get("kind")),
        title=str(target.get("title")),
        owner_id=target.get("owner_id"),
        template_id=target.get("template_id"),
        read_rights=tuple(target.get("read_rights") or ()),
        write_rights=tuple(target.get("write_rights") or ()),
        body_sha256=target.get("body_sha256") or None,
        body_format=str(target.get("body_format") or "text"),
    )
    return snippets.create_snippet(change, actor, blobs, patch, snippet_id=object_id)


def prune(db: Database, now: datetime | None = None) -> int:
    """Drop the versions the retention settings let go (hourly housekeeping); the
    garbage collector may then collect the files no version needs any more."""
    with db.write() as session:
        values = settings_service.current(session)
        cutoff = (now or utcnow()) - timedelta(days=int(values[VERSION_RETENTION_DAYS]))
        return versions.prune(session, cutoff, int(values[VERSIONS_KEPT]))


def current_version(session: Session, kind: str, object_id: str) -> int | None:
    """The object's version now; None when it is deleted."""
    row = _subject(session, kind, object_id).row
    return row.version if row is not None else None
