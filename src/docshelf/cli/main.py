"""The ``docshelf`` command."""

from __future__ import annotations

import sys

import click

import docshelf
from docshelf.cli import admin, client, library, serve
from docshelf.cli.output import fail
from docshelf.domain.errors import DocshelfError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(docshelf.__version__, prog_name="docshelf")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="DOCSHELF_HOME",
    show_envvar=True,
    help="The client's folder (cache, files, settings); default: per-user data folder.",
)
def cli(home: str | None) -> None:
    """docshelf keeps document templates, snippets, profiles and units in sync."""


for command in (
    serve.server,
    serve.demo,
    admin.admin,
    client.login,
    client.logout,
    client.sync,
    client.status,
    client.daemon,
    library.templates,
    library.snippets,
    library.profiles,
    library.units,
    library.template,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        fail("Aborted.", code=130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DocshelfError as exc:
        fail(f"{exc.title}: {exc.message}")
    except KeyboardInterrupt:
        fail("Interrupted.", code=130)
