"""``docshelf document new``: a document from a template, filled with a profile (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from docshelf.cli.client import open_client
from docshelf.cli.output import console


@click.group()
def document() -> None:
    """New documents from templates."""


@document.command("new")
@click.argument("template")
@click.option("--profile", help="Profile (id or title) whose data fill it; default: the last used.")
@click.option("--lang", default=None, help="Language of the template file (default: the first).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: '<title> <date>' in the current folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print path, filled and missing as JSON.")
@click.pass_context
def document_new(
    ctx: click.Context,
    template: str,
    profile: str | None,
    lang: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Fill TEMPLATE (id or title) with a profile's data and write the new document
    (works offline, from the local copy)."""
    client = open_client(ctx)
    made = client.new_document(
        template, profile=profile, lang=lang, output=output, ui_lang=lang or "de"
    )
    if as_json:
        click.echo(json.dumps(made.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(f"Wrote {made.path}.", highlight=False)
    if not made.fillable:
        console.print("Nothing was filled: this kind of file has no fields.", highlight=False)
    if made.missing:
        count = len(made.missing)
        noun = "field" if count == 1 else "fields"
        console.print(f"{count} {noun} without a value: {', '.join(made.missing)}", highlight=False)
    if made.unknown:
        count = len(made.unknown)
        noun = "tag" if count == 1 else "tags"
        console.print(f"{count} unknown {noun}: {', '.join(made.unknown)}", highlight=False)
