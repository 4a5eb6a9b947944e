"""``docshelf document new``: a document from a template, filled with a profile (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.text import Text

from docshelf.cli.home import open_local_copy
from docshelf.cli.output import console
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.click_help import TranslatedGroup


@click.group(cls=TranslatedGroup, help=N_("New documents from templates."))
def document() -> None:
    pass


@document.command(
    "new",
    help=N_(
        "Fill TEMPLATE (id or title) with a profile's data and write the new document "
        "(works offline, from the local copy)."
    ),
)
@click.argument("template")
@click.option(
    "--profile", help=N_("Profile (id or title) whose data fill it; default: the last used.")
)
@click.option(
    "--lang", default=None, help=N_("Language of the template file (default: the first).")
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write it (default: '<title> <date>' in the current folder)."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print path, filled and missing as JSON."))
@click.pass_context
def document_new(
    ctx: click.Context,
    template: str,
    profile: str | None,
    lang: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    client = open_local_copy(ctx)
    made = client.new_document(
        template, profile=profile, lang=lang, output=output, ui_lang=lang or "de"
    )
    if as_json:
        click.echo(json.dumps(made.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(Text(tr("Wrote {path}.", path=str(made.path))), highlight=False)
    if not made.fillable:
        console.print(tr("Nothing was filled: this kind of file has no fields."), highlight=False)
    if made.missing:
        console.print(
            Text(
                ntr(
                    "{n} field without a value: {names}",
                    "{n} fields without a value: {names}",
                    len(made.missing),
                    names=", ".join(made.missing),
                )
            ),
            highlight=False,
        )
    if made.unknown:
        console.print(
            Text(
                ntr(
                    "{n} unknown tag: {names}",
                    "{n} unknown tags: {names}",
                    len(made.unknown),
                    names=", ".join(made.unknown),
                )
            ),
            highlight=False,
        )
