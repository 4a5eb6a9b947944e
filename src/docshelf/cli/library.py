"""Reading the local copy offline: ``docshelf templates / template-groups / snippets /
profiles / units``, ``docshelf template get`` and ``docshelf snippet show``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from docshelf.cli import edits
from docshelf.cli.client import open_local_copy
from docshelf.cli.output import console, table
from docshelf.cli.plain_text import snippet_text
from docshelf.client import reading
from docshelf.client.app import Client
from docshelf.domain.errors import InvalidInput, NotFound
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand, TranslatedGroup
from docshelf.i18n.formats import format_size


def _emit(rows: list[dict[str, Any]], as_json: bool) -> bool:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    return as_json


_SHA256 = re.compile(r"[0-9a-f]{64}")
json_option = click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON array."))
lang_option = click.option(
    "--lang", default="de", show_default=True, help=N_("Language of titles.")
)


@click.command(cls=TranslatedCommand, help=N_("Templates in the local copy (works offline)."))
@json_option
@lang_option
@click.pass_context
def templates(ctx: click.Context, as_json: bool, lang: str) -> None:
    client = open_local_copy(ctx)
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
            N_("Templates"),
            [
                N_("id"),
                N_("title"),
                N_("group"),
                N_("type"),
                N_("status"),
                N_("languages"),
                N_("offline"),
            ],
            (
                (
                    r["id"],
                    r["title"],
                    r["group"],
                    r["kind"],
                    r["status"],
                    ",".join(sorted(r["files"])),
                    tr("ready") if r["offline_ready"] else tr("sync needed"),
                )
                for r in rows
            ),
        )


@click.command(
    "template-groups",
    cls=TranslatedCommand,
    help=N_("Template groups in the local copy, with their parents (works offline)."),
)
@json_option
@lang_option
@click.pass_context
def template_groups(ctx: click.Context, as_json: bool, lang: str) -> None:
    client = open_local_copy(ctx)
    groups = reading.template_groups(client.store)
    titles = {g["id"]: reading.title_of(g, lang) for g in groups}
    counts: dict[str, int] = {}
    for t in reading.templates(client.store, lang):
        counts[t.get("group_id") or ""] = counts.get(t.get("group_id") or "", 0) + 1
    rows = [
        {
            **g,
            "title": titles[g["id"]],
            "parent": titles.get(g.get("parent_id") or ""),
            "templates": counts.get(g["id"], 0),
        }
        for g in groups
    ]
    if not _emit(rows, as_json):
        table(
            N_("Template groups"),
            [N_("id"), N_("title"), N_("parent"), N_("templates")],
            ((r["id"], r["title"], r["parent"], r["templates"]) for r in rows),
        )


@click.command(cls=TranslatedCommand, help=N_("Snippets in the local copy (works offline)."))
@json_option
@click.pass_context
def snippets(ctx: click.Context, as_json: bool) -> None:
    client = open_local_copy(ctx)
    rows = reading.snippets(client.store, client.config.user_id if client.config else None)
    if not _emit(rows, as_json):
        table(
            N_("Snippets"),
            [N_("id"), N_("title"), N_("kind")],
            ((r["id"], r["title"], r["kind"]) for r in rows),
        )


@click.command(
    cls=TranslatedCommand,
    help=N_(
        "Profiles with their resolved field values: each field's key, value and where "
        "the value comes from (works offline)."
    ),
)
@json_option
@lang_option
@click.pass_context
def profiles(ctx: click.Context, as_json: bool, lang: str) -> None:
    client = open_local_copy(ctx)
    config = client.config
    rows = reading.profiles(client.store, config.user_id if config else None, lang)
    if _emit(rows, as_json):
        return
    images = _image_fields(client)
    units = {u["id"]: u["title"] for u in reading.units(client.store)}
    for row in rows:
        if row["shared_with_me"]:
            head = tr(
                "{title} ({id}, {unit}) — shared by {owner}",
                title=row["title"],
                id=row["id"],
                unit=row["unit"] or tr("no unit"),
                owner=row["owner"],
            )
        else:
            head = tr(
                "{title} ({id}, {unit})",
                title=row["title"],
                id=row["id"],
                unit=row["unit"] or tr("no unit"),
            )
        console.print(Text(head, style="bold"), highlight=False)
        for field in row["fields"]:
            if field["value"] is None:
                continue
            value = field["value"]
            if field["key"] in images:
                value = _image(client, value)
            line = tr(
                "  {label} [{key}]: {value}  ({source})",
                label=field["label"],
                key=field["key"],
                value=value,
                source=_source(field["source"], units),
            )
            # Inherited values grey, overridden ones in the normal colour, as in the app.
            console.print(Text(line, style="dim" if field["inherited"] else ""), highlight=False)


def _image_fields(client: Client) -> set[str]:
    return {r["key"] for r in client.store.records("field") if r.get("type") == "image"}


def _image(client: Client, sha256: str) -> str:
    """An image by the file that holds it here, not by its hash."""
    if not _SHA256.fullmatch(sha256):
        return sha256
    if client.files.has(sha256):
        path = client.files.path(sha256)
        return tr(
            "image {path} ({size})", path=str(path), size=format_size(client.files.size(sha256))
        )
    return tr("image, not in the local copy yet (run `docshelf sync`)")


def _source(source: str, units: dict[str, str]) -> str:
    if source == "profile":
        return tr("set in this profile")
    if source == "user":
        return tr("from the user")
    if source.startswith("unit:"):
        unit_id = source.removeprefix("unit:")
        return tr("from unit «{unit}»", unit=units.get(unit_id, unit_id))
    return source


@click.command(cls=TranslatedCommand, help=N_("Organisational units (works offline)."))
@json_option
@click.pass_context
def units(ctx: click.Context, as_json: bool) -> None:
    rows = reading.units(open_local_copy(ctx).store)
    if not _emit(rows, as_json):
        names = {r["id"]: r["title"] for r in rows}
        table(
            N_("Units"),
            [N_("id"), N_("title"), N_("parent")],
            ((r["id"], r["title"], names.get(r["parent_id"] or "", "")) for r in rows),
        )


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
