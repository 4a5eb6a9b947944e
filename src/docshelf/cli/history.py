"""``docshelf admin history`` and ``docshelf admin restore``: the kept versions of a
template or snippet, their comparison, and bringing one back (server/services/history.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from docshelf.cli.admin import ACTOR, AdminContext, admin, pass_admin
from docshelf.cli.output import console, table
from docshelf.domain.history import SnapshotDiff
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_datetime
from docshelf.server.blobstore import open_blob_store
from docshelf.server.services import history

KIND = click.Choice(["template", "snippet"])


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _file(value: Any) -> str:
    if not value:
        return "—"
    return f"{value.get('filename', '')} ({str(value.get('sha256', ''))[:12]})"


def print_diff(changes: SnapshotDiff) -> None:
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
        "with --compare A B, show what changed from version A to version B."
    ),
)
@click.argument("kind", type=KIND)
@click.argument("object_id", metavar="ID")
@click.option(
    "--compare",
    "versions",
    nargs=2,
    type=click.IntRange(min=1),
    metavar="A B",
    help=N_("Compare version A with version B."),
)
@pass_admin
def history_command(
    ctx: AdminContext, kind: str, object_id: str, versions: tuple[int, int] | None
) -> None:
    with ctx.db.read() as session:
        if versions:
            print_diff(history.compare(session, ACTOR, kind, object_id, *versions))
            return
        kept = history.list_versions(session, ACTOR, kind, object_id)
    table(
        N_("Versions"),
        [N_("version"), N_("change"), N_("time"), N_("by"), N_("files")],
        (
            (
                v.version,
                v.seq,
                format_datetime(v.created_at),
                v.actor,
                ", ".join(sorted(_slots(kind, v.snapshot))),
            )
            for v in kept
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
