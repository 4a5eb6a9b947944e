"""The ``docshelf`` command."""

from __future__ import annotations

import sys

import click

import docshelf
from docshelf.cli import admin, serve
from docshelf.cli.output import fail
from docshelf.domain.errors import DocshelfError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(docshelf.__version__, prog_name="docshelf")
def cli() -> None:
    """docshelf keeps document templates, snippets, profiles and units in sync."""


cli.add_command(serve.server)
cli.add_command(serve.demo)
cli.add_command(admin.admin)


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
