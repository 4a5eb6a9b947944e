"""Listing the local copy offline: ``docshelf templates / template-groups / snippets /
profiles / units``, as click commands.

What they print is in cli/listing.py; a plain command line runs it without click
(cli/quick.py). These commands are what ``docshelf NAME --help`` shows, and what runs any
other command line (an option given twice, a wrong one: click's errors).
"""

from __future__ import annotations

import click

from docshelf.cli import listing
from docshelf.cli.home import open_local_copy
from docshelf.i18n import N_
from docshelf.i18n.click_help import TranslatedCommand

json_option = click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON array."))
lang_option = click.option(
    "--lang", default="de", show_default=True, help=N_("Language of titles.")
)


@click.command(cls=TranslatedCommand, help=N_("Templates in the local copy (works offline)."))
@json_option
@lang_option
@click.pass_context
def templates(ctx: click.Context, as_json: bool, lang: str) -> None:
    listing.templates(open_local_copy(ctx), as_json, lang)


@click.command(
    "template-groups",
    cls=TranslatedCommand,
    help=N_("Template groups in the local copy, with their parents (works offline)."),
)
@json_option
@lang_option
@click.pass_context
def template_groups(ctx: click.Context, as_json: bool, lang: str) -> None:
    listing.template_groups(open_local_copy(ctx), as_json, lang)


@click.command(cls=TranslatedCommand, help=N_("Snippets in the local copy (works offline)."))
@json_option
@click.pass_context
def snippets(ctx: click.Context, as_json: bool) -> None:
    listing.snippets(open_local_copy(ctx), as_json)


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
    listing.profiles(open_local_copy(ctx), as_json, lang)


@click.command(cls=TranslatedCommand, help=N_("Organisational units (works offline)."))
@json_option
@click.pass_context
def units(ctx: click.Context, as_json: bool) -> None:
    listing.units(open_local_copy(ctx), as_json)
