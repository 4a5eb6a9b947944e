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
from docshelf.cli.exit_codes import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OFFLINE,
    EXIT_SIGNED_OUT,
    exit_code_help,
)
from docshelf.cli.output import fail
from docshelf.domain.errors import DocshelfError
from docshelf.i18n import DEFAULT_LANGUAGE, N_, set_default_language, system_language, tr
from docshelf.i18n.click_help import TranslatedGroup

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
    "template-groups": "docshelf.cli.library:template_groups",
    "document": "docshelf.cli.document:document",
    "profile": "docshelf.cli.edits:profile",
    "snippet": "docshelf.cli.library:snippet",
    "unit": "docshelf.cli.edits:unit",
    "template-group": "docshelf.cli.edits:template_group",
    "uploads": "docshelf.cli.edits:uploads",
    "conflicts": "docshelf.cli.edits:conflicts",
    "package": "docshelf.cli.package:package",
}


class LazyGroup(TranslatedGroup):
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

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Written at display time, in the language chosen at start, and not re-wrapped.
        formatter.write("\n")
        for line in exit_code_help().splitlines():
            formatter.write(line + "\n")


# Typed errors that mean the same to a script whatever command raised them.
_EXIT_CODES = {
    "offline": EXIT_OFFLINE,
    "not_signed_in": EXIT_SIGNED_OUT,
    "no_local_copy": EXIT_SIGNED_OUT,
    "signed_out": EXIT_SIGNED_OUT,
    "sync_busy": EXIT_BUSY,
}


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=N_("docshelf keeps document templates, snippets, profiles and units in sync."),
)
@click.version_option(docshelf.__version__, prog_name="docshelf")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="DOCSHELF_HOME",
    show_envvar=True,
    help=N_("The client's folder (cache, files, settings); default: per-user data folder."),
)
def cli(home: str | None) -> None:
    pass


def choose_language() -> str:
    """The system's locale decides (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English."""
    language = system_language() or DEFAULT_LANGUAGE
    set_default_language(language)
    return language


def main() -> None:
    choose_language()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        fail(tr("Aborted."), code=EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DocshelfError as exc:
        fail(_told(exc), code=_code_of(exc))
    except KeyboardInterrupt:
        fail(tr("Interrupted."), code=EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("DOCSHELF_DEBUG"):
            raise
        fail(
            tr(
                "Unexpected error ({error}). This is a bug in docshelf; run again with"
                " DOCSHELF_DEBUG=1 to see where it happened.",
                error=type(exc).__name__ + ": " + str(exc),
            )
        )


def _told(exc: DocshelfError) -> str:
    # "Not signed in: Not signed in on this computer yet: …" says the title twice.
    if exc.message.lower().startswith(exc.title.lower()):
        return exc.message
    return tr("{title}: {message}", title=exc.title, message=exc.message)


def _code_of(exc: DocshelfError) -> int:
    return _EXIT_CODES.get(exc.code, EXIT_FAILED)
