"""The ``docshelf`` command.

Sub-commands are imported when used: the client commands must start fast and must
not load the server's web framework and database layer they never use. The reading
commands on a plain command line run without click at all (cli/quick.py); click and the
command group (cli/group.py) are loaded for everything else.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from docshelf.cli.exit_codes import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OFFLINE,
    EXIT_SIGNED_OUT,
)
from docshelf.cli.output import fail
from docshelf.domain.errors import DocshelfError
from docshelf.i18n import DEFAULT_LANGUAGE, N_, set_default_language, system_language, tr

if TYPE_CHECKING:
    pass


class Entry(NamedTuple):
    """Where a command is defined ("module:attribute") and its help as it is defined there.

    A named tuple, not a dataclass: one class less to build at every start."""

    target: str
    help: str


# The commands, imported only when one is run or its own help is shown: a command must not
# pay at start for the others' imports (the server's web framework and database layer, the
# HTTP stack, rich). `docshelf --help` lists them from this table alone.
#
# To add a command: define it in a module of docshelf.cli (a click command or group made
# with cls=TranslatedCommand / TranslatedGroup, its help marked with N_), then add a line
# here with the same help text. tests/unit/test_cli_imports.py fails when the table and the
# command disagree. Sub-commands of a group (admin, package, ...) need no line here.
COMMANDS = {
    "server": Entry(
        "docshelf.cli.serve:server",
        N_("Run the docshelf server (applies database migrations first)."),
    ),
    "demo": Entry(
        "docshelf.cli.serve:demo",
        N_("Seed demo content into an embedded SQLite (only when empty) and run the server."),
    ),
    "admin": Entry(
        "docshelf.cli.admin:admin",
        N_("Administer users, groups, settings and templates directly on the database."),
    ),
    "login": Entry(
        "docshelf.cli.client:login",
        N_("Sign in to a server; the device token is kept in the keyring or a private file."),
    ),
    "logout": Entry(
        "docshelf.cli.client:logout",
        N_("Revoke this device's sign-in on the server and forget it here."),
    ),
    "sync": Entry(
        "docshelf.cli.client:sync",
        N_(
            "Synchronise now: send your edits, fetch what changed (the schedule stays as "
            "it is).\n\nExits with code 6 when the sync went through but edits of yours "
            "wait, in conflict or rejected by the server."
        ),
    ),
    "status": Entry(
        "docshelf.cli.client:status",
        N_("Show server, user, state, last update, settings in force, the next sync and hints."),
    ),
    "daemon": Entry(
        "docshelf.cli.client:daemon",
        N_("Synchronise on the server's schedule until stopped (SIGTERM or Ctrl+C)."),
    ),
    "desktop": Entry(
        "docshelf.desktop.command:desktop",
        N_("Open the desktop app (window and tray icon); a second start shows the running one."),
    ),
    "templates": Entry(
        "docshelf.cli.lists:templates",
        N_("Templates in the local copy (works offline)."),
    ),
    "snippets": Entry(
        "docshelf.cli.lists:snippets",
        N_("Snippets in the local copy (works offline)."),
    ),
    "profiles": Entry(
        "docshelf.cli.lists:profiles",
        N_(
            "Profiles with their resolved field values: each field's key, value and where "
            "the value comes from (works offline)."
        ),
    ),
    "units": Entry(
        "docshelf.cli.lists:units",
        N_("Organisational units (works offline)."),
    ),
    "template": Entry(
        "docshelf.cli.library:template",
        N_("One template of the local copy."),
    ),
    "template-groups": Entry(
        "docshelf.cli.lists:template_groups",
        N_("Template groups in the local copy, with their parents (works offline)."),
    ),
    "document": Entry(
        "docshelf.cli.document:document",
        N_("New documents from templates."),
    ),
    "profile": Entry(
        "docshelf.cli.edits:profile",
        N_("Change your profiles (queued; uploaded at the next sync)."),
    ),
    "snippet": Entry(
        "docshelf.cli.library:snippet",
        N_("Change snippets: your personal ones, shared ones where you hold write."),
    ),
    "unit": Entry(
        "docshelf.cli.edits:unit",
        N_("Change organisational units (Org role)."),
    ),
    "template-group": Entry(
        "docshelf.cli.edits:template_group",
        N_("Change template groups (layouters)."),
    ),
    "uploads": Entry(
        "docshelf.cli.edits:uploads",
        N_("Edits not yet on the server: pending, in conflict, or rejected (with the reason)."),
    ),
    "conflicts": Entry(
        "docshelf.cli.edits:conflicts",
        N_("Edits someone else's change got in the way of, with both sides."),
    ),
    "package": Entry(
        "docshelf.cli.package:package",
        N_("Export and import packages of templates, snippets, units and field definitions."),
    ),
}


# Typed errors that mean the same to a script whatever command raised them.
_EXIT_CODES = {
    "offline": EXIT_OFFLINE,
    "not_signed_in": EXIT_SIGNED_OUT,
    "no_local_copy": EXIT_SIGNED_OUT,
    "signed_out": EXIT_SIGNED_OUT,
    "sync_busy": EXIT_BUSY,
}


def choose_language() -> str:
    """The system's locale decides (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English."""
    language = system_language() or DEFAULT_LANGUAGE
    set_default_language(language)
    return language


def main() -> None:
    choose_language()
    try:
        from docshelf.cli import quick

        if not quick.run(sys.argv[1:]):
            _with_click()
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


def _with_click() -> None:
    import click

    from docshelf.cli.group import cli

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        fail(tr("Aborted."), code=EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


def __getattr__(name: str) -> Any:
    """The click group (``cli``, ``LazyGroup``), loaded with click when first asked for."""
    if name in ("cli", "LazyGroup"):
        from docshelf.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _told(exc: DocshelfError) -> str:
    # "Not signed in: Not signed in on this computer yet: …" says the title twice.
    if exc.message.lower().startswith(exc.title.lower()):
        return exc.message
    return tr("{title}: {message}", title=exc.title, message=exc.message)


def _code_of(exc: DocshelfError) -> int:
    return _EXIT_CODES.get(exc.code, EXIT_FAILED)
