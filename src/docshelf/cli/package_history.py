"""``docshelf package history / revert``: the imports a server kept, and undoing one.

Like import and export they talk to the server's API (see :mod:`docshelf.cli.package`
for signing in). A revert shows its preview first, like an import, and applies exactly
that preview, in one new change.
"""

from __future__ import annotations

import click
from rich.text import Text

from docshelf.cli.output import console, errors
from docshelf.cli.package import confirm, connect, item_line, server_options
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.click_help import TranslatedCommand
from docshelf.i18n.formats import format_datetime
from docshelf.protocol.packages import (
    PackageHistory,
    RevertPreview,
    RevertReport,
)

ENTRY_KINDS = {"import": N_("import"), "revert": N_("revert")}


@click.command(
    "history",
    cls=TranslatedCommand,
    help=N_(
        "List the package imports the server kept, newest first, and the reverts of them."
        "\n\nEach has a number that `docshelf package revert` takes."
    ),
)
@server_options
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help=N_("Show at most this many entries."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the history as JSON."))
@click.pass_context
def history(
    ctx: click.Context,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    limit: int,
    as_json: bool,
) -> None:
    with connect(ctx, server_url, login, password_stdin) as api:
        answer = api.send("GET", "/admin/packages/imports", params={"limit": limit})
        found = PackageHistory.model_validate_json(answer.content)
    if as_json:
        click.echo(found.model_dump_json())
        return
    if not found.entries:
        console.print(tr("No package was imported on this server yet."), highlight=False)
        return
    # One line each (no table): long lines wrap instead of being cut off.
    for entry in found.entries:
        kind = tr(ENTRY_KINDS.get(entry.kind, entry.kind))
        if entry.reverts is not None:
            kind = tr("{kind} of no. {id}", kind=kind, id=entry.reverts)
        line = tr(
            "no. {id}, {when}, {who}, change {seq}: {kind}: {created} created, {changed}"
            " changed, {deleted} deleted",
            id=entry.id,
            when=format_datetime(entry.created_at),
            who=entry.actor,
            seq=entry.seq,
            kind=kind,
            created=entry.created,
            changed=entry.changed,
            deleted=entry.deleted,
        )
        if entry.reverted_by is not None:
            line = tr("{line} (reverted by no. {id})", line=line, id=entry.reverted_by)
        console.print(Text(line), highlight=False)


@click.command(
    "revert",
    cls=TranslatedCommand,
    help=N_(
        "Undo a package import (or a revert) in one new change, after a preview.\n\n"
        "What the import created is removed, what it changed gets its earlier state back. "
        "Objects changed since the import are listed and left alone unless named with "
        "--include. Clients receive the revert at their next sync."
    ),
)
@click.argument("import_id", type=int, metavar="IMPORT_ID")
@server_options
@click.option(
    "--include",
    "include",
    multiple=True,
    metavar="ID",
    help=N_("Revert this object too although it changed since the import (repeatable)."),
)
@click.option("--yes", is_flag=True, help=N_("Revert after the preview without asking."))
@click.option("--dry-run", is_flag=True, help=N_("Show the preview only; change nothing."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the preview or report as JSON."))
@click.pass_context
def revert(
    ctx: click.Context,
    import_id: int,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    include: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    if as_json and not (yes or dry_run):
        raise click.UsageError(tr("--json needs --yes or --dry-run: there is no one to ask."))
    path = f"/admin/packages/imports/{import_id}/revert"
    with connect(ctx, server_url, login, password_stdin) as api:
        answer = api.send("GET", path, params={"include": list(include)})
        preview = RevertPreview.model_validate_json(answer.content)
        if as_json and dry_run:
            click.echo(preview.model_dump_json())
            return
        if not as_json:
            _print_preview(preview)
        if dry_run:
            return
        if not (preview.added or preview.changed or preview.removed):
            report = RevertReport(**preview.model_dump(), applied=False, seq=None, entry=None)
        else:
            if not yes:
                _confirm()
            body = {"include": list(include), "expected_plan": preview.plan}
            report = RevertReport.model_validate_json(api.send("POST", path, json=body).content)
    if as_json:
        click.echo(report.model_dump_json())
    elif report.applied:
        console.print(
            tr(
                "Reverted as change {seq} (history no. {entry}). Clients receive it at their"
                " next sync.",
                seq=report.seq,
                entry=report.entry,
            ),
            highlight=False,
        )
    else:
        console.print(tr("Nothing to revert."), highlight=False)


def _confirm() -> None:
    confirm(
        tr("Revert this import?"),
        tr("No terminal to confirm the revert on; run again with --yes (or --dry-run)."),
    )


def _print_preview(preview: RevertPreview) -> None:
    console.print(Text(tr("Reverting no. {id} would:", id=preview.import_id)), highlight=False)
    sections = (
        (ntr("Remove ({n}):", "Remove ({n}):", len(preview.removed)), "-", preview.removed),
        (
            ntr("Restore ({n}):", "Restore ({n}):", len(preview.changed)),
            "~",
            preview.changed,
        ),
        (
            ntr("Create again ({n}):", "Create again ({n}):", len(preview.added)),
            "+",
            preview.added,
        ),
    )
    for heading, sign, items in sections:
        if items:
            console.print(heading, highlight=False)
            for item in items:
                console.print(item_line(sign, item), highlight=False)
    console.print(ntr("Unchanged: {n}", "Unchanged: {n}", len(preview.unchanged)), highlight=False)
    left = [i for i in preview.changed_since if i.id not in preview.included]
    if preview.changed_since:
        console.print(
            ntr(
                "Changed since the import ({n}):",
                "Changed since the import ({n}):",
                len(preview.changed_since),
            ),
            highlight=False,
        )
        for item in preview.changed_since:
            sign = "!" if item in left else "*"
            console.print(item_line(sign, item), highlight=False)
    if left:
        errors.print(
            Text(
                ntr(
                    "{n} object changed since the import is left alone; name it with"
                    " --include to revert it too.",
                    "{n} objects changed since the import are left alone; name them with"
                    " --include to revert them too.",
                    len(left),
                )
            ),
            highlight=False,
        )
    for warning in preview.warnings:
        errors.print(Text(tr("Warning: {warning}", warning=warning)), highlight=False)
