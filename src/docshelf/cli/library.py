"""One item of the local copy, offline: ``docshelf template get`` and ``docshelf snippet
show``, beside the edits of the ``template`` and ``snippet`` groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from rich.text import Text

from docshelf.cli import edits
from docshelf.cli.home import open_local_copy
from docshelf.cli.output import console
from docshelf.cli.plain_text import snippet_text
from docshelf.client import reading
from docshelf.domain.errors import InvalidInput, NotFound
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand, TranslatedGroup


@click.group(cls=TranslatedGroup, help=N_("One template of the local copy."))
def template() -> None:
    pass


@template.command(
    "get", help=N_("Write a template's file, byte-identical to the server's (works offline).")
)
@click.argument("template_id", metavar="ID")
@click.option("--lang", default=None, help=N_("Language of the file (default: the first one)."))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help=N_(
        "Where to write the file, or a folder for it (default: the current folder);"
        " a folder gets a file named after the template's title."
    ),
)
@click.pass_context
def template_get(
    ctx: click.Context, template_id: str, lang: str | None, output: Path | None
) -> None:
    client = open_local_copy(ctx)
    copy = reading.template_copy(client.store, client.files, template_id, lang)
    if not copy.downloaded:
        raise NotFound(
            tr(
                "The file of {id} is not in the local copy yet; run `docshelf sync` first.",
                id=template_id,
            )
        )
    target = output if output is not None else Path.cwd()
    if target.is_dir():
        target = target / copy.name
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(copy.path, tmp)
    tmp.replace(target)
    console.print(
        Text(tr("Wrote {name} to {path}.", name=target.name, path=str(target.parent))),
        highlight=False,
        soft_wrap=True,
    )


template.add_command(edits.template_set)
template.add_command(edits.template_set_file)
template.add_command(edits.template_rights)


@click.command(
    "show",
    cls=TranslatedCommand,
    help=N_("Print a snippet's text (HTML and Word snippets without their formatting)."),
)
@click.argument("ref", metavar="TITLE|ID")
@click.pass_context
def snippet_show(ctx: click.Context, ref: str) -> None:
    client = open_local_copy(ctx)
    rows = reading.snippets(client.store, client.config.user_id if client.config else None)
    found = [r for r in rows if r["id"] == ref] or [r for r in rows if r["title"] == ref]
    if not found:
        raise NotFound(
            tr(
                "There is no snippet «{ref}» in the local copy; `docshelf snippets` lists them.",
                ref=ref,
            )
        )
    if len(found) > 1:
        ids = ", ".join(r["id"] for r in found[:5])
        raise InvalidInput(
            tr("Several snippets are called «{ref}»; use an id ({ids}).", ref=ref, ids=ids)
        )
    record = found[0]
    sha = record.get("body_sha256")
    if not sha:
        console.print(tr("The snippet «{title}» is empty.", title=record["title"]))
        return
    if not client.files.has(sha):
        raise NotFound(
            tr(
                "The text of «{title}» is not in the local copy yet; run `docshelf sync`.",
                title=record["title"],
            )
        )
    with client.files.open(sha) as body:
        data = body.read()
    console.print(Text(snippet_text(record.get("body_format") or "text", data)), highlight=False)


# ``docshelf snippet``: the edits, and reading one.
snippet = edits.snippet
snippet.add_command(snippet_show)
