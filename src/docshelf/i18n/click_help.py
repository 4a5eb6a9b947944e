"""Help texts in the language chosen at start.

click reads ``help=`` and docstrings when the commands are defined, at import, before
the language is known. So every help text is an English msgid marked with ``N_`` and
these classes translate it with ``tr`` when the help is shown:

    @click.command(cls=TranslatedCommand, help=N_("Show the status."))
    @click.option("--json", is_flag=True, help=N_("Print one JSON object."))

A group made with ``cls=TranslatedGroup`` gives its class to the commands and groups
defined on it (``@group.command()``). click's own words besides the section titles
("[default: …]", "env var", error messages) come from click's gettext domain and stay
English.
"""

from __future__ import annotations

import copy
import inspect

import click

from docshelf.i18n import N_, tr

# The help of the options click adds itself (--help; --version is given its help).
HELP_OPTION_HELP = N_("Show this message and exit.")
VERSION_OPTION_HELP = N_("Show the version and exit.")


def translated(text: str | None) -> str | None:
    """``text`` (a msgid marked with ``N_``) in the current language."""
    return tr(text) if text else text


def short_help(command: click.Command, limit: int) -> str:
    """The command's one-line help in the current language, for its group's list."""
    if command.short_help:
        return inspect.cleandoc(translated(command.short_help) or "").strip()
    if not command.help:
        return ""
    # click shortens without looking at the text; its helper is private, so a copy does it.
    shortened = copy.copy(command)
    shortened.help = translated(command.help)
    return click.Command.get_short_help_str(shortened, limit)


class TranslatedCommand(click.Command):
    """A command whose help, options' help and epilog are translated when shown."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=tr("Usage: "))

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = translated(self.help)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(text).partition("\f")[0])

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arguments = [p for p in self.get_params(ctx) if isinstance(p, click.Argument)]
        if any(argument.help is not None for argument in arguments):
            with formatter.section(tr("Positional arguments")):
                formatter.write_dl(
                    [_help_record(argument, ctx) or ("", "") for argument in arguments]
                )

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [
            record
            for param in self.get_params(ctx)
            if not isinstance(param, click.Argument)
            and (record := _help_record(param, ctx)) is not None
        ]
        if records:
            with formatter.section(tr("Options")):
                formatter.write_dl(records)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = translated(self.epilog)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(text))


class TranslatedGroup(TranslatedCommand, click.Group):
    """A group like :class:`TranslatedCommand`; what is defined on it is translated too."""

    command_class = TranslatedCommand
    group_class = type  # sub-groups of the same class

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        TranslatedCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [
            (name, command)
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if not commands:
            return
        # short_help(), not the command's own: a command from another part may be a
        # plain click one, and its help is then shown as it is.
        write_commands(formatter, commands)


def write_commands(
    formatter: click.HelpFormatter, commands: list[tuple[str, click.Command]]
) -> None:
    """A group's "Commands" section: each command's name and its one-line help."""
    limit = formatter.width - 6 - max(len(name) for name, _ in commands)
    with formatter.section(tr("Commands")):
        formatter.write_dl([(name, short_help(command, limit)) for name, command in commands])


def _help_record(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    # A copy with the translated help: the parameter itself keeps its msgid.
    shown = copy.copy(param)
    shown.help = translated(getattr(param, "help", None))
    return shown.get_help_record(ctx)
