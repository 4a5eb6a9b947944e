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

from docshelf.cli.home import open_client
from docshelf.cli.output import console, table
from docshelf.client import Client, Editor, EditState, OutboxEntry, Queued
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand, TranslatedGroup

readable_file = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _editor(ctx: click.Context) -> Editor:
    client: Client = open_client(ctx)
    return client.editor()


def _done(queued: Queued) -> None:
    console.print(Text(queued.message), highlight=False, soft_wrap=True)
    console.print(Text(tr("Upload id: {id}", id=queued.id), style="dim"), highlight=False)


# --- profiles ------------------------------------------------------------------------------


@click.group(
    cls=TranslatedGroup, help=N_("Change your profiles (queued; uploaded at the next sync).")
)
def profile() -> None:
    pass


@profile.command(
    "set",
    help=N_(
        'Set FIELD of PROFILE (id or title) to VALUE; FIELD "title" renames, "unit" assigns a unit.'
    ),
)
@click.argument("profile_ref", metavar="PROFILE")
@click.argument("field")
@click.argument("value")
@click.pass_context
def profile_set(ctx: click.Context, profile_ref: str, field: str, value: str) -> None:
    _done(_editor(ctx).profile_set(profile_ref, field, value))


@profile.command(
    "reset", help=N_("Let FIELD of PROFILE inherit its value again (from the unit or the user).")
)
@click.argument("profile_ref", metavar="PROFILE")
@click.argument("field")
@click.pass_context
def profile_reset(ctx: click.Context, profile_ref: str, field: str) -> None:
    _done(_editor(ctx).profile_reset(profile_ref, field))


@profile.command("new", help=N_("Create a profile of your own."))
@click.option("--title", required=True, help=N_("The new profile's title."))
@click.option("--unit", help=N_("Its organisational unit (id or title)."))
@click.pass_context
def profile_new(ctx: click.Context, title: str, unit: str | None) -> None:
    _done(_editor(ctx).profile_new(title, unit))


@profile.command(
    "copy", help=N_("Copy a profile (also one shared with you) into a new one of your own.")
)
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--title", help=N_("Title of the copy (default: '<title> (copy)')."))
@click.pass_context
def profile_copy(ctx: click.Context, profile_ref: str, title: str | None) -> None:
    _done(_editor(ctx).profile_copy(profile_ref, title))


@profile.command("rm", help=N_("Delete one of your profiles."))
@click.argument("profile_ref", metavar="PROFILE")
@click.pass_context
def profile_rm(ctx: click.Context, profile_ref: str) -> None:
    _done(_editor(ctx).profile_rm(profile_ref))


@profile.command(
    "share", help=N_("Share a profile with a colleague (they can use it, not change it).")
)
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--with", "login", required=True, help=N_("The colleague's login."))
@click.pass_context
def profile_share(ctx: click.Context, profile_ref: str, login: str) -> None:
    _done(_editor(ctx).profile_share(profile_ref, login, share=True))


@profile.command("unshare", help=N_("Stop sharing a profile with a colleague."))
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--with", "login", required=True, help=N_("The colleague's login."))
@click.pass_context
def profile_unshare(ctx: click.Context, profile_ref: str, login: str) -> None:
    _done(_editor(ctx).profile_share(profile_ref, login, share=False))


# --- snippets ------------------------------------------------------------------------------


@click.group(
    cls=TranslatedGroup,
    help=N_("Change snippets: your personal ones, shared ones where you hold write."),
)
def snippet() -> None:
    pass


@snippet.command("new", help=N_("Create a snippet: personal, shared, or belonging to a template."))
@click.option("--title", required=True)
@click.option("--body-file", type=readable_file, required=True, help=N_(".txt, .html or .docx"))
@click.option(
    "--shared", is_flag=True, help=N_("A shared snippet (layouters) instead of a personal one.")
)
@click.option("--group", help=N_("Shared with this group (read), by name."))
@click.option(
    "--template", help=N_("A snippet of this template (layouters with its Change right).")
)
@click.pass_context
def snippet_new(
    ctx: click.Context,
    title: str,
    body_file: Path,
    shared: bool,
    group: str | None,
    template: str | None,
) -> None:
    editor = _editor(ctx)
    _done(editor.snippet_new(title, body_file, shared=shared, group=group, template=template))


@snippet.command("edit", help=N_("Change a snippet's title and/or body."))
@click.argument("snippet_id", metavar="ID")
@click.option("--title")
@click.option("--body-file", type=readable_file)
@click.pass_context
def snippet_edit(
    ctx: click.Context, snippet_id: str, title: str | None, body_file: Path | None
) -> None:
    _done(_editor(ctx).snippet_edit(snippet_id, title, body_file))


@snippet.command("rm", help=N_("Delete a snippet."))
@click.argument("snippet_id", metavar="ID")
@click.pass_context
def snippet_rm(ctx: click.Context, snippet_id: str) -> None:
    _done(_editor(ctx).snippet_rm(snippet_id))


# --- templates (layouters) ---------------------------------------------------------------


@click.command(
    "set",
    cls=TranslatedCommand,
    help=N_("Change a template's title, description, publication status or group."),
)
@click.argument("template_id", metavar="ID")
@click.option("--lang", help=N_("Language of --title and --description, e.g. de."))
@click.option("--title")
@click.option("--description")
@click.option("--status", type=click.Choice(["in_progress", "in_test", "released"]))
@click.option("--group", help=N_("Move to this template group (id or title)."))
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
    queued = _editor(ctx).template_set(
        template_id, lang=lang, title=title, description=description, status=status, group=group
    )
    _done(queued)


@click.command(
    "set-file", cls=TranslatedCommand, help=N_("Replace a template's file in one language.")
)
@click.argument("template_id", metavar="ID")
@click.option("--lang", required=True, help=N_("The language whose file is replaced."))
@click.argument("file", type=readable_file)
@click.pass_context
def template_set_file(ctx: click.Context, template_id: str, lang: str, file: Path) -> None:
    _done(_editor(ctx).template_set_file(template_id, lang, file))


@click.command(
    "rights", cls=TranslatedCommand, help=N_("Grant or withdraw a template's Use or Change right.")
)
@click.argument("template_id", metavar="ID")
@click.argument("right", type=click.Choice(["use", "change"]))
@click.option("--add", "add", multiple=True, help=N_("'*', a login, or group:NAME (repeatable)."))
@click.option("--remove", "remove", multiple=True, help=N_("As --add (repeatable)."))
@click.pass_context
def template_rights(
    ctx: click.Context, template_id: str, right: str, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    if not add and not remove:
        raise click.UsageError(tr("Give --add and/or --remove."))
    _done(_editor(ctx).template_rights(template_id, right, list(add), list(remove)))


# --- template groups (layouters) ------------------------------------------------------------


@click.group("template-group", cls=TranslatedGroup, help=N_("Change template groups (layouters)."))
def template_group() -> None:
    pass


@template_group.command("new", help=N_("Create a template group."))
@click.option("--title", required=True)
@click.option("--lang", default="de", show_default=True, help=N_("Language of the title."))
@click.option("--parent", help=N_("The parent group (id or title); none: a top-level group."))
@click.pass_context
def template_group_new(ctx: click.Context, title: str, lang: str, parent: str | None) -> None:
    _done(_editor(ctx).template_group_new(lang, title, parent))


@template_group.command("set", help=N_("Rename or move a template group."))
@click.argument("group_ref", metavar="GROUP")
@click.option("--lang", help=N_("Language of --title."))
@click.option("--title")
@click.option("--parent", help=N_("Move below this group."))
@click.option("--top", is_flag=True, help=N_("Move to the top level."))
@click.pass_context
def template_group_set(
    ctx: click.Context,
    group_ref: str,
    lang: str | None,
    title: str | None,
    parent: str | None,
    top: bool,
) -> None:
    editor = _editor(ctx)
    _done(editor.template_group_set(group_ref, lang=lang, title=title, parent=parent, top=top))


@template_group.command("rm", help=N_("Delete an empty template group."))
@click.argument("group_ref", metavar="GROUP")
@click.pass_context
def template_group_rm(ctx: click.Context, group_ref: str) -> None:
    _done(_editor(ctx).template_group_rm(group_ref))


# --- units (Org) ---------------------------------------------------------------------------


@click.group(cls=TranslatedGroup, help=N_("Change organisational units (Org role)."))
def unit() -> None:
    pass


@unit.command("new", help=N_("Create a unit."))
@click.option("--parent", help=N_("The parent unit (id or title); none: a top-level unit."))
@click.option("--title", required=True)
@click.pass_context
def unit_new(ctx: click.Context, parent: str | None, title: str) -> None:
    _done(_editor(ctx).unit_new(title, parent))


@unit.command("set", help=N_('Set FIELD of UNIT to VALUE ("title" renames the unit).'))
@click.argument("unit_ref", metavar="UNIT")
@click.argument("field")
@click.argument("value", required=False)
@click.option("--inherit", is_flag=True, help=N_("Inherit FIELD from the parent unit again."))
@click.pass_context
def unit_set(
    ctx: click.Context, unit_ref: str, field: str, value: str | None, inherit: bool
) -> None:
    if (value is None) != inherit:
        raise click.UsageError(tr("Give a VALUE, or --inherit to inherit the field again."))
    _done(_editor(ctx).unit_set(unit_ref, field, value))


@unit.command("move", help=N_("Move a unit below another one."))
@click.argument("unit_ref", metavar="UNIT")
@click.option("--parent", help=N_("The new parent unit; leave out to move it to the top."))
@click.pass_context
def unit_move(ctx: click.Context, unit_ref: str, parent: str | None) -> None:
    _done(_editor(ctx).unit_move(unit_ref, parent))


@unit.command("rm", help=N_("Delete a unit no profile uses."))
@click.argument("unit_ref", metavar="UNIT")
@click.pass_context
def unit_rm(ctx: click.Context, unit_ref: str) -> None:
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


@click.group(
    invoke_without_command=True,
    cls=TranslatedGroup,
    help=N_("Edits not yet on the server: pending, in conflict, or rejected (with the reason)."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON array."))
@click.pass_context
def uploads(ctx: click.Context, as_json: bool) -> None:
    if ctx.invoked_subcommand is None:
        client = open_client(ctx)
        waiting = [EditState.PENDING, EditState.CONFLICT, EditState.REJECTED]
        _list(
            client.store.outbox.entries(waiting), as_json, N_("Uploads"), N_("No uploads waiting.")
        )


@uploads.command("discard", help=N_("Drop a pending or rejected edit (it will not go up)."))
@click.argument("upload_id", metavar="ID")
@click.pass_context
def uploads_discard(ctx: click.Context, upload_id: str) -> None:
    _done(_editor(ctx).discard(upload_id))


@click.group(
    invoke_without_command=True,
    cls=TranslatedGroup,
    help=N_("Edits someone else's change got in the way of, with both sides."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON array."))
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    if ctx.invoked_subcommand is None:
        _list(_editor(ctx).conflicts(), as_json, N_("Conflicts"), N_("No conflicts."))


@conflicts.command(
    "resolve",
    help=N_("Settle a conflict: keep your version (uploaded at the next sync) or theirs."),
)
@click.argument("upload_id", metavar="ID")
@click.option("--keep", type=click.Choice(["mine", "theirs"]), required=True)
@click.pass_context
def conflicts_resolve(ctx: click.Context, upload_id: str, keep: str) -> None:
    _done(_editor(ctx).resolve(upload_id, keep))
