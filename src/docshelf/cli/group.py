"""The ``docshelf`` click group: its options, and its commands loaded from the table in
cli/main.py when one runs or its help is shown."""

from __future__ import annotations

import importlib

import click

import docshelf
from docshelf.cli.exit_codes import exit_code_help
from docshelf.cli.main import COMMANDS
from docshelf.i18n import N_
from docshelf.i18n.click_help import TranslatedGroup, write_commands


class LazyGroup(TranslatedGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attribute = entry.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # From the table: stand-ins with the commands' help, so listing imports none.
        write_commands(
            formatter,
            [
                (name, click.Command(name, help=COMMANDS[name].help))
                for name in self.list_commands(ctx)
            ],
        )

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Written at display time, in the language chosen at start, and not re-wrapped.
        formatter.write("\n")
        for line in exit_code_help().splitlines():
            formatter.write(line + "\n")


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
