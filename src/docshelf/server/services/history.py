"""The version history of templates and snippets: list, compare, restore, prune.

The versions are written by every change (server/db/versions.py). A restore applies a
kept snapshot as a *new* change through the template and snippet services, so the
rights are checked as for any edit and clients converge as usual; the restored state
becomes the newest version. Only the two ``_restore_*`` functions call those services.
"""

from __future__ import annotations

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
from docshelf.i18n import tr
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore
from docshelf.server.db import versions
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import ObjectVersion, Snippet, Template, utcnow
from docshelf.server.services import settings as settings_service
from docshelf.server.services import snippets, templates
from docshelf.server.services.common import get_or_404

KINDS = versions.KINDS


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(
            tr("Only templates and snippets have a version history, not {kind!r}.", kind=kind)
        )
    return kind


def _object(session: Session, kind: str, object_id: str) -> Template | Snippet:
    model: type[Template | Snippet] = Template if _kind(kind) == versions.TEMPLATE else Snippet
    return get_or_404(session, model, object_id, kind)


def _require_history(session: Session, actor: Actor, row: Template | Snippet) -> None:
    """Who may administer a template or change a snippet may see and restore its history.
    Like the API elsewhere, those who may not learn nothing of it (not found)."""
    if isinstance(row, Template):
        allowed = rules.can_administer_template(actor, convert.template(row))
    else:
        parent = session.get(Template, row.template_id) if row.template_id else None
        allowed = rules.can_change_snippet(
            actor, convert.snippet(row), convert.template(parent) if parent else None
        )
    if not allowed:
        what = kind_label("template" if isinstance(row, Template) else "snippet")
        raise NotFound(tr("There is no {what} with id {ident!r}.", what=what, ident=row.id))


def list_versions(session: Session, actor: Actor, kind: str, object_id: str) -> list[ObjectVersion]:
    """The kept versions of an object, newest first."""
    _require_history(session, actor, _object(session, kind, object_id))
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
    _require_history(session, actor, _object(session, kind, object_id))
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
    _require_history(session, actor, _object(session, kind, object_id))
    return diff(
        _version(session, kind, object_id, a).snapshot,
        _version(session, kind, object_id, b).snapshot,
    )


def check_restore(
    session: Session, actor: Actor, kind: str, object_id: str, version: int
) -> SnapshotDiff:
    """What a restore would change (from the current state to the version's), checking
    the rights as the restore does; writes nothing (a dry run)."""
    return _plan(session, actor, kind, object_id, version)[3]


def restore(
    change: Change, actor: Actor, blobs: BlobStore, kind: str, object_id: str, version: int
) -> SnapshotDiff:
    """Bring an object back to a kept version as a new change; returns what changed."""
    row, target, current, changes = _plan(change.session, actor, kind, object_id, version)
    if isinstance(row, Template):
        _restore_template(change, actor, blobs, row, target, current)
    else:
        _restore_snippet(change, actor, blobs, row, target)
    return changes


def _plan(
    session: Session, actor: Actor, kind: str, object_id: str, version: int
) -> tuple[Template | Snippet, dict[str, Any], dict[str, Any], SnapshotDiff]:
    row = _object(session, kind, object_id)
    _require_history(session, actor, row)
    target = _version(session, kind, object_id, version).snapshot
    current = versions.take(session, row)[1]
    changes = diff(current, target)
    if changes.empty:
        raise Conflict(
            tr(
                "Version {version} is the current state already; nothing to restore.",
                version=version,
            )
        )
    if isinstance(row, Template):
        _check_template_restore(actor, row, target, current)
    else:
        _check_snippet_restore(session, actor, row)
    return row, target, current, changes


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
    templates.update_template(
        change,
        actor,
        row,
        TemplatePatch(
            titles=dict(target.get("titles") or {}),
            descriptions=dict(target.get("descriptions") or {}),
            group_id=target.get("group_id"),
            status=str(target.get("status")),
            use_rights=tuple(target.get("use_rights") or ()),
            change_rights=tuple(target.get("change_rights") or ()),
            order=int(target.get("order") or 0),
        ),
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


def prune(db: Database, now: datetime | None = None) -> int:
    """Drop the versions the retention settings let go (hourly housekeeping); the
    garbage collector may then collect the files no version needs any more."""
    with db.write() as session:
        values = settings_service.current(session)
        cutoff = (now or utcnow()) - timedelta(days=int(values[VERSION_RETENTION_DAYS]))
        return versions.prune(session, cutoff, int(values[VERSIONS_KEPT]))


def current_version(session: Session, kind: str, object_id: str) -> int:
    return _object(session, kind, object_id).version
