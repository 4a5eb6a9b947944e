"""The ``docshelf`` command.

Sub-commands are imported when used: the client commands must start fast and must
not load the server's web framework and database layer they never use.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

import docshelf
from docshelf.cli.output import fail
from docshelf.domain.errors import DocshelfError

COMMANDS = {
    "server": "docshelf.cli.serve:server",
    "demo": "docshelf.cli.serve:demo",
    "admin": "docshelf.cli.admin:admin",
    "login": "docshelf.cli.client:login",
    "logout": "docshelf.cli.client:logout",
    "sync": "docshelf.cli.client:sync",
    "status": "docshelf.cli.client:status",
    "daemon": "docshelf.cli.client:daemon",
    "desktop": "docshelf.desktop.command:desktop",
    "templates": "docshelf.cli.library:templates",
    "snippets": "docshelf.cli.library:snippets",
    "profiles": "docshelf.cli.library:profiles",
    "units": "docshelf.cli.library:units",
    "template": "docshelf.cli.library:template",
    "document": "docshelf.cli.document:document",
    "profile": "docshelf.cli.edits:profile",
    "snippet": "docshelf.cli.edits:snippet",
    "unit": "docshelf.cli.edits:unit",
    "template-group": "docshelf.cli.edits:template_group",
    "uploads": "docshelf.cli.edits:uploads",
    "conflicts": "docshelf.cli.edits:conflicts",
    "package": "docshelf.cli.package:package",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
    except Exception as exc:
        if os.environ.get("DOCSHELF_DEBUG"):
            raise
        fail(
            f"Unexpected error ({type(exc).__name__}: {exc}). This is a bug in docshelf;"
            " run again with DOCSHELF_DEBUG=1 to see where it happened."
        )
