"""``docshelf admin history`` and ``docshelf admin restore``: the kept versions of a
template or snippet, their comparison, and bringing one back (server/services/history.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from docshelf.cli.admin import ACTOR, AdminContext, admin, pass_admin
from docshelf.cli.output import console, print_json, table
from docshelf.domain.history import SnapshotDiff
from docshelf.domain.kinds import kind_label
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_datetime
from docshelf.server.blobstore import open_blob_store
from docshelf.server.db.models import ObjectVersion
from docshelf.server.services import history
from docshelf.server.services.deleted import deleted_objects

KIND = click.Choice(["template", "snippet"])


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _file(value: Any) -> str:
    if not value:
        return "—"
    return f"{value.get('filename', '')} ({str(value.get('sha256', ''))[:12]})"


def print_diff(changes: SnapshotDiff) -> None:
    for note in changes.notes:
        console.print(note, highlight=False)
    if changes.empty:
        console.print(tr("No differences."), highlight=False)
    for change in changes.attributes:
        console.print(
            f"{change.name}: {_value(change.before)} → {_value(change.after)}", highlight=False
        )
    labels = {"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")}
    for file in changes.files:
        console.print(
            tr(
                "file {lang}: {change}, {before} → {after}",
                lang=file.lang,
                change=tr(labels[file.change]),
                before=_file(file.before),
                after=_file(file.after),
            ),
            highlight=False,
        )


@admin.command(
    "history",
    help=N_(
        "List the kept versions of a template or snippet (KIND is template or snippet); "
        "with --compare A B, show what changed from version A to version B; with "
        "--deleted, list the deleted templates and snippets that can be restored."
    ),
)
@click.argument("kind", type=KIND, required=False)
@click.argument("object_id", metavar="ID", required=False)
@click.option(
    "--compare",
    "versions",
    nargs=2,
    type=click.IntRange(min=1),
    metavar="A B",
    help=N_("Compare version A with version B."),
)
@click.option(
    "--deleted",
    is_flag=True,
    help=N_("List the purged templates and deleted snippets instead (restore with admin restore)."),
)
@click.option(
    "--kind", "only", type=KIND, help=N_("With --deleted: only templates or only snippets.")
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_admin
def history_command(
    ctx: AdminContext,
    kind: str | None,
    object_id: str | None,
    versions: tuple[int, int] | None,
    deleted: bool,
    only: str | None,
    as_json: bool,
) -> None:
    if deleted:
        if kind or object_id or versions:
            raise click.UsageError(tr("--deleted takes no KIND, ID or --compare; use --kind."))
        _print_deleted(ctx, only, as_json)
        return
    if not kind or not object_id:
        raise click.UsageError(tr("Give KIND and ID, or --deleted."))
    with ctx.db.read() as session:
        if versions:
            print_diff(history.compare(session, ACTOR, kind, object_id, *versions))
            return
        kept = history.list_versions(session, ACTOR, kind, object_id)
    if as_json:
        print_json([_version_dict(v) for v in kept])
        return
    table(
        N_("Versions"),
        [N_("version"), N_("change"), N_("time"), N_("by"), N_("files"), N_("deleted")],
        (
            (
                v.version,
                v.seq,
                format_datetime(v.created_at),
                v.actor,
                ", ".join(sorted(_slots(kind, v.snapshot))),
                tr("deleted") if v.deleted else "",
            )
            for v in kept
        ),
    )


def _version_dict(entry: ObjectVersion) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "object_id": entry.object_id,
        "version": entry.version,
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor,
        "deleted": entry.deleted,
        "snapshot": entry.snapshot,
    }


def _print_deleted(ctx: AdminContext, kind: str | None, as_json: bool) -> None:
    with ctx.db.read() as session:
        found = deleted_objects(session, ACTOR, kind)
    if as_json:
        print_json([{**asdict(d), "deleted_at": d.deleted_at.isoformat()} for d in found])
        return
    table(
        N_("Deleted"),
        [N_("kind"), N_("id"), N_("title"), N_("deleted"), N_("by"), N_("restore"), N_("note")],
        (
            (
                kind_label(d.kind),
                d.object_id,
                d.title,
                format_datetime(d.deleted_at),
                d.deleted_by,
                f"admin restore {d.kind} {d.object_id} {d.restore_version}",
                d.blocked or "",
            )
            for d in found
        ),
    )


def _slots(kind: str, snapshot: dict[str, Any]) -> list[str]:
    if kind == "template":
        return list(snapshot.get("files") or {})
    return ["body"] if snapshot.get("body_sha256") else []


@admin.command(
    "restore",
    help=N_(
        "Bring a template or snippet back to a kept VERSION, as a new change that clients "
        "receive with their next sync."
    ),
)
@click.argument("kind", type=KIND)
@click.argument("object_id", metavar="ID")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--dry-run", is_flag=True, help=N_("Only show what would change."))
@click.option(
    "--blob-store",
    envvar="DOCSHELF_BLOB_STORE",
    show_envvar=True,
    metavar="s3://BUCKET/PREFIX|DIR",
    help=N_("The server's file store (default: <data dir>/blobs)."),
)
@pass_admin
def restore_command(
    ctx: AdminContext,
    kind: str,
    object_id: str,
    version: int,
    dry_run: bool,
    blob_store: str | None,
) -> None:
    if dry_run:
        with ctx.db.read() as session:
            print_diff(history.check_restore(session, ACTOR, kind, object_id, version))
        console.print(tr("Dry run: nothing was changed."), highlight=False)
        return
    store = open_blob_store(
        blob_store or ctx.settings.resolved_blob_store(), endpoint=ctx.settings.s3_endpoint
    )
    with ctx.change() as change:
        changes = history.restore(change, ACTOR, store, kind, object_id, version)
        now = history.current_version(change.session, kind, object_id)
    print_diff(changes)
    console.print(
        tr(
            "Restored version {version} of {id}; it is now version {now}, which clients "
            "receive with their next sync.",
            version=version,
            id=object_id,
            now=now,
        ),
        highlight=False,
    )
