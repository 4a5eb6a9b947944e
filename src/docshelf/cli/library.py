"""Reading the local copy offline: ``docshelf templates / snippets / profiles / units``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from docshelf.cli import edits
from docshelf.cli.client import open_client
from docshelf.cli.output import console, table
from docshelf.client import reading


def _emit(rows: list[dict[str, Any]], as_json: bool) -> bool:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    return as_json


json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
lang_option = click.option("--lang", default="de", show_default=True, help="Language of titles.")


@click.command()
@json_option
@lang_option
@click.pass_context
def templates(ctx: click.Context, as_json: bool, lang: str) -> None:
    """Templates in the local copy (works offline)."""
    client = open_client(ctx)
    groups = {g["id"]: reading.title_of(g, lang) for g in reading.template_groups(client.store)}
    listed = reading.templates(client.store, lang)
    # Its files and what its tags need (logos, Word snippets) are all here.
    ready = client.offline_ready(listed)
    rows = [
        {
            **t,
            "title": reading.title_of(t, lang),
            "group": groups.get(t.get("group_id") or ""),
            "offline_ready": ready[t["id"]],
        }
        for t in listed
    ]
    if not _emit(rows, as_json):
        table(
            "Templates",
            ["id", "title", "group", "type", "status", "languages", "offline"],
            (
                (
                    r["id"],
                    r["title"],
                    r["group"],
                    r["kind"],
                    r["status"],
                    ",".join(sorted(r["files"])),
                    "ready" if r["offline_ready"] else "sync needed",
                )
                for r in rows
            ),
        )


@click.command()
@json_option
@click.pass_context
def snippets(ctx: click.Context, as_json: bool) -> None:
    """Snippets in the local copy (works offline)."""
    client = open_client(ctx)
    rows = reading.snippets(client.store, client.config.user_id if client.config else None)
    if not _emit(rows, as_json):
        table("Snippets", ["id", "title", "kind"], ((r["id"], r["title"], r["kind"]) for r in rows))


@click.command()
@json_option
@lang_option
@click.pass_context
def profiles(ctx: click.Context, as_json: bool, lang: str) -> None:
    """Profiles with their resolved field values (works offline)."""
    client = open_client(ctx)
    config = client.config
    rows = reading.profiles(client.store, config.user_id if config else None, lang)
    if _emit(rows, as_json):
        return
    for row in rows:
        shared = f" — shared by {row['owner']}" if row["shared_with_me"] else ""
        head = f"{row['title']} ({row['id']}, {row['unit'] or 'no unit'}){shared}"
        console.print(Text(head, style="bold"), highlight=False)
        for field in row["fields"]:
            if field["value"] is None:
                continue
            # Inherited values grey, overridden ones in the normal colour, as in the app.
            style = "dim" if field["inherited"] else ""
            console.print(Text(f"  {field['label']}: {field['value']}", style=style))


@click.command()
@json_option
@click.pass_context
def units(ctx: click.Context, as_json: bool) -> None:
    """Organisational units (works offline)."""
    rows = reading.units(open_client(ctx).store)
    if not _emit(rows, as_json):
        names = {r["id"]: r["title"] for r in rows}
        table(
            "Units",
            ["id", "title", "parent"],
            ((r["id"], r["title"], names.get(r["parent_id"] or "", "")) for r in rows),
        )


@click.group()
def template() -> None:
    """One template of the local copy."""


@template.command("get")
@click.argument("template_id", metavar="ID")
@click.option("--lang", default=None, help="Language of the file (default: the first one).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the file.",
)
@click.pass_context
def template_get(ctx: click.Context, template_id: str, lang: str | None, output: Path) -> None:
    """Write a template's file, byte-identical to the server's (works offline)."""
    client = open_client(ctx)
    source, filename = reading.template_file(client.store, client.files, template_id, lang)
    if not source.is_file():
        raise click.ClickException(
            f"The file of {template_id} is not in the local copy yet; run `docshelf sync`."
        )
    tmp = output.with_name(f".{output.name}.part")
    shutil.copyfile(source, tmp)
    tmp.replace(output)
    console.print(f"Wrote {filename} to {output}.", highlight=False)


template.add_command(edits.template_set)
template.add_command(edits.template_set_file)
template.add_command(edits.template_rights)
