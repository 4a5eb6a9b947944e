"""``docshelf admin blobs``: check, clean up and move the stored files, beside a running
server, in a file directory or in object storage (server/blobstore/housekeeping.py)."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from docshelf.cli.admin import AdminContext, pass_admin
from docshelf.cli.output import console, errors
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.click_help import TranslatedGroup
from docshelf.i18n.formats import format_percent, format_size
from docshelf.server.blobstore import BlobStore, open_blob_store
from docshelf.server.blobstore.housekeeping import collect_garbage, migrate, verify
from docshelf.server.blobstore.usage import storage

_STORE_KEY = "docshelf.blob_store"
_DATA_DIR_KEY = "docshelf.blob_store.data_dir_given"
DEFAULT_GRACE_HOURS = 24.0


def _store(ctx: AdminContext) -> BlobStore:
    meta = click.get_current_context().meta
    chosen = meta.get(_STORE_KEY)
    settings = ctx.settings
    if not (chosen or settings.blob_store or settings.blob_dir or meta.get(_DATA_DIR_KEY)):
        # With only --database-url the default would be a "blobs" folder wherever we are.
        raise click.UsageError(
            tr("Give --blob-store (or --data-dir) to name the store of the server's files.")
        )
    address = chosen or settings.resolved_blob_store()
    return open_blob_store(address, endpoint=ctx.settings.s3_endpoint)


@click.group("blobs", cls=TranslatedGroup, help=N_("Check, clean up and move the stored files."))
@click.option(
    "--blob-store",
    envvar="DOCSHELF_BLOB_STORE",
    show_envvar=True,
    metavar="s3://BUCKET/PREFIX|DIR",
    help=N_("The server's file store (default: <data dir>/blobs)."),
)
@click.pass_context
def blobs(ctx: click.Context, blob_store: str | None) -> None:
    ctx.meta[_STORE_KEY] = blob_store
    ctx.meta[_DATA_DIR_KEY] = ctx.parent is not None and bool(ctx.parent.params.get("data_dir"))


@blobs.command(
    "usage",
    help=N_("How many files are stored and how much space sharing them saves (as the dashboard)."),
)
@pass_admin
def usage_command(ctx: AdminContext) -> None:
    with ctx.db.read() as session:
        figures = storage(session)
    saved = format_percent(figures.logical_bytes - figures.stored_bytes, figures.logical_bytes)
    console.print(
        ntr(
            "{n} file, {stored} stored; {logical} if every use had its own copy ({saved} saved).",
            "{n} files, {stored} stored; {logical} if every use had its own copy ({saved} saved).",
            figures.files,
            stored=format_size(figures.stored_bytes),
            logical=format_size(figures.logical_bytes),
            saved=saved,
        ),
        highlight=False,
    )
    console.print(
        ntr(
            "Of which in old versions only: {n} file, {size}.",
            "Of which in old versions only: {n} files, {size}.",
            figures.old_version_files,
            size=format_size(figures.old_version_bytes),
        ),
        highlight=False,
    )


@blobs.command(
    "verify",
    help=N_("Read every registered file back and check its SHA-256 (exit code 1 on a problem)."),
)
@pass_admin
def verify_command(ctx: AdminContext) -> None:
    store = _store(ctx)
    report = verify(ctx.db, store)
    for sha in report.missing:
        errors.print(tr("Missing: {sha256}", sha256=sha), highlight=False)
    for sha in report.damaged:
        errors.print(tr("Damaged (wrong content): {sha256}", sha256=sha), highlight=False)
    summary = ntr(
        "Checked {n} file ({size}) in {store}: {missing} missing, {damaged} damaged.",
        "Checked {n} files ({size}) in {store}: {missing} missing, {damaged} damaged.",
        report.checked,
        size=format_size(report.bytes),
        store=store.describe(),
        missing=len(report.missing),
        damaged=len(report.damaged),
    )
    console.print(summary, highlight=False)
    if not report.ok:
        sys.exit(1)


@blobs.command(
    "gc", help=N_("Remove stored files nothing refers to any more (safe beside running servers).")
)
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=DEFAULT_GRACE_HOURS,
    show_default=True,
    help=N_("Keep unused files younger than this: uploads about to be used, package imports."),
)
@click.option("--dry-run", is_flag=True, help=N_("Only tell what would be removed."))
@pass_admin
def gc_command(ctx: AdminContext, grace_hours: float, dry_run: bool) -> None:
    report = collect_garbage(ctx.db, _store(ctx), timedelta(hours=grace_hours), dry_run=dry_run)
    count = len(report.removed)
    fields = {
        "size": format_size(report.removed_bytes),
        "used": report.kept_in_use,
        "recent": report.kept_recent,
    }
    if dry_run:
        text = ntr(
            "Would remove {n} unused file ({size}); {used} in use, {recent} younger than the"
            " grace period.",
            "Would remove {n} unused files ({size}); {used} in use, {recent} younger than the"
            " grace period.",
            count,
            **fields,
        )
    else:
        text = ntr(
            "Removed {n} unused file ({size}); {used} in use, {recent} younger than the grace"
            " period.",
            "Removed {n} unused files ({size}); {used} in use, {recent} younger than the grace"
            " period.",
            count,
            **fields,
        )
    console.print(text, highlight=False)


@blobs.command(
    "migrate",
    help=N_(
        "Copy every stored file into another store, e.g. object storage, while the "
        "server runs. Files already there are skipped: run it again after switching "
        "the server over, or after an interruption."
    ),
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="s3://BUCKET/PREFIX|DIR",
    help=N_("The store to copy into."),
)
@pass_admin
def migrate_command(ctx: AdminContext, target: str) -> None:
    source = _store(ctx)
    into = open_blob_store(target, endpoint=ctx.settings.s3_endpoint)
    into.check_ready()
    report = migrate(source, into)
    console.print(
        ntr(
            "Copied {n} file ({size}) from {source} to {target}; {present} were there already.",
            "Copied {n} files ({size}) from {source} to {target}; {present} were there already.",
            report.copied,
            size=format_size(report.copied_bytes),
            source=source.describe(),
            target=into.describe(),
            present=report.present,
        ),
        highlight=False,
    )
