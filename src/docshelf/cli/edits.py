"""Edits from the command line: ``docshelf profile / snippet / unit / template set ...``,
``docshelf uploads`` and ``docshelf conflicts``.

Every edit is queued in the outbox at once (it shows in ``docshelf profiles`` and the
other lists straight away, offline too) and goes up at the next sync.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from docshelf.cli.client import open_client
from docshelf.cli.output import console, table
from docshelf.client.app import Client
from docshelf.client.editing import Editor, Queued
from docshelf.client.outbox import EditState, OutboxEntry
from docshelf.i18n import N_, tr

readable_file = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _editor(ctx: click.Context) -> Editor:
    client: Client = open_client(ctx)
    return client.editor()


def _done(queued: Queued) -> None:
    console.print(Text(queued.message), highlight=False, soft_wrap=True)
    console.print(Text(tr("Upload id: {id}", id=queued.id), style="dim"), highlight=False)


# --- profiles ------------------------------------------------------------------------------


@click.group()
def profile() -> None:
    """Change your profiles (queued; uploaded at the next sync)."""


@profile.command("set")
@click.argument("profile_ref", metavar="PROFILE")
@click.argument("field")
@click.argument("value")
@click.pass_context
def profile_set(ctx: click.Context, profile_ref: str, field: str, value: str) -> None:
    """Set FIELD of PROFILE (id or title) to VALUE; FIELD "title" renames, "unit" assigns a unit."""
    _done(_editor(ctx).profile_set(profile_ref, field, value))


@profile.command("reset")
@click.argument("profile_ref", metavar="PROFILE")
@click.argument("field")
@click.pass_context
def profile_reset(ctx: click.Context, profile_ref: str, field: str) -> None:
    """Let FIELD of PROFILE inherit its value again (from the unit or the user)."""
    _done(_editor(ctx).profile_reset(profile_ref, field))


@profile.command("new")
@click.option("--title", required=True, help="The new profile's title.")
@click.option("--unit", help="Its organisational unit (id or title).")
@click.pass_context
def profile_new(ctx: click.Context, title: str, unit: str | None) -> None:
    """Create a profile of your own."""
    _done(_editor(ctx).profile_new(title, unit))


@profile.command("copy")
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--title", help="Title of the copy (default: '<title> (copy)').")
@click.pass_context
def profile_copy(ctx: click.Context, profile_ref: str, title: str | None) -> None:
    """Copy a profile (also one shared with you) into a new one of your own."""
    _done(_editor(ctx).profile_copy(profile_ref, title))


@profile.command("rm")
@click.argument("profile_ref", metavar="PROFILE")
@click.pass_context
def profile_rm(ctx: click.Context, profile_ref: str) -> None:
    """Delete one of your profiles."""
    _done(_editor(ctx).profile_rm(profile_ref))


@profile.command("share")
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--with", "login", required=True, help="The colleague's login.")
@click.pass_context
def profile_share(ctx: click.Context, profile_ref: str, login: str) -> None:
    """Share a profile with a colleague (they can use it, not change it)."""
    _done(_editor(ctx).profile_share(profile_ref, login, share=True))


@profile.command("unshare")
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--with", "login", required=True, help="The colleague's login.")
@click.pass_context
def profile_unshare(ctx: click.Context, profile_ref: str, login: str) -> None:
    """Stop sharing a profile with a colleague."""
    _done(_editor(ctx).profile_share(profile_ref, login, share=False))


# --- snippets ------------------------------------------------------------------------------


@click.group()
def snippet() -> None:
    """Change snippets: your personal ones, shared ones where you hold write."""


@snippet.command("new")
@click.option("--title", required=True)
@click.option("--body-file", type=readable_file, required=True, help=".txt, .html or .docx")
@click.option(
    "--shared", is_flag=True, help="A shared snippet (layouters) instead of a personal one."
)
@click.option("--group", help="Shared with this group (read), by name.")
@click.option("--template", help="A snippet of this template (layouters with its Change right).")
@click.pass_context
def snippet_new(
    ctx: click.Context,
    title: str,
    body_file: Path,
    shared: bool,
    group: str | None,
    template: str | None,
) -> None:
    """Create a snippet: personal, shared, or belonging to a template."""
    editor = _editor(ctx)
    _done(editor.snippet_new(title, body_file, shared=shared, group=group, template=template))


@snippet.command("edit")
@click.argument("snippet_id", metavar="ID")
@click.option("--title")
@click.option("--body-file", type=readable_file)
@click.pass_context
def snippet_edit(
    ctx: click.Context, snippet_id: str, title: str | None, body_file: Path | None
) -> None:
    """Change a snippet's title and/or body."""
    _done(_editor(ctx).snippet_edit(snippet_id, title, body_file))


@snippet.command("rm")
@click.argument("snippet_id", metavar="ID")
@click.pass_context
def snippet_rm(ctx: click.Context, snippet_id: str) -> None:
    """Delete a snippet."""
    _done(_editor(ctx).snippet_rm(snippet_id))


# --- templates (layouters) ---------------------------------------------------------------


@click.command("set")
@click.argument("template_id", metavar="ID")
@click.option("--lang", help="Language of --title and --description, e.g. de.")
@click.option("--title")
@click.option("--description")
@click.option("--status", type=click.Choice(["in_progress", "in_test", "released"]))
@click.option("--group", help="Move to this template group (id or title).")
@click.pass_context
def template_set(
    ctx: click.Context,
    template_id: str,
    lang: str | None,
    title: str | None,
    description: str | None,
    status: str | None,
    group: str | None,
) -> None:
    """Change a template's title, description, publication status or group."""
    queued = _editor(ctx).template_set(
        template_id, lang=lang, title=title, description=description, status=status, group=group
    )
    _done(queued)


@click.command("set-file")
@click.argument("template_id", metavar="ID")
@click.option("--lang", required=True, help="The language whose file is replaced.")
@click.argument("file", type=readable_file)
@click.pass_context
def template_set_file(ctx: click.Context, template_id: str, lang: str, file: Path) -> None:
    """Replace a template's file in one language."""
    _done(_editor(ctx).template_set_file(template_id, lang, file))


@click.command("rights")
@click.argument("template_id", metavar="ID")
@click.argument("right", type=click.Choice(["use", "change"]))
@click.option("--add", "add", multiple=True, help="'*', a login, or group:NAME (repeatable).")
@click.option("--remove", "remove", multiple=True, help="As --add (repeatable).")
@click.pass_context
def template_rights(
    ctx: click.Context, template_id: str, right: str, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    """Grant or withdraw a template's Use or Change right."""
    if not add and not remove:
        raise click.UsageError(tr("Give --add and/or --remove."))
    _done(_editor(ctx).template_rights(template_id, right, list(add), list(remove)))


# --- template groups (layouters) ------------------------------------------------------------


@click.group("template-group")
def template_group() -> None:
    """Change template groups (layouters)."""


@template_group.command("new")
@click.option("--title", required=True)
@click.option("--lang", default="de", show_default=True, help="Language of the title.")
@click.option("--parent", help="The parent group (id or title); none: a top-level group.")
@click.pass_context
def template_group_new(ctx: click.Context, title: str, lang: str, parent: str | None) -> None:
    """Create a template group."""
    _done(_editor(ctx).template_group_new(lang, title, parent))


@template_group.command("set")
@click.argument("group_ref", metavar="GROUP")
@click.option("--lang", help="Language of --title.")
@click.option("--title")
@click.option("--parent", help="Move below this group.")
@click.option("--top", is_flag=True, help="Move to the top level.")
@click.pass_context
def template_group_set(
    ctx: click.Context,
    group_ref: str,
    lang: str | None,
    title: str | None,
    parent: str | None,
    top: bool,
) -> None:
    """Rename or move a template group."""
    editor = _editor(ctx)
    _done(editor.template_group_set(group_ref, lang=lang, title=title, parent=parent, top=top))


@template_group.command("rm")
@click.argument("group_ref", metavar="GROUP")
@click.pass_context
def template_group_rm(ctx: click.Context, group_ref: str) -> None:
    """Delete an empty template group."""
    _done(_editor(ctx).template_group_rm(group_ref))


# --- units (Org) ---------------------------------------------------------------------------


@click.group()
def unit() -> None:
    """Change organisational units (Org role)."""


@unit.command("new")
@click.option("--parent", help="The parent unit (id or title); none: a top-level unit.")
@click.option("--title", required=True)
@click.pass_context
def unit_new(ctx: click.Context, parent: str | None, title: str) -> None:
    """Create a unit."""
    _done(_editor(ctx).unit_new(title, parent))


@unit.command("set")
@click.argument("unit_ref", metavar="UNIT")
@click.argument("field")
@click.argument("value", required=False)
@click.option("--inherit", is_flag=True, help="Inherit FIELD from the parent unit again.")
@click.pass_context
def unit_set(
    ctx: click.Context, unit_ref: str, field: str, value: str | None, inherit: bool
) -> None:
    """Set FIELD of UNIT to VALUE ("title" renames the unit)."""
    if (value is None) != inherit:
        raise click.UsageError(tr("Give a VALUE, or --inherit to inherit the field again."))
    _done(_editor(ctx).unit_set(unit_ref, field, value))


@unit.command("move")
@click.argument("unit_ref", metavar="UNIT")
@click.option("--parent", help="The new parent unit; leave out to move it to the top.")
@click.pass_context
def unit_move(ctx: click.Context, unit_ref: str, parent: str | None) -> None:
    """Move a unit below another one."""
    _done(_editor(ctx).unit_move(unit_ref, parent))


@unit.command("rm")
@click.argument("unit_ref", metavar="UNIT")
@click.pass_context
def unit_rm(ctx: click.Context, unit_ref: str) -> None:
    """Delete a unit no profile uses."""
    _done(_editor(ctx).unit_rm(unit_ref))


# --- what is waiting -------------------------------------------------------------------------


def _list(entries: list[OutboxEntry], as_json: bool, title: str, empty: str) -> None:
    """``title`` and ``empty`` are marked with ``N_`` by the caller."""
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        console.print(tr(empty), highlight=False)
        return
    rows: list[list[Any]] = []
    for entry in entries:
        detail = entry.reason or ""
        if entry.state is EditState.CONFLICT:
            data = entry.to_json()
            detail = "; ".join(
                tr(
                    "{field}: yours {mine}, theirs {theirs}",
                    field=path,
                    mine=json.dumps(data["mine"][path], ensure_ascii=False),
                    theirs=json.dumps(value, ensure_ascii=False),
                )
                for path, value in data["theirs"].items()
            )
        rows.append([entry.id, tr(_STATE_NAMES[entry.state]), entry.summary, detail])
    table(title, [N_("id"), N_("state"), N_("edit"), N_("details")], rows)


_STATE_NAMES = {
    EditState.PENDING: N_("pending"),
    EditState.CONFLICT: N_("in conflict"),
    EditState.REJECTED: N_("rejected"),
    EditState.APPLIED: N_("applied"),
}


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def uploads(ctx: click.Context, as_json: bool) -> None:
    """Edits not yet on the server: pending, in conflict, or rejected (with the reason)."""
    if ctx.invoked_subcommand is None:
        client = open_client(ctx)
        waiting = [EditState.PENDING, EditState.CONFLICT, EditState.REJECTED]
        _list(
            client.store.outbox.entries(waiting), as_json, N_("Uploads"), N_("No uploads waiting.")
        )


@uploads.command("discard")
@click.argument("upload_id", metavar="ID")
@click.pass_context
def uploads_discard(ctx: click.Context, upload_id: str) -> None:
    """Drop a pending or rejected edit (it will not go up)."""
    _done(_editor(ctx).discard(upload_id))


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    """Edits someone else's change got in the way of, with both sides."""
    if ctx.invoked_subcommand is None:
        _list(_editor(ctx).conflicts(), as_json, N_("Conflicts"), N_("No conflicts."))


@conflicts.command("resolve")
@click.argument("upload_id", metavar="ID")
@click.option("--keep", type=click.Choice(["mine", "theirs"]), required=True)
@click.pass_context
def conflicts_resolve(ctx: click.Context, upload_id: str, keep: str) -> None:
    """Settle a conflict: keep your version (uploaded at the next sync) or theirs."""
    _done(_editor(ctx).resolve(upload_id, keep))
